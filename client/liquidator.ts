// The liquidation key holder's side (docs/PROTOCOL.md, "Liquidation by proof"): replay an
// account's hidden portfolio from its encrypted transition log, check it against the latest
// fresh epoch, and liquidate it with a proof that it is below maintenance — no margin call, no
// grace period. Used by `zkmargin liquidate --by-proof`, the demo and the tests.
import { AbiCoder, keccak256, toUtf8Bytes, type Contract } from "ethers";
import { BINDING_SHIFT, FIELD_MODULUS, M_ASSETS, N_MARKETS, TAKEOVER_DOMAIN } from "../prover/constants.ts";
import { takeover, takeoverResidual, type Takeover } from "../prover/takeover.ts";
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

/** A TakenOver event with the BadDebt event of the same transaction (if any), as replay needs it. */
export interface TakeoverLog {
  account: string;
  epochId: bigint;
  nonce: bigint;
  settled: bigint;
  penalty: bigint;
  residualCommitment: bigint;
  backstopNewCommitment: bigint;
  badDebt: bigint;
  insuranceCover: bigint;
  vaultCover: bigint;
  blockNumber: number;
  index: number;
}

/** Every TakenOver event (of `account` only, when given), in chain order, with its bad debt. */
export async function takeoverLogs(accounts: Contract, account?: string): Promise<TakeoverLog[]> {
  const [taken, bad] = await Promise.all([
    accounts.queryFilter(accounts.filters.TakenOver(account ?? null)),
    accounts.queryFilter(accounts.filters.BadDebt(account ?? null)),
  ]);
  // BadDebt is the log right after its TakenOver (one transaction may hold several takeovers)
  const debts = new Map((bad as any[]).map((l) => [`${l.transactionHash}:${Number(l.index)}`, l.args]));
  return (taken as any[]).map((l) => {
    const d = debts.get(`${l.transactionHash}:${Number(l.index) + 1}`);
    return {
      account: String(l.args.account),
      epochId: BigInt(l.args.epochId),
      nonce: BigInt(l.args.nonce),
      settled: BigInt(l.args.settled),
      penalty: BigInt(l.args.penalty),
      residualCommitment: BigInt(l.args.residualCommitment),
      backstopNewCommitment: BigInt(l.args.backstopNewCommitment),
      badDebt: d ? BigInt(d.amount) : 0n,
      insuranceCover: d ? BigInt(d.insuranceCover) : 0n,
      vaultCover: d ? BigInt(d.vaultCover) : 0n,
      blockNumber: Number(l.blockNumber),
      index: Number(l.index),
    };
  });
}

/**
 * Replay `account` from EMPTY_COMMITMENT through every Transition event, decrypting each with
 * the liquidation key's secret, and through every takeover it was part of (as the frozen
 * account: its residual; as the backstop: the book it took, replayed from the frozen account's
 * own log), and check that the result opens the stored commitment. `epochOf` supplies each
 * epoch's parameters (e.g. fetchEpoch from the registry, or the publisher's feed); results are
 * cached in `epochs`. `before` stops at a log position (block, index): the state just before it.
 */
export async function replayAccount(
  accounts: Contract,
  secret: bigint,
  account: string,
  epochOf: (epochId: bigint) => Promise<Params>,
  epochs = new Map<bigint, Params>(),
  dims = { N: N_MARKETS, M: M_ASSETS },
  before?: { blockNumber: number; index: number },
): Promise<Replayed> {
  const [a, logs, backstop] = await Promise.all([
    accounts.accounts(account),
    accounts.queryFilter(accounts.filters.Transition(account)),
    accounts.backstop().then(String),
  ]);
  const isBackstop = backstop.toLowerCase() === account.toLowerCase();
  const takeovers = (await takeoverLogs(accounts, isBackstop ? undefined : account)).filter(
    (t) => isBackstop || t.account.toLowerCase() === account.toLowerCase(),
  );
  const penaltyBps = takeovers.length > 0 ? BigInt(await accounts.liquidationPenaltyBps()) : 0n;
  type Step = { blockNumber: number; index: number; transition?: any; takeover?: TakeoverLog };
  const steps: Step[] = [
    ...(logs as any[]).map((l) => ({ blockNumber: Number(l.blockNumber), index: Number(l.index), transition: l })),
    ...takeovers.map((t) => ({ blockNumber: t.blockNumber, index: t.index, takeover: t })),
  ]
    .filter((x) => !before || x.blockNumber < before.blockNumber || (x.blockNumber === before.blockNumber && x.index < before.index))
    .sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
  const paramsOf = async (epochId: bigint) => {
    let params = epochs.get(epochId);
    if (!params) epochs.set(epochId, (params = await epochOf(epochId)));
    return params;
  };
  let state: Portfolio = emptyPortfolio(dims.N, dims.M);
  let nonce = 0n;
  for (const step of steps) {
    if (step.transition) {
      const l = step.transition;
      state = replayTransition(secret, state, {
        op: BigInt(l.args.op),
        ephemeralKey: BigInt(l.args.ephemeralKey),
        cipher: BigInt(l.args.cipher),
        newCommitment: BigInt(l.args.newCommitment),
        params: await paramsOf(BigInt(l.args.epochId)),
      });
      nonce = BigInt(l.args.nonce) + 1n;
      continue;
    }
    const t = step.takeover!;
    const params = await paramsOf(t.epochId);
    if (t.account.toLowerCase() === account.toLowerCase()) {
      state = takeoverResidual(params, state, penaltyBps).residual;
      if (commitment(state) !== t.residualCommitment)
        throw new Error(`replay of ${account}: the takeover at nonce ${t.nonce} does not open its residual commitment`);
      nonce = t.nonce + 1n;
    } else {
      // the backstop took this book: the frozen account's state just before the takeover
      const frozen = await replayAccount(accounts, secret, t.account, epochOf, epochs, dims, t);
      state = takeover(params, frozen.portfolio, state, penaltyBps, t.insuranceCover).backstop;
      if (commitment(state) !== t.backstopNewCommitment)
        throw new Error(`replay of backstop ${account}: the takeover of ${t.account} does not open its new commitment`);
      nonce += 1n;
    }
  }
  const onChain = BigInt(a.commitment);
  if (before) return { account, portfolio: state, nonce, commitment: commitment(state), status: 2, isFlat: false };
  if (commitment(state) !== onChain)
    throw new Error(`replay of ${account}: ${steps.length} transitions and takeovers do not open the on-chain commitment (a missing log?)`);
  return { account, portfolio: state, nonce: BigInt(a.nonce), commitment: onChain, status: Number(a.status), isFlat: Boolean(a.isFlat) };
}

