// Fair deadlines and closing an account (issue #9, "Fair deadlines"), with real proofs on
// Hardhat EDR. Each scenario the review reproduced is a regression test asserting that the harm no
// longer happens:
//  - a margin call made when the epoch is about to expire, then a price post and a liquidation in
//    one block: the healthy account is not frozen (the grace period counts fresh-oracle seconds);
//  - margin calls every 590 s against an account that missed the first: a later call never
//    extends a deadline already running, so the account becomes liquidatable 600 fresh seconds
//    after the first call;
//  - a flat account closes and gets its bond back; a closed account still withdraws and reopens.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fill } from "../../prover/transition/op.ts";
import type { Params } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch, pricesArgs } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const MAX_AGE = 3600n;
const GRACE = 600n;
const BOND = 10n ** 16n;

describe("deadlines: sticky, fresh-oracle margin-call deadlines; closing an account", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let epoch = 500n;
  let alice: Trader;
  let bob: Trader;
  let carol: Trader;
  let signers: any[];
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-deadlines-"));

  const next = (): Params => {
    const x = clone(params);
    x.epochId = ++epoch;
    return x;
  };
  const post = async () => {
    const x = next();
    await postEpoch(p.registry.connect(signers[0]), x, { pricesOnly: true });
    params = x;
  };
  const wait = async (seconds: bigint) => {
    await p.ethers.provider.send("evm_increaseTime", [Number(seconds)]);
    await p.ethers.provider.send("evm_mine", []);
  };
  const now = async () => BigInt((await p.ethers.provider.getBlock("latest")).timestamp);
  const call = async () => (await p.accounts.connect(signers[0]).marginCall()).wait();
  const status = async (t: Trader) => Number((await p.accounts.accounts(t.address)).status);

  before(async () => {
    p = await startLocalProtocol({ maxAge: MAX_AGE, gracePeriod: GRACE, bondWei: BOND });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: epoch };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    const provers = { margin: await prover(), transition: await transitionProver() };
    const attach = async (i: number, name: string) =>
      (await Trader.attach(signers[i], p.accounts, provers, join(dir, `${name}.state`), `pass-${name}`)).trader;
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    carol = await attach(3, "carol");
    for (const t of [alice, bob, carol]) {
      await (await p.tokens[0].mint(t.address, 1_000_000n * E6)).wait();
      await t.deposit(0, 100_000n * E6, params);
    }
    // alice long, bob short: both hold exposure, both healthy
    const fill: Fill = { market: 0, size: 100n, price: params.markets[0].markPrice, salt: 4242n };
    await settleTrade(
      await alice.tradeLeg(fill, "buy", params, bob.address),
      await bob.tradeLeg(fill, "sell", params, alice.address),
      epoch,
    );
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a call at oracle age ~ maxAge, then a post and a liquidation in one block: the healthy account is not frozen", async () => {
    await post();
    const postedAt = BigInt(await p.registry.postedAt(params.epochId));
    // the publisher calls margin 5 s before the epoch expires
    await p.ethers.provider.send("evm_setNextBlockTimestamp", [Number(postedAt + MAX_AGE - 5n)]);
    await call();
    // the oracle goes stale for 100 s: those seconds do not count
    await wait(100n);
    expect((await p.accounts.pendingMarginCall(alice.address)).freshSecondsLeft).to.equal(GRACE - 5n);
    // the next post and a keeper's liquidation land in the same block
    const x = next();
    await p.ethers.provider.send("evm_setAutomine", [false]);
    try {
      const postTx = await p.registry.connect(signers[0]).postPrices(...pricesArgs(x));
      const liqTx = await p.accounts.connect(signers[8]).liquidate(alice.address, { gasLimit: 500_000n });
      await p.ethers.provider.send("evm_mine", []);
      expect((await p.ethers.provider.getTransactionReceipt(postTx.hash)).status).to.equal(1);
      expect((await p.ethers.provider.getTransactionReceipt(liqTx.hash)).status).to.equal(0);
    } finally {
      await p.ethers.provider.send("evm_setAutomine", [true]);
    }
    params = x;
    expect(await status(alice)).to.equal(1);
    const pending = await p.accounts.pendingMarginCall(alice.address);
    expect(pending.pending).to.equal(true);
    expect(pending.freshSecondsLeft > GRACE - 30n && pending.freshSecondsLeft <= GRACE - 5n, `left ${pending.freshSecondsLeft}`).to.equal(
      true,
    );
    await expect(p.accounts.liquidate(alice.address))
      .to.be.revertedWithCustomError(p.accounts, "GracePeriodRunning")
      .withArgs((left: bigint) => left > 500n && left <= GRACE - 5n);
    // she has (almost) the whole grace period left to attest, for the new epoch
    await wait(500n);
    await alice.proveMargin(params);
    await bob.proveMargin(params);
    await wait(GRACE);
    await expect(p.accounts.liquidate(alice.address)).to.be.revertedWithCustomError(p.accounts, "AlreadyAttested");
  });

  it("calls every 590 s against an account that missed the first: it becomes liquidatable 600 fresh seconds after the first", async () => {
    await post();
    await call();
    const first = await now();
    const count = BigInt(await p.accounts.marginCallCount());
    await bob.proveMargin(params); // bob answers every call; alice stays silent
    for (let i = 0; i < 3; i++) {
      await p.ethers.provider.send("evm_setNextBlockTimestamp", [Number(first + 590n * BigInt(i + 1))]);
      await post();
      await call();
      const pending = await p.accounts.pendingMarginCall(alice.address);
      // the oldest unanswered call counts: the later ones never reset it
      expect(pending.index).to.equal(count - 1n);
      if (i === 0) {
        expect(pending.freshSecondsLeft > 0n && pending.freshSecondsLeft <= 10n, `left ${pending.freshSecondsLeft}`).to.equal(true);
      } else {
        expect(pending.freshSecondsLeft).to.equal(0n);
        expect(await p.accounts.isLiquidatable(alice.address)).to.equal(true);
      }
      await bob.proveMargin(params);
      expect(await p.accounts.isLiquidatable(bob.address)).to.equal(false);
    }
    expect(BigInt(await p.accounts.marginCallCount())).to.equal(count + 3n);
    const keeper = signers[8];
    const before = await p.ethers.provider.getBalance(keeper.address);
    const r = await (await p.accounts.connect(keeper).liquidate(alice.address)).wait();
    expect((await p.ethers.provider.getBalance(keeper.address)) - before + r.gasUsed * r.gasPrice).to.equal(BOND);
    expect(await status(alice)).to.equal(2);
  });

  it("a flat account closes and recovers its bond; closed, it still withdraws, cannot trade, and reopens with its balance", async () => {
    await post();
    // bob holds a position: he cannot close
    await expect(p.accounts.connect(signers[2]).close()).to.be.revertedWithCustomError(p.accounts, "AccountNotFlat");
    const before = await p.ethers.provider.getBalance(carol.address);
    const r = await (await p.accounts.connect(signers[3]).close()).wait();
    expect((await p.ethers.provider.getBalance(carol.address)) - before + r.gasUsed * r.gasPrice).to.equal(BOND);
    expect(await status(carol)).to.equal(3);
    await expect(p.accounts.connect(signers[3]).close()).to.be.revertedWithCustomError(p.accounts, "NotActive");
    // closed: a margin call does not concern it; no trade, no attestation, no watchtower
    expect((await p.accounts.pendingMarginCall(carol.address)).pending).to.equal(false);
    await expect(p.accounts.connect(signers[3]).setWatchtower(signers[7].address)).to.be.revertedWithCustomError(p.accounts, "NotActive");
    await expectRejection(carol.deposit(0, 1n * E6, params), /NotActive/);
    await expectRejection(carol.proveMargin(params), /NotActive/);
    // what it holds stays withdrawable
    const balance = BigInt(await p.tokens[0].balanceOf(carol.address));
    await carol.withdraw(0, 40_000n * E6, params);
    expect(BigInt(await p.tokens[0].balanceOf(carol.address)) - balance).to.equal(40_000n * E6);
    expect(carol.portfolio.collateral[0]).to.equal(60_000n * E6);
    expect(await status(carol)).to.equal(3);
    // reopening pays the bond again and keeps the commitment (the rest of the balance)
    const commitment = BigInt((await p.accounts.accounts(carol.address)).commitment);
    await expect(p.accounts.connect(signers[3]).open({ value: 1n })).to.be.revertedWithCustomError(p.accounts, "WrongBond");
    await (await p.accounts.connect(signers[3]).open({ value: BOND })).wait();
    expect(await status(carol)).to.equal(1);
    expect(BigInt((await p.accounts.accounts(carol.address)).commitment)).to.equal(commitment);
    await carol.withdraw(0, 60_000n * E6, params);
    expect(carol.portfolio.collateral[0]).to.equal(0n);
    // the custody holds what the open accounts can claim
    const custody = BigInt(await p.tokens[0].balanceOf(await p.accounts.getAddress()));
    expect(custody).to.equal(alice.portfolio.collateral[0] + bob.portfolio.collateral[0] + BigInt(await p.accounts.insuranceFund()));
  });
});
