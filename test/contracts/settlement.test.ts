// Settlement through the PnL pool (docs/PROTOCOL.md, "Settlement"): the independent review's
// scenarios as regression tests, with real proofs on the in-process chain.
//   1. the loser holds only non-settlement collateral: the winner's profit is not paid from the
//      shared pool before the loss is collected, and a flat depositor withdraws in full;
//   2. a self-trade at price 0 between two accounts of one owner cannot move value out of an
//      account that holds only asset 1 (the CASH rule of the Transition circuit).
// After every step: custody of token 0 = balances + pnlPool + insuranceFund, and pnlPool = the
// books' net unrealised PnL.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Params } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { planRealize, planSettle, unrealised } from "../../client/settlement.ts";
import { clone, example } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;

describe("settlement: profit is paid only from settled losses (review scenarios, real proofs)", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let signers: any[];
  let alice: Trader;
  let bob: Trader;
  let carol: Trader;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-settlement-"));
  const net = (t: Trader) => unrealised(params, t.portfolio).reduce((a, b) => a + b, 0n);

  const post = async (mutate: (x: Params) => void) => {
    const next = clone(params);
    next.epochId = params.epochId + 1n;
    mutate(next);
    await postEpoch(p.registry.connect(signers[0]), next, { pricesOnly: true });
    params = next;
  };
  const attach = async (i: number, name: string) =>
    (
      await Trader.attach(
        signers[i],
        p.accounts,
        { margin: await prover(), transition: await transitionProver() },
        join(dir, `${name}.state`),
        `pass-${name}`,
      )
    ).trader;
  const fund = async (t: Trader, asset: number, amount: bigint) => (await p.tokens[asset].mint(t.address, amount)).wait();
  /** custody of token 0 = hidden balances + PnL pool + insurance fund; the pool = net unrealised PnL */
  const conserved = async (traders: Trader[]) => {
    const pool = BigInt(await p.accounts.pnlPool());
    const fundBalance = BigInt(await p.accounts.insuranceFund());
    const held = traders.reduce((a, t) => a + t.portfolio.collateral[0], 0n);
    expect(BigInt(await p.tokens[0].balanceOf(await p.accounts.getAddress())), "custody of token 0").to.equal(held + pool + fundBalance);
    expect(
      traders.reduce((a, t) => a + net(t), 0n),
      "pool = net unrealised PnL",
    ).to.equal(pool);
  };

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: 1n };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    carol = await attach(3, "carol");
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scenario 1: the loser holds only asset 1; the winner waits for the loss, the flat depositor withdraws in full", async () => {
    await fund(alice, 0, 100_000n * E6);
    await fund(bob, 0, 10_000n * E6);
    await fund(bob, 1, 20n * E18);
    await fund(carol, 0, 10_000n * E6);
    await alice.deposit(0, 100_000n * E6, params);
    await bob.deposit(0, 1n * E6, params); // two trade fees' worth: the rest of Bob's collateral is ETH
    await bob.deposit(1, 20n * E18, params);
    await carol.deposit(0, 10_000n * E6, params);
    const fill = { market: 0, size: 515n, price: params.markets[0].markPrice, salt: 77n };
    await settleTrade(
      await bob.tradeLeg(fill, "buy", params, alice.address),
      await alice.tradeLeg(fill, "sell", params, bob.address),
      params.epochId,
    );
    await conserved([alice, bob, carol]);

    // BTC -10%: Bob (long 515 lots) loses ~5,000 USD, Alice gains it
    await post((x) => (x.markets[0].markPrice -= x.markets[0].markPrice / 10n));
    const profit = net(alice);
    expect(profit).to.be.greaterThan(5_000n * E6);
    expect(net(bob)).to.equal(-profit);
    await conserved([alice, bob, carol]);

    // the pool is empty: Alice cannot be paid from Carol's deposit
    expect(() => planRealize(params, alice.portfolio, 0n)).to.throw(/PnL pool is empty/);
    await expectRejection(alice.realize(0, profit, params), /PnlPoolInsufficient/);
    // Carol, flat, withdraws in full
    const before = BigInt(await p.tokens[0].balanceOf(carol.address));
    await carol.withdraw(0, 10_000n * E6, params);
    expect(BigInt(await p.tokens[0].balanceOf(carol.address)) - before).to.equal(10_000n * E6);
    await conserved([alice, bob, carol]);

    // Bob's asset 1 stays while his loss is unpaid: a loser settles before it withdraws anything
    await expectRejection(bob.withdraw(1, 1n * E18, params), /settle it into the PnL pool first/);

    // Bob pays what asset 0 he has; Alice can claim exactly that
    const part = planSettle(params, bob.portfolio);
    expect(part.amount).to.equal(bob.portfolio.collateral[0]);
    await bob.settle(part.market, part.amount, params);
    expect(BigInt(await p.accounts.pnlPool())).to.equal(part.amount);
    const first = planRealize(params, alice.portfolio, part.amount);
    expect(first.amount).to.equal(part.amount);
    await alice.realize(first.market, first.amount, params);
    await conserved([alice, bob, carol]);

    // Bob deposits asset 0 and settles the rest; Alice claims it all and withdraws the profit
    await bob.deposit(0, 6_000n * E6, params);
    const rest = planSettle(params, bob.portfolio);
    await bob.settle(rest.market, rest.amount, params);
    expect(net(bob)).to.equal(0n);
    const second = planRealize(params, alice.portfolio, BigInt(await p.accounts.pnlPool()));
    await alice.realize(second.market, second.amount, params);
    expect(net(alice)).to.equal(0n);
    expect(BigInt(await p.accounts.pnlPool())).to.equal(0n);
    await alice.withdraw(0, profit, params);
    await conserved([alice, bob, carol]);
    // Bob's ETH is free again
    await bob.withdraw(1, 1n * E18, params);
    await conserved([alice, bob, carol]);
  });

  it("scenario 2: a self-trade at price 0 cannot move value out of an account holding only asset 1", async () => {
    const x = await attach(4, "x");
    const y = await attach(5, "y");
    for (const t of [x, y]) {
      await fund(t, 0, 1n * E6);
      await fund(t, 1, 10n * E18);
      await t.deposit(0, 1n * E6, params);
      await t.deposit(1, 10n * E18, params);
    }
    const fill = { market: 0, size: 10n, price: 0n, salt: 78n };
    // X's buy at 0 is a profit; Y's sell at 0 is a loss Y's asset 0 cannot cover: no proof
    const buy = await x.tradeLeg(fill, "buy", params, y.address);
    await expectRejection(y.tradeLeg(fill, "sell", params, x.address), /CASH/);
    x.store.dropPending(buy.pending);
    await conserved([alice, bob, carol, x, y]);
  });
});
