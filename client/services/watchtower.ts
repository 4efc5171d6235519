// The watchtower service (issue #12, item 2; `zkmargin watchtower serve`): it holds its clients'
// private states (state files encrypted at rest under the watchtower's passphrase, client/state.ts;
// each client names it on-chain with setWatchtower), follows the chain for margin calls and new
// epochs, proves maintenance margin for every client that must attest, in parallel on the prover
// pool, and submits the proofs with proveMarginBatch in batches, with fee bumping and retries.
//
// Restart safety: what must be attested is always derived from the chain (pendingMarginCall of
// each client at the latest block), never from memory; the journal keeps the work already done (a
// proof made for an account at a nonce and an epoch; a batch sent, with its transaction hash), so
// a restart mid-storm re-uses every proof that is still valid, waits for the batches it had sent,
// and re-proves only what was lost. docs/PROTOCOL.md, "Services".
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Contract } from "ethers";
import { commitment as commitmentOf } from "../../prover/encoding.ts";
import { solidityCalldata, type MarginProof } from "../../prover/prover.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import { MARGIN_DOMAIN, bindingOf } from "../accounts.ts";
import { flatProof, type FlatProof } from "../batch.ts";
import { latestFreshEpoch } from "../epochs.ts";
import { decodeRevert, revertData } from "../revert.ts";
import { decryptState, encryptState, MAX_STATE_BYTES, writeDurably, type AccountState } from "../state.ts";
import { Journal } from "./journal.ts";
import { proveMargin, type ProverPool } from "./pool.ts";
import { receiptOf, type ServiceSigner } from "./sender.ts";
import { serviceRegistry, StatusServer } from "./status.ts";
import { ChainWatch } from "./watch.ts";

export interface WatchtowerOptions {
  /** MarginAccounts, connected to the watchtower's ServiceSigner */
  accounts: Contract;
  registry: Contract;
  signer: ServiceSigner;
  pool: ProverPool;
  /** the folder of client state files (*.state, encrypted under `passphrase`) */
  clientsDir: string;
  passphrase: string;
  /** the job journal's file */
  journalPath: string;
  batchSize?: number;
  confirmations?: number;
  pollMs?: number;
  /** a full check of every client at least this often, whatever the logs say */
  rescanMs?: number;
  /** also attest every client at every new epoch (not only when a margin call is pending) */
  everyEpoch?: boolean;
  /** a job's attempts (proof or batch) before it is reported failed for this epoch */
  maxAttempts?: number;
  log?: (s: string) => void;
}

/** One client's job: attest `account` at `epochId`, proven for its state at `nonce`. */
interface Job {
  key: string;
  account: string;
  epochId: bigint;
  nonce: bigint;
  commitment: bigint;
  state: "proving" | "proved" | "sent" | "done" | "failed";
  proof?: FlatProof;
  txHash?: string;
  attempts: number;
  error?: string;
  /** when the service first saw this attestation was needed (unix ms) */
  neededAt: number;
  updatedAt: number;
}

interface ClientEntry {
  file: string;
  mtimeMs: number;
  size: number;
  state?: AccountState;
  error?: string;
}

const jobKey = (account: string, epochId: bigint, nonce: bigint) => `${account.toLowerCase()}:${epochId}:${nonce}`;

/** Clients' state files, decrypted once per version of the file (clients upload new versions as they trade). */
export class ClientBook {
  private readonly dir: string;
  private readonly passphrase: string;
  private readonly cache = new Map<string, ClientEntry>();

  constructor(dir: string, passphrase: string) {
    this.dir = dir;
    this.passphrase = passphrase;
  }

