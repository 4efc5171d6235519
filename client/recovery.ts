// `sync`: reconcile a state file with the account on-chain. A list of recovery strategies, tried
// in order until one yields a state that opens the on-chain commitment at the on-chain nonce:
//
//   kept      the current state or one of the kept pending states (a leg the counterparty
//             settled, a transaction mined while this client failed, crashed or was not running)
//   replay    the account's Transition events after the file's current state, decrypted with
//             the ephemeral scalars this file's seed derives (StateStore.nextEphemeral), each
//             applied to the previous state and checked against the published commitment: a
//             file of any age (a backup, a copy whose last writes were lost) catches up; a
//             TakenOver event (the liquidated account's book moved into the backstop) gives the
//             residual the owner keeps, computed from the frozen state (prover/takeover.ts)
//
// Nothing is written unless a strategy succeeds; when none does, the error names the file and
// what was tried. A new way for an account's commitment to change (e.g. a takeover) is one more
// strategy in RECOVERY_STRATEGIES (or passed to syncState).
import type { Contract } from "ethers";
import { Base8, mulPointEscalar } from "@zk-kit/baby-jubjub";
import { commitment } from "../prover/encoding.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import type { Point } from "../prover/transition/encryption.ts";
import { replayTransition } from "../prover/transition/replay.ts";
import { takeoverResidual } from "../prover/takeover.ts";
import { ValidationError } from "../prover/validate.ts";
import { REPLAY_ATTEMPTS, ephemeralSecret, type StateStore, type StoredState } from "./state.ts";

export interface RecoveryContext {
  store: StateStore;
  /** MarginAccounts */
  accounts: Contract;
  /** the account the state file belongs to */
  account: string;
  /** the protocol's liquidation key (the transition log is encrypted to it) */
  liquidationKey: Point;
  onChain: { commitment: bigint; nonce: number };
  /** an epoch's parameters (default: rebuilt from the registry's logs, fetchEpoch) */
  epochOf?: (epochId: bigint) => Promise<Params>;
  /**
   * the liquidation key's secret, for the backstop's operator (the key holder): the backstop's
   * book changes at every takeover with books only the key holder can open (keyHolderReplay)
   */
  liquidationSecret?: bigint;
}

export interface RecoveryStrategy {
  name: string;
  /**
   * A state that opens ctx.onChain (commitment and nonce), or null when this strategy finds
   * none; must not change the store. `notes` collects why it found none (for the error).
   */
  find(ctx: RecoveryContext, notes: string[]): Promise<StoredState | null>;
}

/** ctx.epochOf, or an epoch rebuilt from the registry's logs (fetchEpoch). */
function epochsOf(ctx: RecoveryContext): (epochId: bigint) => Promise<Params> {
  return (
    ctx.epochOf ??
    (async (id: bigint) => {
      const { fetchEpoch } = await import("./epochs.ts");
      const { contractAt } = await import("./contracts.ts");
      return fetchEpoch(await contractAt("RiskEpochRegistry", String(await ctx.accounts.registry()), ctx.accounts.runner!), id);
    })
  );
}

/** The current state or a kept pending state. */
export const keptStates: RecoveryStrategy = {
  name: "kept",
  async find({ store, onChain }, notes) {
    const s = store.find(onChain.commitment, onChain.nonce) ?? null;
    if (!s) notes.push(`none of the ${1 + store.state.pending.length} kept states`);
    return s;
  },
};

/** The Transition events of `account` (nonce before, epoch, op, new commitment, log), in chain order. */
async function transitionEvents(accounts: Contract, account: string) {
  const [logs, taken] = await Promise.all([
    accounts.queryFilter(accounts.filters.Transition(account)),
    // a contract without takeovers (an older deployment, a test double) has no TakenOver event
    typeof accounts.filters.TakenOver === "function" ? accounts.queryFilter(accounts.filters.TakenOver(account)) : [],
  ]);
  const takeovers = taken.map((l: any) => ({
    takeover: true as const,
    nonce: Number(l.args.nonce),
    epochId: BigInt(l.args.epochId),
    op: 0n,
    newCommitment: BigInt(l.args.residualCommitment),
    ephemeralKey: 0n,
    cipher: 0n,
  }));
  const transitions = logs.map((l: any) => ({
    takeover: false as const,
    nonce: Number(l.args.nonce),
    epochId: BigInt(l.args.epochId),
    op: BigInt(l.args.op),
    newCommitment: BigInt(l.args.newCommitment),
    ephemeralKey: BigInt(l.args.ephemeralKey),
    cipher: BigInt(l.args.cipher),
  }));
  return [...transitions, ...takeovers].sort((a, b) => a.nonce - b.nonce);
}

/**
 * Replay the account's own Transition events from the file's current state (or from a kept
 * pending state an event produced): for each, the attempt whose ephemeral scalar e gives the
 * published ephemeral key (E = e·Base8) decrypts it — the shared point e·K is what the key holder
 * computes as secret·E, so replayTransition is called with (e, K.y) — then the op is applied
 * with the epoch's parameters from the registry and checked against the published commitment.
 */
