// npm run bench — proving benchmark of the shipped margin circuit (8 markets, 4 assets,
// 16 scenarios) against a reference circuit of 60 chained Poseidon(2) hashes proven in the same
// run. Prints constraints, witness ms, prove ms (p50 of RUNS, artifacts loaded once), verify ms,
// zkey size, peak RSS and the prove-time ratio, as a markdown table (and JSON in build/bench.json).
// Not a test: nothing here asserts a time.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, homedir, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { WitnessCalculatorBuilder } from "circom_runtime";
import { MarginProver, releaseCurves, verifyProof } from "../prover/prover.ts";
import { circuitArtifacts, REPO_ROOT } from "../prover/artifacts.ts";
import { validateParams, validatePortfolio } from "../prover/validate.ts";
import { BUILD_DIR, log, snarkLogger } from "./lib.ts";
import { deployRegistry, fundingArg, postEpoch, pricesArgs, riskParamsArg } from "../client/chain.ts";
import { startLocalChain, startLocalProtocol } from "../client/local.ts";
import { Trader, settleTrade } from "../client/accounts.ts";
import { liquidateByProof, replayAccount, takeoverByProof } from "../client/liquidator.ts";
import { LiquidationProver } from "../prover/liquidation.ts";
import { TakeoverProver } from "../prover/takeover.ts";
import { evaluate } from "../prover/model.ts";
import { minimalDeposit } from "../tools/fixtures.ts";
import { TransitionProver } from "../prover/transition/prover.ts";
import type { Params } from "../prover/types.ts";
import { solidityCalldata } from "../prover/prover.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
let liquidationProveMs = 0;
let takeoverProveMs = 0;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

async function referenceCircuit(): Promise<{ wasm: Uint8Array; zkey: Uint8Array; constraints: number }> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const dir = join(BUILD_DIR, "bench");
  mkdirSync(dir, { recursive: true });
  const r1cs = join(dir, "poseidon_chain.r1cs");
  const zkey = join(dir, "poseidon_chain.zkey");
  if (!existsSync(zkey)) {
    log("compiling the reference circuit (60 chained Poseidon(2))");
    execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, "node_modules/circom2/cli.js"),
        "scripts/bench/poseidon_chain.circom",
        "--r1cs",
        "--wasm",
        "--O2",
        "-l",
        "node_modules",
        "-o",
        "build/bench",
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] },
    );
    const ptau = join(process.env.ZKMARGIN_CACHE ?? join(homedir(), ".cache", "zkmargin"), "ptau", "pot14_final.ptau");
    if (!existsSync(ptau)) throw new Error(`${ptau} is missing: run 'npm run setup' once (it generates and caches it)`);
    log("groth16 setup of the reference circuit");
    await snarkjs.zKey.newZKey(r1cs, ptau, zkey, { ...snarkLogger, info: () => {} });
  }
  const info = (await snarkjs.r1cs.info(r1cs)) as { nConstraints: number };
  return {
    wasm: readFileSync(join(dir, "poseidon_chain_js", "poseidon_chain.wasm")),
    zkey: readFileSync(zkey),
    constraints: info.nConstraints,
  };
}

