// The liquidator service (issue #12, item 3; `zkmargin liquidator serve`), run by the holder of the
// liquidation key: it replays every account from the chain's encrypted transition logs
// (client/liquidator.ts replayAccount), re-replays an account when a new Transition of it appears,
// checks every account against every new fresh epoch, and liquidates each account below
// maintenance by proof (client/liquidator.ts liquidateByProof) on the prover pool, all in parallel;
// then it hands every frozen account's book to the backstop (client/liquidator.ts
// takeoverByProof), one at a time (each takeover moves the backstop's nonce).
// It reports its detection-to-inclusion latency: from the moment a round finds an account
// liquidatable (right after the service sees the epoch that makes it so) to the receipt of the
// liquidation. docs/PROTOCOL.md, "Services".
import type { Contract } from "ethers";
import type { Params } from "../../prover/types.ts";
import { evaluate } from "../../prover/model.ts";
import { EpochError, fetchEpoch, latestFreshEpoch } from "../epochs.ts";
import {
  HealthyAccountError,
  liquidatableByProof,
  liquidateByProof,
  replayAccount,
  takeoverByProof,
  type Replayed,
} from "../liquidator.ts";
import { BackstopRefused, type TakeoverProver } from "../../prover/takeover.ts";
import { liquidationProverOf, type ProverPool } from "./pool.ts";
import type { ServiceSigner } from "./sender.ts";
import { serviceRegistry, StatusServer } from "./status.ts";
import { ChainWatch } from "./watch.ts";

export interface LiquidatorOptions {
  /** MarginAccounts connected to the key holder's ServiceSigner (it receives the bonds) */
  accounts: Contract;
  registry: Contract;
  signer: ServiceSigner;
  pool: ProverPool;
  /** the liquidation key's secret */
  secret: bigint;
  confirmations?: number;
  pollMs?: number;
  rescanMs?: number;
  /** the first block to look for accounts in (the deployment's) */
  fromBlock?: number;
  /** accounts replayed at once */
  replayConcurrency?: number;
  log?: (s: string) => void;
}

export interface Liquidation {
  account: string;
  epochId: string;
  tx: string;
  gasUsed: string;
  proveMs: number;
  /** detection to inclusion */
  latencyMs: number;
  at: string;
}

/** A frozen book handed to the backstop (the public amounts of the TakenOver event). */
export interface TakeoverRecord {
  account: string;
  epochId: string;
  tx: string;
  gasUsed: string;
  settled: string;
  penalty: string;
  badDebt: string;
  proveMs: number;
  at: string;
}

const LOG_CHUNK = 10_000;

export class LiquidatorService {
  private readonly o: Required<Omit<LiquidatorOptions, "log">> & { log: (s: string) => void };
  readonly replayed = new Map<string, Replayed>();
  private readonly dirty = new Set<string>();
  private readonly replayErrors = new Map<string, string>();
  private readonly epochs = new Map<bigint, Params>();
  private readonly inFlight = new Set<string>();
  private readonly liquidating: Promise<void>[] = [];
  readonly liquidations: Liquidation[] = [];
  readonly takeovers: TakeoverRecord[] = [];
  private takeoverProver?: Promise<TakeoverProver>;
  private takingOver?: Promise<void>;
  /** account:nonce:epoch the backstop refused (retried at a new epoch or after a change) */
  private readonly refused = new Set<string>();
  private backstopOpen?: boolean;
  private backstop?: string;
  private backstopBelowMaintenance = false;
  private watch?: ChainWatch;
  private rescan?: NodeJS.Timeout;
  private round?: Promise<void>;
  private roundAgain = false;
  private server?: StatusServer;
  private readonly started = Date.now();
  private address = "";
  private lastEpoch?: bigint;
  private lastError?: string;
  private lastErrorAt?: string;
  private failures = 0;
  metrics!: Awaited<ReturnType<typeof serviceRegistry>> & {
    latency: import("prom-client").Histogram;
    liquidations: import("prom-client").Counter;
    accounts: import("prom-client").Gauge;
    checkSeconds: import("prom-client").Histogram;
  };

  constructor(opts: LiquidatorOptions) {
    this.o = {
      confirmations: 2,
      pollMs: 2000,
      rescanMs: 30_000,
      fromBlock: 0,
      replayConcurrency: 8,
      log: () => {},
      ...opts,
    } as LiquidatorService["o"];
  }

