// sync's recovery strategies without a chain or proofs (client/recovery.ts): transitions prepared
// exactly as the client proves them (prepareTransition with the state file's ephemeral scalars)
// and published as Transition events by a stand-in clearinghouse. A backup of any age replays to
// the on-chain state; a kept state anchors the replay past a transition it cannot decrypt; a
// transition this file did not make is not replayed and nothing is written; a restored copy never
// draws an ephemeral scalar its lost copy may have used; an extra strategy (e.g. a takeover's)
// plugs in.
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Contract } from "ethers";
import { Base8, mulPointEscalar } from "@zk-kit/baby-jubjub";
import { commitment } from "../prover/encoding.ts";
import { liquidationKeyPair, randomScalar } from "../prover/transition/encryption.ts";
import { prepareTransition } from "../prover/transition/inputs.ts";
import type { TransitionOp } from "../prover/transition/op.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import type { Portfolio } from "../prover/types.ts";
import { REPLAY_ATTEMPTS, StateStore, ephemeralSecret } from "../client/state.ts";
import { RECOVERY_STRATEGIES, syncState, type RecoveryStrategy } from "../client/recovery.ts";
import { example } from "../tools/fixtures.ts";
import { expectRejection } from "./helpers.ts";

const PASS = "recovery passphrase";
const ACCOUNT = "0x00000000000000000000000000000000000000a1";
const E6 = 10n ** 6n;

interface Event {
  nonce: number;
  epochId: bigint;
  op: bigint;
  newCommitment: bigint;
  ephemeralKey: bigint;
  cipher: bigint;
}

