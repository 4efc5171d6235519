// Checks a client makes before it proves anything (a proof takes seconds; these take a few
// eth_calls): the account's status, the epoch's freshness and position, a pending margin call,
// a fill already settled, the token balance. Each refusal is a ValidationError naming the
// option at fault and saying what to do. Also the account status `zkmargin account status` shows.
import type { Contract, ContractRunner } from "ethers";
import { paramsHash } from "../prover/encoding.ts";
import type { Params } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { contractAt } from "./contracts.ts";

export type AccountState = "none" | "active" | "frozen" | "closed";
const STATES: AccountState[] = ["none", "active", "frozen", "closed"];

/**
 * The margin call that counts for an account: the oldest one it has not answered (a later call
 * never extends it), else the latest call. Its deadline is a grace period of fresh-oracle time:
 * seconds while the registry's latest epoch is stale do not count (docs/PROTOCOL.md, "Deadlines").
 */
export interface MarginCallState {
  epochId: bigint;
  /** unix seconds: the earliest the deadline can pass (now + freshSecondsLeft; a stale oracle pushes it later) */
  deadline: bigint;
  /** fresh-oracle seconds left before the account can be liquidated (0 once missed) */
  freshSecondsLeft: bigint;
  /** the account attested for the call's epoch or later */
  attested: boolean;
  /** the deadline has passed */
  expired: boolean;
}

export interface ChainStatus {
  account: string;
  state: AccountState;
  nonce: bigint;
  lastAttestedEpoch: bigint;
  isFlat: boolean;
  /** the latest block's timestamp (unix seconds) */
  now: bigint;
  /** the latest fresh epoch, or why there is none */
  latest: { epochId: bigint; paramsHash: bigint; freshUntil: bigint } | { error: string };
  /** the current margin call, if one was ever made */
  marginCall: MarginCallState | null;
  /** the account can be liquidated right now (missed the call's deadline) */
  liquidatable: boolean;
}

import { iso, relative } from "./cli/io.ts";

export { iso, relative };

export async function registryOf(accounts: Contract, runner: ContractRunner): Promise<Contract> {
  return contractAt("RiskEpochRegistry", String(await accounts.registry()), runner);
}

/** Everything public about an account that a client needs before acting. */
export async function chainStatus(accounts: Contract, registry: Contract, account: string): Promise<ChainStatus> {
  const [a, block, pending, callEpoch, callDeadline, liquidatable] = await Promise.all([
    accounts.accounts(account),
    accounts.runner!.provider!.getBlock("latest"),
    accounts.pendingMarginCall(account),
    accounts.marginCallEpoch(),
    accounts.marginCallDeadline(),
    accounts.isLiquidatable(account),
  ]);
  const now = BigInt(block!.timestamp);
  let latest: ChainStatus["latest"];
  try {
    const [epochId, h] = await registry.latestFresh();
    const freshUntil = BigInt(await registry.postedAt(epochId)) + BigInt(await registry.maxAge());
    latest = { epochId: BigInt(epochId), paramsHash: BigInt(h), freshUntil };
  } catch (e) {
    const { revertMessage } = await import("./revert.ts");
    latest = { error: revertMessage(e, [registry]) };
  }
  const lastAttestedEpoch = BigInt(a.lastAttestedEpoch);
  let marginCall: MarginCallState | null = null;
  if (pending.pending) {
    const left = BigInt(pending.freshSecondsLeft);
    marginCall = { epochId: BigInt(pending.epochId), deadline: now + left, freshSecondsLeft: left, attested: false, expired: left === 0n };
  } else if (BigInt(callDeadline) !== 0n) {
    const deadline = BigInt(callDeadline);
    const attested = lastAttestedEpoch >= BigInt(callEpoch);
    marginCall = { epochId: BigInt(callEpoch), deadline, freshSecondsLeft: 0n, attested, expired: now > deadline };
  }
  const state = STATES[Number(a.status)] ?? "none";
  const isFlat = Boolean(a.isFlat);
  return {
    account,
    state,
    nonce: BigInt(a.nonce),
    lastAttestedEpoch,
    isFlat,
    now,
    latest,
    marginCall,
    liquidatable: Boolean(liquidatable),
  };
}

