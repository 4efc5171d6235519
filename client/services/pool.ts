// The prover pool of the services (issue #12, item 4): proofs are made by a pool of workers, on
// worker threads of this process by default (one per core, nothing to install), or through a
// Redis-backed BullMQ queue when a Redis URL is given, so that `zkmargin worker --redis URL` on
// other machines shares the load. Both have one interface; the services never know which.
//
// Over Redis, jobs and results are sealed with ZKMARGIN_QUEUE_KEY (codec.ts) and every proof that
// comes back is verified against the statement the service asked for before it is used: a worker
// or a queue that is wrong, compromised or poisoned costs time, never a bad batch or a leaked
// portfolio.
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker as ThreadWorker } from "node:worker_threads";
import { commitment, paramsHash } from "../../prover/encoding.ts";
import type { MarginProof } from "../../prover/prover.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import type { TransitionRequest } from "../../prover/transition/inputs.ts";
import type { ProvenTransition } from "../../prover/transition/prover.ts";
import { decode, encode, queueKey, seal, unseal } from "./codec.ts";
import { executeJob, jobError, type JobError, type JobResult, type ProofJob } from "./jobs.ts";

export interface PoolStats {
  kind: "threads" | "redis";
  /** worker threads, or the BullMQ workers seen on the queue at the last refresh */
  workers: number;
  /** jobs handed to the pool and not yet answered */
  inFlight: number;
  done: number;
  failed: number;
  /** proving time of answered jobs, seconds (the pool's view: queueing included) */
  busySeconds: number;
}

export interface ProverPool {
  readonly kind: "threads" | "redis";
  /** how many proofs it makes at once (threads), or the queue's worker count at the last refresh (redis) */
  size(): number;
  run(job: ProofJob): Promise<JobResult>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/** Maintenance margin proof for the watchtower (the MarginProver's statement). */
export const proveMargin = (pool: ProverPool, params: Params, portfolio: Portfolio, binding: bigint) =>
  pool.run({ kind: "margin", params, portfolio, binding }) as Promise<MarginProof>;

/** What client/liquidator.ts liquidateByProof needs (LiquidationProverLike), backed by the pool. */
export const liquidationProverOf = (pool: ProverPool) => ({
  prove: (params: Params, portfolio: Portfolio, binding: bigint) =>
    pool.run({ kind: "liquidation", params, portfolio, binding }) as Promise<MarginProof>,
});

/** A TransitionProver look-alike backed by the pool (the load test sets up its accounts with it). */
export const transitionProverOf = (pool: ProverPool) => ({
  prove: (request: TransitionRequest) => pool.run({ kind: "transition", request }) as Promise<ProvenTransition>,
});

// ------------------------------------------------------------------ worker threads

const here = import.meta.url;
const workerUrl = new URL(here.endsWith(".ts") ? "./thread-worker.ts" : "./thread-worker.js", here);

interface Waiting {
  id: number;
  job: string;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
  started: number;
}

/** N worker threads, each with its own single-threaded BN254 engine and provers; FIFO queue. */
export class ThreadPool implements ProverPool {
  readonly kind = "threads" as const;
  private readonly threads: { worker: ThreadWorker; job?: Waiting }[] = [];
  private readonly queue: Waiting[] = [];
  private nextId = 1;
  private closed = false;
  private counters = { done: 0, failed: 0, busySeconds: 0 };

  readonly threadCount: number;

  constructor(threadCount = availableParallelism()) {
    this.threadCount = threadCount;
    if (!Number.isInteger(threadCount) || threadCount < 1) throw new Error(`a pool needs at least one worker (got ${threadCount})`);
    for (let i = 0; i < threadCount; i++) this.spawn(i);
  }

  size(): number {
    return this.threadCount;
  }

  private spawn(i: number): void {
    // snarkjs' web-worker shim, loaded in any thread but the main one, takes itself for one of its
    // own workers and runs workerData.mod: give it an empty script (our engine is single-threaded)
    const worker = new ThreadWorker(workerUrl, { workerData: { mod: "data:,", name: `zkmargin-prover-${i}` } });
    worker.unref();
    const slot = { worker, job: undefined as Waiting | undefined };
    this.threads[i] = slot;
    worker.on("message", (m: { id: number; ok: boolean; result?: string; error?: JobError }) => {
      const w = slot.job;
      if (!w || w.id !== m.id) return;
      slot.job = undefined;
      this.counters.busySeconds += (performance.now() - w.started) / 1000;
      if (m.ok) {
        this.counters.done++;
        w.resolve(decode<JobResult>(m.result!));
      } else {
        this.counters.failed++;
        w.reject(jobError(m.error!));
      }
      this.pump();
    });
    // a thread that dies (out of memory, a crash in wasm) fails its job and is replaced
    const died = (why: string) => {
      if (this.threads[i] !== slot) return;
      const w = slot.job;
      slot.job = undefined;
      if (w) {
        this.counters.failed++;
        w.reject(new Error(`prover worker thread ${i} died: ${why}`));
      }
      if (!this.closed) {
        this.spawn(i);
        this.pump();
      }
    };
    worker.on("error", (e) => died(e.message));
    worker.on("exit", (code) => died(`exit ${code}`));
  }

