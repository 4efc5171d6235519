// npm run load [-- --accounts N] (issue #12, item 5): a margin-call storm and a crash on a local
// `hardhat node` (JSON-RPC), served by the real services as a deployment runs them:
//   1. N accounts (default 1,000) hold exposure: pairs of a thin long (just above the initial
//      level) and a well-funded short, each with a deposit and one trade (transition proofs on the
//      prover pool); every account names the watchtower and hands it its state;
//   2. a margin call: `zkmargin watchtower serve` proves for all and attests them in batches;
//   3. a crash epoch (the mark drops until every thin long is below maintenance):
//      `zkmargin liquidator serve` replays every account and liquidates the thin longs by proof.
// Reports proofs per second per core, the time to full attestation, gas per account, the
// liquidator's detection-to-inclusion latency, and projects the storm to 10,000 and 100,000
// accounts on the chain profiles of risk/latency.ts. Writes build/load-report.json (read by
// `zkmargin risk latency --measured`). A script, never a timed test.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Contract, JsonRpcProvider, Wallet, type Signer } from "ethers";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { evaluate } from "../prover/model.ts";
import { liquidationKeyPair } from "../prover/transition/encryption.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import type { Fill } from "../prover/transition/op.ts";
import type { Params } from "../prover/types.ts";
import { Trader, settleTrade } from "../client/accounts.ts";
import { deployProtocol, postEpoch } from "../client/chain.ts";
import { contractAt } from "../client/contracts.ts";
import { StateStore } from "../client/state.ts";
import { ThreadPool, transitionProverOf } from "../client/services/pool.ts";
import { ServiceSigner } from "../client/services/sender.ts";
import { importClientState } from "../client/services/watchtower.ts";
import { CHAINS, DEFAULTS, capacity, latencyReport } from "../risk/latency.ts";
import { clone, example, minimalDeposit } from "../tools/fixtures.ts";
import { waitForNode } from "../test/helpers.ts";