async function main(): Promise<void> {
  const ref = await referenceCircuit();
  const refCalc = await WitnessCalculatorBuilder(ref.wasm, {});
  const a = circuitArtifacts();
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "artifacts", "manifest.json"), "utf8"));
  const params = validateParams(JSON.parse(readFileSync(join(REPO_ROOT, "examples/params.json"), "utf8")));
  const portfolio = validatePortfolio(JSON.parse(readFileSync(join(REPO_ROOT, "examples/portfolio.json"), "utf8")));

  let t = performance.now();
  const prover = await MarginProver.load();
  const loadMs = performance.now() - t;

  // warm-up (curve, worker threads, wasm), then interleave the two circuits run by run
  await prover.prove(params, portfolio, "initial", 1n);
  await snarkjs.groth16.prove(ref.zkey, await refCalc.calculateWTNSBin({ in: ["1"] }, true));
  const witness: number[] = [];
  const prove: number[] = [];
  const verify: number[] = [];
  const refProve: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    witness.push(await time(() => prover.witness(params, portfolio, "initial", BigInt(i))));
    let proof;
    prove.push(await time(async () => (proof = await prover.prove(params, portfolio, "initial", BigInt(i)))));
    verify.push(await time(() => verifyProof(proof!, prover.vkey)));
    refProve.push(await time(async () => snarkjs.groth16.prove(ref.zkey, await refCalc.calculateWTNSBin({ in: [String(i)] }, true))));
    log(`run ${i + 1}/${RUNS}: prove ${prove[i].toFixed(0)} ms, reference ${refProve[i].toFixed(0)} ms`);
  }
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    circuit: "margin (N=8, M=4, S=16)",
    constraints: manifest.circuits.margin.constraints as number,
    artifactsLoadMs: Math.round(loadMs),
    witnessMsP50: Math.round(p50(witness)),
    proveMsP50: Math.round(p50(prove)),
    verifyMsP50: Math.round(p50(verify)),
    zkeyBytes: statSync(a.zkey).size,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    reference: { circuit: "60 x Poseidon(2) chain", constraints: ref.constraints, proveMsP50: Math.round(p50(refProve)) },
    ratio: Number((p50(prove) / p50(refProve)).toFixed(3)),
    runs: RUNS,
  };
  // gas on the in-process EVM (Hardhat EDR, solc optimizer 200 runs): receipts' gasUsed
  log("gas table (in-process EVM)");
  const chain = await startLocalChain();
  const [admin, publisher] = await chain.ethers.getSigners();
  const registry = (
    await chain.ethers.getContractAt(
      "RiskEpochRegistry",
      await deployRegistry(admin, { admin: admin.address, publisher: publisher.address, maxAge: 3600n }),
    )
  ).connect(publisher);
  const used = async (tx: Promise<any>) => BigInt((await (await tx).wait()).gasUsed);
  const cd = await solidityCalldata(await prover.prove(params, portfolio, "maintenance", 1n));
  const gas = {
    verifyGenerated: BigInt(await chain.verifier.verifyProof.estimateGas(cd.a, cd.b, cd.c, cd.publicSignals)),
    verifyWrapper: BigInt(await chain.wrapper.verify.estimateGas(cd.a, cd.b, cd.c, cd.publicSignals)),
    riskPost: await used(registry.postRisk(riskParamsArg(params))),
    fundingPost: await used(registry.postFunding(fundingArg(params))),
    pricePostFirstSlot: await used(registry.postPrices(...pricesArgs(params))),
    pricePostWarmSlot: 0n,
  };
  // epoch ids advance by one: fill the 256-slot ring, then the next post reuses a warm slot
  for (let i = 1n; i < 256n; i++) await (await registry.postPrices(...pricesArgs({ ...params, epochId: params.epochId + i }))).wait();
  gas.pricePostWarmSlot = await used(registry.postPrices(...pricesArgs({ ...params, epochId: params.epochId + 256n })));
  await chain.close();
  const protocol = await protocolGas(prover, params);
  Object.assign(gas, protocol.gas);
  const batches = await batchGas(prover, params, [8, 32, 128]);
  Object.assign(result, { gas: Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, Number(v)])), transition: protocol.transition });
  writeFileSync(join(BUILD_DIR, "bench.json"), `${JSON.stringify(result, null, 2)}\n`);
  const row = (k: string, v: string | number) => process.stdout.write(`| ${k} | ${v} |\n`);
  process.stdout.write(`\nzkmargin bench — ${result.date} — ${result.machine}\n\n| metric | value |\n|---|---|\n`);
  row("constraints (margin 8/4/16)", result.constraints);
  row("artifact load (ms, once)", result.artifactsLoadMs);
  row(`witness (ms, p50 of ${RUNS})`, result.witnessMsP50);
  row(`prove (ms, p50 of ${RUNS}, witness included)`, result.proveMsP50);
  row(`verify (ms, p50 of ${RUNS})`, result.verifyMsP50);
  row("zkey size (MiB)", (result.zkeyBytes / 2 ** 20).toFixed(2));
  row("peak RSS (MiB)", result.peakRssMiB);
  row(`reference prove (ms, p50; ${ref.constraints} constraints)`, result.reference.proveMsP50);
  row("ratio prove / reference", result.ratio);
  process.stdout.write("\n| gas (in-process EVM, receipts incl. 21,000 base) | gas |\n|---|---|\n");
  row("verify: generated verifier (estimate)", String(gas.verifyGenerated));
  row("verify: MarginProofVerifier wrapper (estimate)", String(gas.verifyWrapper));
  row("epoch: risk parameters post", String(gas.riskPost));
  row("epoch: funding post", String(gas.fundingPost));
  row("epoch: price post, first use of a ring slot", String(gas.pricePostFirstSlot));
  row("epoch: price post, warm ring slot", String(gas.pricePostWarmSlot));
  const g = gas as Record<string, bigint>;
  row("accounts: open (bond)", String(g.open));
  row("accounts: deposit (proof + ERC-20 pull)", String(g.deposit));
  row("accounts: withdraw (proof + ERC-20 push)", String(g.withdraw));
  row("accounts: trade, both legs in one call (first fee ever: insurance fund 0 -> non-zero)", String(g.tradeFirst));
  row("accounts: trade, both legs in one call (fee paid, steady state)", String(g.trade));
  row("accounts: trade, per leg (half of the call)", String(g.trade / 2n));
  row("accounts: reduce-only trade, per leg", String(g.tradeReduce / 2n));
  row("accounts: settle a loss into the PnL pool (proof + pool update)", String(g.settle));
  row("accounts: realise profit from the PnL pool (proof + pool update)", String(g.realize));
  row("accounts: proveMargin (maintenance, a new latest epoch)", String(g.proveMargin));
  row("accounts: margin call", String(g.marginCall));
  row("accounts: liquidation after a missed margin call (bond to keeper)", String(g.liquidate));
  row("accounts: liquidation by proof (bond to the key holder)", String(g.liquidateByProof));
  row("accounts: liquidation proof (ms, one run, witness included)", String(liquidationProveMs));
  row("accounts: takeover of the frozen book by the backstop (proof, pool, insurance fund)", String(g.takeover));
  row("accounts: liquidation by proof + takeover (target <= 400k)", String(g.liquidateByProof + g.takeover));
  row("accounts: takeover proof (ms, one run, witness included)", String(takeoverProveMs));
  row("accounts: close (bond refunded)", String(g.close));
  process.stdout.write(
    `\n| proveMarginBatch (a watchtower, one call; clearinghouse storage and events included) | gas | per account |\n|---|---|---|\n`,
  );
  for (const b of batches) process.stdout.write(`| n = ${b.n} | ${b.gas} | ${b.gas / BigInt(b.n)} |\n`);
  const tr = protocol.transition;
  process.stdout.write(`\n| transition circuit | value |\n|---|---|\n`);
  row("constraints (transition 8/4/16)", tr.constraints);
  row(`prove (ms, p50 of ${tr.runs}, witness included)`, tr.proveMsP50);
  row("zkey size (MiB)", (tr.zkeyBytes / 2 ** 20).toFixed(2));
}

