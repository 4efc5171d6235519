// npm run demo — the whole protocol on an embedded local chain (Hardhat EDR, in-process), with
// real proofs and real ERC-20 custody:
//   1. deploy the verifiers, the risk epoch registry, four test tokens and MarginAccounts
//   2. the publisher posts the example risk epoch (risk, funding, prices)
//   3. Alice and Bob open accounts (bond) and deposit collateral: proven transitions; the
//      backstop (an account of the liquidation key holder) deposits the capital it backs books with
//   4. they trade privately: one call settles both legs of a hidden fill
//   5. both prove maintenance margin for the latest epoch (proveMargin)
//   6. BTC rallies; the publisher posts the new epoch; the liquidation key holder replays every
//      account from its encrypted transition log: Bob is below maintenance (his margin prover
//      refuses), Alice is healthy (no liquidation proof exists for her)
//   7. the key holder liquidates Bob by proof at once (no margin call): frozen, bond to it
//   8. the takeover: Bob's book moves into the backstop at mark by a takeover proof (no position
//      published); his loss goes into the PnL pool, a 1% penalty into the insurance fund, and Bob
//      withdraws his residual; Alice realises her profit from the pool and withdraws it
//   9. the fallback: a margin call with a grace period of fresh-oracle time, Alice answers; the
//      insurance fund (flat trade fees) and custody against claims per token
//  10. every transaction and event of the session is scanned for position values
// Each step prints its gas; the demo fails (exit 1) if any check does not hold.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MarginProver,
  UnhealthyError,
  commitment,
  evaluate,
  releaseCurves,
  validateParams,
  type Params,
  type Portfolio,
} from "../prover/index.ts";
import { TransitionProver } from "../prover/transition/prover.ts";
import { LiquidationProver } from "../prover/liquidation.ts";
import { TakeoverProver } from "../prover/takeover.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import { unrealisedPnl } from "../prover/model.ts";
import { replayTransition } from "../prover/transition/replay.ts";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { DEFAULT_TRADE_FEE, M_ASSETS, N_MARKETS } from "../prover/constants.ts";
import { postEpoch } from "./chain.ts";
import { startLocalProtocol } from "./local.ts";
import { Trader, settleTrade, type Sent } from "./accounts.ts";
import { HealthyAccountError, liquidatableByProof, liquidateByProof, replayAccount, takeoverByProof } from "./liquidator.ts";
import { planRealize } from "./settlement.ts";

const say = (s = "") => process.stdout.write(`${s}\n`);
const usd = (quoteUnits: bigint) =>
  `$${(Number(quoteUnits) / 1e6).toLocaleString("en-US", { maximumFractionDigits: quoteUnits < 100_000_000n ? 2 : 0, minimumFractionDigits: quoteUnits < 100_000_000n ? 2 : 0 })}`;
/** exact to the cent: the custody line adds up */
const cents = (quoteUnits: bigint) =>
  `$${(Number(quoteUnits) / 1e6).toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`;
