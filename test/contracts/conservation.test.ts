// Conservation: custody of every token equals what the accounts can claim, after every step of
// a random operation sequence (deposits, withdrawals, private trades, realisations, price moves,
// crashes, margin calls, liquidations by proof and after a missed call, and the takeover of every
// frozen book by the backstop), with real proofs on Hardhat EDR. The backstop's book is the key
// holder's replay of it (client/liquidator.ts replayAccount).
//   token 0:   balanceOf(clearinghouse) == sum over accounts a_0 + pnlPool + insuranceFund
//              (every trade leg pays the flat fee from a_0 into the insurance fund; profit is
//              claimed only from the PnL pool, which settled losses fill), and
//              pnlPool == sum over accounts sum_i U_i (the pool holds exactly the net
//              unrealised PnL of the zero-sum books: no profit is paid before its loss)
//   token j>0: balanceOf(clearinghouse) == sum over accounts a_j
//   ETH:       balance(clearinghouse) == bond * (accounts opened - accounts liquidated)
//   insurance: 2 fees per trade + every takeover's penalty - what it paid of bad debt
// and the hidden books stay zero-sum: sum over accounts of s_i == 0 in every market.
import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate } from "../../prover/model.ts";
import type { Params } from "../../prover/types.ts";
import { ValidationError } from "../../prover/validate.ts";
import { TransitionRefused } from "../../prover/transition/rule.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { planRealize, planSettle } from "../../client/settlement.ts";
import { liquidatableByProof, liquidateByProof, replayAccount, takeoverByProof } from "../../client/liquidator.ts";
import { LiquidationProver } from "../../prover/liquidation.ts";
import { TakeoverProver } from "../../prover/takeover.ts";
import type { Portfolio } from "../../prover/types.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example } from "../../tools/fixtures.ts";
import { prover, transitionProver } from "../helpers.ts";
import { DEFAULT_TRADE_FEE as FEE, M_ASSETS, N_MARKETS } from "../../prover/constants.ts";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;
const BOND = 10n ** 16n;