  load(): ClientEntry[] {
    const files = readdirSync(this.dir).filter((f) => f.endsWith(".state"));
    const seen = new Set<string>();
    for (const f of files) {
      const file = join(this.dir, f);
      seen.add(file);
      const st = statSync(file);
      const c = this.cache.get(file);
      if (c && c.mtimeMs === st.mtimeMs && c.size === st.size) continue;
      const entry: ClientEntry = { file, mtimeMs: st.mtimeMs, size: st.size };
      try {
        if (st.size > MAX_STATE_BYTES) throw new Error(`larger than ${MAX_STATE_BYTES} bytes`);
        entry.state = decryptState(readFileSync(file), this.passphrase, f);
      } catch (e) {
        entry.error = (e as Error).message;
      }
      this.cache.set(file, entry);
    }
    for (const k of this.cache.keys()) if (!seen.has(k)) this.cache.delete(k);
    return [...this.cache.values()];
  }
}

/**
 * `zkmargin watchtower add`: take a client's state file (its passphrase) into the watchtower's
 * folder, re-encrypted under the watchtower's passphrase, as <account>.state. A client uploads its
 * state again after each transition (the watchtower attests only the state the chain has).
 */
export function importClientState(
  file: string,
  clientPassphrase: string,
  dir: string,
  watchtowerPassphrase: string,
): { account: string; path: string } {
  const st = statSync(file);
  if (st.size > MAX_STATE_BYTES) throw new Error(`${file} is larger than ${MAX_STATE_BYTES} bytes: not a state file`);
  const state = decryptState(readFileSync(file), clientPassphrase, file);
  const path = join(dir, `${state.account.toLowerCase()}.state`);
  writeDurably(path, encryptState(state, watchtowerPassphrase));
  return { account: state.account, path };
}

/** The state (current or pending) of a client file that opens the on-chain commitment. */
function opening(s: AccountState, onChain: bigint): Portfolio | undefined {
  for (const x of [s.current, ...s.pending]) if (x.commitment === onChain && commitmentOf(x.portfolio) === onChain) return x.portfolio;
  return undefined;
}

export interface ClientStatus {
  account: string;
  file: string;
  authorised: boolean;
  pending: boolean;
  lastAttestedEpoch: string;
  error?: string;
}

export class Watchtower {
  private readonly o: Required<Omit<WatchtowerOptions, "log">> & { log: (s: string) => void };
  private readonly book: ClientBook;
  readonly journal: Journal<Job | { key: "cursor"; block: number }>;
  private watch?: ChainWatch;
  private rescan?: NodeJS.Timeout;
  private round?: Promise<void>;
  private roundAgain = false;
  private readonly started = Date.now();
  private address = "";
  private chainId = 0n;
  private contract = "";
  private server?: StatusServer;
  metrics!: Awaited<ReturnType<typeof serviceRegistry>> & {
    proofs: import("prom-client").Counter;
    attestations: import("prom-client").Counter;
    batches: import("prom-client").Counter;
    gasPerAccount: import("prom-client").Gauge;
    proveSeconds: import("prom-client").Histogram;
    attestSeconds: import("prom-client").Histogram;
    needed: import("prom-client").Gauge;
    head: import("prom-client").Gauge;
    processed: import("prom-client").Gauge;
    bumps: import("prom-client").Counter;
  };
  readonly progress = {
    lastRound: undefined as
      undefined | { trigger: string; startedAt: string; endedAt?: string; needed: number; attested: number; failed: number },
    freshEpoch: undefined as string | undefined,
    marginCall: undefined as undefined | { epochId: string; deadline: string },
    clients: [] as ClientStatus[],
    totals: { proofs: 0, attestations: 0, batches: 0, batchesReverted: 0, gas: 0n },
    lastError: undefined as string | undefined,
    lastErrorAt: undefined as string | undefined,
  };

  constructor(opts: WatchtowerOptions) {
    this.o = {
      batchSize: 32,
      confirmations: 2,
      pollMs: 2000,
      rescanMs: 30_000,
      everyEpoch: false,
      maxAttempts: 5,
      log: () => {},
      ...opts,
    } as Watchtower["o"];
    if (this.o.batchSize < 1) throw new Error("batch size must be at least 1");
    this.book = new ClientBook(this.o.clientsDir, this.o.passphrase);
    this.journal = new Journal(this.o.journalPath);
  }