/** The account must be open and not frozen (a closed account may only withdraw or realise a claim left by a takeover: `closedMay`). */
export function requireActive(s: ChainStatus, closedMay = false): void {
  if (s.state === "closed" && !closedMay)
    throw new ValidationError(
      "--state",
      `account ${s.account} is closed: it can only withdraw what it holds (and realise a profit a takeover left it), or reopen with 'zkmargin account open'`,
    );
  if (s.state === "none")
    throw new ValidationError("--state", `account ${s.account} is not open on this deployment (run 'zkmargin account open')`);
  if (s.state === "frozen") {
    throw new ValidationError(
      "--state",
      `account ${s.account} is frozen: it was liquidated${s.marginCall ? ` after missing the margin call for epoch ${s.marginCall.epochId}` : ""}; no transition or attestation is possible`,
    );
  }
}

/** The latest fresh epoch, or an error that says why there is none. */
function latestOrThrow(s: ChainStatus): { epochId: bigint; paramsHash: bigint; freshUntil: bigint } {
  if ("error" in s.latest)
    throw new ValidationError("--params", `no fresh epoch on the registry (${s.latest.error}): wait for the publisher's next post`);
  return s.latest;
}

/**
 * The params must be an epoch the action accepts: withdraw, realize and trades need the latest
 * fresh epoch; a deposit or a settlement any posted epoch; a margin attestation a fresh epoch at or after a
 * pending margin call's epoch. The paramsHash of the file must be the chain's.
 */
export async function checkEpoch(
  s: ChainStatus,
  registry: Contract,
  params: Params,
  action: "deposit" | "settle" | "withdraw" | "realize" | "trade" | "prove-margin",
): Promise<void> {
  const local = paramsHash(params);
  if (action === "deposit" || action === "settle") {
    let onChain: bigint;
    try {
      onChain = BigInt(await registry.paramsHashOf(params.epochId));
    } catch {
      throw new ValidationError("--params", `epoch ${params.epochId} is not posted on this registry`);
    }
    if (onChain !== local)
      throw new ValidationError(
        "--params",
        `epoch ${params.epochId}'s on-chain paramsHash differs from these parameters (another file with the same epochId?)`,
      );
    return;
  }
  const latest = latestOrThrow(s);
  if (action === "prove-margin") {
    const call = s.marginCall;
    if (call && !call.attested && params.epochId < call.epochId) {
      throw new ValidationError(
        "--params",
        `epoch ${params.epochId} does not count for the margin call of epoch ${call.epochId} (deadline ${iso(call.deadline)}, ${relative(call.deadline, s.now)}): prove for epoch ${call.epochId} or later (the latest fresh epoch is ${latest.epochId})`,
      );
    }
    let onChain: bigint;
    try {
      onChain = BigInt(await registry.freshParamsHash(params.epochId));
    } catch (e) {
      const { revertMessage } = await import("./revert.ts");
      throw new ValidationError(
        "--params",
        `epoch ${params.epochId} is not fresh (${revertMessage(e, [registry])}): use the latest fresh epoch ${latest.epochId}`,
      );
    }
    if (onChain !== local)
      throw new ValidationError("--params", `epoch ${params.epochId}'s on-chain paramsHash differs from these parameters`);
    return;
  }
  if (params.epochId !== latest.epochId) {
    throw new ValidationError(
      "--params",
      `${action} needs the latest fresh epoch ${latest.epochId}, not epoch ${params.epochId}: use epoch ${latest.epochId}'s params`,
    );
  }
  if (latest.paramsHash !== local)
    throw new ValidationError("--params", `epoch ${params.epochId}'s on-chain paramsHash differs from these parameters`);
}

/** A fill commitment already settled can never settle again. */
export async function checkFillFresh(accounts: Contract, fill: bigint): Promise<void> {
  if (await accounts.fillSettled(fill))
    throw new ValidationError(
      "--fill",
      "this fill was already settled on-chain (the contract would revert FillAlreadySettled); agree on a new one (zkmargin fill new makes a fresh salt)",
    );
}

/** The owner holds `amount` of the asset's token (a deposit pulls it). */
export async function checkBalance(
  accounts: Contract,
  asset: number,
  owner: string,
  amount: bigint,
  runner: ContractRunner,
): Promise<void> {
  const token = await contractAt("TestToken", String(await accounts.token(asset)), runner);
  const balance = BigInt(await token.balanceOf(owner));
  if (balance < amount) {
    throw new ValidationError(
      "--amount",
      `${owner} holds ${balance} of asset ${asset}'s token, less than ${amount}; on a local deployment mint test tokens with 'zkmargin faucet --asset ${asset} --amount ...'`,
    );
  }
}