  private pump(): void {
    for (const slot of this.threads) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      const w = this.queue.shift()!;
      w.started = performance.now();
      slot.job = w;
      slot.worker.ref();
      slot.worker.postMessage({ id: w.id, job: w.job });
    }
    // idle threads must not keep the process alive
    for (const slot of this.threads) if (!slot.job) slot.worker.unref();
  }

  run(job: ProofJob): Promise<JobResult> {
    if (this.closed) return Promise.reject(new Error("the prover pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job: encode(job), resolve, reject, started: 0 });
      this.pump();
    });
  }

  stats(): PoolStats {
    return {
      kind: "threads",
      workers: this.threadCount,
      inFlight: this.queue.length + this.threads.filter((t) => t.job).length,
      ...this.counters,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.reject(new Error("the prover pool is closed"));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

// ------------------------------------------------------------------ BullMQ over Redis

export const QUEUE_NAME = "zkmargin-proofs";
/** a job not answered within this time fails (a storm's proofs are worthless once the grace period is over) */
export const JOB_TIMEOUT_MS = 15 * 60_000;

function queueSecret(secret?: string): string {
  const s = secret ?? process.env.ZKMARGIN_QUEUE_KEY;
  if (!s) throw new Error("ZKMARGIN_QUEUE_KEY must be set with --redis: it seals every job and result on the queue");
  return s;
}

/** ioredis connection options for BullMQ from a redis:// or rediss:// URL. */
export function redisConnection(url: string): Record<string, unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis: '${url}' is not a URL (redis://host:port)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new Error("--redis: must be a redis:// or rediss:// URL");
  return {
    host: u.hostname || "127.0.0.1",
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The statement a returned proof must prove, checked before the service uses it. */
async function checkResult(job: ProofJob, r: JobResult): Promise<void> {
  const { verifyProof, loadVerificationKey } = await import("../../prover/prover.ts");
  const { circuitArtifacts } = await import("../../prover/artifacts.ts");
  let expected: string[];
  let vkey;
  if (job.kind === "margin") {
    const { expectedPublicSignals } = await import("../../prover/inputs.ts");
    expected = expectedPublicSignals(commitment(job.portfolio), paramsHash(job.params), "maintenance", job.binding);
    vkey = loadVerificationKey(circuitArtifacts("margin").vkey);
  } else if (job.kind === "liquidation") {
    const { expectedLiquidationSignals } = await import("../../prover/liquidation.ts");
    expected = expectedLiquidationSignals(commitment(job.portfolio), paramsHash(job.params), job.binding);
    vkey = loadVerificationKey(circuitArtifacts("liquidation").vkey);
  } else {
    const t = r as ProvenTransition;
    expected = t.proof?.publicSignals ?? [];
    vkey = loadVerificationKey(circuitArtifacts("transition").vkey);
    if (t.prepared?.inputs === undefined) throw new Error("a transition result without its prepared state");
  }
  const proof = (job.kind === "transition" ? (r as ProvenTransition).proof : r) as MarginProof;
  const same = proof?.publicSignals?.length === expected.length && proof.publicSignals.every((s, i) => s === expected[i]);
  if (!same || !(await verifyProof(proof, vkey)))
    throw new Error(`a queue worker returned a ${job.kind} proof that does not prove the statement asked for (refused)`);
}

/** Jobs go to a BullMQ queue; any number of `zkmargin worker --redis` processes answer them. */
export class RedisPool implements ProverPool {
  readonly kind = "redis" as const;
  private queue: any;
  private events: any;
  private key: Buffer;
  private counters = { done: 0, failed: 0, busySeconds: 0 };
  private inFlight = 0;
  private workerCount = 0;
  private timer?: NodeJS.Timeout;

  private constructor(queue: any, events: any, key: Buffer) {
    this.queue = queue;
    this.events = events;
    this.key = key;
  }

  static async open(url: string, opts: { secret?: string; queue?: string } = {}): Promise<RedisPool> {
    const name = opts.queue ?? QUEUE_NAME;
    const key = queueKey(queueSecret(opts.secret), name);
    const { Queue, QueueEvents } = await import("bullmq");
    const connection = redisConnection(url);
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const pool = new RedisPool(queue, events, key);
    await pool.refresh();
    pool.timer = setInterval(() => void pool.refresh().catch(() => {}), 5000);
    pool.timer.unref();
    return pool;
  }

  private async refresh(): Promise<void> {
    this.workerCount = await this.queue.getWorkersCount();
  }

  size(): number {
    return this.workerCount;
  }

  async run(job: ProofJob): Promise<JobResult> {
    const id = randomUUID();
    const started = performance.now();
    this.inFlight++;
    try {
      const added = await this.queue.add(
        job.kind,
        { sealed: seal(this.key, `${id}:job`, encode(job)) },
        {
          jobId: id,
          attempts: 3,
          backoff: { type: "exponential", delay: 1000 },
          removeOnComplete: { age: 3600, count: 10_000 },
          removeOnFail: { age: 24 * 3600, count: 10_000 },
        },
      );
      let sealed: unknown;
      try {
        sealed = await added.waitUntilFinished(this.events, JOB_TIMEOUT_MS);
      } catch (e) {
        const m = (e as Error).message;
        let parsed: JobError | undefined;
        try {
          parsed = JSON.parse(m) as JobError;
        } catch {
          /* not one of ours */
        }
        throw parsed?.name ? jobError(parsed) : new Error(`queue job ${id} failed: ${m}`);
      }
      const result = decode<JobResult>(unseal(this.key, `${id}:result`, sealed));
      await checkResult(job, result);
      this.counters.done++;
      return result;
    } catch (e) {
      this.counters.failed++;
      throw e;
    } finally {
      this.inFlight--;
      this.counters.busySeconds += (performance.now() - started) / 1000;
    }
  }

  stats(): PoolStats {
    return { kind: "redis", workers: this.workerCount, inFlight: this.inFlight, ...this.counters };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.events.close();
    await this.queue.close();
  }
}

/**
 * `zkmargin worker --redis URL`: answer the queue's jobs with a thread pool of `threads` provers
 * (BullMQ concurrency = threads). Deterministic refusals (a healthy account asked for a
 * liquidation proof, an unhealthy one for a margin proof) fail at once; anything else is retried
 * by BullMQ (attempts 3), and a job whose worker died is taken up again as a stalled job.
 */
export async function runRedisWorker(
  url: string,
  opts: { threads?: number; secret?: string; queue?: string; log?: (s: string) => void; pool?: ProverPool } = {},
): Promise<{ close: () => Promise<void>; processed: () => number }> {
  const name = opts.queue ?? QUEUE_NAME;
  const key = queueKey(queueSecret(opts.secret), name);
  const pool = opts.pool ?? new ThreadPool(opts.threads);
  const { Worker, UnrecoverableError } = await import("bullmq");
  const log = opts.log ?? (() => {});
  let processed = 0;
  const DETERMINISTIC = new Set(["UnhealthyError", "HealthyError", "TransitionRefused", "ValidationError"]);
  const worker = new Worker(
    name,
    async (job: { id?: string; data: { sealed?: unknown } }) => {
      let proofJob: ProofJob;
      try {
        proofJob = decode<ProofJob>(unseal(key, `${job.id}:job`, job.data?.sealed));
      } catch (e) {
        log(`refused job ${job.id}: ${(e as Error).message}`);
        throw new UnrecoverableError(JSON.stringify({ name: "QueuePoisoned", message: (e as Error).message }));
      }
      try {
        const result = await pool.run(proofJob);
        processed++;
        return seal(key, `${job.id}:result`, encode(result));
      } catch (e) {
        const err = e as Error;
        const msg = JSON.stringify({ name: err.name, message: err.message });
        throw DETERMINISTIC.has(err.name) ? new UnrecoverableError(msg) : new Error(msg);
      }
    },
    { connection: redisConnection(url), concurrency: pool.size(), lockDuration: 60_000 },
  );
  await worker.waitUntilReady();
  log(`worker: ${pool.size()} prover thread(s) on queue '${name}'`);
  return {
    processed: () => processed,
    close: async () => {
      await worker.close();
      if (!opts.pool) await pool.close();
    },
  };
}

/** The pool the services use: BullMQ when a Redis URL is given, else worker threads. */
export async function openPool(opts: { redis?: string; threads?: number; secret?: string; queue?: string } = {}): Promise<ProverPool> {
  return opts.redis ? RedisPool.open(opts.redis, opts) : new ThreadPool(opts.threads);
}

/** For tests and the load script: a job run in this thread (no pool). */
export const runHere = executeJob;