const secs = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
const gas = (s: Sent) => `${s.gasUsed.toLocaleString("en-US")} gas`;
const E6 = 10n ** 6n;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const base = validateParams(JSON.parse(readFileSync(join(REPO_ROOT, "examples", "params.json"), "utf8")));
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-demo-"));
  const sent: Sent[] = [];
  const track = async <T extends Sent>(x: Promise<T>): Promise<T> => {
    const s = await x;
    sent.push(s);
    return s;
  };
  say("zkmargin demo: private margin accounts on an embedded chain (real proofs, real ERC-20 custody)\n");

  say("1. Deploy");
  let t = performance.now();
  // the backstop is the liquidation key holder's account (signer 3)
  const p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n, bondWei: 10n ** 16n, tradeFee: DEFAULT_TRADE_FEE, backstop: 3 });
  const d = p.deployment;
  say(
    `   chain ${p.chainId}: ${Object.keys(d.contracts).length} contracts in ${secs(t)} — MarginAccounts ${d.contracts.MarginAccounts} ` +
      `(${Number(d.gas.MarginAccounts).toLocaleString("en-US")} gas), margin + transition Groth16 verifiers, RiskEpochRegistry, tokens zUSD/zETH/zBTC/zSOL`,
  );
  const signers = await p.ethers.getSigners();
  const [publisher, aliceSigner, bobSigner, keyHolder] = signers;
  try {
    say("\n2. The publisher posts risk epoch " + base.epochId);
    let params: Params = base;
    const post = await postEpoch(p.registry.connect(publisher), params, { pricesOnly: false });
    say(
      `   ${post.steps.map((s) => `${s.step} ${Number(s.gasUsed).toLocaleString("en-US")} gas`).join(", ")}; on-chain paramsHash = prover's: ${post.paramsHash.slice(0, 16)}...`,
    );

    say("\n3. Alice and Bob open accounts and deposit (each deposit is a proven transition)");
    t = performance.now();
    const provers = { margin: await MarginProver.load(), transition: await TransitionProver.load() };
    const liquidationProver = await LiquidationProver.load();
    const takeoverProver = await TakeoverProver.load();
    say(`   proving artifacts loaded in ${secs(t)}`);
    const alice = await Trader.attach(aliceSigner, p.accounts, provers, join(dir, "alice.state"), "alice's passphrase");
    const bob = await Trader.attach(bobSigner, p.accounts, provers, join(dir, "bob.state"), "bob's passphrase");
    sent.push(alice.opened!, bob.opened!);
    say(`   open (0.01 ETH bond): ${gas(alice.opened!)}`);
    const A = alice.trader;
    const B = bob.trader;
    const vault = (await Trader.attach(keyHolder, p.accounts, provers, join(dir, "backstop.state"), "the key holder's passphrase")).trader;
    await (await p.tokens[0].mint(vault.address, 1_000_000n * E6)).wait();
    const backed = await track(vault.deposit(0, 1_000_000n * E6, params));
    say(`   the backstop (the key holder's account) deposits ${usd(1_000_000n * E6)} zUSD to take over liquidated books: ${gas(backed)}`);
    // Bob deposits just enough for the short he wants (initial level, stress included), plus 2%
    const fill = {
      market: 0,
      size: 2000n,
      price: params.markets[0].markPrice - 50n,
      salt: BigInt(`0x${Buffer.from("zkmargin-demo-fill").toString("hex")}`),
    };
    const bobDeposit = (minimalDeposit(params, fill) * 102n) / 100n;
    for (const [who, tr, amount] of [
      ["Alice", A, 250_000n * E6],
      ["Bob", B, bobDeposit],
    ] as const) {
      await (await p.tokens[0].mint(tr.address, amount)).wait();
      t = performance.now();
      const s = await track(tr.deposit(0, amount, params));
      say(`   ${who.padEnd(5)} deposits ${usd(amount).padStart(9)} zUSD: proof + tx in ${secs(t)}, ${gas(s)}`);
    }
    check(
      BigInt(await p.tokens[0].balanceOf(await p.accounts.getAddress())) === 1_000_000n * E6 + 250_000n * E6 + bobDeposit,
      "custody equals deposits",
    );

    say("\n4. A private trade: Bob sells Alice 2 BTC (2,000 lots) at a price agreed off-chain");
    t = performance.now();
    const buy = await A.tradeLeg(fill, "buy", params, B.address);
    const sell = await B.tradeLeg(fill, "sell", params, A.address);
    const traded = await track(settleTrade(buy, sell, params.epochId));
    say(
      `   two leg proofs in ${secs(t)}; one call settles both: ${gas(traded)} (${(traded.gasUsed / 2n).toLocaleString("en-US")} per leg)`,
    );
    say(
      `   on-chain: fill commitment ${buy.fill.toString().slice(0, 16)}... (nullified), two new commitments, two ciphertexts — no market, size or price`,
    );

    say("\n5. Both attest maintenance margin for the latest epoch");
    for (const [who, tr] of [
      ["Alice", A],
      ["Bob", B],
    ] as const) {
      t = performance.now();
      const s = await track(tr.proveMargin(params));
      say(`   ${who.padEnd(5)} proveMargin: proof + tx in ${secs(t)}, ${gas(s)}`);
    }

    say("\n6. BTC rallies: the publisher posts a new epoch; the liquidation key holder checks every account");
    let bps = 200n;
    for (;;) {
      const moved = { ...structuredClone(params), epochId: params.epochId + 1n };
      moved.markets[0].markPrice = (params.markets[0].markPrice * (10000n + bps)) / 10000n;
      if (!evaluate(moved, B.portfolio, "maintenance").healthy) {
        params = moved;
        break;
      }
      bps += 100n;
    }
    const pricePost = await postEpoch(p.registry.connect(publisher), params, { pricesOnly: true });
    const detected = performance.now();
    say(`   BTC +${Number(bps) / 100}%: price post ${Number(pricePost.steps[0].gasUsed).toLocaleString("en-US")} gas`);
    // the key holder replays each account from its encrypted log (epochs from the publisher's feed)
    const epochs = new Map([
      [base.epochId, base],
      [params.epochId, params],
    ]);
    const replayed = [];
    for (const tr of [A, B])
      replayed.push(await replayAccount(p.accounts, p.liquidation.secret, tr.address, async (id) => epochs.get(id)!));
    const [ra, rb] = replayed;
    check(!liquidatableByProof(ra, params), "Alice is healthy at maintenance");
    check(liquidatableByProof(rb, params), "Bob is below maintenance");
    const ev = evaluate(params, rb.portfolio, "maintenance");
    say(
      `   ${replayed.length} accounts replayed from their encrypted logs; Bob violates ${ev.violations.join(", ")} (equity ${usd(ev.equity)}; the stress scenarios and the margin requirement of ${usd(ev.requirement)} are checked separately)`,
    );
    try {
      await B.proveMargin(params);
      check(false, "Bob's unhealthy portfolio was proven healthy");
    } catch (e) {
      check(e instanceof UnhealthyError, `Bob's margin prover refuses (${(e as Error).message})`);
    }
    try {
      await liquidateByProof(p.accounts.connect(keyHolder), liquidationProver, ra, params);
      check(false, "a liquidation proof for healthy Alice");
    } catch (e) {
      check(e instanceof HealthyAccountError, `no liquidation proof exists for Alice (${(e as Error).message})`);
    }

    say("\n7. The key holder liquidates Bob by proof at once: no margin call, no grace period");
    const before = await p.ethers.provider.getBalance(keyHolder.address);
    const liq = await track(liquidateByProof(p.accounts.connect(keyHolder), liquidationProver, rb, params));
    const receipt = await p.ethers.provider.getTransactionReceipt(liq.txHash);
    const paid =
      BigInt(await p.ethers.provider.getBalance(keyHolder.address)) - BigInt(before) + BigInt(receipt!.gasUsed) * BigInt(receipt!.gasPrice);
    check(paid === 10n ** 16n, "the bond pays the key holder");
    check(Number((await p.accounts.accounts(B.address)).status) === 2, "Bob's account is frozen");
    check((await p.accounts.marginCallCount()) === 0n, "no margin call was needed");
    say(
      `   proof in ${(liq.proveMs / 1000).toFixed(1)} s, liquidateByProof ${gas(liq)}; detection to inclusion ${secs(detected)}; Bob frozen, 0.01 ETH bond to the key holder`,
    );
    say(
      `   the proof says only "this commitment is below maintenance at epoch ${params.epochId}": short ${-rb.portfolio.sizes[0]} BTC lots stay off-chain`,
    );

    say("\n8. The takeover: Bob's book moves into the backstop at mark, by proof (no position in any transaction or event)");
    const epochOf = async (id: bigint) => epochs.get(id)!;
    const frozen = await replayAccount(p.accounts, p.liquidation.secret, B.address, epochOf);
    const backstop = await replayAccount(p.accounts, p.liquidation.secret, vault.address, epochOf);
    const fundBefore = BigInt(await p.accounts.insuranceFund());
    t = performance.now();
    const taken = await track(takeoverByProof(p.accounts.connect(keyHolder), takeoverProver, frozen, backstop, params));
    const x = taken.result;
    check(Number((await p.accounts.accounts(B.address)).status) === 3, "Bob's account is Closed with his residual");
    check(BigInt(await p.accounts.insuranceFund()) === fundBefore + x.penalty, "the penalty went into the insurance fund");
    say(
      `   proof in ${(taken.proveMs / 1000).toFixed(1)} s, takeover ${gas(taken)}; liquidation by proof + takeover ${(liq.gasUsed + taken.gasUsed).toLocaleString("en-US")} gas in all`,
    );
    say(
      `   public: Bob's net loss at mark ${usd(x.settled)} (into the PnL pool), the penalty ${usd(x.penalty)} (1% of the book's notional, into the insurance fund), bad debt ${usd(x.badDebt)}`,
    );
    const synced = await B.sync();
    check(B.portfolio.collateral[0] === x.residualCash, "Bob's client adopts his residual from the TakenOver event");
    if (x.residualCash > 0n) await track(B.withdraw(0, x.residualCash, params));
    say(`   Bob's client ${synced} his residual ${usd(x.residualCash)} from the TakenOver event and withdrew it: nothing stays frozen`);
    const owed = unrealisedPnl(params, A.portfolio).reduce((a, b) => a + b, 0n);
    const claim = planRealize(params, A.portfolio, BigInt(await p.accounts.pnlPool()));
    check(claim.amount === owed, "the PnL pool covers Alice's whole profit");
    await track(A.realize(claim.market, claim.amount, params));
    const paidOut = await track(A.withdraw(0, claim.amount, params));
    say(`   Alice realises her profit ${usd(claim.amount)} from the pool Bob's loss filled and withdraws it (${gas(paidOut)})`);

    say("\n9. The fallback when the key holder is offline: a margin call with a grace period of fresh-oracle time");
    const call = await (await p.accounts.connect(publisher).marginCall()).wait();
    const grace = BigInt(await p.accounts.gracePeriod());
    const attested = await track(A.proveMargin(params));
    check(!(await p.accounts.pendingMarginCall(A.address)).pending, "Alice answered the call");
    say(
      `   margin call ${call.gasUsed.toLocaleString("en-US")} gas (${grace} fresh-oracle seconds to answer); Alice attests (${gas(attested)}; her withdrawal at this epoch already counted); a silent account would be liquidatable after them`,
    );
    const fund = BigInt(await p.accounts.insuranceFund());
    const fee = BigInt(await p.accounts.tradeFee());
    check(fund === 2n * fee + x.penalty, "the insurance fund holds both legs' fees and the penalty");
    say(
      `   insurance fund: ${usd(fund)} zUSD (flat fee ${usd(fee)} per trade leg, which reveals no market, size or price, plus the penalty)`,
    );
    // custody against what every holder can withdraw, per token: profit is paid only from the PnL
    // pool, which settled losses fill, so zUSD custody = balances + pool + insurance fund, exactly
    const books = await Promise.all([A, B, vault].map((tr) => replayAccount(p.accounts, p.liquidation.secret, tr.address, epochOf)));
    const [ra2, rb2, rv2] = books;
    const pnl = (pf: Portfolio) => unrealisedPnl(params, pf).reduce((a, b) => a + b, 0n);
    const pool = BigInt(await p.accounts.pnlPool());
    check(books.reduce((acc, r) => acc + pnl(r.portfolio), 0n) === pool, "the PnL pool holds the books' net unrealised PnL");
    check(books.reduce((acc, r) => acc + r.portfolio.sizes[0], 0n) === 0n, "positions sum to zero (Alice's long, the backstop's short)");
    for (let j = 0; j < M_ASSETS; j++) {
      const custody = BigInt(await p.tokens[j].balanceOf(await p.accounts.getAddress()));
      const held = books.reduce((acc, r) => acc + r.portfolio.collateral[j], 0n);
      const claims = j === 0 ? held + pool + fund : held;
      check(custody === claims, `token ${j}: custody equals claims`);
      if (j === 0)
        say(
          `   zUSD custody ${cents(custody)} = Alice ${cents(ra2.portfolio.collateral[0])} + Bob ${cents(rb2.portfolio.collateral[0])} + backstop ${cents(rv2.portfolio.collateral[0])} + PnL pool ${cents(pool)} + insurance ${cents(fund)}`,
        );
    }
    say(`   zETH, zBTC, zSOL: custody 0 = claims 0`);

    say("\n10. Privacy: scan every transaction's calldata and every event of the session");
    const hay = sent.map((x) => (x.calldata + x.logs.join("")).toLowerCase()).join("|");
    const word = (v: bigint) => (v < 0n ? (1n << 256n) + v : v).toString(16).padStart(64, "0");
    const secrets = [
      fill.size,
      -fill.size,
      fill.price,
      fill.size * fill.price,
      ...A.portfolio.costBasis,
      ...rb.portfolio.costBasis,
      ...rv2.portfolio.costBasis,
      ...rv2.portfolio.sizes,
    ].filter((v) => v !== 0n);
    const found = secrets.filter(
      (v) => hay.includes(word(v)) || ((v < 0n ? -v : v) >= 1n << 24n && hay.includes((v < 0n ? -v : v).toString(16))),
    );
    say(`   ${sent.length} transactions, ${(hay.length / 2 / 1024).toFixed(1)} KiB scanned; position values found: ${found.length}`);
    check(found.length === 0, "no position value on-chain");
    say(`\nDone in ${secs(started)}. README.md for the CLI; docs/PROTOCOL.md for the rules.`);
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The smallest zUSD deposit with which the seller of `fill` is healthy at the initial level. */
function minimalDeposit(params: Params, fill: { market: number; size: bigint; price: bigint }): bigint {
  const q = (amount: bigint): Portfolio => {
    const x = emptyPortfolio(N_MARKETS, M_ASSETS);
    x.collateral[0] = amount;
    x.sizes[fill.market] = -fill.size;
    x.costBasis[fill.market] = -fill.size * fill.price;
    x.entryFunding = params.markets.map((m) => m.fundingIndex);
    return x;
  };
  let lo = 0n;
  let hi = 10n ** 15n;
  while (hi - lo > E6) {
    const mid = (lo + hi) / 2n;
    if (evaluate(params, q(mid), "initial").healthy) hi = mid;
    else lo = mid;
  }
  return hi;
}

main()
  .catch((e) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  })
  .finally(releaseCurves);
