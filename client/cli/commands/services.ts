// The long-running services of issue #12 (docs/PROTOCOL.md, "Services"): the watchtower, the
// liquidator (the liquidation key holder) and prover workers for a Redis queue. Each serves
// /status, /healthz and /metrics with --port; each stops cleanly on SIGINT or SIGTERM.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Contract, JsonRpcProvider, Signer } from "ethers";
import { ValidationError, parseInteger } from "../../../prover/validate.ts";
import type { Command, Group } from "../command.ts";
import { CliError, EXIT, json, out, progress, readJsonFile, required, str, type Values } from "../io.ts";
import { DEPLOYMENT_OPTION, RPC_OPTION, chainSigner, deployedAddress, deploymentFile, rpcOf } from "./shared.ts";

const CONNECTION = {
  ...DEPLOYMENT_OPTION,
  ...RPC_OPTION,
  "account-index": { type: "string", value: "N", help: "the node's account N signs (default 0), unless ZKMARGIN_PRIVATE_KEY is set" },
} as const;

const POOL = {
  threads: { type: "string", value: "N", help: "prover worker threads (default: one per core)" },
  redis: {
    type: "string",
    value: "URL",
    help: "prove through a BullMQ queue on this Redis (redis://host:6379) served by 'zkmargin worker'; needs ZKMARGIN_QUEUE_KEY",
    env: "ZKMARGIN_REDIS",
  },
} as const;

const SERVICE = {
  port: { type: "string", value: "P", help: "serve /status, /healthz and /metrics on this port (0: any free port)" },
  host: { type: "string", value: "H", help: "the status endpoint's address (default 127.0.0.1)" },
  confirmations: { type: "string", value: "N", help: "act on logs N blocks deep (default 2; the reorg guard)" },
  "poll-ms": { type: "string", value: "MS", help: "poll the node every MS milliseconds (default 2000)" },
  rescan: { type: "string", value: "S", help: "a full check at least every S seconds (default 30)" },
  "bump-after": { type: "string", value: "S", help: "re-send a transaction not mined after S seconds with higher fees (default 30)" },
  "bump-percent": { type: "string", value: "P", help: "raise fees by P% per bump, >= 10 (default 15)" },
  "max-bumps": { type: "string", value: "N", help: "at most N fee bumps per transaction (default 5)" },
} as const;

function intOption(values: Values, name: string, dflt: number, min: number, max: number): number {
  const raw = str(values, name);
  if (raw === undefined) return dflt;
  if (!/^[0-9]{1,9}$/.test(raw)) throw new ValidationError(`--${name}`, `must be an integer in [${min}, ${max}]`);
  const v = Number(raw);
  if (v < min || v > max) throw new ValidationError(`--${name}`, `must be an integer in [${min}, ${max}]`);
  return v;
}

function passphraseOf(name: string, what: string): string {
  const p = process.env[name];
  if (!p) throw new ValidationError(name, `must be set: ${what}`);
  if (name === "ZKMARGIN_QUEUE_KEY" && p.length < 16) throw new ValidationError(name, "must be at least 16 characters (a shared secret)");
  return p;
}

const log = (s: string) => progress(`${new Date().toISOString()} ${s}`);

interface Connection {
  provider: JsonRpcProvider;
  signer: Signer;
  accounts: Contract;
  registry: Contract;
  service: import("../../services/sender.ts").ServiceSigner;
}

async function connectService(values: Values): Promise<Connection> {
  const d = deploymentFile(required(values, "deployment"));
  const at = deployedAddress(d, "MarginAccounts", " (deploy with --accounts)");
  const indexRaw = str(values, "account-index");
  if (indexRaw !== undefined && !/^[0-9]{1,2}$/.test(indexRaw))
    throw new ValidationError("--account-index", "must be a small non-negative integer");
  const bumpAfter = intOption(values, "bump-after", 30, 1, 86_400);
  const bumpPercent = intOption(values, "bump-percent", 15, 10, 1000);
  const maxBumps = intOption(values, "max-bumps", 5, 0, 100);
  const { signer, provider } = await chainSigner(rpcOf(values, d), indexRaw === undefined ? 0 : Number(indexRaw));
  const { contractAt } = await import("../../contracts.ts");
  const { ServiceSigner } = await import("../../services/sender.ts");
  const service = new ServiceSigner(signer, { bumpAfterMs: bumpAfter * 1000, bumpPercent, maxBumps, log });
  const accounts = await contractAt("MarginAccounts", at, service);
  let registryAddress: string;
  try {
    registryAddress = await accounts.registry();
  } catch (e) {
    provider.destroy();
    throw new CliError(EXIT.INTERNAL, `no MarginAccounts at ${at} on this node (${(e as Error).message.split("\n")[0]})`);
  }
  const registry = await contractAt("RiskEpochRegistry", registryAddress, provider);
  return { provider, signer, accounts, registry, service };
}

