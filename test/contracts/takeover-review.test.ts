// The independent review of the takeover (findings 1, 1b and 3) as regression tests, with real
// proofs on the in-process chain:
//   1. a takeover that follows a missed margin call gives the backstop a book; before the fix its
//      lastAttestedEpoch stayed behind that call and any stranger could freeze it, blocking every
//      later takeover for good. Now the takeover attests the backstop (its proof shows it healthy at
//      the initial level) and the backstop is never liquidated (BackstopNotLiquidatable);
//   1b. the same with the backstop below maintenance: liquidation by proof of it is refused;
//   3. an account taken over in profit is Closed and not flat (its claim); reopened, it was behind
//      the call it missed and a stranger could take the new bond. Now open() answers every call
//      made while it was closed.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TakeoverProver } from "../../prover/takeover.ts";
import { LiquidationProver } from "../../prover/liquidation.ts";
import { evaluate } from "../../prover/model.ts";
import type { Params } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { liquidateByProof, replayAccount, takeoverByProof } from "../../client/liquidator.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example, minimalDeposit } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;

describe("takeover: the review's findings as regressions (the backstop cannot be frozen; a reopened residual is not behind)", function () {
  this.timeout(1_800_000);
  let p: LocalProtocol;
  let params: Params;
  let signers: any[];
  const epochs = new Map<bigint, Params>();
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-takeover-review-"));
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
  const replay = (a: string) => replayAccount(p.accounts, p.liquidation.secret, a, async (id) => epochs.get(id)!);
  const post = async (mutate: (x: Params) => void = () => {}) => {
    const next = clone(params);
    next.epochId = params.epochId + 1n;
    mutate(next);
    await postEpoch(p.registry.connect(signers[0]), next, { pricesOnly: true });
    params = next;
    epochs.set(next.epochId, next);
  };
  let fills = 0;
  const openLong = async (t: Trader, against: Trader, size: bigint, extra: bigint) => {
    const fee = BigInt(await p.accounts.tradeFee());
    const fill = { market: 0, size, price: params.markets[0].markPrice, salt: 7000n + BigInt(++fills) };
    const need = minimalDeposit(params, t.portfolio, fill, "initial", fee) + extra;
    await fund(t, 0, need);
    await t.deposit(0, need, params);
    await settleTrade(
      await t.tradeLeg(fill, "buy", params, against.address),
      await against.tradeLeg(fill, "sell", params, t.address),
      params.epochId,
    );
  };
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("findings 1, 1b and 3", async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 60n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: 1n };
    epochs.set(1n, params);
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    const vault = await attach(0, "vault"); // the backstop (the deployer)
    const alice = await attach(1, "alice");
    const bob = await attach(2, "bob");
    const carol = await attach(3, "carol");
    const dave = await attach(4, "dave");
    // the backstop holds just enough to carry the two books it will take (150 lots) at initial, +5%
    const fee = BigInt(await p.accounts.tradeFee());
    const carry = minimalDeposit(params, vault.portfolio, { market: 0, size: 150n, price: params.markets[0].markPrice }, "initial", fee);
    await fund(vault, 0, carry + carry / 20n);
    await vault.deposit(0, carry + carry / 20n, params);
    await fund(alice, 0, 500_000n * E6);
    await alice.deposit(0, 500_000n * E6, params);
    await openLong(bob, alice, 100n, 10_000n * E6);
    await openLong(carol, alice, 50n, 10_000n * E6);
    await openLong(dave, alice, 100n, 20_000n * E6);

    // the price rises 1% (Bob, Carol and Dave long: in profit); a margin call nobody answers
    await post((x) => (x.markets[0].markPrice += x.markets[0].markPrice / 100n));
    await (await p.accounts.connect(signers[0]).marginCall()).wait();
    await p.ethers.provider.send("evm_increaseTime", [120]);
    await p.ethers.provider.send("evm_mine", []);
    for (const t of [bob, carol, dave]) await (await p.accounts.connect(signers[6]).liquidate(t.address)).wait();

    // finding 1: the takeover attests the backstop, and the backstop is never liquidated
    const keyHolder = p.accounts.connect(signers[5]);
    const takeoverProver = await TakeoverProver.load();
    const sent = await takeoverByProof(keyHolder, takeoverProver, await replay(bob.address), await replay(vault.address), params);
    const bs = await p.accounts.accounts(vault.address);
    expect(bs.isFlat).to.equal(false);
    expect(BigInt(bs.lastAttestedEpoch), "the takeover attests the backstop").to.equal(params.epochId);
    expect(await p.accounts.isLiquidatable(vault.address)).to.equal(false);
    await expectRejection(p.accounts.connect(signers[7]).liquidate(vault.address), /BackstopNotLiquidatable/);
    // later takeovers still go through
    await takeoverByProof(keyHolder, takeoverProver, await replay(carol.address), await replay(vault.address), params);

    // finding 3: Bob was taken over in profit (a claim, not flat); reopened, he is not behind the call
    expect(sent.result.claim).to.be.greaterThan(0n);
    let acc = await p.accounts.accounts(bob.address);
    expect(Number(acc.status)).to.equal(3);
    expect(acc.isFlat, "Closed with a claim").to.equal(false);
    const bond = BigInt(await p.accounts.bond());
    await (await p.accounts.connect(signers[2]).open({ value: bond })).wait();
    expect(await p.accounts.isLiquidatable(bob.address)).to.equal(false);
    await expectRejection(p.accounts.connect(signers[7]).liquidate(bob.address), /AlreadyAttested/);
    acc = await p.accounts.accounts(bob.address);
    expect(Number(acc.status), "Bob stays Active").to.equal(1);
    // his client adopts the residual and claim, and he realises the claim from the pool
    expect(await bob.sync()).to.equal("replayed");

    // finding 1b: a crash takes the backstop (long Bob's and Carol's books) below maintenance; the
    // key holder's check finds it liquidatable, but the contract refuses to freeze it
    let price = params.markets[0].markPrice;
    const rv0 = await replay(vault.address);
    const at = (x: bigint) => {
      const q = clone(params);
      q.markets[0].markPrice = x;
      return q;
    };
    while (evaluate(at(price), rv0.portfolio, "maintenance").healthy) price -= params.markets[0].markPrice / 50n;
    await post((x) => (x.markets[0].markPrice = price));
    const rv = await replay(vault.address);
    expect(evaluate(params, rv.portfolio, "maintenance").healthy).to.equal(false);
    await expectRejection(liquidateByProof(keyHolder, await LiquidationProver.load(), rv, params), /BackstopNotLiquidatable/);
    expect(Number((await p.accounts.accounts(vault.address)).status), "the backstop stays Active").to.equal(1);
  });
});
