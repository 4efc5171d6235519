// Batched margin attestations (docs/PROTOCOL.md, "Batched attestations"): a watchtower (or an
// owner of several accounts) proves maintenance margin for many accounts and submits them in one
// proveMarginBatch call, checked by one random linear combination. Used by
// `zkmargin account prove-margin --account A,B,...`, the tests and the benchmarks.
import type { Contract } from "ethers";
import type { MarginProver } from "../prover/prover.ts";
import { solidityCalldata } from "../prover/prover.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { MARGIN_DOMAIN, bindingOf, send, type Sent } from "./accounts.ts";

/** One account to attest: its address and its current (opening) portfolio. */
export interface BatchItem {
  account: string;
  portfolio: Portfolio;
  /** the epoch to attest (default: the batch's params) */
  params?: Params;
}

/** A proof in the batch verifier's flat order [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]. */
export type FlatProof = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** The arguments of proveMarginBatch, accounts in strictly increasing address order (the contract's rule). */
export interface BatchCall {
  accounts: string[];
  epochIds: bigint[];
  proofs: FlatProof[];
}

/** snarkjs calldata (a, b, c) flattened for the batch verifier. */
export function flatProof(a: readonly unknown[], b: readonly (readonly unknown[])[], c: readonly unknown[]): FlatProof {
  return [a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]].map((x) => BigInt(String(x))) as FlatProof;
}

/**
 * Prove maintenance margin for every item (bound to each account's current on-chain nonce) and
 * return the proveMarginBatch arguments, sorted by address. `onProof` reports progress.
 */
export async function prepareBatch(
  accounts: Contract,
  prover: MarginProver,
  items: BatchItem[],
  params: Params,
  onProof: (done: number, total: number) => void = () => {},
): Promise<BatchCall> {
  const chainId = (await accounts.runner!.provider!.getNetwork()).chainId;
  const contract = await accounts.getAddress();
  const sorted = [...items].sort((x, y) => (BigInt(x.account) < BigInt(y.account) ? -1 : BigInt(x.account) > BigInt(y.account) ? 1 : 0));
  for (let i = 1; i < sorted.length; i++)
    if (BigInt(sorted[i].account) === BigInt(sorted[i - 1].account))
      throw new Error(`account ${sorted[i].account} appears twice in the batch`);
  const call: BatchCall = { accounts: [], epochIds: [], proofs: [] };
  for (const item of sorted) {
    const p = item.params ?? params;
    const nonce = BigInt((await accounts.accounts(item.account)).nonce);
    const proof = await prover.prove(p, item.portfolio, "maintenance", bindingOf(MARGIN_DOMAIN, chainId, contract, item.account, nonce));
    const { a, b, c } = await solidityCalldata(proof);
    call.accounts.push(item.account);
    call.epochIds.push(p.epochId);
    call.proofs.push(flatProof(a, b, c));
    onProof(call.proofs.length, sorted.length);
  }
  return call;
}

/** Send one proveMarginBatch from the contract's runner (each account's owner or watchtower). */
export async function sendBatch(accounts: Contract, call: BatchCall, progress: (s: string) => void = () => {}): Promise<Sent> {
  return send(
    accounts,
    `proveMarginBatch (${call.accounts.length} accounts)`,
    () => accounts.proveMarginBatch(call.accounts, call.epochIds, call.proofs),
    progress,
  );
}