export const replayTransitions: RecoveryStrategy = {
  name: "replay",
  async find(ctx, notes) {
    const { store, accounts, account, liquidationKey, onChain } = ctx;
    const st = store.state;
    if (!st.seed) {
      notes.push("no replay (the file has no seed)");
      return null;
    }
    const events = (await transitionEvents(accounts, account)).filter((e) => e.nonce >= st.current.nonce);
    if (events.length === 0) {
      notes.push("no Transition event after the file's current state");
      return null;
    }
    const epochOf = epochsOf(ctx);
    const epochs = new Map<bigint, Params>();
    const attempts = 2 * REPLAY_ATTEMPTS; // past the attempts a restored copy skips (StateStore.adopt)
    let known: StoredState | null = st.current;
    let replayed = 0;
    let penaltyBps: bigint | undefined;
    for (const ev of events) {
      if (known !== null && known.nonce === ev.nonce && ev.takeover) {
        let params = epochs.get(ev.epochId);
        if (!params) epochs.set(ev.epochId, (params = await epochOf(ev.epochId)));
        penaltyBps ??= BigInt(await accounts.liquidationPenaltyBps());
        const portfolio: Portfolio = takeoverResidual(params, known.portfolio, penaltyBps).residual;
        if (commitment(portfolio) === ev.newCommitment) {
          known = {
            portfolio,
            commitment: ev.newCommitment,
            nonce: ev.nonce + 1,
            label: `residual after the takeover at nonce ${ev.nonce}`,
          };
          replayed++;
        } else {
          notes.push(`the takeover at nonce ${ev.nonce} does not open its residual commitment`);
          known = null;
        }
      } else if (known !== null && known.nonce === ev.nonce) {
        let e: bigint | undefined;
        for (let i = 0; i < attempts && e === undefined; i++) {
          const candidate = ephemeralSecret(st.seed, st, ev.nonce, i);
          if (mulPointEscalar(Base8, candidate)[1] === ev.ephemeralKey) e = candidate;
        }
        if (e === undefined) {
          known = null; // not made with this file's seed
        } else {
          try {
            let params = epochs.get(ev.epochId);
            if (!params) epochs.set(ev.epochId, (params = await epochOf(ev.epochId)));
            const portfolio = replayTransition(e, known.portfolio, {
              op: ev.op,
              ephemeralKey: liquidationKey[1],
              cipher: ev.cipher,
              newCommitment: ev.newCommitment,
              params,
            });
            known = { portfolio, commitment: ev.newCommitment, nonce: ev.nonce + 1, label: `replayed transition at nonce ${ev.nonce}` };
            replayed++;
          } catch (err) {
            notes.push(`the transition at nonce ${ev.nonce} does not replay (${(err as Error).message.split("\n")[0]})`);
            known = null;
          }
        }
      } else known = null;
      // a kept state this event produced anchors the replay again (e.g. after an unreplayable event)
      known = store.find(ev.newCommitment, ev.nonce + 1) ?? known;
    }
    if (known === null || known.commitment !== onChain.commitment || known.nonce !== onChain.nonce) {
      notes.push(`${events.length} Transition events replayed ${replayed} (made with another copy's seed or an older client?)`);
      return null;
    }
    return known;
  },
};

/**
 * The key holder's replay of the whole account (client/liquidator.ts replayAccount: every
 * transition decrypted with the liquidation key, every takeover it took part in), for the
 * backstop's operator: a takeover moves a frozen book into the backstop, which only the key
 * holder can open. Needs ctx.liquidationSecret.
 */
export const keyHolderReplay: RecoveryStrategy = {
  name: "key holder replay",
  async find(ctx, notes) {
    if (ctx.liquidationSecret === undefined) {
      notes.push("no key holder replay (no --liquidation-key)");
      return null;
    }
    const { replayAccount } = await import("./liquidator.ts");
    const epochOf = epochsOf(ctx);
    try {
      const r = await replayAccount(ctx.accounts, ctx.liquidationSecret, ctx.account, epochOf);
      if (r.commitment !== ctx.onChain.commitment || Number(r.nonce) !== ctx.onChain.nonce) return null;
      return { portfolio: r.portfolio, commitment: r.commitment, nonce: Number(r.nonce), label: "replayed with the liquidation key" };
    } catch (e) {
      notes.push(`the key holder's replay failed (${(e as Error).message.split("\n")[0]})`);
      return null;
    }
  },
};

/** The strategies `sync` tries, in order (keyHolderReplay only finds a state with the secret). */
export const RECOVERY_STRATEGIES: RecoveryStrategy[] = [keptStates, replayTransitions, keyHolderReplay];

/**
 * Reconcile the state file with the account on-chain: the first strategy that finds a state
 * opening the on-chain commitment wins; that state becomes current (pending states for its nonce
 * or older go, later ones stay). Throws naming --state, changing nothing, when none does.
 */
export async function syncState(
  ctx: RecoveryContext,
  strategies: readonly RecoveryStrategy[] = RECOVERY_STRATEGIES,
): Promise<"current" | "promoted" | "replayed" | string> {
  const { store, onChain } = ctx;
  const notes: string[] = [];
  for (const s of strategies) {
    const found = await s.find(ctx, notes);
    if (!found) continue;
    if (found.commitment !== onChain.commitment || found.nonce !== onChain.nonce || commitment(found.portfolio) !== onChain.commitment)
      throw new Error(`recovery strategy ${s.name} returned a state that does not open the on-chain commitment`);
    if (s === keptStates) return store.recover(onChain.commitment, onChain.nonce);
    store.adopt(found);
    return s.name === "replay" ? "replayed" : s.name;
  }
  throw new ValidationError(
    "--state",
    `no stored state opens the on-chain commitment ${onChain.commitment} (nonce ${onChain.nonce}); tried ${notes.join("; ")}; ${store.path} is not this account's latest state file`,
  );
}

/** syncState for a state file outside a Trader (account status, a watchtower's copy): reads the account and the key on-chain. */
export async function syncStore(store: StateStore, accounts: Contract, account: string): Promise<string> {
  const [a, x, y] = await Promise.all([accounts.accounts(account), accounts.liquidationKeyX(), accounts.liquidationKeyY()]);
  return syncState({
    store,
    accounts,
    account,
    liquidationKey: [BigInt(x), BigInt(y)],
    onChain: { commitment: BigInt(a.commitment), nonce: Number(a.nonce) },
  });
}