async function poolOf(values: Values) {
  const threads = str(values, "threads") === undefined ? undefined : intOption(values, "threads", 1, 1, 1024);
  const redis = str(values, "redis");
  if (redis !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(redis)) throw new ValidationError("--redis", "must be a redis:// or rediss:// URL");
    if (threads !== undefined) throw new ValidationError("--threads", "not with --redis (the workers choose their threads)");
    passphraseOf("ZKMARGIN_QUEUE_KEY", "with --redis it seals every job and result on the queue (the same on every worker)");
    await probeRedis(redis);
  }
  const { openPool } = await import("../../services/pool.ts");
  try {
    return await withTimeout(openPool({ redis, threads }), 15_000, `cannot reach Redis at ${redis}`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(EXIT.INTERNAL, `cannot start the prover pool (${(e as Error).message.split("\n")[0]})`);
  }
}

/** One PING with no retries: an unreachable Redis is one line and exit 3, not a retry loop. */
async function probeRedis(url: string): Promise<void> {
  const { redisConnection } = await import("../../services/pool.ts");
  let options;
  try {
    options = redisConnection(url);
  } catch (e) {
    throw new ValidationError("--redis", (e as Error).message.replace(/^--redis: /, ""));
  }
  const { Redis } = await import("ioredis");
  const c = new Redis({ ...options, lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.ping();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot reach Redis at ${url} (${(e as Error).message.split("\n")[0]})`);
  } finally {
    c.disconnect();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new CliError(EXIT.INTERNAL, message)), ms);
      timer.unref();
    }),
  ]);
}

/** Run until SIGINT or SIGTERM, then stop cleanly. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const on = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping (waiting for the round and the transactions in flight)`);
      stop().then(
        () => resolve(EXIT.OK),
        (e) => {
          log(`stopping: ${(e as Error).message}`);
          resolve(EXIT.INTERNAL);
        },
      );
    };
    process.once("SIGINT", () => on("SIGINT"));
    process.once("SIGTERM", () => on("SIGTERM"));
  });
}

function portOf(values: Values): number | undefined {
  return str(values, "port") === undefined ? undefined : intOption(values, "port", 0, 0, 65535);
}

// ------------------------------------------------------------------------------- watchtower

const add: Command = {
  name: "watchtower add",
  summary: "take a client's state file into the watchtower's folder (re-encrypted under its passphrase)",
  description: `Reads the client's state file S (its passphrase in ZKMARGIN_PASSPHRASE) and writes it to
DIR/<account>.state encrypted under the watchtower's passphrase (ZKMARGIN_WATCHTOWER_PASSPHRASE).
The client also names the watchtower on-chain ('zkmargin account watchtower --set ADDRESS') and
uploads its state again after every transition (the watchtower attests only the state whose
commitment is on-chain). Prints {account, path}.`,
  options: {
    state: { type: "string", value: "S", help: "the client's encrypted state file (ZKMARGIN_PASSPHRASE)" },
    clients: { type: "string", value: "DIR", help: "the watchtower's folder of client states", env: "ZKMARGIN_WATCHTOWER_CLIENTS" },
  },
  examples: ["ZKMARGIN_PASSPHRASE=... ZKMARGIN_WATCHTOWER_PASSPHRASE=... zkmargin watchtower add --state alice.state --clients wt/"],
  async run({ values }) {
    const state = required(values, "state");
    const dir = required(values, "clients");
    if (!existsSync(state)) throw new ValidationError("--state", `${state} does not exist`);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ValidationError("--clients", `${dir} is not a folder`);
    const client = passphraseOf("ZKMARGIN_PASSPHRASE", "it opens the client's state file");
    const mine = passphraseOf("ZKMARGIN_WATCHTOWER_PASSPHRASE", "it encrypts the watchtower's copy of every client state");
    const { importClientState } = await import("../../services/watchtower.ts");
    out(json(importClientState(state, client, dir, mine)));
    return EXIT.OK;
  },
};