/** Gas of every clearinghouse operation with real proofs, and the transition prove time. */
/**
 * proveMarginBatch in the clearinghouse: fresh accounts (opened, watchtower set) attest a new
 * epoch in one call per batch size; lastAttestedEpoch changes for every account (the costlier case).
 */
async function batchGas(margin: MarginProver, base: Params, sizes: number[]): Promise<{ n: number; gas: bigint }[]> {
  const p = await startLocalProtocol();
  try {
    const [admin, watch] = await p.ethers.getSigners();
    const { Wallet } = await import("ethers");
    const max = Math.max(...sizes);
    const bond = BigInt(await p.accounts.bond());
    const wallets = [];
    log(`batch bench: opening ${max} accounts`);
    for (let i = 0; i < max; i++) {
      const w = Wallet.createRandom().connect(p.ethers.provider);
      await (await admin.sendTransaction({ to: w.address, value: 10n ** 17n })).wait();
      await (await p.accounts.connect(w).open({ value: bond })).wait();
      await (await p.accounts.connect(w).setWatchtower(watch.address)).wait();
      wallets.push(w);
    }
    const { prepareBatch, sendBatch } = await import("../client/batch.ts");
    const { emptyPortfolio } = await import("../prover/transition/rule.ts");
    const out = [];
    let epochId = 1n;
    await postEpoch(p.registry.connect(admin), { ...base, epochId }, { pricesOnly: false });
    for (const n of sizes) {
      const params = { ...base, epochId: ++epochId };
      await postEpoch(p.registry.connect(admin), params, { pricesOnly: true });
      const items = wallets.slice(0, n).map((w) => ({ account: w.address, portfolio: emptyPortfolio(8, 4) }));
      log(`batch bench: ${n} margin proofs`);
      const call = await prepareBatch(p.accounts.connect(watch), margin, items, params);
      out.push({ n, gas: (await sendBatch(p.accounts.connect(watch), call)).gasUsed });
    }
    return out;
  } finally {
    await p.close();
  }
}

