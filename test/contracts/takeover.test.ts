// Liquidation that unwinds (docs/PROTOCOL.md, "Liquidation and takeover"): a frozen account's
// book moves into the backstop at the epoch's mark by a takeover proof, with real proofs on the
// in-process chain. The independent review's scenario 2 (a frozen loser whose position keeps
// losing while the winner withdraws) as a regression test, then every step of the loss waterfall:
// the account's collateral (its settlement balance, then its other collateral bought by the
// backstop at haircut value), the insurance fund, the backstop. After every step, for every
// token, custody equals what every holder can withdraw (hidden balances + PnL pool + insurance
// fund), the PnL pool equals the books' net unrealised PnL, and positions sum to zero.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitment } from "../../prover/encoding.ts";
import { evaluate, unrealisedPnl } from "../../prover/model.ts";
import { BackstopRefused, TakeoverProver, takeover } from "../../prover/takeover.ts";
import { LiquidationProver } from "../../prover/liquidation.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { liquidateByProof, replayAccount, takeoverByProof, takeoverBinding, type Replayed } from "../../client/liquidator.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { planRealize } from "../../client/settlement.ts";
import { solidityCalldata } from "../../prover/prover.ts";
import { clone, example, minimalDeposit } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;

describe("takeover: a frozen book moves into the backstop at mark (review scenario 2, the waterfall; real proofs)", function () {
  this.timeout(1_800_000);
  let p: LocalProtocol;
  let params: Params;
  let signers: any[];
  let vault: Trader; // the backstop account (the deployer's address: signers[0])
  let alice: Trader;
  let bob: Trader;
  let carol: Trader;
  let dave: Trader;
  let takeoverProver: TakeoverProver;
  let liquidationProver: LiquidationProver;
  const epochs = new Map<bigint, Params>();
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-takeover-"));
  const net = (q: Portfolio) => unrealisedPnl(params, q).reduce((a, b) => a + b, 0n);

  const post = async (mutate: (x: Params) => void) => {
    const next = clone(params);
    next.epochId = params.epochId + 1n;
    mutate(next);
    await postEpoch(p.registry.connect(signers[0]), next, { pricesOnly: true });
    params = next;
    epochs.set(next.epochId, next);
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
  const replay = (t: { address: string }) => replayAccount(p.accounts, p.liquidation.secret, t.address, async (id) => epochs.get(id)!);
  const keyHolder = () => p.accounts.connect(signers[5]);

  /**
   * Custody per token = every account's hidden balance (replayed by the key holder, the backstop
   * included) + pnlPool + insuranceFund for token 0; pnlPool = the books' net unrealised PnL;
   * sizes sum to zero in every market; every commitment opens.
   */
  const conserved = async (traders: Trader[]) => {
    const books: Replayed[] = [];
    for (const t of [vault, ...traders]) books.push(await replay(t));
    const pool = BigInt(await p.accounts.pnlPool());
    const fundBalance = BigInt(await p.accounts.insuranceFund());
    const address = await p.accounts.getAddress();
    for (let j = 0; j < 4; j++) {
      const held = books.reduce((a, r) => a + r.portfolio.collateral[j], 0n);
      expect(BigInt(await p.tokens[j].balanceOf(address)), `custody of token ${j}`).to.equal(held + (j === 0 ? pool + fundBalance : 0n));
    }
    expect(
      books.reduce((a, r) => a + net(r.portfolio), 0n),
      "pool = net unrealised PnL",
    ).to.equal(pool);
    for (let i = 0; i < params.markets.length; i++)
      expect(
        books.reduce((a, r) => a + r.portfolio.sizes[i], 0n),
        `market ${i}: sizes sum to zero`,
      ).to.equal(0n);
    return books;
  };

  /** Open a long of `size` lots for `loser` against `winner` at mark with the least initial margin (+ extra). */
  const openLong = async (loser: Trader, winner: Trader, size: bigint, extra: bigint, other?: { asset: number; amount: bigint }) => {
    const fill = { market: 0, size, price: params.markets[0].markPrice, salt: 1000n + size };
    const fee = BigInt(await p.accounts.tradeFee());
    if (other) {
      await fund(loser, other.asset, other.amount);
      await loser.deposit(other.asset, other.amount, params);
    }
    const need = minimalDeposit(params, loser.portfolio, fill, "initial", fee);
    const deposit = need + extra;
    if (deposit > 0n) {
      await fund(loser, 0, deposit);
      await loser.deposit(0, deposit, params);
    }
    await settleTrade(
      await loser.tradeLeg(fill, "buy", params, winner.address),
      await winner.tradeLeg(fill, "sell", params, loser.address),
      params.epochId,
    );
  };

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n });
    signers = await p.ethers.getSigners();
    expect(String(await p.accounts.backstop())).to.equal(signers[0].address);
    params = { ...example().params, epochId: 1n };
    epochs.set(1n, params);
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    [takeoverProver, liquidationProver] = await Promise.all([TakeoverProver.load(), LiquidationProver.load()]);
    vault = await attach(0, "vault");
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    carol = await attach(3, "carol");
    dave = await attach(4, "dave");
    await fund(vault, 0, 2_000_000n * E6);
    await vault.deposit(0, 2_000_000n * E6, params);
    await fund(alice, 0, 500_000n * E6);
    await alice.deposit(0, 500_000n * E6, params);
    await fund(carol, 0, 10_000n * E6);
    await carol.deposit(0, 10_000n * E6, params);
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scenario 2: the frozen loser keeps losing, the takeover collects its loss; the winner, a flat depositor and the owner are all paid", async () => {
    // Bob: long 500 lots, collateral asset 0 just above initial plus 2 ETH (asset 1)
    await openLong(bob, alice, 500n, 0n, { asset: 1, amount: 2n * E18 });
    await conserved([alice, bob, carol]);

    // BTC -5%: Bob below maintenance; the key holder liquidates him by proof (frozen)
    await post((x) => (x.markets[0].markPrice -= x.markets[0].markPrice / 20n));
    let rb = await replay(bob);
    expect(evaluate(params, rb.portfolio, "maintenance").healthy).to.equal(false);
    await liquidateByProof(keyHolder(), liquidationProver, rb, params);
    expect(Number((await p.accounts.accounts(bob.address)).status)).to.equal(2);

    // the price keeps falling while Bob is frozen: his position still loses, Alice's profit grows
    await post((x) => (x.markets[0].markPrice -= x.markets[0].markPrice / 50n));
    rb = await replay(bob);
    const rv = await replay(vault);
    const expected = takeover(params, rb.portfolio, rv.portfolio, 100n, BigInt(await p.accounts.insuranceFund()));
    expect(expected.settled).to.equal(-net(rb.portfolio));
    expect(expected.badDebt).to.equal(0n);
    expect(expected.converted, "Bob's ETH bought at its haircut value").to.be.greaterThan(0n);

    // a takeover of an active account, a wrong vault cover and a copied proof are refused
    const ra = await replay(alice);
    await expectRejection(takeoverByProof(keyHolder(), takeoverProver, { ...ra, status: 2 }, rv, params), /NotFrozen/);
    const fundBefore = BigInt(await p.accounts.insuranceFund());
    const poolBefore = BigInt(await p.accounts.pnlPool());
    const sent = await takeoverByProof(keyHolder(), takeoverProver, rb, rv, params);
    expect(sent.gasUsed).to.be.lessThan(400_000n);
    const acc = await p.accounts.accounts(bob.address);
    expect(Number(acc.status), "Bob is Closed with his residual").to.equal(3);
    expect(BigInt(acc.commitment)).to.equal(commitment(expected.residual));
    expect(BigInt(await p.accounts.pnlPool())).to.equal(poolBefore + expected.settled);
    expect(BigInt(await p.accounts.insuranceFund())).to.equal(fundBefore + expected.penalty);
    expect(expected.penalty, "the penalty is 1% of the book's notional at mark").to.equal(
      (500n * params.markets[0].markPrice * 100n + 9999n) / 10000n,
    );
    const books = await conserved([alice, bob, carol]);
    expect(books[0].portfolio.sizes[0], "the backstop holds Bob's long").to.equal(500n);

    // Alice realises her whole profit from the pool and withdraws it; Carol withdraws in full
    const profit = net(alice.portfolio);
    expect(profit).to.be.greaterThan(0n);
    await alice.sync();
    const claim = planRealize(params, alice.portfolio, BigInt(await p.accounts.pnlPool()));
    expect(claim.amount).to.equal(profit);
    await alice.realize(claim.market, claim.amount, params);
    await alice.withdraw(0, profit, params);
    const carolBefore = BigInt(await p.tokens[0].balanceOf(carol.address));
    await carol.withdraw(0, 10_000n * E6, params);
    expect(BigInt(await p.tokens[0].balanceOf(carol.address)) - carolBefore).to.equal(10_000n * E6);

    // Bob's client adopts the residual from the TakenOver event and withdraws it (nothing stays locked)
    expect(await bob.sync()).to.equal("replayed");
    expect(bob.portfolio.collateral[0]).to.equal(expected.residualCash);
    expect(bob.portfolio.collateral[1]).to.equal(0n);
    await bob.withdraw(0, expected.residualCash, params);
    await conserved([alice, bob, carol]);
  });

  it("the waterfall: bad debt is paid by the insurance fund first, then the backstop (BadDebt events)", async () => {
    // Dave: long at initial margin, then a 12% gap before anyone can act: his loss exceeds his collateral
    const fundNow = BigInt(await p.accounts.insuranceFund());
    expect(fundNow).to.be.greaterThan(0n);
    await openLong(dave, alice, 300n, 0n);
    await post((x) => (x.markets[0].markPrice -= (x.markets[0].markPrice * 8n) / 100n));
    let rd = await replay(dave);
    await liquidateByProof(keyHolder(), liquidationProver, rd, params);
    // the market keeps gapping down before the key holder can unwind him
    let rv = await replay(vault);
    const fundBefore = BigInt(await p.accounts.insuranceFund());
    rd = await replay(dave);
    for (let i = 0; i < 8 && takeover(params, rd.portfolio, rv.portfolio, 100n, fundBefore).badDebt <= fundBefore; i++)
      await post((x) => (x.markets[0].markPrice -= (x.markets[0].markPrice * 8n) / 100n));
    rd = await replay(dave);
    rv = await replay(vault);
    const x = takeover(params, rd.portfolio, rv.portfolio, 100n, fundBefore);
    expect(x.badDebt, "the loss exceeds the account's collateral").to.be.greaterThan(fundBefore);
    expect(x.insuranceCover).to.equal(fundBefore);
    expect(x.vaultCover).to.equal(x.badDebt - fundBefore);

    // the proof binds the sender, and the contract checks the waterfall's order. The key holder
    // proved when the fund held one unit less (a fee arrived since): the backstop covers one unit
    // more than its share, which the contract accepts (it may pay more, never less)
    const binding = takeoverBinding(p.chainId, await p.accounts.getAddress(), dave.address, rd.nonce, rv.nonce, signers[5].address);
    const { proof, result } = await takeoverProver.prove(params, rd.portfolio, rv.portfolio, binding, 100n, fundBefore - 1n);
    expect(result.vaultCover).to.equal(x.vaultCover + 1n);
    const { a, b, c } = await solidityCalldata(proof);
    const data = {
      residualCommitment: commitment(result.residual),
      backstopNewCommitment: commitment(result.backstop),
      settled: result.settled,
      penalty: result.penalty,
      badDebt: result.badDebt,
      vaultCover: result.vaultCover,
      residualFlat: result.residualFlat,
      backstopFlat: result.backstopFlat,
      proof: { a, b, c },
    };
    await expectRejection(p.accounts.connect(signers[6]).takeover(dave.address, params.epochId, data), /InvalidProof/);
    // the backstop paying less than its share (the fund paying more than it holds) is refused
    await expectRejection(
      keyHolder().takeover(dave.address, params.epochId, { ...data, vaultCover: x.vaultCover - 1n }),
      /InvalidTakeover/,
    );

    const poolBefore = BigInt(await p.accounts.pnlPool());
    await (await keyHolder().takeover(dave.address, params.epochId, data)).wait();
    expect(BigInt(await p.accounts.insuranceFund()), "the insurance fund paid first, all it had at proving").to.equal(1n);
    expect(BigInt(await p.accounts.pnlPool())).to.equal(poolBefore + x.settled);
    const debt = await p.accounts.queryFilter(p.accounts.filters.BadDebt(dave.address));
    expect(debt.length).to.equal(1);
    expect(BigInt((debt[0] as any).args.amount)).to.equal(x.badDebt);
    expect(BigInt((debt[0] as any).args.insuranceCover)).to.equal(fundBefore - 1n);
    expect(BigInt((debt[0] as any).args.vaultCover)).to.equal(x.vaultCover + 1n);
    rv = await replay(vault);
    expect(rv.portfolio.sizes[0]).to.equal(800n);
    // Dave keeps nothing (his residual is 0), his account is Closed and opens
    expect(await dave.sync()).to.equal("replayed");
    expect(dave.portfolio.collateral[0]).to.equal(0n);
    await conserved([alice, bob, carol, dave]);

    // the backstop is a loser like any other now: its operator (the key holder) syncs its book
    // with the liquidation key and settles its loss; then the pool covers Alice's whole profit
    vault.liquidationSecret = p.liquidation.secret;
    expect(await vault.sync()).to.equal("key holder replay");
    expect(commitment(vault.portfolio)).to.equal(rv.commitment);
    const loss = -net(vault.portfolio);
    expect(loss).to.be.greaterThan(0n);
    await vault.settle(0, loss, params);
    await alice.sync();
    const owed = net(alice.portfolio);
    expect(BigInt(await p.accounts.pnlPool()), "the pool covers the winners in full").to.equal(owed);
    const claim = planRealize(params, alice.portfolio, owed);
    await alice.realize(claim.market, claim.amount, params);
    await conserved([alice, bob, carol, dave]);
  });

  it("a backstop that would break its own initial margin refuses: no proof, nothing sent", async () => {
    const rv = await replay(vault);
    // a frozen book far larger than the backstop can carry at initial margin (synthetic: the
    // refusal happens before any proof or transaction)
    const frozen: Replayed = { ...(await replay(dave)), status: 2 };
    frozen.portfolio = clone(frozen.portfolio);
    frozen.portfolio.sizes[0] = 200_000n; // twice the position cap
    frozen.portfolio.costBasis[0] = 200_000n * params.markets[0].markPrice;
    const nonce = await p.ethers.provider.getTransactionCount(signers[5].address);
    let refused: unknown;
    try {
      await takeoverByProof(keyHolder(), takeoverProver, frozen, rv, params);
    } catch (e) {
      refused = e;
    }
    expect(refused).to.be.instanceOf(BackstopRefused);
    expect((refused as BackstopRefused).reasons.length).to.be.greaterThan(0);
    expect(await p.ethers.provider.getTransactionCount(signers[5].address), "nothing sent").to.equal(nonce);
  });
});