const serve: Command = {
  name: "watchtower serve",
  summary: "attest for every client that must (margin calls, new epochs) in batches; status on --port",
  description: `Long-running. Follows the chain (polling, N confirmations deep, a reorg guard) for MarginCall
and new epochs; each time (and every --rescan seconds) it reads every client's pendingMarginCall,
proves maintenance margin for those that must attest on the prover pool (worker threads, or the
Redis queue with --redis), and sends proveMarginBatch in batches of --batch (a batch the node
refuses is split until the bad attestation is found; fee bumping for slow ones). The job journal
(--journal, fsynced) makes a restart lose nothing: proofs made are used, batches sent are waited for.
Clients' states: DIR/*.state ('zkmargin watchtower add'), under ZKMARGIN_WATCHTOWER_PASSPHRASE.
--once: one round now, print it as JSON and exit.`,
  options: {
    ...CONNECTION,
    clients: { type: "string", value: "DIR", help: "the folder of client states", env: "ZKMARGIN_WATCHTOWER_CLIENTS" },
    journal: { type: "string", value: "F", help: "the job journal (default DIR/watchtower.journal)" },
    batch: { type: "string", value: "N", help: "attestations per proveMarginBatch, 1-256 (default 32)" },
    "every-epoch": { type: "boolean", help: "also attest every client at every new epoch (not only when called)" },
    once: { type: "boolean", help: "one round, printed as JSON, then exit" },
    ...POOL,
    ...SERVICE,
  },
  examples: [
    "ZKMARGIN_WATCHTOWER_PASSPHRASE=... zkmargin watchtower serve --deployment d.json --clients wt/ --port 9464",
    "ZKMARGIN_QUEUE_KEY=... zkmargin watchtower serve --deployment d.json --clients wt/ --redis redis://10.0.0.5:6379",
  ],
  exits: "0 stopped by a signal (or --once done); 1 bad input (named); 3 unreachable node, Redis or artifacts.",
  async run({ values }) {
    const dir = required(values, "clients");
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ValidationError("--clients", `${dir} is not a folder`);
    const passphrase = passphraseOf("ZKMARGIN_WATCHTOWER_PASSPHRASE", "it opens the watchtower's copies of its clients' states");
    const batchSize = intOption(values, "batch", 32, 1, 256);
    const confirmations = intOption(values, "confirmations", 2, 0, 1000);
    const pollMs = intOption(values, "poll-ms", 2000, 50, 3_600_000);
    const rescan = intOption(values, "rescan", 30, 1, 86_400);
    const port = portOf(values);
    const journalPath = str(values, "journal") ?? join(dir, "watchtower.journal");
    const c = await connectService(values);
    const pool = await poolOf(values);
    const { Watchtower } = await import("../../services/watchtower.ts");
    const w = new Watchtower({
      accounts: c.accounts,
      registry: c.registry,
      signer: c.service,
      pool,
      clientsDir: dir,
      passphrase,
      journalPath,
      batchSize,
      confirmations,
      pollMs,
      rescanMs: rescan * 1000,
      everyEpoch: values["every-epoch"] === true,
      log,
    });
    const shutdown = async () => {
      await pool.close();
      c.provider.destroy();
    };
    if (values.once === true) {
      try {
        await w.init();
        const round = await w.runRound("once");
        out(json({ ...round, status: w.status() }));
        await w.stop();
        return EXIT.OK;
      } finally {
        await shutdown();
      }
    }
    const bound = await w.start(port, str(values, "host"));
    log(
      `watchtower ${await c.service.getAddress()}: ${pool.kind} pool of ${pool.size()}, batches of ${batchSize}${bound === undefined ? "" : `, status on http://${str(values, "host") ?? "127.0.0.1"}:${bound}/status`}`,
    );
    return untilSignal(async () => {
      await w.stop();
      await shutdown();
    });
  },
};

export const watchtower: Group = {
  name: "watchtower",
  summary: "the watchtower service: attest for many clients after margin calls (add | serve)",
  noun: "action",
  commands: [add, serve],
};

// ------------------------------------------------------------------------------- liquidator

