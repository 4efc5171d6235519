// The transition rule: old portfolio + op (+ the epoch) -> new portfolio, the margin level it
// needs (initial, or maintenance for a reduce-only trade) and whether the result is healthy at
// that level. Circom twin: Transition(N, M, S) in circuits/transition.circom, sections "new
// portfolio", "reduce-only level" and "margin". docs/SPEC.md: §7 "Transitions", "The rule".
import { AMOUNT_BITS, COST_BITS, MARK_BITS, SIZE_BITS } from "../constants.ts";
import { FIELD_MODULUS, abs, pow2 } from "../field.ts";
import { evaluate } from "../model.ts";
import type { Level, Params, Portfolio, Violation } from "../types.ts";
import { ValidationError } from "../validate.ts";
import { TRANSITION_KINDS, type TransitionOp } from "./op.ts";

/**
 * A rule a transition can break: a margin rule of the new portfolio (prover/model.ts) or CASH,
 * the settlement-cash rule (cashRule below).
 */
export type TransitionViolation = Violation | "CASH";

/** The portfolio a transition produces, before its salt is known. */
export interface Applied {
  sizes: bigint[];
  costBasis: bigint[];
  entryFunding: bigint[];
  collateral: bigint[];
  /** PnL moved into asset 0: +amount (REALIZE, from the pool), -amount (SETTLE, into the pool), in quote units */
  realized: bigint;
  /** the flat trade fee paid from asset 0 (BUY/SELL; 0n otherwise): the op word's amount */
  fee: bigint;
  /** every new size and cost basis is 0 (no position, no unrealised PnL) */
  flat: boolean;
  /**
   * the level the new portfolio must be healthy at: "maintenance" for a reduce-only trade
   * (marginLevel), "initial" otherwise (DEPOSIT included, though it is never checked)
   */
  level: Level;
  /** the violations of the new portfolio at `level`, and CASH ([] for DEPOSIT and SETTLE, never refused) */
  violations: TransitionViolation[];
}

export class TransitionRefused extends Error {
  readonly violations: TransitionViolation[];
  readonly level: Level;
  constructor(violations: TransitionViolation[], level: Level = "initial") {
    super(`the resulting portfolio is not healthy at the ${level} level: ${violations.join(", ")}`);
    this.name = "TransitionRefused";
    this.violations = violations;
    this.level = level;
  }
}

/**
 * The margin level a transition needs (circuits/transition.circom, "reduce-only level"): a
 * reduce-only trade -- BUY/SELL on market m with the old size s_m != 0, its side opposite to
 * sign(s_m) (BUY reduces a short, SELL a long) and q <= |s_m|, so the position moves toward zero
 * without flipping -- needs "maintenance"; every other transition "initial" (a DEPOSIT is never
 * checked). `old` is the portfolio before the transition (funding settlement leaves sizes as
 * they are).
 */
export function marginLevel(old: Portfolio, op: TransitionOp): Level {
  if (op.kind !== "buy" && op.kind !== "sell") return "initial";
  const s = old.sizes[op.fill.market];
  const opposite = op.kind === "buy" ? s < 0n : s > 0n;
  return opposite && op.fill.size <= abs(s) ? "maintenance" : "initial";
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
  } else if (op.kind === "realize" || op.kind === "settle") {
    if (!Number.isInteger(op.market) || op.market < 0 || op.market >= N)
      throw new ValidationError("market", `must be an integer in [0, ${N})`);
    if (typeof op.amount !== "bigint" || op.amount < 0n || op.amount >= pow2(AMOUNT_BITS))
      throw new ValidationError("amount", `must be in [0, 2^${AMOUNT_BITS})`);
    if (op.kind === "settle" && op.amount > old.collateral[0]) {
      throw new ValidationError("amount", `exceeds the account's balance of asset 0 (${old.collateral[0]})`);
    }
  } else if (op.kind === "buy" || op.kind === "sell") {
    const { market, size, price, salt } = op.fill;
    if (!Number.isInteger(market) || market < 0 || market >= N) throw new ValidationError("fill.market", `must be an integer in [0, ${N})`);
    if (size <= 0n || size >= pow2(SIZE_BITS)) throw new ValidationError("fill.size", `must be in [1, 2^${SIZE_BITS})`);
    if (price < 0n || price >= pow2(MARK_BITS)) throw new ValidationError("fill.price", `must be in [0, 2^${MARK_BITS})`);
    if (salt < 0n || salt >= FIELD_MODULUS) throw new ValidationError("fill.salt", "must be a field element");
    const fee = op.fee ?? 0n;
    if (typeof fee !== "bigint" || fee < 0n || fee >= pow2(AMOUNT_BITS))
      throw new ValidationError("fee", `must be in [0, 2^${AMOUNT_BITS})`);
  }
}

