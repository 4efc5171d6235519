// The liquidation key holder's side (docs/PROTOCOL.md, "Liquidation by proof"): replay an
// account's hidden portfolio from its encrypted transition log, check it against the latest
// fresh epoch, and liquidate it with a proof that it is below maintenance — no margin call, no
// grace period. Used by `zkmargin liquidate --by-proof`, the demo and the tests.
import { AbiCoder, keccak256, type Contract } from "ethers";
import { FIELD_MODULUS, M_ASSETS, N_MARKETS } from "../prover/constants.ts";
import { commitment } from "../prover/encoding.ts";
import { evaluate } from "../prover/model.ts";
import { solidityCalldata, type MarginProof } from "../prover/prover.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import { replayTransition } from "../prover/transition/replay.ts";
import { LIQUIDATION_DOMAIN, send, type Sent } from "./accounts.ts";

/** What the liquidation prover must do: prove that `portfolio` is below maintenance under `params`. */
export interface LiquidationProverLike {
  prove(params: Params, portfolio: Portfolio, binding: bigint): Promise<MarginProof>;
}

/** An account as the key holder sees it: the replayed portfolio opens the on-chain commitment. */
export interface Replayed {
  account: string;
  portfolio: Portfolio;
  nonce: bigint;
  commitment: bigint;
  /** on-chain status: 0 none, 1 active, 2 frozen, 3 closed */
  status: number;
  isFlat: boolean;
}

/** The account is healthy at maintenance: no liquidation proof exists (nothing was sent). */
export class HealthyAccountError extends Error {
  readonly account: string;
  readonly epochId: bigint;
  constructor(account: string, epochId: bigint) {
    super(`account ${account} is healthy at maintenance for epoch ${epochId}: no liquidation proof exists (nothing sent)`);
    this.name = "HealthyAccountError";
    this.account = account;
    this.epochId = epochId;
  }
}

/**
 * Replay `account` from EMPTY_COMMITMENT through every Transition event, decrypting each with
 * the liquidation key's secret, and check that the result opens the stored commitment.
 * `epochOf` supplies each transition's epoch parameters (e.g. fetchEpoch from the registry, or
 * the publisher's feed); results are cached in `epochs`.
 */
export async function replayAccount(
  accounts: Contract,
  secret: bigint,
  account: string,
  epochOf: (epochId: bigint) => Promise<Params>,
  epochs = new Map<bigint, Params>(),
  dims = { N: N_MARKETS, M: M_ASSETS },
): Promise<Replayed> {
  const [a, logs] = await Promise.all([accounts.accounts(account), accounts.queryFilter(accounts.filters.Transition(account))]);
  let state: Portfolio = emptyPortfolio(dims.N, dims.M);
  for (const l of logs as any[]) {
    const epochId = BigInt(l.args.epochId);
    let params = epochs.get(epochId);
    if (!params) epochs.set(epochId, (params = await epochOf(epochId)));
    state = replayTransition(secret, state, {
      op: BigInt(l.args.op),
      ephemeralKey: BigInt(l.args.ephemeralKey),
      cipher: BigInt(l.args.cipher),
      newCommitment: BigInt(l.args.newCommitment),
      params,
    });
  }
  const onChain = BigInt(a.commitment);
  if (commitment(state) !== onChain)
    throw new Error(`replay of ${account}: ${logs.length} transitions do not open the on-chain commitment (a missing log?)`);
  return { account, portfolio: state, nonce: BigInt(a.nonce), commitment: onChain, status: Number(a.status), isFlat: Boolean(a.isFlat) };
}

/**
 * The binding of a liquidation proof (MarginAccounts.liquidationBindingOf): it names the sender
 * of liquidateByProof, so a copied call from another address does not verify.
 */
export function liquidationBinding(chainId: bigint, contract: string, account: string, nonce: bigint, liquidator: string): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint256", "address", "address", "uint64", "address"],
    [LIQUIDATION_DOMAIN, chainId, contract, account, nonce, liquidator],
  );
  return BigInt(keccak256(encoded)) % FIELD_MODULUS;
}

/** Whether the replayed account can be liquidated by proof at `params` (active, not flat, below maintenance). */
export function liquidatableByProof(r: Replayed, params: Params): boolean {
  return r.status === 1 && !r.isFlat && !evaluate(params, r.portfolio, "maintenance").healthy;
}

/**
 * Prove that the replayed account is below maintenance at `params` (the latest fresh epoch) and
 * send `liquidateByProof` from the contract's runner, which receives the bond. Throws
 * HealthyAccountError (nothing proven, nothing sent) when it is healthy.
 */
export async function liquidateByProof(
  accounts: Contract,
  prover: LiquidationProverLike,
  r: Replayed,
  params: Params,
  progress: (s: string) => void = () => {},
): Promise<Sent & { proveMs: number }> {
  if (!liquidatableByProof(r, params)) {
    if (r.status !== 1) throw new Error(`account ${r.account} is not active (status ${r.status})`);
    throw new HealthyAccountError(r.account, params.epochId); // a flat account is always healthy
  }
  const chainId = (await accounts.runner!.provider!.getNetwork()).chainId;
  const liquidator = await (accounts.runner as unknown as { getAddress(): Promise<string> }).getAddress();
  const binding = liquidationBinding(chainId, await accounts.getAddress(), r.account, r.nonce, liquidator);
  progress(`proving that ${r.account} is below maintenance at epoch ${params.epochId} (liquidation circuit)`);
  const started = performance.now();
  const proof = await prover.prove(params, r.portfolio, binding);
  const proveMs = performance.now() - started;
  const { a, b, c } = await solidityCalldata(proof);
  const sent = await send(accounts, "liquidateByProof", () => accounts.liquidateByProof(r.account, params.epochId, { a, b, c }), progress);
  return { ...sent, proveMs };
}
