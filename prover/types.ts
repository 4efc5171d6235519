// Typed model of the public risk epoch and the private portfolio. All money is bigint.
import { M_ASSETS, N_MARKETS, S_SCENARIOS } from "./constants.ts";

export interface Market {
  markPrice: bigint; // quote units per lot, 0 <= x < 2^48
  fundingIndex: bigint; // signed, |x| < 2^63
  maintenanceRateBps: bigint; // 0 <= maintenance <= initial <= 10000
  initialRateBps: bigint;
  impactBps: bigint; // 0 <= x <= 10000
  depth: bigint; // 1 <= x < 2^96
  positionCap: bigint; // lots, 0 <= x < 2^40
}

export interface CollateralAsset {
  priceE18: bigint; // quote units per asset unit * 1e18, 0 <= x < 2^96
  haircutBps: bigint; // 0 <= x <= 10000
}

export interface Params {
  epochId: bigint; // 0 <= x < 2^64
  maxLeverageBps: bigint; // 0 <= x < 2^32
  markets: Market[]; // exactly N
  collateral: CollateralAsset[]; // exactly M
  scenarios: bigint[][]; // S rows of N shocks in bps, |x| <= 10000
}

export interface Portfolio {
  sizes: bigint[]; // N signed lots, |x| < 2^40
  costBasis: bigint[]; // N signed quote units, |x| < 2^100
  entryFunding: bigint[]; // N signed, |x| < 2^63
  collateral: bigint[]; // M amounts, 0 <= x < 2^96
  salt: bigint; // field element, 0 <= x < r
}

/** Circuit dimensions: markets, collateral assets, stress scenarios. */
export interface Dims {
  N: number;
  M: number;
  S: number;
}

export const DEFAULT_DIMS: Dims = { N: N_MARKETS, M: M_ASSETS, S: S_SCENARIOS };

export type Level = "maintenance" | "initial";
export const LEVELS: readonly Level[] = ["maintenance", "initial"];
export const levelIndex = (level: Level): 0 | 1 => (level === "maintenance" ? 0 : 1);

export type Violation = "MARGIN" | "STRESS" | "POSITION_CAP" | "LEVERAGE";
export const VIOLATION_ORDER: readonly Violation[] = ["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"];

/** What `zkmargin check` prints: integers as decimal strings. */
export interface Report {
  healthy: boolean;
  violations: Violation[];
  equity: string;
  collateralValue: string;
  requirement: string;
  grossNotional: string;
  stressEquityE4: string[];
  commitment: string;
  paramsHash: string;
}
