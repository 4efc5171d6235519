// risk latency: the liquidation latency L — the time from a price move to the liquidation of an
// account that the move made unhealthy — as a distribution (seeded Monte Carlo). The margin must
// cover the move over L, so L is what the risk engine charges for. docs/RISK.md "Liquidation
// latency" defines every component; this file is the model, the CLI (client/cli/commands/risk.ts)
// only parses and prints.
import { DEFAULT_GRACE_SECONDS, DEFAULT_MAX_AGE_SECONDS } from "../prover/constants.ts";

/** A chain as the model sees it: how often blocks come and how much gas each holds. */
export interface ChainProfile {
  name: string;
  /** seconds between blocks */
  blockTimeSeconds: number;
  /** the gas one block may hold (its gas limit) */
  gasPerBlock: number;
  /** whether a single sequencer orders transactions (its outages stop all inclusion) */
  sequencer: boolean;
  source: string;
}

export const CHAINS: Record<"ethereum-l1" | "l2", ChainProfile> = {
  // Ethereum L1: 12 s slots (since the Merge, 2022-09). The gas limit was 30M from 2021-08 and
  // validators raised it to 36M in 2025-02; EIP-1559's target is half the limit (18M). A burst of
  // attestations may fill blocks to the limit (the base fee rises 12.5% per full block), so the
  // share of block space is a share of the limit: share 0.5 is the long-run target.
  "ethereum-l1": {
    name: "ethereum-l1",
    blockTimeSeconds: 12,
    gasPerBlock: 36_000_000,
    sequencer: false,
    source: "12 s slots; gas limit 36M (raised from 30M in 2025-02), EIP-1559 target half of it",
  },
  // A typical optimistic-rollup L2 (OP Stack: OP Mainnet, Base): 2 s blocks and a 30M gas limit,
  // 15M gas per second (OP Mainnet's configured limit; Base has since raised its own; Arbitrum
  // produces 0.25 s blocks with a 32M limit: use --chain custom). One sequencer orders everything.
  l2: {
    name: "l2",
    blockTimeSeconds: 2,
    gasPerBlock: 30_000_000,
    sequencer: true,
    source: "OP Stack: 2 s blocks, 30M gas limit (15M gas/s); a single sequencer",
  },
};

/** BENCHMARKS.md, gas of the clearinghouse: proveMargin (an attestation), liquidation, margin call. */
export const GAS_PER_ATTESTATION = 259_290;
export const GAS_PER_LIQUIDATION = 51_359;
export const GAS_PER_MARGIN_CALL = 58_237;
/** BENCHMARKS.md: a transition proof p50 1.864 s, rounded up. */
export const DEFAULT_PROVE_SECONDS = 2;

/**
 * The numbers `npm run load` measured (build/load-report.json, its "measured" object): gas per
 * attestation in a batch, gas per liquidation by proof, the key holder's proving time. `risk
 * latency --measured F` takes them as its defaults.
 */
export interface Measured {
  gasPerAttestation: number;
  gasPerLiquidation: number;
  proveSeconds: number;
}