describe("sync's recovery strategies: kept states, then a replay of the account's own Transition events", function () {
  this.timeout(120_000);
  const { params } = example();
  const key = liquidationKeyPair();
  let dir: string;
  let events: Event[];
  let store: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "zkmargin-recovery-"));
    events = [];
    const empty = emptyPortfolio(8, 4);
    store = StateStore.create(join(dir, "live.state"), PASS, {
      chainId: "31337",
      contract: "0x00000000000000000000000000000000000000c1",
      account: ACCOUNT,
      current: { portfolio: empty, commitment: commitment(empty), nonce: 0, label: "open" },
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in clearinghouse: the Transition events published so far. */
  const accounts = () =>
    ({
      filters: { Transition: (a: string) => a },
      queryFilter: async (a: string) => (a === ACCOUNT ? events.map((args) => ({ args })) : []),
    }) as unknown as Contract;
  const onChain = () =>
    events.length === 0
      ? { commitment: store.state.current.commitment, nonce: 0 }
      : { commitment: events.at(-1)!.newCommitment, nonce: events.at(-1)!.nonce + 1 };
  const sync = (s: StateStore, strategies?: RecoveryStrategy[]) =>
    syncState(
      { store: s, accounts: accounts(), account: ACCOUNT, liquidationKey: key.publicKey, onChain: onChain(), epochOf: async () => params },
      strategies,
    );

  /** The client's transition (pending state, then mined: an event, then promoted); `e` overrides the file's scalar. */
  const transition = (op: TransitionOp, opts: { e?: bigint; mined?: boolean } = {}): Portfolio => {
    const nonce = store.state.current.nonce;
    const p = prepareTransition({
      params,
      old: store.state.current.portfolio,
      op,
      binding: 0n,
      liquidationKey: key.publicKey,
      ephemeralSecret: opts.e ?? store.nextEphemeral(nonce),
    });
    const pending = store.addPending(p.next, nonce + 1, op.kind);
    if (opts.mined === false) return p.next;
    events.push({
      nonce,
      epochId: params.epochId,
      op: p.op,
      newCommitment: pending.commitment,
      ephemeralKey: p.encrypted.ephemeralKey,
      cipher: p.encrypted.cipher,
    });
    store.promote(pending.commitment);
    return p.next;
  };
  const trade = (size: bigint): TransitionOp => ({
    kind: size > 0n ? "buy" : "sell",
    fill: { market: 0, size: size > 0n ? size : -size, price: params.markets[0].markPrice, salt: 1n << 200n },
    fee: 0n,
  });
  const backup = (name: string) => {
    const b = join(dir, name);
    copyFileSync(store.path, b);
    return b;
  };
  const reopen = (path: string) => StateStore.open(path, PASS);

  it("a backup of any age replays every later transition (deposit, trade, settle, withdraw) to the on-chain state", async () => {
    const b0 = backup("b0.state");
    transition({ kind: "deposit", asset: 0, amount: 100_000n * E6 });
    const b1 = backup("b1.state");
    transition(trade(5n));
    transition({ kind: "settle", market: 0, amount: 1_000n });
    const last = transition({ kind: "withdraw", asset: 0, amount: 1_000n * E6 });
    expect(await sync(reopen(store.path))).to.equal("current");
    for (const path of [b0, b1]) {
      const old = reopen(path);
      expect(old.state.current.nonce).to.be.lessThan(4);
      expect(await sync(old)).to.equal("replayed");
      const s = reopen(path).state; // written
      expect(s.current.nonce).to.equal(4);
      expect(s.current.commitment).to.equal(onChain().commitment);
      expect(s.current.portfolio).to.deep.equal(last);
      expect(commitment(s.current.portfolio)).to.equal(onChain().commitment);
      expect(await sync(reopen(path))).to.equal("current");
    }
  });

  it("a kept pending state anchors the replay past a transition the seed did not make", async () => {
    transition({ kind: "deposit", asset: 0, amount: 100_000n * E6 });
    const b = backup("b.state");
    // a transition whose scalar is not this file's (an older client): kept as a pending state in the backup
    const e = randomScalar();
    const old = reopen(b);
    const p = prepareTransition({
      params,
      old: old.state.current.portfolio,
      op: trade(3n),
      binding: 0n,
      liquidationKey: key.publicKey,
      ephemeralSecret: e,
    });
    old.addPending(p.next, 2, "buy (leg signed away)");
    transition(trade(3n), { e }); // the same leg, settled by the counterparty
    transition({ kind: "deposit", asset: 1, amount: 7n * E6 });
    expect(await sync(reopen(b))).to.equal("replayed");
    expect(reopen(b).state.current.commitment).to.equal(onChain().commitment);
  });

  it("a transition this file did not make: no strategy opens the commitment, the error names --state and what was tried, nothing is written", async () => {
    transition({ kind: "deposit", asset: 0, amount: 100_000n * E6 });
    const b = backup("b.state");
    transition(trade(2n), { e: randomScalar() }); // made with another copy (another seed): not replayable
    transition({ kind: "deposit", asset: 0, amount: 1n });
    const before = readFileSync(b);
    const t0 = Date.now();
    await expectRejection(
      sync(reopen(b)),
      /--state.*no stored state opens the on-chain commitment .*tried none of the 1 kept states; 2 Transition events replayed 0/,
    );
    expect(Date.now() - t0, "a bounded search").to.be.lessThan(20_000);
    expect(readFileSync(b).equals(before), "unchanged").to.equal(true);
  });

  it("a restored copy never draws a scalar its lost copy may have used at the same nonce, and what it makes still replays", async () => {
    transition({ kind: "deposit", asset: 0, amount: 100_000n * E6 });
    const b = backup("b.state");
    const older = backup("older.state");
    transition({ kind: "deposit", asset: 0, amount: 1n });
    // the lost copy's legs at nonce 2, signed away and never settled
    const used = new Set([0, 1, 2].map(() => store.nextEphemeral(2)));
    const restored = reopen(b);
    expect(await sync(restored)).to.equal("replayed");
    expect(restored.state.draws).to.deep.equal({ nonce: 2, count: REPLAY_ATTEMPTS });
    const next = ephemeralSecret(restored.state.seed!, restored.state, 2, REPLAY_ATTEMPTS);
    expect(used.has(next)).to.equal(false);
    store = restored; // the restored copy acts
    transition({ kind: "withdraw", asset: 0, amount: 1n });
    expect(events.at(-1)!.ephemeralKey).to.equal(mulPointEscalar(Base8, next)[1]);
    // an even older copy replays it too (attempt REPLAY_ATTEMPTS is within the replay's window)
    expect(await sync(reopen(older))).to.equal("replayed");
    expect(reopen(older).state.current.nonce).to.equal(3);
  });

  it("distinct files, accounts, nonces and attempts give distinct scalars in [1, l)", () => {
    const st = store.state;
    const seen = new Set<bigint>();
    for (const nonce of [0, 1, 2])
      for (let i = 0; i < 4; i++) {
        const e = ephemeralSecret(st.seed!, st, nonce, i);
        expect(e > 0n).to.equal(true);
        seen.add(e);
        seen.add(ephemeralSecret(st.seed!, { ...st, account: "0x00000000000000000000000000000000000000a2" }, nonce, i));
      }
    expect(seen.size).to.equal(24);
    expect(st.seed).to.match(/^[0-9a-f]{64}$/);
  });

  it("an extra strategy plugs in after the built-in ones (e.g. a takeover's state computed by the owner's client)", async () => {
    transition({ kind: "deposit", asset: 0, amount: 100_000n * E6 });
    const taken: Portfolio = { ...emptyPortfolio(8, 4), salt: 99n };
    const c = commitment(taken);
    const takeover: RecoveryStrategy = {
      name: "takeover",
      find: async ({ onChain: o }) => (o.commitment === c ? { portfolio: taken, commitment: c, nonce: o.nonce, label: "takeover" } : null),
    };
    events.push({ ...events[0], nonce: 1, newCommitment: c, ephemeralKey: 5n, cipher: 0n });
    const s = reopen(store.path);
    await expectRejection(sync(s), /no stored state opens/);
    expect(await sync(s, [...RECOVERY_STRATEGIES, takeover])).to.equal("takeover");
    expect(reopen(store.path).state.current.commitment).to.equal(c);
  });
});