/**
 * The transition rule (circuits/transition.circom, "new portfolio"). Funding is settled on every
 * market first (c_i += s_i * (F_i - f_i), f_i = F_i); then DEPOSIT/WITHDRAW move `amount` of
 * `asset`, BUY/SELL add +-q lots at px to market m (c_m += +-q * px) and pay `fee` from asset 0,
 * WITHDRAW needs the net unrealised PnL >= 0 (a loser settles first);
 * REALIZE claims `amount` from the PnL pool (a_0 += amount, c_m += amount; the account's net
 * unrealised PnL sum_i U_i must stay >= 0: only net profit can be claimed), SETTLE pays `amount`
 * of loss into it (a_0 -= amount, c_m -= amount; never refused, like DEPOSIT). The result is
 * checked at marginLevel(old, op). Throws ValidationError (naming the field) when the op or a
 * resulting value is out of range ("fee" when the fee exceeds the balance of asset 0, "amount"
 * when a claim exceeds the net unrealised profit).
 */
export function applyTransition(params: Params, old: Portfolio, op: TransitionOp): Applied {
  checkOp(params, old, op);
  const sizes = [...old.sizes];
  const costBasis = old.costBasis.map((c, i) => c + old.sizes[i] * (params.markets[i].fundingIndex - old.entryFunding[i]));
  const dOld = settlementCash(params, sizes, costBasis, old.collateral[0]);
  const entryFunding = params.markets.map((m) => m.fundingIndex);
  const collateral = [...old.collateral];
  let realized = 0n;
  let fee = 0n;
  if (op.kind === "deposit") collateral[op.asset] += op.amount;
  else if (op.kind === "withdraw") {
    // no unpaid loss: a loser settles into the PnL pool before it takes collateral out
    const net = settlementCash(params, sizes, costBasis, 0n);
    if (net < 0n)
      throw new ValidationError(
        "amount",
        `the account owes ${-net} of unrealised loss: settle it into the PnL pool first (account settle), then withdraw`,
      );
    collateral[op.asset] -= op.amount;
  } else if (op.kind === "buy" || op.kind === "sell") {
    const d = op.kind === "buy" ? op.fill.size : -op.fill.size;
    sizes[op.fill.market] += d;
    costBasis[op.fill.market] += d * op.fill.price;
    fee = op.fee ?? 0n;
    if (fee > collateral[0])
      throw new ValidationError("fee", `the trade fee ${fee} exceeds the account's balance of asset 0 (${collateral[0]})`);
    collateral[0] -= fee;
  } else if (op.kind === "realize" || op.kind === "settle") {
    realized = op.kind === "realize" ? op.amount : -op.amount;
    costBasis[op.market] += realized;
    collateral[0] += realized;
    if (op.kind === "realize") {
      const net = params.markets.reduce((acc, m, i) => acc + sizes[i] * m.markPrice - costBasis[i], 0n);
      if (net < 0n)
        throw new ValidationError("amount", `claims ${op.amount}, more than the account's net unrealised profit (${net + op.amount})`);
    }
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
  // "margin": at the initial level, or maintenance for a reduce-only trade; DEPOSIT and SETTLE
  // are never refused (the circuit checks the empty portfolio instead)
  const level = marginLevel(old, op);
  const next = { sizes, costBasis, entryFunding, collateral, salt: 0n };
  const violations: TransitionViolation[] = [];
  if (op.kind !== "deposit" && op.kind !== "settle") {
    violations.push(...evaluate(params, next, level).violations);
    if (!cashRule(level, dOld, settlementCash(params, sizes, costBasis, collateral[0]), fee)) violations.push("CASH");
  }
  const flat = sizes.every((s) => s === 0n) && costBasis.every((c) => c === 0n);
  return { sizes, costBasis, entryFunding, collateral, realized, fee, flat, level, violations };
}

/**
 * The settlement-cash d = a_0 + sum_i (s_i * P_i - c_i) of a portfolio whose entry funding is the
 * epoch's (funding settled): its balance of asset 0 plus its net unrealised PnL, quote units.
 */
export function settlementCash(params: Params, sizes: bigint[], costBasis: bigint[], a0: bigint): bigint {
  return params.markets.reduce((acc, m, i) => acc + sizes[i] * m.markPrice - costBasis[i], a0);
}

/**
 * CASH (circuits/transition.circom, "settlement cash"): a transition that needs the initial level
 * (opening or adding a position, WITHDRAW, REALIZE) leaves d' = a'_0 + sum_i U'_i >= 0: the
 * account's balance of asset 0 covers its net unrealised loss, so the loss can always be settled
 * into the PnL pool and a trade at an off-market price cannot move value out of a loser that
 * holds only non-settlement collateral. A reduce-only trade (maintenance level) may not make the
 * deficit worse except by its fee: d' + fee >= min(0, d), with d the settled old portfolio's.
 */
export function cashRule(level: Level, dOld: bigint, dNew: bigint, fee: bigint): boolean {
  if (level === "initial") return dNew >= 0n;
  return dNew + fee >= (dOld < 0n ? dOld : 0n);
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