async function protocolGas(margin: MarginProver, base: Params) {
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-bench-"));
  const p = await startLocalProtocol({ gracePeriod: 60n });
  try {
    const signers = await p.ethers.getSigners();
    const params = { ...base, epochId: 1n };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    const provers = { margin, transition: await TransitionProver.load() };
    const traders = [];
    const gas: Record<string, bigint> = {};
    for (const i of [1, 2]) {
      await (await p.tokens[0].mint(signers[i].address, 10n ** 12n)).wait();
      const { trader, opened } = await Trader.attach(signers[i], p.accounts, provers, join(dir, `t${i}`), "bench");
      gas.open = opened!.gasUsed;
      traders.push(trader);
    }
    const [a, b] = traders;
    gas.deposit = (await a.deposit(0, 5n * 10n ** 11n, params)).gasUsed;
    await b.deposit(0, 5n * 10n ** 11n, params);
    const proveMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const { pending } = await a.prepare({ kind: "deposit", asset: 0, amount: 1n }, params);
      proveMs.push(performance.now() - t0);
      a.store.dropPending(pending);
    }
    const fill = { market: 0, size: 100n, price: params.markets[0].markPrice, salt: 7n };
    // the first fee ever turns the insurance fund from zero to non-zero (a one-time 20k SSTORE):
    // the steady state is the second trade
    gas.tradeFirst = (
      await settleTrade(await a.tradeLeg(fill, "buy", params, b.address), await b.tradeLeg(fill, "sell", params, a.address), params.epochId)
    ).gasUsed;
    const fill2 = { ...fill, salt: 8n };
    gas.trade = (
      await settleTrade(
        await a.tradeLeg(fill2, "buy", params, b.address),
        await b.tradeLeg(fill2, "sell", params, a.address),
        params.epochId,
      )
    ).gasUsed;
    // reduce-only: a sells back part of its long (maintenance level in-circuit; same gas)
    const fill3 = { ...fill, size: 50n, salt: 9n };
    gas.tradeReduce = (
      await settleTrade(
        await a.tradeLeg(fill3, "sell", params, b.address),
        await b.tradeLeg(fill3, "buy", params, a.address),
        params.epochId,
      )
    ).gasUsed;
    gas.withdraw = (await a.withdraw(0, 10n ** 9n, params)).gasUsed;
    gas.settle = (await b.settle(0, 1n, params)).gasUsed;
    gas.realize = (await b.realize(0, 1n, params)).gasUsed;
    // proveMargin for a new epoch (lastAttestedEpoch changes: the costlier case)
    await postEpoch(p.registry.connect(signers[0]), { ...params, epochId: 2n }, { pricesOnly: true });
    gas.proveMargin = (await a.proveMargin({ ...params, epochId: 2n })).gasUsed;
    await postEpoch(p.registry.connect(signers[0]), { ...params, epochId: 3n }, { pricesOnly: true });
    gas.marginCall = BigInt((await (await p.accounts.connect(signers[0]).marginCall()).wait()).gasUsed);
    await p.ethers.provider.send("evm_increaseTime", [61]);
    await p.ethers.provider.send("evm_mine", []);
    gas.liquidate = BigInt((await (await p.accounts.connect(signers[5]).liquidate(b.address)).wait()).gasUsed);
    // close: a flat account gets its bond back
    const { trader: c, opened: cOpened } = await Trader.attach(signers[3], p.accounts, provers, join(dir, "t3"), "bench");
    void cOpened;
    gas.close = (await c.close()).gasUsed;
    // the backstop (the deployer's account, signer 0) holds capital for takeovers
    const backstop = (await Trader.attach(signers[0], p.accounts, provers, join(dir, "t0"), "bench")).trader;
    await (await p.tokens[0].mint(signers[0].address, 10n ** 13n)).wait();
    // liquidation by proof: d goes long with little collateral; a crash takes it below maintenance
    const d = (await Trader.attach(signers[4], p.accounts, provers, join(dir, "t4"), "bench")).trader;
    await (await p.tokens[0].mint(signers[4].address, 10n ** 12n)).wait();
    const tradeFee = await p.accounts.tradeFee();
    let now = { ...params, epochId: 4n };
    await postEpoch(p.registry.connect(signers[0]), now, { pricesOnly: true });
    // just enough collateral for the initial level (+2%): a small drop takes it below maintenance
    const fill4 = { market: 0, size: 20n, price: now.markets[0].markPrice, salt: 10n };
    const lo = minimalDeposit(now, d.portfolio, fill4, "initial", tradeFee);
    await d.deposit(0, lo + lo / 50n, now);
    await backstop.deposit(0, 10n ** 13n, now);
    const e = (await Trader.attach(signers[6], p.accounts, provers, join(dir, "t6"), "bench")).trader;
    await (await p.tokens[0].mint(signers[6].address, 10n ** 12n)).wait();
    await e.deposit(0, 10n ** 11n, now);
    await settleTrade(await d.tradeLeg(fill4, "buy", now, e.address), await e.tradeLeg(fill4, "sell", now, d.address), now.epochId);
    let price = now.markets[0].markPrice;
    const crashed = (x: bigint) => {
      const q = structuredClone(now);
      q.markets[0].markPrice = x;
      return q;
    };
    while (evaluate(crashed(price), d.portfolio, "maintenance").healthy) price -= now.markets[0].markPrice / 200n;
    now = { ...crashed(price), epochId: 5n };
    await postEpoch(p.registry.connect(signers[0]), now, { pricesOnly: true });
    const epochs = new Map<bigint, Params>([
      [4n, { ...params, epochId: 4n }],
      [5n, now],
      [1n, params],
    ]);
    const r = await replayAccount(p.accounts, p.liquidation.secret, d.address, async (id) => epochs.get(id)!);
    const byProof = await liquidateByProof(p.accounts.connect(signers[5]), await LiquidationProver.load(), r, now);
    gas.liquidateByProof = byProof.gasUsed;
    liquidationProveMs = Math.round(byProof.proveMs);
    const epochOf = async (id: bigint) => epochs.get(id)!;
    const taken = await takeoverByProof(
      p.accounts.connect(signers[5]),
      await TakeoverProver.load(),
      await replayAccount(p.accounts, p.liquidation.secret, d.address, epochOf),
      await replayAccount(p.accounts, p.liquidation.secret, backstop.address, epochOf),
      now,
    );
    gas.takeover = taken.gasUsed;
    takeoverProveMs = Math.round(taken.proveMs);
    const a2 = circuitArtifacts("transition");
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "artifacts", "manifest.json"), "utf8"));
    return {
      gas,
      transition: {
        constraints: manifest.circuits.transition.constraints as number,
        proveMsP50: Math.round(p50(proveMs)),
        runs: proveMs.length,
        zkeyBytes: statSync(a2.zkey).size,
      },
    };
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .then(releaseCurves)
  .catch(async (e) => {
    process.stderr.write(`bench failed: ${(e as Error).message}\n`);
    await releaseCurves();
    process.exit(1);
  });