  private fail(where: string, e: unknown): void {
    this.lastError = `${where}: ${(e as Error)?.message?.split("\n")[0] ?? String(e)}`;
    this.lastErrorAt = new Date().toISOString();
    this.o.log(this.lastError);
  }

  async init(): Promise<void> {
    this.address = await this.o.signer.getAddress();
    const { registry, prom } = await serviceRegistry("liquidator", this.o.pool);
    const r = [registry];
    this.metrics = {
      registry,
      prom,
      latency: new prom.Histogram({
        name: "zkmargin_liquidator_detection_to_inclusion_seconds",
        help: "from finding an account liquidatable to the liquidation's receipt",
        buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
        registers: r,
      }),
      liquidations: new prom.Counter({
        name: "zkmargin_liquidator_liquidations_total",
        help: "liquidations by proof",
        labelNames: ["result"],
        registers: r,
      }),
      accounts: new prom.Gauge({ name: "zkmargin_liquidator_accounts", help: "accounts replayed", registers: r }),
      checkSeconds: new prom.Histogram({
        name: "zkmargin_liquidator_check_seconds",
        help: "one round: replay what changed, check every account against the latest fresh epoch",
        buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
        registers: r,
      }),
    };
  }

  async start(port?: number, host?: string): Promise<number | undefined> {
    await this.init();
    const provider = this.o.accounts.runner!.provider!;
    const head = await provider.getBlockNumber();
    const safe = Math.max(this.o.fromBlock - 1, head - this.o.confirmations);
    // every account ever opened, then the chain from there
    for (let from = this.o.fromBlock; from <= safe; from += LOG_CHUNK) {
      const logs = await this.o.accounts.queryFilter(this.o.accounts.filters.AccountOpened(), from, Math.min(safe, from + LOG_CHUNK - 1));
      for (const l of logs as any[]) this.dirty.add(String(l.args.account));
    }
    this.watch = new ChainWatch(provider, {
      confirmations: this.o.confirmations,
      pollMs: this.o.pollMs,
      cursor: safe,
      onRange: (from, to) => this.onRange(from, to),
      onError: (e) => this.fail("chain", e),
    });
    let bound: number | undefined;
    if (port !== undefined) {
      this.server = new StatusServer(this.metrics.registry, () => this.status());
      bound = await this.server.listen(port, host);
    }
    this.trigger();
    this.watch.start();
    this.rescan = setInterval(() => this.trigger(), this.o.rescanMs);
    return bound;
  }

  private async onRange(from: number, to: number): Promise<void> {
    const a = this.o.accounts;
    const [opened, transitions, frozen, closed, taken, epochs] = await Promise.all([
      a.queryFilter(a.filters.AccountOpened(), from, to),
      a.queryFilter(a.filters.Transition(), from, to),
      a.queryFilter(a.filters.Liquidated(), from, to),
      a.queryFilter(a.filters.AccountClosed(), from, to),
      a.queryFilter(a.filters.TakenOver(), from, to),
      this.o.registry.queryFilter(this.o.registry.filters.EpochPosted(), from, to),
    ]);
    for (const l of [...opened, ...transitions, ...frozen, ...closed, ...taken] as any[])
      this.dirty.add(String(l.args.account ?? l.args[0]));
    if (taken.length > 0) this.dirty.add(String(await a.backstop()));
    if (this.dirty.size > 0 || epochs.length > 0) this.trigger();
  }

  trigger(): void {
    if (this.round) {
      this.roundAgain = true;
      return;
    }
    this.round = (async () => {
      do {
        this.roundAgain = false;
        try {
          await this.check();
        } catch (e) {
          if (!(e instanceof EpochError)) this.fail("round", e);
          else this.lastError = e.message;
        }
      } while (this.roundAgain);
      this.round = undefined;
    })();
  }

