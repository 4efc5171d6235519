// The transition op codec: the public op word, context, the fill commitment and the encrypted
// payload. Circom twin: Transition(N, M, S) in circuits/transition.circom, sections
// "context = op + 2^105 * binding" and "fill" (the payload is laid out as in its "encryption"
// section). docs/SPEC.md: §7 "Transitions", "Public signals, in order".
//
//   op      = kind + 2^OP_ASSET_SHIFT * asset + 2^OP_FLAT_SHIFT * flat + 2^OP_AMOUNT_SHIFT * amount
//   context = op + 2^OP_BITS * binding
//   fill    = Poseidon(market, size, price, fillSalt)
//   payload = market + 2^PAYLOAD_SIZE_SHIFT * size + 2^PAYLOAD_PRICE_SHIFT * price
import {
  KIND,
  KIND_COUNT,
  OP_AMOUNT_SHIFT,
  OP_ASSET_BITS,
  OP_ASSET_SHIFT,
  OP_BITS,
  OP_FLAT_SHIFT,
  OP_KIND_BITS,
  PAYLOAD_PRICE_SHIFT,
  PAYLOAD_SIZE_SHIFT,
} from "../constants.ts";
import { pow2, toField } from "../field.ts";
import { poseidon } from "../hash.ts";

/** The transition kinds, indexed by op code (KIND in prover/constants.ts). */
export const TRANSITION_KINDS = [
  "deposit",
  "withdraw",
  "buy",
  "sell",
  "realize",
  "settle",
] as const satisfies readonly (keyof typeof KIND)[];
export type TransitionKind = (typeof TRANSITION_KINDS)[number];
export const KIND_CODE: Record<TransitionKind, number> = KIND;
if (TRANSITION_KINDS.length !== KIND_COUNT || TRANSITION_KINDS.some((k, code) => KIND[k] !== code)) {
  throw new Error("TRANSITION_KINDS is not KIND (prover/constants.ts) in op-code order");
}

/** A privately agreed fill: market index, size in lots (> 0), price in quote units per lot. */
export interface Fill {
  market: number;
  size: bigint;
  price: bigint;
  salt: bigint;
}

/**
 * A transition. A trade leg (buy/sell) pays a flat, public `fee` in units of asset 0 (the
 * clearinghouse's trade fee; 0n when omitted): the op word carries it as its amount.
 * `realize` claims `amount` of profit from the clearinghouse's PnL pool into asset 0 and
 * `settle` pays `amount` of loss from asset 0 into the pool; both shift the cost basis of the
 * hidden market `market` by the same amount, so equity is unchanged (docs/PROTOCOL.md,
 * "Settlement").
 */
export type TransitionOp =
  | { kind: "deposit" | "withdraw"; asset: number; amount: bigint }
  | { kind: "buy" | "sell"; fill: Fill; fee?: bigint }
  | { kind: "realize" | "settle"; market: number; amount: bigint };

/**
 * The op word's amount: the amount moved (deposit/withdraw), the trade fee (buy/sell), the
 * profit claimed (realize) or the loss paid (settle).
 */
export function opAmount(op: TransitionOp): bigint {
  return "fill" in op ? (op.fee ?? 0n) : op.amount;
}

/** op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount (amount: the fee for buy/sell) */
export function opWord(kind: TransitionKind, asset: number, flat: boolean, amount: bigint): bigint {
  return (
    BigInt(KIND_CODE[kind]) +
    (BigInt(asset) << BigInt(OP_ASSET_SHIFT)) +
    ((flat ? 1n : 0n) << BigInt(OP_FLAT_SHIFT)) +
    (amount << BigInt(OP_AMOUNT_SHIFT))
  );
}

export function decodeOpWord(op: bigint): { kind: TransitionKind; asset: number; flat: boolean; amount: bigint } {
  const code = Number(op & (pow2(OP_KIND_BITS) - 1n));
  if (code >= KIND_COUNT || op < 0n || op >= pow2(OP_BITS)) throw new RangeError(`op ${op} is not a transition op word`);
  return {
    kind: TRANSITION_KINDS[code],
    asset: Number((op >> BigInt(OP_ASSET_SHIFT)) & (pow2(OP_ASSET_BITS) - 1n)),
    flat: ((op >> BigInt(OP_FLAT_SHIFT)) & 1n) === 1n,
    amount: op >> BigInt(OP_AMOUNT_SHIFT),
  };
}

/** context = op + 2^105 * binding */
export function contextOf(op: bigint, binding: bigint): bigint {
  return op + (binding << BigInt(OP_BITS));
}

/** fill = Poseidon(market, size, price, fillSalt): public, shared by both legs of a trade. */
export function fillCommitment(fill: Fill): bigint {
  return poseidon([BigInt(fill.market), fill.size, fill.price, toField(fill.salt)]);
}

/** The encrypted payload: m + 2^8 * q + 2^48 * px (0 for DEPOSIT/WITHDRAW, m for REALIZE/SETTLE). */
export function payloadOf(op: TransitionOp): bigint {
  if (op.kind === "buy" || op.kind === "sell") {
    return BigInt(op.fill.market) + (op.fill.size << BigInt(PAYLOAD_SIZE_SHIFT)) + (op.fill.price << BigInt(PAYLOAD_PRICE_SHIFT));
  }
  if (op.kind === "realize" || op.kind === "settle") return BigInt(op.market);
  return 0n;
}

export function describeOp(op: TransitionOp): string {
  if ("fill" in op)
    return `${op.kind} ${op.fill.size} lots @ ${op.fill.price} in market ${op.fill.market}${op.fee ? ` (fee ${op.fee})` : ""}`;
  if ("market" in op) return `${op.kind} ${op.amount} of ${op.kind === "realize" ? "profit" : "loss"} (market ${op.market})`;
  return `${op.kind} ${op.amount} of asset ${op.asset}`;
}