/**
 * The binding tag of a takeover proof (MarginAccounts.takeoverBindingOf): keccak256(abi.encode(
 * TAKEOVER_DOMAIN, chainId, contract, account, nonce, backstopNonce, sender)) >> 150.
 */
export function takeoverBinding(
  chainId: bigint,
  contract: string,
  account: string,
  nonce: bigint,
  backstopNonce: bigint,
  sender: string,
): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint256", "address", "address", "uint64", "uint64", "address"],
    [keccak256(toUtf8Bytes(TAKEOVER_DOMAIN)), chainId, contract, account, nonce, backstopNonce, sender],
  );
  return BigInt(keccak256(encoded)) >> BigInt(BINDING_SHIFT);
}

/** What the takeover prover must do (prover/takeover.ts TakeoverProver). */
export interface TakeoverProverLike {
  prove(
    params: Params,
    frozen: Portfolio,
    backstop: Portfolio,
    binding: bigint,
    penaltyBps: bigint,
    insuranceFund: bigint,
  ): Promise<{ proof: MarginProof; result: Takeover }>;
}

/**
 * Unwind the replayed frozen account `r` into the replayed backstop `b` at `params` (the latest
 * fresh epoch) with a takeover proof, sent from the contract's runner. Throws BackstopRefused
 * (nothing proven, nothing sent) when the backstop cannot take the book at its initial margin.
 */
export async function takeoverByProof(
  accounts: Contract,
  prover: TakeoverProverLike,
  r: Replayed,
  b: Replayed,
  params: Params,
  progress: (s: string) => void = () => {},
): Promise<Sent & { proveMs: number; result: Takeover }> {
  if (r.status !== 2) throw new Error(`account ${r.account} is not frozen (status ${r.status}): only a frozen account is taken over`);
  const [chainId, contract, sender, penaltyBps, fund] = await Promise.all([
    accounts.runner!.provider!.getNetwork().then((n) => n.chainId),
    accounts.getAddress(),
    (accounts.runner as unknown as { getAddress(): Promise<string> }).getAddress(),
    accounts.liquidationPenaltyBps().then(BigInt),
    accounts.insuranceFund().then(BigInt),
  ]);
  const binding = takeoverBinding(chainId, contract, r.account, r.nonce, b.nonce, sender);
  progress(`proving the takeover of ${r.account} into the backstop at epoch ${params.epochId} (takeover circuit)`);
  const started = performance.now();
  const { proof, result } = await prover.prove(params, r.portfolio, b.portfolio, binding, penaltyBps, fund);
  const proveMs = performance.now() - started;
  const { a, b: pb, c } = await solidityCalldata(proof);
  const data = {
    residualCommitment: commitment(result.residual),
    backstopNewCommitment: commitment(result.backstop),
    settled: result.settled,
    penalty: result.penalty,
    badDebt: result.badDebt,
    vaultCover: result.vaultCover,
    residualFlat: result.residualFlat,
    backstopFlat: result.backstopFlat,
    proof: { a, b: pb, c },
  };
  const sent = await send(accounts, "takeover", () => accounts.takeover(r.account, params.epochId, data), progress);
  return { ...sent, proveMs, result };
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
