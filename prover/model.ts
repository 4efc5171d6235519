// The zkmargin v1 margin model: the TypeScript reference of circuits/margin.circom.
// Integers only; every rounding goes against the trader. Read side by side with the circuit
// and with docs/SPEC.md ("The margin model").
import { abs, ceilDiv, floorDiv } from "./field.ts";
import { commitment, paramsHash } from "./encoding.ts";
import type { Level, Params, Portfolio, Report, Violation } from "./types.ts";
import { BPS_ONE, VALUE_DIVISOR } from "./widths.ts";

export interface Evaluation {
  healthy: boolean;
  violations: Violation[];
  /** E = C + sum U_i (may be negative) */
  equity: bigint;
  /** C = sum v_j */
  collateralValue: bigint;
  /** v_j = floor(a_j * priceE18_j * (10000 - haircut_j) / 1e22) */
  collateralValues: bigint[];
  /** U_i = s_i * P_i - c_i - s_i * (F_i - f_i) */
  pnl: bigint[];
  /** n_i = |s_i| * P_i */
  notionals: bigint[];
  /** G = sum n_i */
  grossNotional: bigint;
  /** req_i at the chosen level */
  requirements: bigint[];
  /** R = sum req_i */
  requirement: bigint;
  /** X_k = 10000 * E + sum_i s_i * P_i * shock_k,i */
  stressEquityE4: bigint[];
}

/** req = ceil((n * rate * D + n^2 * impact) / (10000 * D)) */
export function marketRequirement(notional: bigint, rateBps: bigint, impactBps: bigint, depth: bigint): bigint {
  return ceilDiv(notional * rateBps * depth + notional * notional * impactBps, BPS_ONE * depth);
}

/** v = floor(a * priceE18 * (10000 - haircut) / 1e22) */
export function collateralValue(amount: bigint, priceE18: bigint, haircutBps: bigint): bigint {
  return floorDiv(amount * priceE18 * (BPS_ONE - haircutBps), VALUE_DIVISOR);
}

/** U_i = s_i * P_i - c_i - s_i * (F_i - f_i): the unrealised PnL per market at the epoch (quote units). */
export function unrealisedPnl(params: Params, portfolio: Portfolio): bigint[] {
  const s = portfolio.sizes;
  return params.markets.map((m, i) => s[i] * m.markPrice - portfolio.costBasis[i] - s[i] * (m.fundingIndex - portfolio.entryFunding[i]));
}

/**
 * Evaluate a validated portfolio under validated parameters at a margin level.
 * A proof exists iff the result is healthy.
 */
export function evaluate(params: Params, portfolio: Portfolio, level: Level): Evaluation {
  const { markets, collateral, scenarios } = params;
  const s = portfolio.sizes;

  const collateralValues = collateral.map((c, j) => collateralValue(portfolio.collateral[j], c.priceE18, c.haircutBps));
  const C = collateralValues.reduce((a, b) => a + b, 0n);

  const notionals = markets.map((m, i) => abs(s[i]) * m.markPrice);
  const G = notionals.reduce((a, b) => a + b, 0n);
  const pnl = unrealisedPnl(params, portfolio);
  const E = C + pnl.reduce((a, b) => a + b, 0n);

  const requirements = markets.map((m, i) =>
    marketRequirement(notionals[i], level === "maintenance" ? m.maintenanceRateBps : m.initialRateBps, m.impactBps, m.depth),
  );
  const R = requirements.reduce((a, b) => a + b, 0n);

  const stressEquityE4 = scenarios.map((row) => BPS_ONE * E + markets.reduce((acc, m, i) => acc + s[i] * m.markPrice * row[i], 0n));

  const violations: Violation[] = [];
  if (E < R) violations.push("MARGIN");
  if (stressEquityE4.some((x) => x < 0n)) violations.push("STRESS");
  if (markets.some((m, i) => abs(s[i]) > m.positionCap)) violations.push("POSITION_CAP");
  if (BPS_ONE * G > params.maxLeverageBps * E) violations.push("LEVERAGE");

  return {
    healthy: violations.length === 0,
    violations,
    equity: E,
    collateralValue: C,
    collateralValues,
    pnl,
    notionals,
    grossNotional: G,
    requirements,
    requirement: R,
    stressEquityE4,
  };
}

/** The JSON report printed by `zkmargin check`. */
export function report(params: Params, portfolio: Portfolio, level: Level): Report {
  const ev = evaluate(params, portfolio, level);
  return {
    healthy: ev.healthy,
    violations: ev.violations,
    equity: ev.equity.toString(),
    collateralValue: ev.collateralValue.toString(),
    requirement: ev.requirement.toString(),
    grossNotional: ev.grossNotional.toString(),
    stressEquityE4: ev.stressEquityE4.map(String),
    commitment: commitment(portfolio).toString(),
    paramsHash: paramsHash(params).toString(),
  };
}
