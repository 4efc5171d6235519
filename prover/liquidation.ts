// Liquidation by proof (issue #9): the TypeScript twin of LiquidationProof(N, M, S) in
// circuits/liquidation.circom (artifacts/liquidation/). The holder of the liquidation key, who
// replays an account's hidden portfolio (prover/transition/replay.ts), proves that the committed
// portfolio is below maintenance at an epoch. A proof exists iff evaluate(params, portfolio,
// "maintenance") is not healthy. docs/SPEC.md: "Liquidation proof (MarginViolation)".
import { circuitArtifacts, type CircuitArtifacts } from "./artifacts.ts";
import { commitment, paramsHash } from "./encoding.ts";
import { abs, ceilDiv, toField } from "./field.ts";
import { paramsInputs, portfolioInputs, type CircuitInputs } from "./inputs.ts";
import { evaluate, type Evaluation } from "./model.ts";
import { CircuitProver, solidityCalldata, type MarginProof, type SolidityCalldata } from "./prover.ts";
import type { Params, Portfolio, Violation } from "./types.ts";
import { VIOLATION_ORDER } from "./types.ts";
import {
  BPS_BITS,
  BPS_ONE,
  CAP_BITS,
  DEPTH_BITS,
  LEVERAGE_BITS,
  NOTIONAL_BITS,
  SIZE_BITS,
  VALUE_BITS,
  ceilLog2,
  valueSumBits,
} from "./widths.ts";

/** public signals of a liquidation proof: [commitment, paramsHash, binding] */
export const LIQUIDATION_PUBLIC_SIGNALS = 3;
export const LIQUIDATION_SIGNALS = ["commitment", "paramsHash", "binding"] as const;

// ---------------------------------------------------------------- widths (circuits/liquidation.circom)
/** |sum_i U_i| < N * 2^105 (|U_i| < 2^88 + 2^100 + 2^104) */
export const liqPnlBits = (N: number) => 105 + ceilLog2(N);
/** signed equity: |E| < 2^liqEquityBits */
export const liqEquityBits = (N: number, M: number) => Math.max(valueSumBits(M), liqPnlBits(N)) + 1;
/** q_i = min(req_i, 2^liqEquityBits) in [0, 2^liqEquityBits], checked in this many bits */
export const liqReqBits = (N: number, M: number) => liqEquityBits(N, M) + 1;
/** num_i < 2^199 */
export const LIQ_NUM_BITS = NOTIONAL_BITS + BPS_BITS + DEPTH_BITS + 1;
/** the selected rule's d in [0, 2^liqCheckBits): |d| < 2^liqCheckBits for every rule */
export function liqCheckBits(N: number, M: number): number {
  const e = liqEquityBits(N, M);
  return Math.max(e + ceilLog2(N) + 1, e + BPS_BITS + 1, SIZE_BITS + 1, e + LEVERAGE_BITS + 1);
}
export const liqRules = (N: number, S: number) => N + S + 2;
export { VALUE_BITS, CAP_BITS };

// ---------------------------------------------------------------- rules
/**
 * A rule of MarginCheck as the liquidation selector names it: MARGIN, STRESS_k (scenario k),
 * POSITION_CAP_i (market i) or LEVERAGE. The selector's order is the list's.
 */
export type LiquidationRule = string;

/** Every rule in the selector's (fixed) order: MARGIN, STRESS_0..S-1, POSITION_CAP_0..N-1, LEVERAGE. */
export function liquidationRules(N: number, S: number): LiquidationRule[] {
  return [
    "MARGIN",
    ...Array.from({ length: S }, (_, k) => `STRESS_${k}`),
    ...Array.from({ length: N }, (_, i) => `POSITION_CAP_${i}`),
    "LEVERAGE",
  ];
}

/** The rule family of a rule name (STRESS_3 -> STRESS). */
export function ruleViolation(rule: LiquidationRule): Violation {
  const v = rule.replace(/_\d+$/, "") as Violation;
  if (!VIOLATION_ORDER.includes(v)) throw new Error(`unknown liquidation rule ${rule}`);
  return v;
}

/**
 * The margin of each rule as the circuit computes it, d >= 0 iff the rule is violated:
 *   MARGIN R - E - 1, STRESS_k -X_k - 1, POSITION_CAP_i |s_i| - cap_i - 1, LEVERAGE 10000 G - maxLev E - 1.
 * (R uncapped: the circuit's cap at 2^liqEquityBits never changes the sign.)
 */
export function ruleMargins(params: Params, portfolio: Portfolio, ev: Evaluation = evaluate(params, portfolio, "maintenance")): bigint[] {
  return [
    ev.requirement - ev.equity - 1n,
    ...ev.stressEquityE4.map((x) => -x - 1n),
    ...params.markets.map((m, i) => abs(portfolio.sizes[i]) - m.positionCap - 1n),
    BPS_ONE * ev.grossNotional - params.maxLeverageBps * ev.equity - 1n,
  ];
}

/** The violated rules at maintenance, in the selector's order (empty iff healthy). */
export function violatedRules(params: Params, portfolio: Portfolio): LiquidationRule[] {
  const names = liquidationRules(params.markets.length, params.scenarios.length);
  return ruleMargins(params, portfolio)
    .map((d, r) => (d >= 0n ? names[r] : null))
    .filter((x): x is string => x !== null);
}

