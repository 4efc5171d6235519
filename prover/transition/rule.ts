// The transition rule: old portfolio + op (+ the epoch) -> new portfolio, and whether the result
// is healthy at the initial level. Circom twin: Transition(N, M, S) in
// circuits/transition.circom, sections "new portfolio" and "initial margin".
// docs/SPEC.md: §7 "Transitions", "The rule".
import { AMOUNT_BITS, COST_BITS, MARK_BITS, SIZE_BITS } from "../constants.ts";
import { FIELD_MODULUS, abs, pow2 } from "../field.ts";
import { evaluate } from "../model.ts";
import type { Params, Portfolio, Violation } from "../types.ts";
import { ValidationError } from "../validate.ts";
import { TRANSITION_KINDS, type TransitionOp } from "./op.ts";

/** The portfolio a transition produces, before its salt is known. */
export interface Applied {
  sizes: bigint[];
  costBasis: bigint[];
  entryFunding: bigint[];
  collateral: bigint[];
  /** PnL credited to asset 0 (REALIZE), in quote units */
  realized: bigint;
  /** every new size and cost basis is 0 (no position, no unrealised PnL) */
  flat: boolean;
  /** the initial-level violations of the new portfolio ([] for DEPOSIT, which is never refused) */
  violations: Violation[];
}

export class TransitionRefused extends Error {
  readonly violations: Violation[];
  constructor(violations: Violation[]) {
    super(`the resulting portfolio is not healthy at the initial level: ${violations.join(", ")}`);
    this.name = "TransitionRefused";
    this.violations = violations;
  }
}

/**
 * The op is in range for this epoch and account (the circuit's "context" and "fill" checks);
 * throws ValidationError naming the field otherwise.
 */
export function checkOp(params: Params, old: Portfolio, op: TransitionOp): void {
  const N = params.markets.length;
  const M = params.collateral.length;
  if (!(TRANSITION_KINDS as readonly string[]).includes(op.kind))
    throw new ValidationError("kind", `must be one of ${TRANSITION_KINDS.join(", ")}`);
  if (op.kind === "deposit" || op.kind === "withdraw") {
    if (!Number.isInteger(op.asset) || op.asset < 0 || op.asset >= M) throw new ValidationError("asset", `must be an integer in [0, ${M})`);
    if (op.amount <= 0n || op.amount >= pow2(AMOUNT_BITS)) throw new ValidationError("amount", `must be in [1, 2^${AMOUNT_BITS})`);
    if (op.kind === "withdraw" && op.amount > old.collateral[op.asset]) {
      throw new ValidationError("amount", `exceeds the account's balance of asset ${op.asset} (${old.collateral[op.asset]})`);
    }
  } else if (op.kind === "realize") {
    if (!Number.isInteger(op.market) || op.market < 0 || op.market >= N)
      throw new ValidationError("market", `must be an integer in [0, ${N})`);
  } else if (op.kind === "buy" || op.kind === "sell") {
    const { market, size, price, salt } = op.fill;
    if (!Number.isInteger(market) || market < 0 || market >= N) throw new ValidationError("fill.market", `must be an integer in [0, ${N})`);
    if (size <= 0n || size >= pow2(SIZE_BITS)) throw new ValidationError("fill.size", `must be in [1, 2^${SIZE_BITS})`);
    if (price < 0n || price >= pow2(MARK_BITS)) throw new ValidationError("fill.price", `must be in [0, 2^${MARK_BITS})`);
    if (salt < 0n || salt >= FIELD_MODULUS) throw new ValidationError("fill.salt", "must be a field element");
  }
}

/**
 * The transition rule (circuits/transition.circom, "new portfolio"). Funding is settled on every
 * market first (c_i += s_i * (F_i - f_i), f_i = F_i); then DEPOSIT/WITHDRAW move `amount` of
 * `asset`, BUY/SELL add +-q lots at px to market m (c_m += +-q * px), REALIZE credits
 * U_m = s_m * P_m - c_m to asset 0 and resets c_m = s_m * P_m. Throws ValidationError (naming the
 * field) when the op or a resulting value is out of range.
 */
export function applyTransition(params: Params, old: Portfolio, op: TransitionOp): Applied {
  checkOp(params, old, op);
  const sizes = [...old.sizes];
  const costBasis = old.costBasis.map((c, i) => c + old.sizes[i] * (params.markets[i].fundingIndex - old.entryFunding[i]));
  const entryFunding = params.markets.map((m) => m.fundingIndex);
  const collateral = [...old.collateral];
  let realized = 0n;
  if (op.kind === "deposit") collateral[op.asset] += op.amount;
  else if (op.kind === "withdraw") collateral[op.asset] -= op.amount;
  else if (op.kind === "buy" || op.kind === "sell") {
    const d = op.kind === "buy" ? op.fill.size : -op.fill.size;
    sizes[op.fill.market] += d;
    costBasis[op.fill.market] += d * op.fill.price;
  } else if (op.kind === "realize") {
    const m = op.market;
    const mark = sizes[m] * params.markets[m].markPrice;
    realized = mark - costBasis[m];
    costBasis[m] = mark;
    collateral[0] += realized;
  }
  sizes.forEach((s, i) => {
    if (abs(s) >= pow2(SIZE_BITS)) throw new ValidationError(`sizes[${i}]`, `the new size ${s} leaves (-2^${SIZE_BITS}, 2^${SIZE_BITS})`);
  });
  costBasis.forEach((c, i) => {
    if (abs(c) >= pow2(COST_BITS))
      throw new ValidationError(`costBasis[${i}]`, `the new cost basis ${c} leaves (-2^${COST_BITS}, 2^${COST_BITS})`);
  });
  collateral.forEach((a, j) => {
    if (a < 0n)
      throw new ValidationError(
        `collateral[${j}]`,
        `the new balance ${a} is negative (a realised loss larger than the balance of asset 0)`,
      );
    if (a >= pow2(AMOUNT_BITS)) throw new ValidationError(`collateral[${j}]`, `the new balance ${a} is not below 2^${AMOUNT_BITS}`);
  });
  // "initial margin": DEPOSIT is never refused (the circuit checks the empty portfolio instead)
  const next = { sizes, costBasis, entryFunding, collateral, salt: 0n };
  const violations = op.kind === "deposit" ? [] : evaluate(params, next, "initial").violations;
  const flat = sizes.every((s) => s === 0n) && costBasis.every((c) => c === 0n);
  return { sizes, costBasis, entryFunding, collateral, realized, flat, violations };
}

/** The empty portfolio every account starts from (salt 0: nothing to hide yet). */
export function emptyPortfolio(N: number, M: number): Portfolio {
  return {
    sizes: Array(N).fill(0n),
    costBasis: Array(N).fill(0n),
    entryFunding: Array(N).fill(0n),
    collateral: Array(M).fill(0n),
    salt: 0n,
  };
}