  private fail(where: string, e: unknown): void {
    this.progress.lastError = `${where}: ${(e as Error)?.message?.split("\n")[0] ?? String(e)}`;
    this.progress.lastErrorAt = new Date().toISOString();
    this.o.log(this.progress.lastError);
  }

  async init(): Promise<void> {
    this.address = await this.o.signer.getAddress();
    this.chainId = (await this.o.accounts.runner!.provider!.getNetwork()).chainId;
    this.contract = await this.o.accounts.getAddress();
    const { registry, prom } = await serviceRegistry("watchtower", this.o.pool);
    const r = [registry];
    this.metrics = {
      registry,
      prom,
      proofs: new prom.Counter({
        name: "zkmargin_watchtower_proofs_total",
        help: "margin proofs made",
        labelNames: ["result"],
        registers: r,
      }),
      attestations: new prom.Counter({ name: "zkmargin_watchtower_attestations_total", help: "attestations included", registers: r }),
      batches: new prom.Counter({
        name: "zkmargin_watchtower_batches_total",
        help: "proveMarginBatch sent",
        labelNames: ["result"],
        registers: r,
      }),
      gasPerAccount: new prom.Gauge({
        name: "zkmargin_watchtower_batch_gas_per_account",
        help: "gas per account of the last batch",
        registers: r,
      }),
      proveSeconds: new prom.Histogram({
        name: "zkmargin_watchtower_prove_seconds",
        help: "a margin proof through the pool (queueing included)",
        buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
        registers: r,
      }),
      attestSeconds: new prom.Histogram({
        name: "zkmargin_watchtower_time_to_attest_seconds",
        help: "from the moment an attestation was found needed to its inclusion",
        buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1200],
        registers: r,
      }),
      needed: new prom.Gauge({
        name: "zkmargin_watchtower_accounts_to_attest",
        help: "clients that must attest (last round)",
        registers: r,
      }),
      head: new prom.Gauge({ name: "zkmargin_chain_head_block", help: "the node's latest block", registers: r }),
      processed: new prom.Gauge({ name: "zkmargin_chain_processed_block", help: "the last block whose logs were handled", registers: r }),
      bumps: new prom.Counter({ name: "zkmargin_fee_bumps_total", help: "transactions re-sent with higher fees", registers: r }),
    };
    // restart: batches sent before the crash are waited for, their proofs kept otherwise
    for (const j of this.jobs()) {
      if (j.state === "sent" && j.txHash) {
        const rc = await this.o.accounts.runner!.provider!.getTransactionReceipt(j.txHash);
        this.putJob({ ...j, state: rc?.status === 1 ? "done" : "proved" });
      } else if ((j.state === "done" || j.state === "failed") && Date.now() - j.updatedAt > 24 * 3600_000) this.journal.delete(j.key);
    }
  }

  private jobs(): Job[] {
    return this.journal.values().filter((e): e is Job => e.key !== "cursor");
  }

  private putJob(j: Job): void {
    this.journal.put({ ...j, updatedAt: Date.now() });
  }

  /** Start following the chain (and the status endpoint when `port` is given). */
  async start(port?: number, host?: string): Promise<number | undefined> {
    await this.init();
    const cursorEntry = this.journal.get("cursor") as { block: number } | undefined;
    const provider = this.o.accounts.runner!.provider!;
    this.watch = new ChainWatch(provider, {
      confirmations: this.o.confirmations,
      pollMs: this.o.pollMs,
      cursor: cursorEntry?.block ?? (await provider.getBlockNumber()) - this.o.confirmations - 1,
      onRange: (from, to) => this.onRange(from, to),
      onCursor: (block) => {
        this.journal.put({ key: "cursor", block });
        this.metrics.processed.set(block);
      },
      onHead: (h) => this.metrics.head.set(h),
      onError: (e) => this.fail("chain", e),
    });
    let bound: number | undefined;
    if (port !== undefined) {
      this.server = new StatusServer(this.metrics.registry, () => this.status());
      bound = await this.server.listen(port, host);
    }
    this.trigger("start");
    this.watch.start();
    this.rescan = setInterval(() => this.trigger("rescan"), this.o.rescanMs);
    return bound;
  }

  private async onRange(from: number, to: number): Promise<void> {
    const [calls, epochs] = await Promise.all([
      this.o.accounts.queryFilter(this.o.accounts.filters.MarginCall(), from, to),
      this.o.registry.queryFilter(this.o.registry.filters.EpochPosted(), from, to),
    ]);
    for (const c of calls as any[])
      this.progress.marginCall = { epochId: String(c.args.epochId), deadline: new Date(Number(c.args.deadline) * 1000).toISOString() };
    if (calls.length) this.trigger(`margin call (block ${calls.at(-1)!.blockNumber})`);
    else if (epochs.length) this.trigger(`new epoch (block ${epochs.at(-1)!.blockNumber})`);
  }

  /** Run a round now, or right after the one running. */
  trigger(why: string): void {
    if (this.round) {
      this.roundAgain = true;
      return;
    }
    this.round = (async () => {
      let reason = why;
      do {
        this.roundAgain = false;
        try {
          await this.runRound(reason);
        } catch (e) {
          this.fail("round", e);
        }
        reason = "again";
      } while (this.roundAgain);
      this.round = undefined;
    })();
  }

  /** Resolves when no round is running (tests, --once). */
  async idle(): Promise<void> {
    while (this.round) await this.round;
  }

  /** One round: find every client that must attest, prove (pool, in parallel), send in batches. */
  async runRound(trigger: string): Promise<{ needed: number; attested: number; failed: number }> {
    const round = { trigger, startedAt: new Date().toISOString(), needed: 0, attested: 0, failed: 0 } as NonNullable<
      Watchtower["progress"]["lastRound"]
    >;
    this.progress.lastRound = round;
    const fresh = await latestFreshEpoch(this.o.registry);
    const params = fresh.params;
    this.progress.freshEpoch = String(params.epochId);
    const entries = this.book.load();
    const statuses: ClientStatus[] = [];
    const todo: { job: Job; portfolio: Portfolio }[] = [];
    await Promise.all(
      entries.map(async (e) => {
        if (!e.state) {
          statuses.push({ account: "?", file: e.file, authorised: false, pending: false, lastAttestedEpoch: "0", error: e.error });
          return;
        }
        const account = e.state.account;
        const s: ClientStatus = { account, file: e.file, authorised: false, pending: false, lastAttestedEpoch: "0" };
        statuses.push(s);
        try {
          if (e.state.chainId !== String(this.chainId) || e.state.contract.toLowerCase() !== this.contract.toLowerCase())
            throw new Error(`its state file is for chain ${e.state.chainId}, contract ${e.state.contract}`);
          const [a, wt, pend] = await Promise.all([
            this.o.accounts.accounts(account),
            this.o.accounts.watchtower(account),
            this.o.accounts.pendingMarginCall(account),
          ]);
          s.authorised = String(wt).toLowerCase() === this.address.toLowerCase();
          s.pending = Boolean(pend.pending);
          s.lastAttestedEpoch = String(a.lastAttestedEpoch);
          const active = Number(a.status) === 1 && !a.isFlat;
          const need = active && (s.pending || (this.o.everyEpoch && BigInt(a.lastAttestedEpoch) < params.epochId));
          if (!need) return;
          if (!s.authorised) throw new Error(`must attest but has not named this watchtower (${this.address}) with setWatchtower`);
          const nonce = BigInt(a.nonce);
          const onChain = BigInt(a.commitment);
          const portfolio = opening(e.state, onChain);
          if (!portfolio)
            throw new Error(
              `its state file does not open the on-chain commitment at nonce ${nonce} (the client must upload its new state)`,
            );
          const key = jobKey(account, params.epochId, nonce);
          const old = this.journal.get(key) as Job | undefined;
          if (old?.state === "failed" && old.attempts >= this.o.maxAttempts)
            throw new Error(`gave up at epoch ${params.epochId}: ${old.error}`);
          const job: Job = old ?? {
            key,
            account,
            epochId: params.epochId,
            nonce,
            commitment: onChain,
            state: "proving",
            attempts: 0,
            neededAt: Date.now(),
            updatedAt: Date.now(),
          };
          if (job.state === "sent" || job.state === "done") return; // in flight, or included and the chain not yet caught up
          todo.push({ job, portfolio });
        } catch (err) {
          s.error = (err as Error).message.split("\n")[0];
        }
      }),
    );
    this.progress.clients = statuses.sort((x, y) => x.account.localeCompare(y.account));
    round.needed = todo.length;
    this.metrics.needed.set(todo.length);
    if (todo.length === 0) {
      round.endedAt = new Date().toISOString();
      return round;
    }
    this.o.log(`round (${trigger}): ${todo.length} client(s) must attest at epoch ${params.epochId}`);

    // prove in parallel; batches leave as soon as they are full, the rest at the end
    const ready: Job[] = [];
    const sending: Promise<void>[] = [];
    const flush = (all: boolean) => {
      while (ready.length >= this.o.batchSize || (all && ready.length > 0)) {
        const batch = ready.splice(0, this.o.batchSize);
        sending.push(this.submit(batch, params, round));
      }
    };
    await Promise.all(
      todo.map(async ({ job, portfolio }) => {
        if (job.state === "proved" && job.proof) {
          ready.push(job);
          flush(false);
          return;
        }
        const t0 = performance.now();
        try {
          const proof: MarginProof = await proveMargin(
            this.o.pool,
            params,
            portfolio,
            bindingOf(MARGIN_DOMAIN, this.chainId, this.contract, job.account, job.nonce),
          );
          const { a, b, c } = await solidityCalldata(proof);
          const proved: Job = { ...job, state: "proved", proof: flatProof(a, b, c), updatedAt: Date.now() };
          this.putJob(proved);
          this.metrics.proofs.inc({ result: "ok" });
          this.metrics.proveSeconds.observe((performance.now() - t0) / 1000);
          this.progress.totals.proofs++;
          ready.push(proved);
          flush(false);
        } catch (e) {
          this.metrics.proofs.inc({ result: "error" });
          const failed: Job = { ...job, state: "failed", attempts: job.attempts + 1, error: (e as Error).message.split("\n")[0] };
          this.putJob(failed);
          round.failed++;
          this.fail(`proof for ${job.account}`, e);
        }
      }),
    );
    flush(true);
    await Promise.all(sending);
    round.endedAt = new Date().toISOString();
    this.o.log(`round (${trigger}) done: ${round.attested}/${round.needed} attested, ${round.failed} failed`);
    return round;
  }

  /** Send one batch; a batch the node refuses in simulation is split until the bad job is found. */
  private async submit(batch: Job[], params: Params, round: { attested: number; failed: number }): Promise<void> {
    const sorted = [...batch].sort((x, y) => (BigInt(x.account) < BigInt(y.account) ? -1 : 1));
    const args = [sorted.map((j) => j.account), sorted.map((j) => j.epochId), sorted.map((j) => j.proof!)] as const;
    let tx;
    try {
      tx = await this.o.accounts.proveMarginBatch(...args);
    } catch (e) {
      const why = this.reason(e);
      this.metrics.batches.inc({ result: "refused" });
      if (sorted.length > 1) {
        const half = Math.ceil(sorted.length / 2);
        await Promise.all([this.submit(sorted.slice(0, half), params, round), this.submit(sorted.slice(half), params, round)]);
        return;
      }
      const j = sorted[0];
      this.putJob({ ...j, state: "failed", attempts: j.attempts + 1, error: why });
      round.failed++;
      this.fail(`attestation of ${j.account} refused`, new Error(why));
      return;
    }
    for (const j of sorted) this.putJob({ ...j, state: "sent", txHash: tx.hash });
    let r;
    try {
      r = await receiptOf(tx, this.o.signer);
    } catch (e) {
      for (const j of sorted) this.putJob({ ...j, state: "proved", attempts: j.attempts + 1, txHash: undefined });
      this.fail("waiting for a batch", e);
      this.roundAgain = true;
      return;
    }
    if (r.status !== 1) {
      this.metrics.batches.inc({ result: "reverted" });
      this.progress.totals.batchesReverted++;
      for (const j of sorted) this.putJob({ ...j, state: "proved", attempts: j.attempts + 1, txHash: undefined });
      this.roundAgain = true; // the next round re-checks each job against the chain
      return;
    }
    const now = Date.now();
    for (const j of sorted) {
      this.putJob({ ...j, state: "done", txHash: r.hash });
      this.metrics.attestSeconds.observe((now - j.neededAt) / 1000);
    }
    this.metrics.batches.inc({ result: "ok" });
    this.metrics.attestations.inc(sorted.length);
    this.metrics.gasPerAccount.set(Number(r.gasUsed) / sorted.length);
    this.progress.totals.batches++;
    this.progress.totals.attestations += sorted.length;
    this.progress.totals.gas += r.gasUsed;
    round.attested += sorted.length;
    this.o.log(`batch of ${sorted.length} included (${r.gasUsed} gas, ${r.gasUsed / BigInt(sorted.length)} per account) ${r.hash}`);
  }

  private reason(e: unknown): string {
    if (revertData(e) !== undefined) {
      const d = decodeRevert(e, [this.o.accounts.interface, this.o.registry.interface]);
      if (d) return d.text;
    }
    return (e as Error).message.split("\n")[0];
  }

  status(): { healthy: boolean } & Record<string, unknown> {
    const problems = this.progress.clients.filter((c) => c.error);
    const head = this.watch?.head ?? -1;
    const processed = this.watch?.processed ?? -1;
    const lagging = head >= 0 && head - processed > this.o.confirmations + 10;
    return {
      service: "watchtower",
      healthy: !lagging && (this.progress.lastRound?.failed ?? 0) === 0,
      address: this.address,
      contract: this.contract,
      chainId: String(this.chainId),
      startedAt: new Date(this.started).toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      chain: { head, processed, confirmations: this.o.confirmations, reorgs: this.watch?.reorgs ?? 0 },
      freshEpoch: this.progress.freshEpoch,
      marginCall: this.progress.marginCall,
      clients: this.progress.clients.length,
      clientsWithProblems: problems,
      lastRound: this.progress.lastRound,
      totals: this.progress.totals,
      journal: { path: this.journal.path, jobs: this.journal.size - (this.journal.get("cursor") ? 1 : 0) },
      feeBumps: this.o.signer.bumps,
      pendingTransactions: this.o.signer.pending(),
      pool: this.o.pool.stats(),
      lastError: this.progress.lastError,
      lastErrorAt: this.progress.lastErrorAt,
    };
  }

  /** Stop at once, as a crash would (tests): nothing is awaited, the journal is closed. */
  async abort(): Promise<void> {
    this.watch?.stop();
    if (this.rescan) clearInterval(this.rescan);
    await this.server?.close();
    this.o.signer.stop();
    this.journal.close();
  }

  async stop(): Promise<void> {
    this.watch?.stop();
    if (this.rescan) clearInterval(this.rescan);
    await this.idle();
    await this.server?.close();
    this.o.signer.stop();
    this.journal.close();
  }
}
