// Circuit input object for MarginProof(N, M, S): every value as a decimal field element.
import { toField } from "./field.ts";
import type { Level, Params, Portfolio } from "./types.ts";
import { levelIndex } from "./types.ts";

export type CircuitInputs = Record<string, string | string[] | string[][]>;

const f = (x: bigint): string => toField(x).toString();

/** The epoch's parameters as circuit inputs (MarginProof, Transition). */
export function paramsInputs(params: Params): CircuitInputs {
  const m = params.markets;
  return {
    epochId: f(params.epochId),
    maxLeverageBps: f(params.maxLeverageBps),
    markPrice: m.map((x) => f(x.markPrice)),
    fundingIndex: m.map((x) => f(x.fundingIndex)),
    maintenanceRateBps: m.map((x) => f(x.maintenanceRateBps)),
    initialRateBps: m.map((x) => f(x.initialRateBps)),
    impactBps: m.map((x) => f(x.impactBps)),
    depth: m.map((x) => f(x.depth)),
    positionCap: m.map((x) => f(x.positionCap)),
    collateralPriceE18: params.collateral.map((c) => f(c.priceE18)),
    haircutBps: params.collateral.map((c) => f(c.haircutBps)),
    shocks: params.scenarios.map((row) => row.map(f)),
  };
}

/** A portfolio (with its salt) as circuit inputs. */
export function portfolioInputs(portfolio: Portfolio): CircuitInputs {
  return {
    sizes: portfolio.sizes.map(f),
    costBasis: portfolio.costBasis.map(f),
    entryFunding: portfolio.entryFunding.map(f),
    collateral: portfolio.collateral.map(f),
    salt: f(portfolio.salt),
  };
}

export function circuitInputs(params: Params, portfolio: Portfolio, level: Level, binding: bigint): CircuitInputs {
  return {
    level: String(levelIndex(level)),
    binding: f(binding),
    ...paramsInputs(params),
    ...portfolioInputs(portfolio),
  };
}

/** Public signals the proof must carry, in circuit order. */
export function expectedPublicSignals(commitment: bigint, paramsHash: bigint, level: Level, binding: bigint): string[] {
  return [commitment, paramsHash, BigInt(levelIndex(level)), binding].map((x) => toField(x).toString());
}