  /** Resolves when no round and no liquidation is running. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.round) await this.round;
      else if (this.liquidating.length) await Promise.all(this.liquidating.splice(0));
      else return;
    }
  }

  /** Replay what changed; check every account against the latest fresh epoch; liquidate. */
  async check(): Promise<void> {
    const t0 = performance.now();
    const fresh = await latestFreshEpoch(this.o.registry);
    const detectedAt = performance.now();
    const params = fresh.params;
    this.epochs.set(params.epochId, params);
    this.lastEpoch = params.epochId;
    const todo = [...this.dirty];
    this.dirty.clear();
    const epochOf = async (id: bigint) => this.epochs.get(id) ?? fetchEpoch(this.o.registry, id);
    for (let i = 0; i < todo.length; i += this.o.replayConcurrency) {
      await Promise.all(
        todo.slice(i, i + this.o.replayConcurrency).map(async (account) => {
          try {
            this.replayed.set(account, await replayAccount(this.o.accounts, this.o.secret, account, epochOf, this.epochs));
            this.replayErrors.delete(account);
          } catch (e) {
            this.replayErrors.set(account, (e as Error).message.split("\n")[0]);
            this.dirty.add(account); // retried next round
          }
        }),
      );
    }
    this.metrics.accounts.set(this.replayed.size);
    this.backstop ??= String(await this.o.accounts.backstop()).toLowerCase();
    for (const r of this.replayed.values()) {
      if (r.account.toLowerCase() === this.backstop) {
        // never liquidated (the contract refuses): its operator recapitalises or hedges it
        const below = r.status === 1 && !r.isFlat && !evaluate(params, r.portfolio, "maintenance").healthy;
        if (below && !this.backstopBelowMaintenance)
          this.o.log(`ALERT: the backstop ${r.account} is below maintenance at epoch ${params.epochId}`);
        this.backstopBelowMaintenance = below;
        continue;
      }
      if (this.inFlight.has(r.account) || !liquidatableByProof(r, params)) continue;
      this.inFlight.add(r.account);
      this.liquidating.push(this.liquidate(r, params, detectedAt));
    }
    const frozen = [...this.replayed.values()].filter(
      (r) => r.status === 2 && !this.inFlight.has(r.account) && !this.refused.has(`${r.account}:${r.nonce}:${params.epochId}`),
    );
    if (frozen.length > 0 && !this.takingOver) {
      this.takingOver = this.takeOver(frozen, params, epochOf).finally(() => (this.takingOver = undefined));
      this.liquidating.push(this.takingOver);
    }
    this.metrics.checkSeconds.observe((performance.now() - t0) / 1000);
  }

  private async liquidate(r: Replayed, params: Params, detectedAt: number): Promise<void> {
    try {
      // liquidateByProof waits with the Contract's response, which does not see a fee-bumped copy
      // mined; the signer's own receipt (every version of the transaction) ends the wait as well
      let proveMs = NaN;
      const prover = liquidationProverOf(this.o.pool);
      const timed = {
        prove: async (...a: Parameters<typeof prover.prove>) => {
          const t0 = performance.now();
          const p = await prover.prove(...a);
          proveMs = performance.now() - t0;
          return p;
        },
      };
      let onSent!: (hash: string) => void;
      const sentHash = new Promise<string>((res) => (onSent = res));
      const progress = (s: string) => {
        const m = /^sent liquidateByProof (0x[0-9a-fA-F]{64})/.exec(s);
        if (m) onSent(m[1]);
        this.o.log(s);
      };
      const viaLibrary = liquidateByProof(this.o.accounts, timed, r, params, progress).then((x) => ({
        txHash: x.txHash,
        gasUsed: x.gasUsed,
      }));
      const viaSigner = sentHash
        .then((h) => this.o.signer.receiptFor(h))
        .then((rc) => {
          if (rc.status !== 1) throw new Error(`liquidateByProof ${rc.hash} reverted`);
          return { txHash: rc.hash, gasUsed: rc.gasUsed };
        });
      viaLibrary.catch(() => {});
      viaSigner.catch(() => {});
      const sent = await Promise.race([viaLibrary, viaSigner]);
      const latencyMs = performance.now() - detectedAt;
      this.metrics.latency.observe(latencyMs / 1000);
      this.metrics.liquidations.inc({ result: "ok" });
      const l: Liquidation = {
        account: r.account,
        epochId: String(params.epochId),
        tx: sent.txHash,
        gasUsed: String(sent.gasUsed),
        proveMs: Math.round(proveMs),
        latencyMs: Math.round(latencyMs),
        at: new Date().toISOString(),
      };
      this.liquidations.push(l);
      this.o.log(`liquidated ${r.account} at epoch ${params.epochId}: ${l.latencyMs} ms from detection to inclusion, ${sent.gasUsed} gas`);
    } catch (e) {
      if (e instanceof HealthyAccountError) return;
      this.failures++;
      this.metrics.liquidations.inc({ result: "error" });
      this.fail(`liquidation of ${r.account}`, e);
    } finally {
      this.dirty.add(r.account); // its status changed (or the chain moved): replay before the next check
      this.inFlight.delete(r.account);
      this.trigger(); // replay it now: a frozen book goes to the backstop at once
    }
  }