type Step =
  | { op: "deposit"; who: number; asset: number; amount: bigint }
  | { op: "withdraw"; who: number; asset: number; part: number }
  | { op: "trade"; buyer: number; seller: number; market: number; size: bigint; tick: bigint }
  | { op: "realize"; who: number; market: number }
  | { op: "move"; market: number; bps: number }
  | { op: "crash"; market: number; bps: number }
  | { op: "call" };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("deposit" as const),
      who: fc.integer({ min: 0, max: 2 }),
      asset: fc.integer({ min: 0, max: 2 }),
      amount: fc.bigInt({ min: 1n, max: 50_000n * E6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("withdraw" as const),
      who: fc.integer({ min: 0, max: 2 }),
      asset: fc.integer({ min: 0, max: 2 }),
      part: fc.integer({ min: 1, max: 100 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("trade" as const),
      buyer: fc.integer({ min: 0, max: 2 }),
      seller: fc.integer({ min: 0, max: 2 }),
      market: fc.integer({ min: 0, max: 2 }),
      size: fc.bigInt({ min: 1n, max: 400n }),
      tick: fc.bigInt({ min: -500n, max: 500n }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("realize" as const),
      who: fc.integer({ min: 0, max: 2 }),
      market: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("move" as const),
      market: fc.integer({ min: 0, max: 2 }),
      bps: fc.integer({ min: -300, max: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("crash" as const),
      market: fc.integer({ min: 0, max: 2 }),
      bps: fc.oneof(fc.integer({ min: -2500, max: -600 }), fc.integer({ min: 600, max: 2500 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "call" as const }) },
);

describe("conservation invariant under random operation sequences", function () {
  this.timeout(1_800_000);
  let p: LocalProtocol;
  let traders: Trader[];
  let params: Params;
  let signers: any[];
  /** the backstop as the key holder replays it (signer 0, the deployer) */
  let backstop: Portfolio;
  let backstopTrader: Trader;
  const epochs = new Map<bigint, Params>();
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-conservation-"));

  before(async () => {
    p = await startLocalProtocol({ bondWei: BOND, gracePeriod: 60n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: 1n };
    epochs.set(1n, params);
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    const provers = { margin: await prover(), transition: await transitionProver() };
    backstopTrader = (await Trader.attach(signers[0], p.accounts, provers, join(dir, "backstop.state"), "pw")).trader;
    await (await p.tokens[0].mint(signers[0].address, 5_000_000n * E6)).wait();
    await backstopTrader.deposit(0, 5_000_000n * E6, params);
    backstop = backstopTrader.portfolio;
    traders = [];
    for (let i = 0; i < 3; i++) {
      traders.push((await Trader.attach(signers[10 + i], p.accounts, provers, join(dir, `t${i}.state`), "pw")).trader);
      await (await p.tokens[0].mint(signers[10 + i].address, 10_000_000n * E6)).wait();
      await (await p.tokens[1].mint(signers[10 + i].address, 1_000n * E18)).wait();
      await (await p.tokens[2].mint(signers[10 + i].address, 1_000n * 10n ** 8n)).wait();
    }
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** trades settled so far: each paid the flat fee twice (both legs) into the insurance fund */
  let settled = 0;
  /** penalties paid into the insurance fund minus the bad debt it covered */
  let insuranceNet = 0n;
  async function checkInvariant(liquidated: number): Promise<void> {
    const custody = await p.accounts.getAddress();
    const books = [...traders.map((t) => t.portfolio), backstop];
    for (let j = 0; j < M_ASSETS; j++) {
      let claims = books.reduce((acc, q) => acc + q.collateral[j], 0n);
      if (j === 0) {
        const pool = BigInt(await p.accounts.pnlPool());
        claims += pool + BigInt(await p.accounts.insuranceFund());
        expect(
          books.reduce((acc, q) => acc + evaluate(params, q, "maintenance").pnl.reduce((x, y) => x + y, 0n), 0n),
          "PnL pool = net unrealised PnL",
        ).to.equal(pool);
      }
      if (j === 0) expect(BigInt(await p.accounts.insuranceFund()), "insurance fund").to.equal(2n * FEE * BigInt(settled) + insuranceNet);
      expect(BigInt(await p.tokens[j].balanceOf(custody)), `token ${j}`).to.equal(claims);
    }
    for (let i = 0; i < N_MARKETS; i++)
      expect(
        books.reduce((acc, q) => acc + q.sizes[i], 0n),
        `market ${i}`,
      ).to.equal(0n);
    expect(await p.ethers.provider.getBalance(custody)).to.equal(BOND * BigInt(traders.length + 1 - liquidated));
    expect(BigInt((await p.accounts.accounts(backstopTrader.address)).commitment), "the backstop's commitment opens").to.equal(
      (await import("../../prover/encoding.ts")).commitment(backstop),
    );
    for (const t of traders)
      expect(BigInt((await p.accounts.accounts(t.address)).commitment)).to.equal(
        (await import("../../prover/encoding.ts")).commitment(t.portfolio),
      );
  }

  it("holds after every step of a random sequence", async () => {
    const steps = fc.sample(arbStep, { seed: 2026, numRuns: 16 });
    let liquidated = 0;
    let done = 0;
    let salt = 1n;
    const frozen = new Set<number>();
    /** taken over: Closed, they may still withdraw (and realise a claim) */
    const closed = new Set<number>();
    const takeovers = { count: 0, badDebt: 0 };
    const post = async (mutate: (x: Params) => void) => {
      const next = clone(params);
      next.epochId += 1n;
      mutate(next);
      await postEpoch(p.registry.connect(signers[0]), next, { pricesOnly: true });
      params = next;
      epochs.set(next.epochId, next);
    };
    const keyHolder = p.accounts.connect(signers[19]);
    const epochOf = async (id: bigint) => epochs.get(id)!;
    const liquidationProver = await LiquidationProver.load();
    const takeoverProver = await TakeoverProver.load();
    /** every frozen book into the backstop (the waterfall's covers counted), its owner syncs the residual */
    const takeOverFrozen = async () => {
      for (const i of [...frozen]) {
        const r = await replayAccount(p.accounts, p.liquidation.secret, traders[i].address, epochOf);
        const b = await replayAccount(p.accounts, p.liquidation.secret, backstopTrader.address, epochOf);
        const fundBefore = BigInt(await p.accounts.insuranceFund());
        const sent = await takeoverByProof(keyHolder, takeoverProver, r, b, params);
        insuranceNet += sent.result.penalty - sent.result.insuranceCover;
        expect(BigInt(await p.accounts.insuranceFund())).to.equal(fundBefore + sent.result.penalty - sent.result.insuranceCover);
        backstop = (await replayAccount(p.accounts, p.liquidation.secret, backstopTrader.address, epochOf)).portfolio;
        expect(await traders[i].sync()).to.equal("replayed");
        frozen.delete(i);
        closed.add(i);
        takeovers.count++;
        if (sent.result.badDebt > 0n) takeovers.badDebt++;
      }
    };
    await checkInvariant(0);
    // every trader starts with some settlement asset: trades pay fees and the CASH rule wants a_0
    // to cover unrealised losses (without it most random trades would be refused)
    for (const t of traders) {
      await t.deposit(0, 20_000n * E6, params);
      await checkInvariant(0);
    }
    for (const s of steps) {
      try {
        const out = (i: number) => frozen.has(i) || closed.has(i);
        if (s.op === "deposit" && !out(s.who)) {
          await traders[s.who].deposit(s.asset, s.amount, params);
        } else if (s.op === "withdraw" && !frozen.has(s.who)) {
          const bal = traders[s.who].portfolio.collateral[s.asset];
          const amount = (bal * BigInt(s.part)) / 100n;
          if (amount > 0n) await traders[s.who].withdraw(s.asset, amount, params);
        } else if (s.op === "trade" && s.buyer !== s.seller && !out(s.buyer) && !out(s.seller)) {
          const fill = { market: s.market, size: s.size, price: params.markets[s.market].markPrice + s.tick, salt: salt++ };
          const buy = await traders[s.buyer].tradeLeg(fill, "buy", params, traders[s.seller].address);
          try {
            const sell = await traders[s.seller].tradeLeg(fill, "sell", params, traders[s.buyer].address);
            await settleTrade(buy, sell, params.epochId);
            settled++;
          } catch (e) {
            traders[s.buyer].store.dropPending(buy.pending);
            throw e;
          }
        } else if (s.op === "realize" && !frozen.has(s.who)) {
          // a winner claims what the pool holds, a loser pays what it can (client/settlement.ts)
          const t = traders[s.who];
          const net = evaluate(params, t.portfolio, "maintenance").pnl.reduce((x, y) => x + y, 0n);
          if (net > 0n) {
            const plan = planRealize(params, t.portfolio, BigInt(await p.accounts.pnlPool()));
            await t.realize(plan.market, plan.amount, params);
          } else {
            const plan = planSettle(params, t.portfolio);
            await t.settle(plan.market, plan.amount, params);
          }
        } else if (s.op === "crash") {
          // a crash: the key holder liquidates by proof every account below maintenance at the
          // new epoch, and the backstop takes every frozen book over
          await post((x) => (x.markets[s.market].markPrice = (x.markets[s.market].markPrice * BigInt(10000 + s.bps)) / 10000n));
          for (let i = 0; i < traders.length; i++) {
            if (out(i)) continue;
            const r = await replayAccount(p.accounts, p.liquidation.secret, traders[i].address, epochOf);
            if (!liquidatableByProof(r, params)) continue;
            await liquidateByProof(keyHolder, liquidationProver, r, params);
            frozen.add(i);
            liquidated++;
          }
          await takeOverFrozen();
        } else if (s.op === "move") {
          await post((x) => (x.markets[s.market].markPrice = (x.markets[s.market].markPrice * BigInt(10000 + s.bps)) / 10000n));
        } else if (s.op === "call") {
          // the first active trader with exposure attests, the others stay silent and are liquidated
          await (await p.accounts.connect(signers[0]).marginCall()).wait();
          const exposed = traders.map((t, i) => i).filter((i) => !out(i) && traders[i].portfolio.sizes.some((x) => x !== 0n));
          if (exposed.length > 0) await traders[exposed[0]].proveMargin(params);
          await p.ethers.provider.send("evm_increaseTime", [61]);
          await p.ethers.provider.send("evm_mine", []);
          for (const i of exposed.slice(1)) {
            // a silent account that attested the call's epoch through a trade is not liquidatable
            if (!(await p.accounts.isLiquidatable(traders[i].address))) continue;
            await (await p.accounts.connect(signers[19]).liquidate(traders[i].address)).wait();
            frozen.add(i);
            liquidated++;
          }
          await post(() => {}); // a fresh epoch after the time jump
          await takeOverFrozen();
        }
        done++;
      } catch (e) {
        // refused by the reference model (unhealthy, insufficient balance): nothing was sent
        if (!(e instanceof TransitionRefused) && !(e instanceof ValidationError)) throw e;
      }
      await checkInvariant(liquidated);
    }
    expect(done).to.be.greaterThan(8);

    // the sequence ends with a crash that takes a book below maintenance for sure: two live
    // traders trade, then market 0 falls 12% per epoch until the key holder can liquidate one
    const live = traders.map((_, i) => i).filter((i) => !frozen.has(i) && !closed.has(i));
    if (live.length >= 2) {
      const [a, b] = live;
      // a long of 1x to 3x its equity (the largest the initial level accepts)
      const equity = evaluate(params, traders[a].portfolio, "initial").equity;
      const mark = params.markets[0].markPrice;
      for (const size of [30n, 22n, 16n, 10n].map((k) => (equity * k) / 10n / mark).filter((x) => x > 0n)) {
        const fill = { market: 0, size, price: params.markets[0].markPrice, salt: salt++ };
        const buy = await traders[a].tradeLeg(fill, "buy", params, traders[b].address).catch(() => undefined);
        if (!buy) continue;
        const sell = await traders[b].tradeLeg(fill, "sell", params, traders[a].address).catch(() => undefined);
        if (!sell) {
          traders[a].store.dropPending(buy.pending);
          continue;
        }
        await settleTrade(buy, sell, params.epochId);
        settled++;
        break;
      }
      await checkInvariant(liquidated);
      for (let k = 0; k < 16 && frozen.size === 0; k++) {
        await post((x) => (x.markets[0].markPrice -= (x.markets[0].markPrice * 12n) / 100n));
        for (const i of live) {
          const r = await replayAccount(p.accounts, p.liquidation.secret, traders[i].address, epochOf);
          if (!liquidatableByProof(r, params)) continue;
          await liquidateByProof(keyHolder, liquidationProver, r, params);
          frozen.add(i);
          liquidated++;
        }
      }
      await takeOverFrozen();
      await checkInvariant(liquidated);
    }
    // the sequence reaches the takeover
    expect(takeovers.count, "takeovers in the sequence").to.be.greaterThan(0);
  });
});
