// npm run demo — the whole protocol on an embedded local chain (Hardhat EDR, in-process), with
// real proofs and real ERC-20 custody:
//   1. deploy the verifiers, the risk epoch registry, four test tokens and MarginAccounts
//   2. the publisher posts the example risk epoch (risk, funding, prices)
//   3. Alice and Bob open accounts (bond) and deposit collateral: proven transitions
//   4. they trade privately: one call settles both legs of a hidden fill
//   5. both prove maintenance margin for the latest epoch (proveMargin)
//   6. BTC rallies; the publisher posts the new epoch and calls margin: Alice attests, Bob
//      cannot (his prover refuses: no proof exists for an unhealthy portfolio)
//   7. after the grace period a keeper liquidates Bob: frozen, bond to the keeper
//   8. the liquidation key holder replays Bob's encrypted transition log and recovers his
//      portfolio without it ever appearing on-chain
//   9. every transaction and event of the session is scanned for position values
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
import { emptyPortfolio } from "../prover/transition/rule.ts";
import { replayTransition } from "../prover/transition/replay.ts";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { M_ASSETS, N_MARKETS } from "../prover/constants.ts";
import { postEpoch } from "./chain.ts";
import { startLocalProtocol } from "./local.ts";
import { Trader, settleTrade, type Sent } from "./accounts.ts";

const say = (s = "") => process.stdout.write(`${s}\n`);
const usd = (quoteUnits: bigint) => `$${(Number(quoteUnits) / 1e6).toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
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
  const track = async (x: Promise<Sent>) => {
    const s = await x;
    sent.push(s);
    return s;
  };
  say("zkmargin demo: private margin accounts on an embedded chain (real proofs, real ERC-20 custody)\n");

  say("1. Deploy");
  let t = performance.now();
  const p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n, bondWei: 10n ** 16n });
  const d = p.deployment;
  say(
    `   chain ${p.chainId}: ${Object.keys(d.contracts).length} contracts in ${secs(t)} — MarginAccounts ${d.contracts.MarginAccounts} ` +
      `(${Number(d.gas.MarginAccounts).toLocaleString("en-US")} gas), margin + transition Groth16 verifiers, RiskEpochRegistry, tokens zUSD/zETH/zBTC/zSOL`,
  );
  const signers = await p.ethers.getSigners();
  const [publisher, aliceSigner, bobSigner, keeper] = signers;
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
    say(`   proving artifacts loaded in ${secs(t)}`);
    const alice = await Trader.attach(aliceSigner, p.accounts, provers, join(dir, "alice.state"), "alice's passphrase");
    const bob = await Trader.attach(bobSigner, p.accounts, provers, join(dir, "bob.state"), "bob's passphrase");
    sent.push(alice.opened!, bob.opened!);
    say(`   open (0.01 ETH bond): ${gas(alice.opened!)}`);
    const A = alice.trader;
    const B = bob.trader;
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
    check(BigInt(await p.tokens[0].balanceOf(await p.accounts.getAddress())) === 250_000n * E6 + bobDeposit, "custody equals deposits");

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

    say("\n6. BTC rallies: the publisher posts a new epoch and calls margin (grace period 10 minutes)");
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
    const call = await (await p.accounts.connect(publisher).marginCall()).wait();
    say(
      `   BTC +${Number(bps) / 100}%: price post ${Number(pricePost.steps[0].gasUsed).toLocaleString("en-US")} gas, margin call ${call.gasUsed.toLocaleString("en-US")} gas`,
    );
    const s = await track(A.proveMargin(params));
    say(`   Alice attests (${gas(s)})`);
    const ev = evaluate(params, B.portfolio, "maintenance");
    try {
      await B.proveMargin(params);
      check(false, "Bob's unhealthy portfolio was proven");
    } catch (e) {
      check(e instanceof UnhealthyError, `Bob's prover refuses (${(e as Error).message})`);
      say(
        `   Bob's prover refuses: ${(e as UnhealthyError).violations.join(", ")} (equity ${usd(ev.equity)} vs requirement ${usd(ev.requirement)}) — no proof exists`,
      );
    }

    say("\n7. The grace period ends; a keeper liquidates Bob");
    await p.ethers.provider.send("evm_increaseTime", [601]);
    await p.ethers.provider.send("evm_mine", []);
    check(!(await p.accounts.isLiquidatable(A.address)), "Alice (attested) is not liquidatable");
    const before = await p.ethers.provider.getBalance(keeper.address);
    const liq = await (await p.accounts.connect(keeper).liquidate(B.address)).wait();
    const paid = BigInt(await p.ethers.provider.getBalance(keeper.address)) - BigInt(before) + BigInt(liq.gasUsed) * BigInt(liq.gasPrice);
    sent.push({
      txHash: liq.hash,
      gasUsed: liq.gasUsed,
      calldata: "",
      logs: liq.logs.map((l: { data: string; topics: string[] }) => l.data + l.topics.join("")),
    });
    check(paid === 10n ** 16n, "the bond pays the keeper");
    check(Number((await p.accounts.accounts(B.address)).status) === 2, "Bob's account is frozen");
    say(`   liquidate: ${liq.gasUsed.toLocaleString("en-US")} gas; Bob's account frozen, 0.01 ETH bond paid to the keeper`);

    say("\n8. The liquidation key holder (insurance) replays Bob's encrypted transition log");
    const logs = await p.accounts.queryFilter(p.accounts.filters.Transition(B.address));
    const epochs = new Map([
      [base.epochId, base],
      [params.epochId, params],
    ]);
    let state: Portfolio = emptyPortfolio(N_MARKETS, M_ASSETS);
    for (const l of logs) {
      state = replayTransition(p.liquidation.secret, state, {
        op: BigInt(l.args.op),
        ephemeralKey: BigInt(l.args.ephemeralKey),
        cipher: BigInt(l.args.cipher),
        newCommitment: BigInt(l.args.newCommitment),
        params: epochs.get(BigInt(l.args.epochId))!,
      });
    }
    check(commitment(state) === BigInt((await p.accounts.accounts(B.address)).commitment), "replay opens Bob's frozen commitment");
    say(
      `   ${logs.length} transitions decrypted; the recovered portfolio opens the frozen commitment: short ${-state.sizes[0]} BTC lots, ${usd(state.collateral[0])} zUSD`,
    );

    say("\n9. Privacy: scan every transaction's calldata and every event of the session");
    const hay = sent.map((x) => (x.calldata + x.logs.join("")).toLowerCase()).join("|");
    const word = (v: bigint) => (v < 0n ? (1n << 256n) + v : v).toString(16).padStart(64, "0");
    const secrets = [fill.size, -fill.size, fill.price, fill.size * fill.price, ...A.portfolio.costBasis, ...state.costBasis].filter(
      (v) => v !== 0n,
    );
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
