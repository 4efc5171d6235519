// The services of issue #12 with real proofs on Hardhat EDR: the watchtower attests its margin-
// called clients in one batch and a restart mid-run loses nothing (proofs come back from the
// journal); its status endpoint serves JSON and Prometheus metrics; the liquidator replays every
// account from the encrypted logs and liquidates the one a crash took below maintenance, leaving
// the healthy one; the prover pool over a real local redis-server (BullMQ) proves, and refuses a
// job sealed with another key. The Redis test is skipped when redis-server is not installed.
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate } from "../../prover/model.ts";
import { verifyProof } from "../../prover/prover.ts";
import type { Fill } from "../../prover/transition/op.ts";
import type { Params } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { LiquidatorService } from "../../client/services/keyholder.ts";
import { RedisPool, ThreadPool, proveMargin, runRedisWorker, type ProverPool } from "../../client/services/pool.ts";
import { ServiceSigner, receiptOf } from "../../client/services/sender.ts";
import { Watchtower, importClientState } from "../../client/services/watchtower.ts";
import { clone, example, minimalDeposit } from "../../tools/fixtures.ts";
import { prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const until = async (what: string, f: () => Promise<boolean>, ms = 120_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe("services: watchtower, liquidator, prover pool (issue #12)", function () {
  this.timeout(600_000);
  let p: LocalProtocol;
  let params: Params;
  let epoch = 1200n;
  let signers: any[];
  let alice: Trader;
  let bob: Trader;
  let pool: ThreadPool;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-services-"));
  const clients = join(dir, "clients");
  const WT_PASS = "watchtower-pass";
  const fill: Fill = { market: 0, size: 200n, price: 0n, salt: 4242n };

  const post = async (mutate: (x: Params) => void = () => {}) => {
    const x = clone(params);
    x.epochId = ++epoch;
    mutate(x);
    await postEpoch(p.registry.connect(signers[0]), x, { pricesOnly: true });
    params = x;
  };
  const wt = (journal: string, pool_: ProverPool, batchSize = 8) => {
    const signer = new ServiceSigner(signers[9]);
    return new Watchtower({
      accounts: p.accounts.connect(signer) as any,
      registry: p.registry,
      signer,
      pool: pool_,
      clientsDir: clients,
      passphrase: WT_PASS,
      journalPath: journal,
      batchSize,
      confirmations: 0,
      pollMs: 100,
    });
  };
  const pending = async (t: Trader) => (await p.accounts.pendingMarginCall(t.address)).pending as boolean;

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: epoch };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    pool = new ThreadPool(2);
    const provers = { margin: await prover(), transition: await transitionProver() };
    const attach = async (i: number, name: string) =>
      (await Trader.attach(signers[i], p.accounts, provers, join(dir, `${name}.state`), `pass-${name}`)).trader;
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    for (const t of [alice, bob]) await (await p.tokens[0].mint(t.address, 10_000_000n * E6)).wait();
    fill.price = params.markets[0].markPrice;
    const fee = BigInt(await p.accounts.tradeFee());
    // alice long just above the initial level (a crash within the 25% bound takes her below
    // maintenance), bob short and well funded
    const a = minimalDeposit(params, alice.portfolio, fill, "initial", fee);
    await alice.deposit(0, a + a / 100n, params);
    await bob.deposit(0, 1_000_000n * E6, params);
    await settleTrade(
      await alice.tradeLeg(fill, "buy", params, bob.address),
      await bob.tradeLeg(fill, "sell", params, alice.address),
      epoch,
    );
    mkdirSync(clients);
    for (const [t, name] of [
      [alice, "alice"],
      [bob, "bob"],
    ] as const) {
      await (await p.accounts.connect(t.signer).setWatchtower(signers[9].address)).wait();
      importClientState(join(dir, `${name}.state`), `pass-${name}`, clients, WT_PASS);
    }
  });
  after(async () => {
    await pool?.close();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the watchtower attests its margin-called clients in one batch; /status, /healthz and /metrics", async () => {
    const w = wt(join(dir, "w1.journal"), pool);
    const port = (await w.start(0))!;
    try {
      await post();
      await (await p.accounts.connect(signers[0]).marginCall()).wait();
      await until("both attested", async () => !(await pending(alice)) && !(await pending(bob)));
      const events = await p.accounts.queryFilter(p.accounts.filters.MarginAttested());
      const last = events.slice(-2) as any[];
      expect(last.map((e) => BigInt(e.args.epochId))).to.deep.equal([params.epochId, params.epochId]);
      expect(last[0].transactionHash).to.equal(last[1].transactionHash); // one proveMarginBatch
      await w.idle();
      const status = await (await fetch(`http://127.0.0.1:${port}/status`)).json();
      expect(status.service).to.equal("watchtower");
      expect(status.clients).to.equal(2);
      expect(status.totals.attestations).to.equal(2);
      expect(status.totals.batches).to.equal(1);
      expect(status.freshEpoch).to.equal(String(params.epochId));
      expect(status.healthy).to.equal(true);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).to.match(/zkmargin_watchtower_attestations_total\{service="watchtower"\} 2/);
      expect(metrics).to.match(/zkmargin_watchtower_batches_total\{result="ok",service="watchtower"\} 1/);
      expect(metrics).to.match(/zkmargin_pool_workers\{service="watchtower"\} 2/);
      expect(metrics).to.match(/zkmargin_watchtower_time_to_attest_seconds_count\{service="watchtower"\} 2/);
    } finally {
      await w.stop();
    }
  });

  it("a restart mid-run loses nothing: the journal's proofs are used, the rest proven again", async () => {
    // the first watchtower crashes after one proof of two (batch size 2: nothing was sent)
    let made = 0;
    const hanging: ProverPool = {
      kind: "threads",
      size: () => 1,
      stats: () => pool.stats(),
      close: async () => {},
      run: (job) => (made++ === 0 ? pool.run(job) : new Promise(() => {})),
    };
    const journal = join(dir, "w2.journal");
    const w1 = wt(journal, hanging, 2);
    await post();
    await (await p.accounts.connect(signers[0]).marginCall()).wait();
    await w1.start();
    await until("one proof journaled", async () => w1.journal.values().some((j) => (j as { state?: string }).state === "proved"));
    await w1.abort();
    expect((await pending(alice)) && (await pending(bob))).to.equal(true);
    // the second counts its proofs: one (the other comes from the journal)
    let proofs = 0;
    const counting: ProverPool = {
      ...pool,
      kind: "threads",
      size: () => 2,
      stats: () => pool.stats(),
      close: async () => {},
      run: (j) => (proofs++, pool.run(j)),
    };
    const w2 = wt(journal, counting, 2);
    await w2.start();
    try {
      await until("both attested after the restart", async () => !(await pending(alice)) && !(await pending(bob)));
      expect(proofs).to.equal(1);
    } finally {
      await w2.stop();
    }
  });

  it("the liquidator replays every account, liquidates the one a crash took below maintenance and hands its book to the backstop", async () => {
    // the backstop (the deployer's account) opens and holds capital for takeovers
    const provers = { margin: await prover(), transition: await transitionProver() };
    const vault = (await Trader.attach(signers[0], p.accounts, provers, join(dir, "backstop.state"), "pass-backstop")).trader;
    await (await p.tokens[0].mint(vault.address, 2_000_000n * E6)).wait();
    await vault.deposit(0, 2_000_000n * E6, params);
    const r0 = alice.portfolio;
    let price = params.markets[0].markPrice;
    const withMark = (x: bigint) => {
      const y = clone(params);
      y.markets[0].markPrice = x;
      return y;
    };
    while (evaluate(withMark(price), r0, "maintenance").healthy) price -= params.markets[0].markPrice / 200n;
    const signer = new ServiceSigner(signers[8]);
    const svc = new LiquidatorService({
      accounts: p.accounts.connect(signer) as any,
      registry: p.registry,
      signer,
      pool,
      secret: p.liquidation.secret,
      confirmations: 0,
      pollMs: 100,
    });
    const port = (await svc.start(0))!;
    try {
      await until("all three replayed", async () => svc.replayed.size === 3);
      expect(svc.liquidations.length).to.equal(0);
      await post((x) => (x.markets[0].markPrice = price));
      // liquidated by proof, then taken over by the backstop without anyone asking: Closed
      await until("alice taken over", async () => Number((await p.accounts.accounts(alice.address)).status) === 3);
      await svc.idle();
      expect(Number((await p.accounts.accounts(bob.address)).status)).to.equal(1);
      expect(svc.liquidations.map((l) => l.account)).to.deep.equal([alice.address]);
      expect(svc.takeovers.map((t) => t.account)).to.deep.equal([alice.address]);
      expect(BigInt(svc.takeovers[0].settled)).to.be.greaterThan(0n);
      // alice's client adopts her residual from the TakenOver event
      expect(await alice.sync()).to.equal("replayed");
      const status = await (await fetch(`http://127.0.0.1:${port}/status`)).json();
      expect(status.liquidated).to.equal(1);
      expect(status.takenOver).to.equal(1);
      expect(status.backstopOpen).to.equal(true);
      expect(status.detectionToInclusion.count).to.equal(1);
      expect(status.accounts).to.equal(3);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).to.match(/zkmargin_liquidator_detection_to_inclusion_seconds_count\{service="liquidator"\} 1/);
    } finally {
      await svc.stop();
    }
  });

  it("a transaction not mined in time is sent again with the same nonce and higher fees; its receipt counts", async () => {
    const bumps: string[] = [];
    const signer = new ServiceSigner(signers[2], { bumpAfterMs: 500, bumpPercent: 20, maxBumps: 2, log: (s) => bumps.push(s) });
    await p.ethers.provider.send("evm_setAutomine", [false]);
    try {
      const tx = await (p.accounts.connect(signer) as any).setWatchtower(signers[6].address);
      await until("a fee bump", async () => signer.bumps >= 1, 20_000);
      await p.ethers.provider.send("evm_mine", []);
      const r = await receiptOf(tx, signer);
      expect(r.status).to.equal(1);
      expect(r.hash).to.not.equal(tx.hash); // the repriced copy was mined
      expect(bumps[0]).to.match(/fees raised 20%/);
      expect(await p.accounts.watchtower(bob.address)).to.equal(signers[6].address); // bob's (signers[2])
    } finally {
      await p.ethers.provider.send("evm_setAutomine", [true]);
      signer.stop();
    }
  });

  describe("the prover pool over Redis (BullMQ, a real local redis-server)", () => {
    let redis: ChildProcess | undefined;
    let url = "";
    before(async function () {
      if (spawnSync("redis-server", ["--version"]).status !== 0) return this.skip();
      const port = await freePort();
      redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: "ignore",
      });
      url = `redis://127.0.0.1:${port}`;
      const { Redis } = await import("ioredis");
      await until(
        "redis-server",
        async () => {
          const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          try {
            await c.connect();
            return (await c.ping()) === "PONG";
          } catch {
            return false;
          } finally {
            c.disconnect();
          }
        },
        20_000,
      );
    });
    after(() => {
      redis?.kill();
    });

    it("a remote worker proves a job of the queue; a job sealed with another key is refused", async () => {
      const secret = "a-shared-queue-secret-0123456789";
      const worker = await runRedisWorker(url, { secret, pool });
      const q = await RedisPool.open(url, { secret });
      try {
        const ex = example();
        const proof = await proveMargin(q, ex.params, ex.portfolio, 77n);
        expect(proof.publicSignals[3]).to.equal("77");
        expect(await verifyProof(proof)).to.equal(true);
        expect(q.stats().done).to.equal(1);
        // a poisoned queue: a job sealed under another key
        const evil = await RedisPool.open(url, { secret: "not-the-shared-queue-secret-9876" });
        try {
          let error: Error | undefined;
          await proveMargin(evil, ex.params, ex.portfolio, 78n).catch((e) => (error = e));
          expect(error?.name).to.equal("QueuePoisoned");
        } finally {
          await evil.close();
        }
        expect(worker.processed()).to.equal(1);
      } finally {
        await q.close();
        await worker.close();
      }
    });
  });
});