/** The portfolio is healthy at maintenance: there is no liquidation proof. */
export class HealthyError extends Error {
  readonly rules: LiquidationRule[];
  constructor(rules: LiquidationRule[]) {
    super(`portfolio is healthy at maintenance: no liquidation proof exists (no rule violated of ${summarizeRules(rules)})`);
    this.name = "HealthyError";
    this.rules = rules;
  }
}

/** MARGIN, STRESS_0..STRESS_15, POSITION_CAP_0..POSITION_CAP_7, LEVERAGE */
function summarizeRules(rules: LiquidationRule[]): string {
  const out: string[] = [];
  for (const family of VIOLATION_ORDER) {
    const r = rules.filter((x) => ruleViolation(x) === family);
    out.push(r.length === 1 ? r[0] : `${r[0]}..${r[r.length - 1]}`);
  }
  return out.join(", ");
}

export interface LiquidationInputs {
  inputs: CircuitInputs;
  /** the rule the selector picks */
  rule: LiquidationRule;
  /** every violated rule, in the selector's order */
  violated: LiquidationRule[];
  /** [commitment, paramsHash, binding] */
  publicSignals: string[];
}

/** The one-hot selector of a rule. */
export function selectorOf(rule: LiquidationRule, N: number, S: number): string[] {
  const names = liquidationRules(N, S);
  const r = names.indexOf(rule);
  if (r < 0) throw new Error(`unknown liquidation rule ${rule} (rules: ${summarizeRules(names)})`);
  return names.map((_, k) => (k === r ? "1" : "0"));
}

/** Public signals of a liquidation proof, in circuit order. */
export function expectedLiquidationSignals(commitmentValue: bigint, paramsHashValue: bigint, binding: bigint): string[] {
  return [commitmentValue, paramsHashValue, binding].map((x) => toField(x).toString());
}

/**
 * Circuit inputs of LiquidationProof for validated params and portfolio. The selector picks
 * `rule` when given (it must be violated), else the first violated rule in the fixed order.
 * Throws HealthyError when the portfolio is healthy at maintenance.
 */
export function liquidationInputs(params: Params, portfolio: Portfolio, binding: bigint, rule?: LiquidationRule): LiquidationInputs {
  const N = params.markets.length;
  const S = params.scenarios.length;
  const violated = violatedRules(params, portfolio);
  if (violated.length === 0) throw new HealthyError(liquidationRules(N, S));
  const chosen = rule ?? violated[0];
  if (!violated.includes(chosen)) {
    selectorOf(chosen, N, S); // unknown names first
    throw new Error(`rule ${chosen} is not violated at maintenance (violated: ${violated.join(", ")})`);
  }
  return {
    inputs: liquidationCircuitInputs(params, portfolio, binding, chosen),
    rule: chosen,
    violated,
    publicSignals: expectedLiquidationSignals(commitment(portfolio), paramsHash(params), binding),
  };
}

/** The raw circuit inputs for any rule, violated or not (for tests and audits: no checks). */
export function liquidationCircuitInputs(params: Params, portfolio: Portfolio, binding: bigint, rule: LiquidationRule): CircuitInputs {
  return {
    binding: toField(binding).toString(),
    ...paramsInputs(params),
    ...portfolioInputs(portfolio),
    selector: selectorOf(rule, params.markets.length, params.scenarios.length),
  };
}

/** The requirement as the circuit carries it: q_i = min(req_i, 2^liqEquityBits). */
export function cappedRequirements(params: Params, portfolio: Portfolio): bigint[] {
  const cap = 1n << BigInt(liqEquityBits(params.markets.length, params.collateral.length));
  return params.markets.map((m, i) => {
    const n = abs(portfolio.sizes[i]) * m.markPrice;
    const req = ceilDiv(n * m.maintenanceRateBps * m.depth + n * n * m.impactBps, BPS_ONE * m.depth);
    return req < cap ? req : cap;
  });
}

/** LiquidationProof's prover: wasm, zkey and verification key read once, then proves repeatedly. */
export class LiquidationProver extends CircuitProver {
  static async load(artifacts: CircuitArtifacts = circuitArtifacts("liquidation")): Promise<LiquidationProver> {
    return new LiquidationProver(...(await CircuitProver.parts(artifacts)));
  }

  /** Full witness (wire 0 = 1). Throws HealthyError for a healthy portfolio (no proof exists). */
  witness(params: Params, portfolio: Portfolio, binding: bigint, rule?: LiquidationRule): Promise<bigint[]> {
    return this.rawWitness(liquidationInputs(params, portfolio, binding, rule).inputs);
  }

  /**
   * Prove that the committed portfolio is below maintenance (public signals [commitment,
   * paramsHash, binding]). The selector picks `rule`, or the first violated rule. Refuses
   * (HealthyError) without touching the circuit when the reference model finds it healthy;
   * liquidationInputs() tells which rules are violated.
   */
  prove(params: Params, portfolio: Portfolio, binding: bigint, rule?: LiquidationRule): Promise<MarginProof> {
    const x = liquidationInputs(params, portfolio, binding, rule);
    return this.proveInputs(x.inputs, x.publicSignals);
  }

  /** Arguments for the generated LiquidationVerifier's verifyProof(a, b, c, uint256[3]). */
  solidityCalldata(proof: MarginProof): Promise<SolidityCalldata> {
    return solidityCalldata(proof);
  }
}