const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "1000" },
    threads: { type: "string" },
    batch: { type: "string", default: "32" },
    out: { type: "string", default: join(REPO_ROOT, "build", "load-report.json") },
    keep: { type: "boolean" },
  },
});
const N = Number(values.accounts);
if (!Number.isInteger(N) || N < 2 || N % 2 !== 0) throw new Error("--accounts must be an even integer >= 2");
const THREADS = values.threads ? Number(values.threads) : availableParallelism();
const BATCH = Number(values.batch);
const E6 = 10n ** 6n;
const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const HARDHAT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "hardhat"));
const say = (s: string) => process.stderr.write(`load: ${new Date().toISOString().slice(11, 19)} ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Math.round(ms) / 1000;

const port = 30000 + Math.floor(Math.random() * 20000);
const rpc = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), "zkmargin-load-"));
const clients = join(dir, "clients");
mkdirSync(clients);
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });

async function main(): Promise<void> {
  say(`${N} accounts, ${THREADS} prover threads, batches of ${BATCH}; hardhat node on ${rpc}; files in ${dir}`);
  const node = spawn(process.execPath, [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: REPO_ROOT,
    stdio: "ignore",
  });
  children.push(node);
  await waitForNode(rpc, node);
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, pollingInterval: 50, batchMaxCount: 1 });
  const admin = await provider.getSigner(0);
  const watchtowerAddress = await (await provider.getSigner(9)).getAddress();
  const key = liquidationKeyPair();
  const keyFile = join(dir, "liquidation-key.json");
  writeFileSync(keyFile, JSON.stringify({ secret: String(key.secret), publicKey: key.publicKey.map(String) }));
  const deployment = await deployProtocol(admin, {
    maxAge: 86_400n,
    accounts: { bondWei: 10n ** 15n, gracePeriod: 600n, liquidationKey: key.publicKey, tradeFee: 500_000n },
  });
  const deploymentFile = join(dir, "deployment.json");
  writeFileSync(deploymentFile, JSON.stringify({ ...deployment, rpc }));
  const accounts = await contractAt("MarginAccounts", deployment.contracts.MarginAccounts, admin);
  const registry = await contractAt("RiskEpochRegistry", deployment.contracts.RiskEpochRegistry, admin);
  const token = new Contract(deployment.accounts!.tokens[0], ["function mint(address,uint256)"], admin);
  let params: Params = { ...example().params, epochId: 1n };
  await postEpoch(registry, params, { pricesOnly: false });

  // ------------------------------------------------------------------ 1. N accounts with exposure
  const pool = new ThreadPool(THREADS);
  const provers = { margin: undefined as never, transition: transitionProverOf(pool) as never };
  const fee = 500_000n;
  const fillBase: Fill = { market: 0, size: 200n, price: params.markets[0].markPrice, salt: 0n };
  const thin = minimalDeposit(params, emptyPortfolio(params.markets.length, params.collateral.length), fillBase, "initial", fee);
  const wallets: Wallet[] = Array.from({ length: N }, () => Wallet.createRandom().connect(provider) as unknown as Wallet);
  // each wallet sends through a ServiceSigner: its own nonce counter (no "pending" count races)
  const signers = wallets.map((w) => new ServiceSigner(w));
  // gas money and collateral, from the node's accounts (automine: one block each)
  const funders = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => provider.getSigner(i)));
  await Promise.all(
    funders.map(async (f, k) => {
      for (let i = k; i < N; i += funders.length) await (await f.sendTransaction({ to: wallets[i].address, value: 10n ** 17n })).wait();
    }),
  );
  for (let i = 0; i < N; i++) await (await token.mint(wallets[i].address, 10_000_000n * E6)).wait();
  say(`funded ${N} wallets; setting up ${N / 2} pairs (deposit + trade, transition proofs on the pool)`);
  const setupStart = performance.now();
  let done = 0;
  const pairs = Array.from({ length: N / 2 }, (_, k) => k);
  const setupPair = async (k: number) => {
    const [long, short] = await Promise.all(
      [2 * k, 2 * k + 1].map(
        async (i) => (await Trader.attach(signers[i], accounts, provers, join(dir, `a${i}.state`), `pass-${i}`)).trader,
      ),
    );
    await Promise.all([long.deposit(0, thin + thin / 100n, params), short.deposit(0, 1_000_000n * E6, params)]);
    const fill: Fill = { ...fillBase, salt: 1_000_000n + BigInt(k) };
    const [buy, sell] = await Promise.all([
      long.tradeLeg(fill, "buy", params, short.address),
      short.tradeLeg(fill, "sell", params, long.address),
    ]);
    await settleTrade(buy, sell, params.epochId);
    for (const [t, i] of [
      [long, 2 * k],
      [short, 2 * k + 1],
    ] as const) {
      await (await (accounts.connect(t.signer) as Contract).setWatchtower(watchtowerAddress)).wait();
      importClientState(join(dir, `a${i}.state`), `pass-${i}`, clients, "load-watchtower");
    }
    done += 2;
    if (done % 20 === 0 || done === N) say(`  ${done}/${N} accounts ready (${secs(performance.now() - setupStart)} s)`);
  };
  // enough pairs in flight to keep every prover thread busy
  const queue = [...pairs];
  await Promise.all(
    Array.from({ length: Math.max(2, THREADS * 2) }, async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) await setupPair(k);
    }),
  );
  const setupMs = performance.now() - setupStart;
  const transitionProofs = 2 * N;
  await pool.close();
  say(`setup: ${N} accounts in ${secs(setupMs)} s (${transitionProofs} transition proofs)`);

  // ------------------------------------------------------------------ 2. margin call, the watchtower
  // a new epoch (the mark 1% up: every account stays healthy) that nobody has attested yet (the
  // trades attested epoch 1), then the call
  params = clone(params);
  params.epochId += 1n;
  params.markets[0].markPrice += params.markets[0].markPrice / 100n;
  await postEpoch(registry, params, { pricesOnly: true });
  const statusOf = async (p: number) => (await (await fetch(`http://127.0.0.1:${p}/status`)).json()) as any;
  const wtPort = port + 1;
  const common = ["--deployment", deploymentFile, "--confirmations", "0", "--poll-ms", "250", "--threads", String(THREADS)];
  const wt = spawn(
    process.execPath,
    [
      BIN,
      "watchtower",
      "serve",
      ...common,
      "--clients",
      clients,
      "--account-index",
      "9",
      "--port",
      String(wtPort),
      "--batch",
      String(BATCH),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ZKMARGIN_WATCHTOWER_PASSPHRASE: "load-watchtower" } },
  );
  children.push(wt);
  wt.stderr!.on("data", (d) => process.stderr.write(`  [watchtower] ${String(d).replace(/\n(?=.)/g, "\n  [watchtower] ")}`));
  for (;;) {
    try {
      const s = await statusOf(wtPort);
      if (s.clients === N && s.lastRound?.endedAt) break;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  say("watchtower up with every client; margin call");
  const callStart = performance.now();
  const callRc = await (await accounts.marginCall()).wait();
  const callBlock = callRc!.blockNumber;
  const attestedBy = new Map<string, string>();
  const attestDeadline = Date.now() + Math.max(600_000, N * 20_000);
  while (attestedBy.size < N) {
    if (Date.now() > attestDeadline || wt.exitCode !== null)
      throw new Error(`the watchtower attested ${attestedBy.size} of ${N} (see its log above)`);
    for (const e of (await accounts.queryFilter(accounts.filters.MarginAttested(), callBlock)) as any[])
      attestedBy.set(e.args.account, e.transactionHash);
    await sleep(200);
  }
  const attestMs = performance.now() - callStart;
  const batchTxs = [...new Set(attestedBy.values())];
  const receipts = await Promise.all(batchTxs.map((h) => provider.getTransactionReceipt(h)));
  const batchGas = receipts.reduce((s, r) => s + r!.gasUsed, 0n);
  const wtStatus = await statusOf(wtPort);
  wt.kill("SIGTERM");
  await new Promise((r) => wt.once("exit", r));
  say(`attested ${N} in ${secs(attestMs)} s: ${batchTxs.length} batches, ${batchGas / BigInt(N)} gas per account`);

  // ------------------------------------------------------------------ 3. a crash, the liquidator
  const lqPort = port + 2;
  const lq = spawn(
    process.execPath,
    [BIN, "liquidator", "serve", ...common, "--liquidation-key", keyFile, "--account-index", "8", "--port", String(lqPort)],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  children.push(lq);
  lq.stderr!.on("data", (d) => {
    const s = String(d);
    if (!/proving that|sending liquidateByProof|sent liquidateByProof/.test(s))
      process.stderr.write(`  [liquidator] ${s.replace(/\n(?=.)/g, "\n  [liquidator] ")}`);
  });
  const replayStart = performance.now();
  for (;;) {
    try {
      const s = await statusOf(lqPort);
      if (s.accounts === N) break;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  const replayMs = performance.now() - replayStart;
  say(`liquidator replayed ${N} accounts in ${secs(replayMs)} s; crash`);
  const longPortfolio = StateStore.open(join(dir, "a0.state"), "pass-0").state.current.portfolio;
  let price = params.markets[0].markPrice;
  const withMark = (x: bigint) => {
    const y = clone(params);
    y.markets[0].markPrice = x;
    return y;
  };
  while (evaluate(withMark(price), longPortfolio, "maintenance").healthy) price -= params.markets[0].markPrice / 200n;
  const crash = withMark(price);
  crash.epochId = params.epochId + 1n;
  const crashStart = performance.now();
  await postEpoch(registry, crash, { pricesOnly: true });
  params = crash;
  const expected = N / 2;
  let lqStatus: any;
  for (;;) {
    lqStatus = await statusOf(lqPort);
    if (lqStatus.liquidated >= expected) break;
    if (performance.now() - crashStart > Math.max(600_000, expected * 30_000) || lq.exitCode !== null)
      throw new Error(`the liquidator liquidated ${lqStatus.liquidated} of ${expected} (see its log above)`);
    await sleep(200);
  }
  const liquidateMs = performance.now() - crashStart;
  await sleep(1000);
  lqStatus = await statusOf(lqPort);
  const lqReceipts = await Promise.all((lqStatus.recent as { tx: string }[]).map((l) => provider.getTransactionReceipt(l.tx)));
  const gasPerLiquidation = Number(lqReceipts.reduce((s, r) => s + r!.gasUsed, 0n)) / Math.max(1, lqReceipts.length);
  let frozen = 0;
  let active = 0;
  for (let i = 0; i < N; i++) {
    const s = Number((await accounts.accounts(wallets[i].address)).status);
    if (s === 2) frozen++;
    if (s === 1) active++;
  }
  lq.kill("SIGTERM");
  await new Promise((r) => lq.once("exit", r));
  say(`liquidated ${lqStatus.liquidated} (${frozen} frozen, ${active} active) in ${secs(liquidateMs)} s`);

  // ------------------------------------------------------------------ report
  const proofsPerSecond = N / (attestMs / 1000);
  const perCore = proofsPerSecond / THREADS;
  const gasPerAccount = Number(batchGas) / N;
  const proveSecondsLiquidation =
    (lqStatus.recent as { proveMs: number }[]).reduce((s, l) => s + l.proveMs, 0) / 1000 / Math.max(1, lqStatus.recent.length);
  const project = (accountsN: number) =>
    Object.fromEntries(
      (["ethereum-l1", "l2"] as const).map((name) => {
        const o = {
          ...DEFAULTS,
          chain: CHAINS[name],
          accounts: accountsN,
          liquidations: accountsN,
          gasPerAttestation: Math.ceil(gasPerAccount),
          gasPerLiquidation: Math.ceil(gasPerLiquidation),
        };
        const c = capacity(o);
        const proveSecondsAll = accountsN / proofsPerSecond;
        const coresForGrace = Math.ceil(accountsN / (perCore * DEFAULTS.graceSeconds));
        const l = latencyReport({ ...o, samples: 20_000, proveSeconds: Math.max(1, Math.ceil(proveSecondsLiquidation)) });
        return [
          name,
          {
            share: DEFAULTS.share,
            graceSeconds: DEFAULTS.graceSeconds,
            attestationsPerBlock: c.attestationsPerBlock,
            inclusionSeconds: c.attestSeconds,
            capacityAccounts: c.capacityAccounts,
            fitsGrace: !c.overflow,
            proveSecondsOnThisMachine: Math.round(proveSecondsAll),
            coresToProveWithinGrace: coresForGrace,
            liquidationLatencyByProofP99Seconds: l.byProof.p99Seconds,
          },
        ];
      }),
    );
  const report = {
    schema: "zkmargin/load-report/v1",
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadavg: (await import("node:os")).loadavg(),
    },
    accounts: N,
    threads: THREADS,
    batchSize: BATCH,
    setup: { seconds: secs(setupMs), transitionProofs, transitionProofsPerSecondPerCore: transitionProofs / (setupMs / 1000) / THREADS },
    attestation: {
      timeToFullAttestationSeconds: secs(attestMs),
      proofsPerSecond,
      proofsPerSecondPerCore: perCore,
      batches: batchTxs.length,
      gasPerAccount: Math.round(gasPerAccount),
      gasTotal: String(batchGas),
      watchtower: { totals: wtStatus.totals, feeBumps: wtStatus.feeBumps },
    },
    liquidation: {
      replaySeconds: secs(replayMs),
      expected,
      liquidated: lqStatus.liquidated,
      frozen,
      activeAfter: active,
      crashToLastInclusionSeconds: secs(liquidateMs),
      detectionToInclusionMs: lqStatus.detectionToInclusion,
      proveSecondsMean: proveSecondsLiquidation,
      gasPerLiquidation: Math.round(gasPerLiquidation),
    },
    /** the inputs of `zkmargin risk latency --measured` */
    measured: {
      gasPerAttestation: Math.ceil(gasPerAccount),
      gasPerLiquidation: Math.ceil(gasPerLiquidation),
      proveSeconds: Math.max(1, Math.ceil(proveSecondsLiquidation)),
      proofsPerSecondPerCore: perCore,
    },
    projection: { "10000": project(10_000), "100000": project(100_000) },
  };
  mkdirSync(join(values.out!, ".."), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  provider.destroy();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  say(`report written to ${values.out}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`load: failed: ${(e as Error).stack ?? e}\n`);
    process.exit(3);
  },
);