const liquidatorServe: Command = {
  name: "liquidator serve",
  summary: "(key holder) replay every account, liquidate by proof each one below maintenance; status on --port",
  description: `Long-running, run by the holder of the liquidation key (--liquidation-key, a 'zkmargin keygen'
file with its secret). Replays every account from its encrypted transition log (AccountOpened
from --from-block on), again whenever a new Transition of it appears, checks every account
against each new fresh epoch, and liquidates by proof (the liquidation circuit, on the prover
pool) every account below maintenance, all in parallel; the bonds go to the signer. Reports the
detection-to-inclusion latency on /status and /metrics.`,
  options: {
    ...CONNECTION,
    "liquidation-key": { type: "string", value: "F", help: "the key holder's 'zkmargin keygen' file (with its secret)" },
    "from-block": { type: "string", value: "B", help: "look for accounts from block B (the deployment's; default 0)" },
    ...POOL,
    ...SERVICE,
  },
  examples: ["zkmargin liquidator serve --deployment d.json --liquidation-key liquidation-key.json --port 9465"],
  exits: "0 stopped by a signal; 1 bad input (named); 3 unreachable node, Redis or artifacts.",
  async run({ values }) {
    const keyFile = required(values, "liquidation-key");
    const raw = readJsonFile(keyFile, "--liquidation-key") as { secret?: unknown };
    if (raw?.secret === undefined)
      throw new ValidationError("--liquidation-key", "has no secret (a public key file cannot decrypt the logs)");
    const secret = parseInteger(String(raw.secret), "--liquidation-key secret");
    if (secret <= 0n) throw new ValidationError("--liquidation-key", "secret must be a positive integer");
    const confirmations = intOption(values, "confirmations", 2, 0, 1000);
    const pollMs = intOption(values, "poll-ms", 2000, 50, 3_600_000);
    const rescan = intOption(values, "rescan", 30, 1, 86_400);
    const fromBlock = intOption(values, "from-block", 0, 0, 1e9);
    const port = portOf(values);
    const c = await connectService(values);
    const { liquidationKeyPair } = await import("../../../prover/transition/encryption.ts");
    const pk = liquidationKeyPair(secret).publicKey;
    const [x, y] = [BigInt(await c.accounts.liquidationKeyX()), BigInt(await c.accounts.liquidationKeyY())];
    if (pk[0] !== x || pk[1] !== y) {
      c.provider.destroy();
      throw new ValidationError("--liquidation-key", "is not the key of this deployment's MarginAccounts (its public key differs)");
    }
    const pool = await poolOf(values);
    const { LiquidatorService } = await import("../../services/keyholder.ts");
    const svc = new LiquidatorService({
      accounts: c.accounts,
      registry: c.registry,
      signer: c.service,
      pool,
      secret,
      confirmations,
      pollMs,
      rescanMs: rescan * 1000,
      fromBlock,
      log,
    });
    const bound = await svc.start(port, str(values, "host"));
    log(
      `liquidator ${await c.service.getAddress()}: ${pool.kind} pool of ${pool.size()}${bound === undefined ? "" : `, status on http://${str(values, "host") ?? "127.0.0.1"}:${bound}/status`}`,
    );
    return untilSignal(async () => {
      await svc.stop();
      await pool.close();
      c.provider.destroy();
    });
  },
};

export const liquidator: Group = {
  name: "liquidator",
  summary: "the liquidation key holder's service: liquidate by proof as fast as it can (serve)",
  noun: "action",
  commands: [liquidatorServe],
};

// ------------------------------------------------------------------------------- worker

export const worker: Command = {
  name: "worker",
  summary: "prove jobs of a Redis queue for a watchtower or liquidator on another machine",
  description: `Joins the BullMQ queue on --redis and proves its jobs (margin, liquidation and transition
proofs) on --threads worker threads (default: one per core). Start one per machine; they share
the load. Jobs and results are sealed with ZKMARGIN_QUEUE_KEY (the service's); a job sealed with
another key is refused. Runs until SIGINT or SIGTERM (a job in progress is finished first).`,
  options: {
    redis: { ...POOL.redis, help: "the queue's Redis (redis://host:6379)" },
    threads: POOL.threads,
  },
  examples: ["ZKMARGIN_QUEUE_KEY=... zkmargin worker --redis redis://10.0.0.5:6379"],
  exits: "0 stopped by a signal; 1 bad input (named); 3 unreachable Redis or artifacts.",
  async run({ values }) {
    const redis = required(values, "redis");
    if (!/^rediss?:\/\/[^\s]+$/.test(redis)) throw new ValidationError("--redis", "must be a redis:// or rediss:// URL");
    const threads = str(values, "threads") === undefined ? undefined : intOption(values, "threads", 1, 1, 1024);
    const secret = passphraseOf("ZKMARGIN_QUEUE_KEY", "it opens the queue's jobs (the service's key)");
    await probeRedis(redis);
    const { runRedisWorker } = await import("../../services/pool.ts");
    let w;
    try {
      w = await withTimeout(runRedisWorker(redis, { threads, secret, log }), 15_000, `cannot reach Redis at ${redis}`);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(EXIT.INTERNAL, `cannot start the worker (${(e as Error).message.split("\n")[0]})`);
    }
    const started = w;
    return untilSignal(async () => {
      await started.close();
      log(`proved ${started.processed()} job(s)`);
    });
  },
};
