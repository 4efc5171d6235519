// Reduce-only de-risking on-chain (issue #9 item 6), real proofs on Hardhat EDR: an account
// between maintenance and initial margin can trade every size toward zero (the Transition
// circuit then checks maintenance only), but cannot add to its position, flip it, or withdraw
// (initial margin): reducing to exactly flat passes at maintenance; a flip to an equal short is
// checked at initial and refused. (The circuit-level boundary q = |s| vs |s| + 1 is in
// test/transition.test.ts.)
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate } from "../../prover/model.ts";
import type { Fill } from "../../prover/transition/op.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example, minimalDeposit } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;

describe("reduce-only: between maintenance and initial, an account can only de-risk", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let epoch = 1n;
  let alice: Trader;
  let bob: Trader;
  let signers: any[];
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-reduce-"));
  const healthy = (x: Params, pf: Portfolio, level: "maintenance" | "initial") => evaluate(x, pf, level).healthy;
  const leg = async (fill: Fill, aliceSide: "buy" | "sell") =>
    settleTrade(
      await alice.tradeLeg(fill, aliceSide, params, bob.address),
      await bob.tradeLeg(fill, aliceSide === "buy" ? "sell" : "buy", params, alice.address),
      params.epochId,
    );

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n });
    signers = await p.ethers.getSigners();
    // no stress scenarios and a loose leverage cap: with the shipped ones a one-market book hits
    // STRESS or LEVERAGE (level-independent) before the initial MARGIN rule, so no price leaves it
    // between maintenance and initial
    params = { ...example().params, epochId: epoch };
    params.scenarios = params.scenarios.map((row) => row.map(() => 0n));
    params.maxLeverageBps = 1_000_000n; // 100x: LEVERAGE (level-independent too) must not bind first
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    const provers = { margin: await prover(), transition: await transitionProver() };
    const attach = async (i: number, name: string) =>
      (await Trader.attach(signers[i], p.accounts, provers, join(dir, `${name}.state`), `pass-${name}`)).trader;
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    for (const t of [alice, bob]) await (await p.tokens[0].mint(t.address, 10_000_000n * E6)).wait();
    await bob.deposit(0, 5_000_000n * E6, params);
    // alice: 100 lots long with ~3% more collateral than the initial level needs
    const fee = BigInt(await p.accounts.tradeFee());
    const size = 100n;
    const price = params.markets[0].markPrice;
    const lo = minimalDeposit(params, alice.portfolio, { market: 0, size, price }, "initial", fee);
    await alice.deposit(0, lo + (lo * 3n) / 100n, params);
    await leg({ market: 0, size, price, salt: 1n }, "buy");
    // a drop that leaves her below initial but above maintenance
    let mark = price;
    const at = (m: bigint) => {
      const x = clone(params);
      x.markets[0].markPrice = m;
      return x;
    };
    while (healthy(at(mark), alice.portfolio, "initial")) mark -= price / 1000n;
    expect(healthy(at(mark), alice.portfolio, "maintenance"), "the drop must stop above maintenance").to.equal(true);
    const x = at(mark);
    x.epochId = ++epoch;
    await postEpoch(p.registry.connect(signers[0]), x, { pricesOnly: true });
    params = x;
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("cannot add to the position, flip it or withdraw (initial margin)", async () => {
    const mark = params.markets[0].markPrice;
    await expectRejection(leg({ market: 0, size: 1n, price: mark, salt: 2n }, "buy"), /initial/);
    // a flip to an equal short is checked at initial (a flip to a tiny short would pass: it is healthy)
    await expectRejection(leg({ market: 0, size: 200n, price: mark, salt: 3n }, "sell"), /initial/);
    // a withdrawal needs the unpaid loss settled first, and then the initial level
    await expectRejection(alice.withdraw(0, 1n, params), /settle it into the PnL pool first/);
    expect(alice.portfolio.sizes[0]).to.equal(100n);
  });

  it("reduces part of the position, then closes it exactly (maintenance only)", async () => {
    const mark = params.markets[0].markPrice;
    const s = await leg({ market: 0, size: 40n, price: mark, salt: 4n }, "sell");
    expect(alice.portfolio.sizes[0]).to.equal(60n);
    expect(healthy(params, alice.portfolio, "maintenance")).to.equal(true);
    expect(s.gasUsed / 2n <= 300_000n, `per leg ${s.gasUsed / 2n}`).to.equal(true);
    await leg({ market: 0, size: 60n, price: mark, salt: 5n }, "sell");
    expect(alice.portfolio.sizes[0]).to.equal(0n);
    expect(BigInt((await p.accounts.accounts(alice.address)).commitment)).to.not.equal(0n);
  });
});