  /** Hand each frozen book to the backstop, one at a time (each takeover moves the backstop's nonce). */
  private async takeOver(frozen: Replayed[], params: Params, epochOf: (id: bigint) => Promise<Params>): Promise<void> {
    const backstop = String(await this.o.accounts.backstop());
    // no backstop account yet (never opened, or closed): the frozen books wait, nothing is sent
    if (Number((await this.o.accounts.accounts(backstop)).status) !== 1) {
      this.backstopOpen = false;
      return;
    }
    this.backstopOpen = true;
    this.takeoverProver ??= import("../../prover/takeover.ts").then((m) => m.TakeoverProver.load());
    const prover = await this.takeoverProver;
    for (const r of frozen) {
      this.inFlight.add(r.account);
      try {
        const back = await replayAccount(this.o.accounts, this.o.secret, backstop, epochOf, this.epochs);
        const sent = await takeoverByProof(this.o.accounts, prover, r, back, params, (s) => this.o.log(s));
        const x = sent.result;
        this.takeovers.push({
          account: r.account,
          epochId: String(params.epochId),
          tx: sent.txHash,
          gasUsed: String(sent.gasUsed),
          settled: String(x.settled),
          penalty: String(x.penalty),
          badDebt: String(x.badDebt),
          proveMs: Math.round(sent.proveMs),
          at: new Date().toISOString(),
        });
        this.o.log(
          `took over ${r.account} at epoch ${params.epochId}: loss ${x.settled} into the PnL pool, penalty ${x.penalty}, bad debt ${x.badDebt}`,
        );
      } catch (e) {
        if (e instanceof BackstopRefused) {
          // the waterfall stops at the backstop: retried at the next epoch (status: refusedTakeovers)
          this.refused.add(`${r.account}:${r.nonce}:${params.epochId}`);
          this.o.log(`takeover of ${r.account}: ${(e as Error).message}`);
        } else {
          this.failures++;
          this.fail(`takeover of ${r.account}`, e);
        }
      } finally {
        this.dirty.add(r.account);
        this.dirty.add(backstop);
        this.inFlight.delete(r.account);
      }
    }
    this.trigger();
  }

  /** The latency summary of the liquidations so far (ms). */
  latencySummary(): { count: number; p50Ms?: number; p90Ms?: number; maxMs?: number; meanMs?: number } {
    const xs = this.liquidations.map((l) => l.latencyMs).sort((a, b) => a - b);
    if (xs.length === 0) return { count: 0 };
    const q = (p: number) => xs[Math.min(xs.length, Math.max(1, Math.ceil(p * xs.length))) - 1];
    return {
      count: xs.length,
      p50Ms: q(0.5),
      p90Ms: q(0.9),
      maxMs: xs.at(-1),
      meanMs: Math.round(xs.reduce((s, x) => s + x, 0) / xs.length),
    };
  }

  status(): { healthy: boolean } & Record<string, unknown> {
    const head = this.watch?.head ?? -1;
    const processed = this.watch?.processed ?? -1;
    const lagging = head >= 0 && head - processed > this.o.confirmations + 10;
    return {
      service: "liquidator",
      healthy: !lagging && this.replayErrors.size === 0,
      address: this.address,
      startedAt: new Date(this.started).toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      chain: { head, processed, confirmations: this.o.confirmations, reorgs: this.watch?.reorgs ?? 0 },
      latestFreshEpoch: this.lastEpoch === undefined ? undefined : String(this.lastEpoch),
      accounts: this.replayed.size,
      active: [...this.replayed.values()].filter((r) => r.status === 1).length,
      replayErrors: Object.fromEntries(this.replayErrors),
      inFlight: this.inFlight.size,
      liquidated: this.liquidations.length,
      takenOver: this.takeovers.length,
      backstopOpen: this.backstopOpen,
      backstopBelowMaintenance: this.backstopBelowMaintenance,
      refusedTakeovers: this.refused.size,
      recentTakeovers: this.takeovers.slice(-20),
      failures: this.failures,
      detectionToInclusion: this.latencySummary(),
      recent: this.liquidations.slice(-20),
      feeBumps: this.o.signer.bumps,
      pendingTransactions: this.o.signer.pending(),
      pool: this.o.pool.stats(),
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
    };
  }

  async stop(): Promise<void> {
    this.watch?.stop();
    if (this.rescan) clearInterval(this.rescan);
    await this.idle();
    await this.server?.close();
    this.o.signer.stop();
  }
}