export function measuredOf(report: unknown): Measured {
  const m = (report as { measured?: Record<string, unknown> } | null)?.measured;
  if (m === undefined || m === null || typeof m !== "object") throw new Error("has no 'measured' object (npm run load writes it)");
  const num = (k: keyof Measured) => {
    const v = m[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new Error(`measured.${k} must be a positive number`);
    return v;
  };
  return { gasPerAttestation: num("gasPerAttestation"), gasPerLiquidation: num("gasPerLiquidation"), proveSeconds: num("proveSeconds") };
}

export interface LatencyOptions {
  chain: ChainProfile;
  /** the share of each block's gas the protocol's transactions get, in (0, 1] */
  share: number;
  /** accounts that must attest after a margin call */
  accounts: number;
  /** liquidations competing for inclusion (the account's place among them is uniform) */
  liquidations: number;
  graceSeconds: number;
  /** the oracle posts a price every cadence seconds (<= max age) */
  cadenceSeconds: number;
  maxAgeSeconds: number;
  gasPerAttestation: number;
  gasPerLiquidation: number;
  /** mean of the key holder's reaction (exponential) */
  reactionSeconds: number;
  proveSeconds: number;
  /** mean of the risk publisher's reaction before it sends the margin call (exponential) */
  callReactionSeconds: number;
  /** probability that the key holder is online (path A), else the fallback (path B) */
  keyHolderOnline: number;
  /** probability that the oracle is down at the move, and the mean of the outage (exponential) */
  outageProb: number;
  outageSeconds: number;
  /** the same for the sequencer (chains with one) */
  sequencerOutageProb: number;
  sequencerOutageSeconds: number;
  samples: number;
  seed: number;
}

export const DEFAULTS = {
  share: 0.3,
  accounts: 1000,
  graceSeconds: Number(DEFAULT_GRACE_SECONDS),
  cadenceSeconds: 60,
  maxAgeSeconds: Number(DEFAULT_MAX_AGE_SECONDS),
  gasPerAttestation: GAS_PER_ATTESTATION,
  gasPerLiquidation: GAS_PER_LIQUIDATION,
  reactionSeconds: 30,
  proveSeconds: DEFAULT_PROVE_SECONDS,
  callReactionSeconds: 60,
  keyHolderOnline: 0.99,
  outageProb: 0.001,
  outageSeconds: 1800,
  sequencerOutageProb: 0.001,
  sequencerOutageSeconds: 3600,
  samples: 100_000,
  seed: 1,
} as const;

/** The capacity line: how many attestations fit in the grace period. */
export interface Capacity {
  attestationsPerBlock: number;
  liquidationsPerBlock: number;
  blocksInGrace: number;
  /** the largest N that attests within the grace period at the share */
  capacityAccounts: number;
  /** the same with all of the block space (share 1) */
  capacityAccountsAllBlockSpace: number;
  /** the time for --accounts to attest, whole blocks */
  attestSeconds: number;
  /** attestSeconds > grace: the call must be re-issued (see effective grace) */
  overflow: boolean;
  /** max(grace, attestSeconds): the wait of the fallback path after the call */
  effectiveGraceSeconds: number;
}

const perBlock = (share: number, gasPerBlock: number, gas: number) => Math.floor((share * gasPerBlock) / gas + 1e-9);

export function capacity(o: LatencyOptions): Capacity {
  const attestationsPerBlock = perBlock(o.share, o.chain.gasPerBlock, o.gasPerAttestation);
  const liquidationsPerBlock = perBlock(o.share, o.chain.gasPerBlock, o.gasPerLiquidation);
  const blocksInGrace = Math.floor(o.graceSeconds / o.chain.blockTimeSeconds + 1e-9);
  const all = perBlock(1, o.chain.gasPerBlock, o.gasPerAttestation);
  const attestSeconds = Math.ceil(Math.ceil(o.accounts / attestationsPerBlock) * o.chain.blockTimeSeconds - 1e-9);
  return {
    attestationsPerBlock,
    liquidationsPerBlock,
    blocksInGrace,
    capacityAccounts: attestationsPerBlock * blocksInGrace,
    capacityAccountsAllBlockSpace: all * blocksInGrace,
    attestSeconds,
    overflow: attestSeconds > o.graceSeconds,
    effectiveGraceSeconds: Math.max(o.graceSeconds, attestSeconds),
  };
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Distribution {
  p50Seconds: number;
  p90Seconds: number;
  p99Seconds: number;
  p99_9Seconds: number;
  maxSeconds: number;
  meanSeconds: number;
}

/** q = x_(ceil(p n)) of the sorted samples (the convention of risk moves). */
function distribution(xs: Float64Array): Distribution {
  xs.sort();
  const n = xs.length;
  const q = (p: number) => xs[Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9))) - 1];
  let sum = 0;
  for (const x of xs) sum += x;
  return {
    p50Seconds: q(0.5),
    p90Seconds: q(0.9),
    p99Seconds: q(0.99),
    p99_9Seconds: q(0.999),
    maxSeconds: xs[n - 1],
    meanSeconds: Math.ceil(sum / n),
  };
}

export interface LatencyReport {
  chain: ChainProfile;
  parameters: Omit<LatencyOptions, "chain">;
  capacity: Capacity;
  /** path A: the key holder proves and liquidates */
  byProof: Distribution;
  /** path B: margin call, grace period, attestations, liquidation of who did not attest */
  fallback: Distribution;
  /** A with probability keyHolderOnline, else B */
  combined: Distribution;
}

/**
 * L by Monte Carlo. Each sample draws, with common random numbers for both paths:
 *   oracle  = U(0, cadence) + one block (the price post's inclusion)
 *           + [outage with prob p] Exp(mean outage)  + [sequencer outage, if any] Exp(mean)
 *   A       = oracle + Exp(mean reaction) + prove + inclusion
 *   B       = oracle + Exp(mean call reaction) + one block (the call) + max(grace, attest) + inclusion
 *   inclusion = ceil(pos / liquidationsPerBlock) blocks, pos uniform in 1..liquidations
 * Every sample is rounded up to a whole second (against the trader).
 */
