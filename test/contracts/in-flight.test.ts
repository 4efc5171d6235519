// In-flight transitions (issue #10 item 2; docs/PROTOCOL.md, "In-flight transitions"): a
// withdrawal proven against an epoch still settles when a newer epoch is posted before it is
// mined, inside a short window, if that post moved no price by more than the bound and changed
// neither risk nor funding. Real proofs on the in-process chain.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Params } from "../../prover/types.ts";
import { Trader } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { DEFAULT_IN_FLIGHT_MOVE_BPS, DEFAULT_IN_FLIGHT_SECONDS } from "../../client/oracle-defaults.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example } from "../../tools/fixtures.ts";
import { prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;

describe("in-flight transitions survive a small price post (real proofs)", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let signers: any[];
  let alice: Trader;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-in-flight-"));

  /** post the next epoch: BTC moved by `bps` (prices only unless `funding`) */
  const post = async (bps: bigint, funding = false) => {
    const next = clone(params);
    next.epochId = params.epochId + 1n;
    next.markets[0].markPrice += (next.markets[0].markPrice * bps) / 10_000n;
    await postEpoch(p.registry.connect(signers[0]), next, { pricesOnly: !funding });
    params = next;
  };
  /** a withdrawal of 1,000 USD proven against the current epoch, not yet sent */
  const proveWithdrawal = async () => {
    const proven = params;
    const { data, pending } = await alice.prepare({ kind: "withdraw", asset: 0, amount: 1_000n * E6 }, proven);
    const send = () => p.accounts.connect(signers[1]).withdraw(0, 1_000n * E6, proven.epochId, data);
    return { pending, send, epochId: proven.epochId };
  };
  const reverts = async (send: () => Promise<unknown>, error: string) => {
    await expect(send()).to.be.revertedWithCustomError(p.accounts, error);
  };

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: 1n };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    alice = (
      await Trader.attach(
        signers[1],
        p.accounts,
        { margin: await prover(), transition: await transitionProver() },
        join(dir, "alice.state"),
        "pw",
      )
    ).trader;
    await (await p.tokens[0].mint(alice.address, 100_000n * E6)).wait();
    await alice.deposit(0, 100_000n * E6, params);
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deploys with the default window and bound; the registry records each post's largest move", async () => {
    expect(BigInt(await p.accounts.inFlightWindow())).to.equal(DEFAULT_IN_FLIGHT_SECONDS);
    expect(BigInt(await p.accounts.inFlightMoveBps())).to.equal(DEFAULT_IN_FLIGHT_MOVE_BPS);
    expect(BigInt(await p.registry.maxMoveBps(1n))).to.equal(255n); // the first epoch: no reference
    await post(20n);
    // measured against the registry's compact reference price and rounded up: never below the move
    const move = BigInt(await p.registry.maxMoveBps(params.epochId));
    expect(move >= 20n && move <= 21n, `recorded ${move}`).to.equal(true);
  });

  it("a post racing a withdrawal (BTC +0.2%) no longer voids it: it settles against the epoch it was proven for", async () => {
    const w = await proveWithdrawal();
    await post(20n);
    expect(w.epochId + 1n).to.equal(params.epochId);
    const before = BigInt(await p.tokens[0].balanceOf(alice.address));
    await (await w.send()).wait();
    expect(BigInt(await p.tokens[0].balanceOf(alice.address)) - before).to.equal(1_000n * E6);
    await alice.sync();
    expect(BigInt((await p.accounts.accounts(alice.address)).commitment)).to.equal(alice.store.state.current.commitment);
  });

  it("a post that moved a price beyond the bound voids it (NotLatestEpoch)", async () => {
    const w = await proveWithdrawal();
    await post(DEFAULT_IN_FLIGHT_MOVE_BPS + 5n);
    await reverts(w.send, "NotLatestEpoch");
    alice.store.dropPending(w.pending);
  });

  it("after the window it is void; two posts later it is void", async () => {
    const w = await proveWithdrawal();
    await post(10n);
    await p.ethers.provider.send("evm_increaseTime", [Number(DEFAULT_IN_FLIGHT_SECONDS) + 1]);
    await p.ethers.provider.send("evm_mine", []);
    await reverts(w.send, "NotLatestEpoch");
    alice.store.dropPending(w.pending);
    const v = await proveWithdrawal();
    await post(5n);
    await post(5n);
    await reverts(v.send, "NotLatestEpoch");
    alice.store.dropPending(v.pending);
  });

  it("a post that changed the funding indices voids it, even without a price move", async () => {
    const w = await proveWithdrawal();
    await post(0n, true);
    await reverts(w.send, "NotLatestEpoch");
    alice.store.dropPending(w.pending);
  });

  it("a stale epoch cannot be abused: the latest must be fresh, and the proof's epoch fresh when replaced", async () => {
    const w = await proveWithdrawal();
    await p.ethers.provider.send("evm_increaseTime", [3601]);
    await p.ethers.provider.send("evm_mine", []);
    await post(5n); // the proof's epoch was stale when this replaced it
    await reverts(w.send, "NotLatestEpoch");
    alice.store.dropPending(w.pending);
    // and with the window off (inFlightWindow = 0) only the latest epoch is accepted
    const q = await startLocalProtocol({ inFlightWindow: 0n });
    try {
      expect(BigInt(await q.accounts.inFlightWindow())).to.equal(0n);
    } finally {
      await q.close();
    }
    // a bound of 255 bps would accept any move (recorded moves saturate there): refused at deployment
    let refused = false;
    try {
      await (await startLocalProtocol({ inFlightMoveBps: 255n })).close();
    } catch (e) {
      refused = /InvalidAmount/.test(String((e as Error).message ?? e));
    }
    expect(refused, "inFlightMoveBps = 255 is refused").to.equal(true);
  });
});
