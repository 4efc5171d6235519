// The liquidation key holder's replay of one published transition: decrypt the payload, apply
// the public op and check the published commitment. Circom twin: none of its own; it inverts
// Transition(N, M, S) in circuits/transition.circom, sections "encryption" (the payload) and
// "commitments" (newCommitment). docs/SPEC.md: §7 "Transitions", "The rule" (step 8);
// docs/PROTOCOL.md describes the replay.
import { PAYLOAD_PRICE_SHIFT, PAYLOAD_SIZE_SHIFT, SIZE_BITS } from "../constants.ts";
import { commitment } from "../encoding.ts";
import { pow2 } from "../field.ts";
import type { Params, Portfolio } from "../types.ts";
import { decryptTransition } from "./encryption.ts";
import { decodeOpWord, type TransitionOp } from "./op.ts";
import { applyTransition } from "./rule.ts";

/** One published transition as the key holder sees it on-chain. */
export interface TransitionRecord {
  op: bigint;
  ephemeralKey: bigint;
  cipher: bigint;
  newCommitment: bigint;
  /** the epoch the proof was made against */
  params: Params;
}

/**
 * The liquidation key holder's replay step: decrypt the payload, apply the public op to the
 * previous portfolio and check the result against the published commitment.
 */
export function replayTransition(secret: bigint, previous: Portfolio, record: TransitionRecord): Portfolio {
  const { kind, asset, amount } = decodeOpWord(record.op);
  const { payload, newSalt } = decryptTransition(secret, record.ephemeralKey, record.cipher);
  // payload = m + 2^8 * q + 2^48 * px (op.ts payloadOf)
  const market = Number(payload & (pow2(PAYLOAD_SIZE_SHIFT) - 1n));
  let op: TransitionOp;
  if (kind === "buy" || kind === "sell") {
    const size = (payload >> BigInt(PAYLOAD_SIZE_SHIFT)) & (pow2(SIZE_BITS) - 1n);
    const price = payload >> BigInt(PAYLOAD_PRICE_SHIFT);
    // the fee is public: the op word's amount
    op = { kind, fill: { market, size, price, salt: 0n }, fee: amount };
  } else if (kind === "realize" || kind === "settle") op = { kind, market, amount };
  else op = { kind, asset, amount };
  const a = applyTransition(record.params, previous, op);
  const next: Portfolio = { sizes: a.sizes, costBasis: a.costBasis, entryFunding: a.entryFunding, collateral: a.collateral, salt: newSalt };
  if (commitment(next) !== record.newCommitment) {
    throw new Error("replay: the decrypted transition does not open the published commitment");
  }
  return next;
}