export function latencyReport(o: LatencyOptions): LatencyReport {
  const cap = capacity(o);
  const bt = o.chain.blockTimeSeconds;
  const rand = rng(o.seed);
  // always one draw, also for a mean of 0: the draws stay in step whatever the parameters
  const exp = (mean: number) => {
    const u = rand();
    return mean === 0 ? 0 : -mean * Math.log(1 - u);
  };
  const a = new Float64Array(o.samples);
  const b = new Float64Array(o.samples);
  const c = new Float64Array(o.samples);
  const up = (x: number) => Math.ceil(x - 1e-9);
  for (let i = 0; i < o.samples; i++) {
    // draw every number in a fixed order so that changing one parameter leaves the others' draws alone
    const uCadence = rand();
    const uOutage = rand();
    const outage = exp(o.outageSeconds);
    const uSequencer = rand();
    const sequencerOutage = exp(o.sequencerOutageSeconds);
    const reaction = exp(o.reactionSeconds);
    const callReaction = exp(o.callReactionSeconds);
    const uPos = rand();
    const uOnline = rand();
    let oracle = uCadence * o.cadenceSeconds + bt;
    if (uOutage < o.outageProb) oracle += outage;
    if (o.chain.sequencer && uSequencer < o.sequencerOutageProb) oracle += sequencerOutage;
    const pos = Math.max(1, Math.ceil(uPos * o.liquidations));
    const inclusion = Math.ceil(pos / cap.liquidationsPerBlock) * bt;
    a[i] = up(oracle + reaction + o.proveSeconds + inclusion);
    b[i] = up(oracle + callReaction + bt + cap.effectiveGraceSeconds + inclusion);
    c[i] = uOnline < o.keyHolderOnline ? a[i] : b[i];
  }
  const { chain, ...parameters } = o;
  return { chain, parameters, capacity: cap, byProof: distribution(a), fallback: distribution(b), combined: distribution(c) };
}

const n = (x: number) => x.toLocaleString("en-US");
const s = (x: number) =>
  x >= 3600 ? `${n(x)} s (${(x / 3600).toFixed(1)} h)` : x >= 60 ? `${n(x)} s (${(x / 60).toFixed(1)} min)` : `${n(x)} s`;

export function formatLatency(r: LatencyReport): string {
  const p = r.parameters;
  const c = r.capacity;
  const lines = [
    `zkmargin risk latency — ${r.chain.name}: ${r.chain.blockTimeSeconds} s blocks, ${n(r.chain.gasPerBlock)} gas per block (${n(Math.round(r.chain.gasPerBlock / r.chain.blockTimeSeconds))} gas/s)${r.chain.sequencer ? ", one sequencer" : ""}`,
    `  share ${p.share} of block space, ${n(p.accounts)} accounts, ${n(p.liquidations)} liquidations competing, grace ${p.graceSeconds} s, cadence ${p.cadenceSeconds} s, max age ${p.maxAgeSeconds} s`,
    `  gas: ${n(p.gasPerAttestation)} per attestation, ${n(p.gasPerLiquidation)} per liquidation; key holder online ${p.keyHolderOnline}, reaction ${p.reactionSeconds} s (mean), prove ${p.proveSeconds} s`,
    `  oracle outage: prob ${p.outageProb}, mean ${p.outageSeconds} s${r.chain.sequencer ? `; sequencer outage: prob ${p.sequencerOutageProb}, mean ${p.sequencerOutageSeconds} s` : ""}; ${n(p.samples)} samples, seed ${p.seed}`,
    "",
    `Capacity: ${n(c.attestationsPerBlock)} attestations per block × ${n(c.blocksInGrace)} blocks in the grace period = ${n(c.capacityAccounts)} accounts at share ${p.share} (${n(c.capacityAccountsAllBlockSpace)} with all of the block space)`,
    `  ${n(p.accounts)} accounts attest in ${s(c.attestSeconds)}${c.overflow ? ` > grace ${p.graceSeconds} s: OVERFLOW, the call must be re-issued; the fallback waits ${s(c.effectiveGraceSeconds)}` : ` (within the grace period)`}`,
    "",
    `  path                      p50         p90         p99       p99.9         max`,
  ];
  const row = (name: string, d: Distribution) =>
    `  ${name.padEnd(20)}${[d.p50Seconds, d.p90Seconds, d.p99Seconds, d.p99_9Seconds, d.maxSeconds].map((x) => `${n(x)} s`.padStart(12)).join("")}`;
  lines.push(
    row("by proof", r.byProof),
    row("fallback", r.fallback),
    row(`combined (q=${p.keyHolderOnline})`, r.combined),
    "",
    "Seconds, rounded up (against the trader). The margin must cover the move over L: see docs/RISK.md, Liquidation latency.",
  );
  return lines.join("\n");
}
