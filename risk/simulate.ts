// risk simulate (issue #11, item 5): replays hourly history through the protocol's margin rule with
// a population of accounts. docs/RISK.md, "Crash simulator", defines it.
//
// The margin rule is prover/model.ts's (the circuit's), evaluated in floating point in the hot loop
// (healthyFloat below: the same equity, requirement with the impact term, stress rows and leverage;
// caps are not modelled). test/risk-simulate.test.ts checks healthyFloat against evaluate() on
// random portfolios converted to lots (identical verdicts away from the rounding boundary).
//
// Epochs are the hourly closes (the oracle's cadence in the data). An account found below
// maintenance at epoch t is taken over at the close of epoch t + latency (risk latency's L in
// whole hours) at that mark less a depth impact; the takeovers of an epoch move each market's mark
// by impactBps x (net liquidated notional / depth), which decays by half every 24 h (cascades).
// The residual of a takeover runs the waterfall: the account's value, then the insurance fund, the
// backstop vault, and the rest is socialised (auto-deleveraging of the winning side). A positive
// residual pays a liquidation fee into the insurance fund. A liquidated account reopens a fresh
// book at the next epoch, so the population stays constant. Optional (off by default): margin
// calls with a grace period instead of liquidation by proof (graceHours), and funding payments
// that move the cost basis (funding, from readFunding).
//
// The hot loop does less work than checking every account every hour (simulateSegment's comment,
// SKIP_MARGIN, WATCH_SLACK) and gives the same result bit for bit as that loop, which is kept in
// risk/simulate-reference.ts for the test.
//
// The history is cut into segments (SEGMENT_HOURS); each segment starts from the same seeded
// population scaled to its first prices, so segments are independent and run in worker threads.
import { Worker } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { Params } from "../prover/types.ts";
import { rng } from "./latency.ts";
import { futuresFiles } from "./moves.ts";

export const SEGMENT_HOURS = 24 * 30;
/** the cascade's shift of a mark is bounded (a market maker steps in) */
export const MAX_SHIFT = 0.3;

/** What a worker needs: plain numbers only (structured clone). */
export interface SimInput {
  /** the markets of the model: asset names, rates (fractions), impact (fraction), depth (USD) */
  assets: string[];
  maint: number[];
  initial: number[];
  impact: number[];
  depthUsd: number[];
  /** stress rows: fractions per market */
  shocks: number[][];
  maxLeverage: number;
  /** collateral assets (non-settlement): hourly closes carried forward over gaps, haircut (fraction) */
  collateral: { price: number; haircut: number }[];
  collateralCloses: Float64Array[];
  /** hourly closes per price series (markets first, then collateral-only assets), NaN before listing */
  t0: number;
  closes: Float64Array[];
  accounts: number;
  /** share of adversarial accounts (books from the worst-portfolio search, opened at maintenance) */
  adversarialShare: number;
  adversarialBooks: number[][];
  /** share of accounts holding part of their equity in non-settlement collateral */
  collateralShare: number;
  latencyHours: number;
  /** protocol-wide open-interest cap per market (USD gross notional at entry) */
  oiCapUsd: number[];
  liquidationFee: number;
  insuranceFundUsd: number;
  vaultUsd: number;
  seed: number;
  /**
   * Margin calls: 0 (the default) liquidates by proof, latencyHours after the failed check. With G
   * > 0 hours, a failed check is a margin call instead; the account is checked again G hours later
   * and taken over then only if still below maintenance (otherwise it answered the call).
   */
  graceHours?: number;
  /** funding per market on the hourly grid: the rate (a fraction of the mark, longs pay) at the hours it is paid, else 0; null none */
  funding?: (Float64Array | null)[];
  /** for tests: check every account every hour (no skip), the loop's plain semantics with margin calls and funding */
  exhaustive?: boolean;
}

export interface SegmentResult {
  segment: number;
  accountHours: number;
  liquidations: number;
  liquidationVolumeUsd: number;
  badDebtUsd: number;
  /** per epoch index (absolute hour) with bad debt: [hour, usd] */
  badDebtByHour: [number, number][];
  liquidationsByHour: [number, number, number][]; // [hour, count, volume]
  insuranceDrawdownUsd: number;
  vaultDrawdownUsd: number;
  socialisedUsd: number;
  adlEvents: number;
  /** contagion[i][j]: liquidated notional in market j in hours whose largest move was market i's */
  contagion: number[][];
  /** liquidations of accounts with non-settlement collateral */
  collateralLiquidations: number;
  /** margin calls made (graceHours > 0) and those the account answered (healthy again at the deadline) */
  marginCalls: number;
  marginCallsCured: number;
  /** funding paid by the population (longs pay a positive rate), USD: the net of the books held */
  fundingPaidUsd: number;
}

/** The float twin of prover/model.ts evaluate(): healthy at the given rates (no caps). */
export function healthyFloat(
  sizes: ArrayLike<number>,
  entry: ArrayLike<number>,
  prices: ArrayLike<number>,
  collateralValue: number,
  rates: ArrayLike<number>,
  impact: ArrayLike<number>,
  depth: ArrayLike<number>,
  shocks: number[][],
  maxLeverage: number,
): boolean {
  let E = collateralValue;
  let R = 0;
  let G = 0;
  const n = sizes.length;
  for (let i = 0; i < n; i++) {
    const s = sizes[i];
    if (s === 0) continue;
    const p = prices[i];
    E += s * (p - entry[i]);
    const notional = Math.abs(s) * p;
    G += notional;
    R += notional * rates[i] + (notional * notional * impact[i]) / depth[i];
  }
  if (E < R) return false;
  if (G > maxLeverage * E) return false;
  for (const row of shocks) {
    let x = E;
    for (let i = 0; i < n; i++) x += sizes[i] * prices[i] * row[i];
    if (x < 0) return false;
  }
  return true;
}

/** A binary min-heap of (key, account, version) on growable typed arrays: the skip's watch lists. */
class WatchHeap {
  key = new Float64Array(1024);
  acc = new Int32Array(1024);
  ver = new Int32Array(1024);
  size = 0;
  push(k: number, a: number, v: number) {
    if (this.size === this.key.length) {
      const n = this.size * 2;
      const key = new Float64Array(n);
      key.set(this.key);
      const acc = new Int32Array(n);
      acc.set(this.acc);
      const ver = new Int32Array(n);
      ver.set(this.ver);
      this.key = key;
      this.acc = acc;
      this.ver = ver;
    }
    const { key, acc, ver } = this;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (key[p] <= k) break;
      key[i] = key[p];
      acc[i] = acc[p];
      ver[i] = ver[p];
      i = p;
    }
    key[i] = k;
    acc[i] = a;
    ver[i] = v;
  }
  /** drops the entries that are no longer live (version changed); a sorted array is a heap */
  compact(version: Int32Array) {
    const live: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.ver[i] === version[this.acc[i]]) live.push(i);
    live.sort((x, y) => this.key[x] - this.key[y]);
    const key = Float64Array.from(live, (i) => this.key[i]);
    const acc = Int32Array.from(live, (i) => this.acc[i]);
    const ver = Int32Array.from(live, (i) => this.ver[i]);
    this.size = live.length;
    this.key.set(key);
    this.acc.set(acc);
    this.ver.set(ver);
  }
  /** removes the top (the caller read it from key[0], acc[0], ver[0]) */
  pop() {
    const { key, acc, ver } = this;
    const n = --this.size;
    if (n === 0) return;
    const k = key[n];
    const a = acc[n];
    const v = ver[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && key[c + 1] < key[c]) c++;
      if (key[c] >= k) break;
      key[i] = key[c];
      acc[i] = acc[c];
      ver[i] = ver[c];
      i = c;
    }
    key[i] = k;
    acc[i] = a;
    ver[i] = v;
  }
}

/**
 * The stress rows that can decide account books of a sign pattern (bit-exact pruning).
 *
 * Row k's stress equity is x_k = fl(...fl(fl(E + fl(v_i1 s_k,i1)) + fl(v_i2 s_k,i2))...) over the
 * held markets i1 < i2 < ... (v_i = size x mark; the other markets add an exact zero, which leaves
 * a float sum unchanged but for the sign of a zero result). Float multiplication by a fixed v and
 * float addition are monotone (non-decreasing) in each argument, so if sign(v_i) s_j,i <= sign(v_i)
 * s_k,i for every held market i, then x_j <= x_k in floating point as well: row k fails only if row
 * j fails, and k can be dropped. A row with sign(v_i) s_k,i >= 0 on every held market has x_k >= E,
 * and the rows are only checked when E >= R > 0, so it never fails. What is left (ties keep the
 * lowest index) gives the same verdict as every row, bit for bit. test/risk-simulate.test.ts
 * compares the whole segment with risk/simulate-reference.ts.
 */
export function decisiveRows(shockFlat: Float64Array, K: number, M: number, held: ArrayLike<number>, sign: ArrayLike<number>): number[] {
  const keep: number[] = [];
  const adv = (k: number, j: number) => sign[j] * shockFlat[k * M + held[j]];
  const n = held.length;
  for (let k = 0; k < K; k++) {
    let harmless = true;
    for (let j = 0; j < n; j++) if (adv(k, j) < 0) harmless = false;
    if (harmless) continue;
    let dominated = false;
    for (let r = 0; r < K && !dominated; r++) {
      if (r === k) continue;
      let le = true;
      let lt = false;
      for (let j = 0; j < n; j++) {
        const a = adv(r, j);
        const b = adv(k, j);
        if (a > b) le = false;
        else if (a < b) lt = true;
      }
      // r at least as adverse everywhere, strictly somewhere, or equal with a lower index
      if (le && (lt || r < k)) dominated = true;
    }
    if (!dominated) keep.push(k);
  }
  return keep;
}

/**
 * The skip's safety margin, relative to a bound on the magnitudes summed in an account's check.
 *
 * A full check of a healthy account gives (in floats) its equity E, requirement R, gross notional
 * G, least stress equity X over the decisive rows, and its collateral's value V after the haircut.
 * If later every held mark is m_i (1 + d_i) and the collateral price p (1 + d_c), all |d| <= d <= 1,
 * then in exact arithmetic on the same float inputs (the sizes, costs and cash do not change while
 * the book is open; v_i = size_i x mark_i):
 *   E' = E + V d_c + sum v_i d_i >= E - d (V + G)
 *   G' <= G (1 + d),   R' <= R (1 + d)^2 <= R (1 + 3 d)
 *   x_k' = x_k + V d_c + sum v_i d_i (1 + s_k,i) >= x_k - d (V + G (1 + max |s|)).
 * A check's float result differs from its exact value by at most about 20 x 2^-53 of the sum of the
 * magnitudes it adds (at most 8 markets, 1 collateral, a few products each), under 3e-15 x scale
 * with scale = (|cash| + V + sum |cost_i| + 4 (G + R)) (2 + maxLeverage) here or 2x that after a move
 * of d <= 1. Choosing d so that each exact slack (E' - R', maxLev E' - G', x_k') stays above
 * SKIP_MARGIN x scale, a million times that error, makes the float verdict "healthy" again, so the
 * hour's check is skipped without changing anything. The move is tested in logs (|log m' - log m|
 * <= log(1 + d) implies |d_i| <= d), shrunk by 1e-6 relative and 1e-12 absolute for the rounding of
 * the logs. A missing mark (NaN) never skips. test/risk-simulate.test.ts checks the whole segment
 * against risk/simulate-reference.ts, which checks every account every hour.
 */
export const SKIP_MARGIN = 1e-9;

/**
 * The watch's margin (log units): an account is not visited while each watched log price l stays
 * within [base - (beta - WATCH_SLACK), base + (beta - WATCH_SLACK)] (the bounds are rounded once,
 * by under 4e-15 for |base| < 32, and |l - base| is rounded once more), which implies the visit's
 * own skip test |l - base| <= beta would pass. A NaN price compares false and pops nothing: the
 * visit would have found the mark missing and done nothing.
 */
export const WATCH_SLACK = 1e-9;

/**
 * Funding while armed: a payment p changes the cost basis by p (plus a rounding far below
 * SKIP_MARGIN), so the exact slacks E - R and X fall by at most |p| and maxLev E - G by maxLev |p|.
 * An account holding a market with funding in its segment is armed with d computed on slacks less a
 * reserve Q = FUNDING_RESERVE x the least slack (maxLev E - G counted per maxLev); it is checked
 * again in full only once the |payments| since its last full check exceed Q. Q < the equity, so
 * the magnitudes in the check (scale) at most double and the margin still holds.
 */
export const FUNDING_RESERVE = 0.25;

/**
 * Simulates one segment [h0, h1) of the hourly grid.
 *
 * The same simulation as risk/simulate-reference.ts (the loop as first written), bit for bit, with
 * less work per account-hour: each account keeps the list of markets it holds (ascending, so the
 * float sums run in the same order; a market not held adds an exact zero), its cost sizes x entry
 * (the same product the loop formed every hour), its one collateral asset, and the stress rows that
 * can decide its verdict (decisiveRows); a healthy account is not checked again until a mark it
 * depends on has moved far enough to possibly change its verdict (SKIP_MARGIN). The takeovers of an hour run after the checks of that hour,
 * in account order: a check reads nothing a takeover writes (marks move only after the hour), and
 * the reopened books draw from the random stream in the same order.
 */
export function simulateSegment(inp: SimInput, segment: number, h0: number, h1: number): SegmentResult {
  const N = inp.accounts;
  const M = inp.assets.length;
  const C = inp.collateral.length;
  const rand = rng((inp.seed * 1_000_003 + segment) >>> 0);
  const sizes = new Float64Array(N * M);
  const entry = new Float64Array(N * M);
  const cost = new Float64Array(N * M); // sizes x entry
  const heldList = new Uint8Array(N * M); // the markets held, ascending
  const heldN = new Uint8Array(N);
  const cash = new Float64Array(N);
  const coll = new Float64Array(N * Math.max(1, C)); // units of the collateral asset
  const collOf = new Int32Array(N).fill(-1); // the one collateral asset held, -1 none
  const collUnits = new Float64Array(N);
  const pendingAt = new Int32Array(N).fill(-1); // epoch of the takeover, -1 none
  const hasColl = new Uint8Array(N);
  // funding: each payment moves the cost basis (cost = sizes x entry + fundAcc); the takeover
  // value subtracts what was paid. Without funding fundAcc stays 0 and nothing changes.
  const fundAcc = new Float64Array(N * M);
  const funding = inp.funding ?? [];
  const grace = inp.graceHours ?? 0;
  const fundedHere = funding.map((f) => (f ? f.subarray(h0, h1).some((r) => r !== 0) : false));
  while (fundedHere.length < M) fundedHere.push(false);
  const reserve = new Float64Array(N); // funding (sum of |payments|) an armed account absorbs
  const fundUsed = new Float64Array(N);
  const mark = new Float64Array(M);
  const shift = new Float64Array(M); // cascade: multiplicative shift of each mark (decays)
  const closes = inp.closes;
  const res: SegmentResult = {
    segment,
    accountHours: 0,
    liquidations: 0,
    liquidationVolumeUsd: 0,
    badDebtUsd: 0,
    badDebtByHour: [],
    liquidationsByHour: [],
    insuranceDrawdownUsd: 0,
    vaultDrawdownUsd: 0,
    socialisedUsd: 0,
    adlEvents: 0,
    contagion: [...Array(M)].map(() => new Array(M).fill(0)),
    collateralLiquidations: 0,
    marginCalls: 0,
    marginCallsCured: 0,
    fundingPaidUsd: 0,
  };
  let fund = inp.insuranceFundUsd;
  let vault = inp.vaultUsd;
  let fundPeak = fund;
  const rowsArr = inp.shocks;
  const K = rowsArr.length;
  const shockFlat = Float64Array.from(rowsArr.flat());
  // the decisive rows per account: rowList[a * K ...], rowN[a]; cached per (markets held, signs)
  const rowList = new Uint8Array(N * Math.max(1, K));
  const rowN = new Uint8Array(N);
  const rowCache = new Map<string, number[]>();
  const beta = new Float64Array(N).fill(-1);
  // the watch: per price series (markets, then collateral assets) a min-heap of the upper ends of
  // the accounts' log-mark intervals and one of the negated lower ends; an entry is live while its
  // version is the account's. Accounts to visit regardless (new, pending, no room): active.
  const S = M + C;
  const watchHi = [...Array(S)].map(() => new WatchHeap());
  const watchLo = [...Array(S)].map(() => new WatchHeap());
  const version = new Int32Array(N);
  let active = new Int32Array(N);
  let nActive = 0;
  let nextActive = new Int32Array(N);
  let nNext = 0;
  const stamp = new Int32Array(N).fill(-1);
  const visit = new Int32Array(N);
  const collKeep = Float64Array.from(inp.collateral, (c) => 1 - c.haircut);
  const hcVal = (a: number, h: number) => {
    let v = cash[a];
    for (let c = 0; c < C; c++) {
      const units = coll[a * C + c];
      if (units !== 0) v += units * inp.collateralCloses[c][h] * (1 - inp.collateral[c].haircut);
    }
    return v;
  };
  const rawVal = (a: number, h: number) => {
    let v = cash[a];
    for (let c = 0; c < C; c++) {
      const units = coll[a * C + c];
      if (units !== 0) v += units * inp.collateralCloses[c][h];
    }
    return v;
  };
  const sz = new Float64Array(M);
  const oi = new Float64Array(M); // open interest at entry (gross notional) per market
  const om = new Float64Array(M);
  const en = new Float64Array(M);
  /** opens account a's book at epoch h: a random or adversarial book scaled to its level */
  const open = (a: number, h: number) => {
    for (let i = 0; i < M; i++) {
      oi[i] = Math.max(0, oi[i] - Math.abs(sizes[a * M + i] * entry[a * M + i]));
      sizes[a * M + i] = 0;
      entry[a * M + i] = 0;
      cost[a * M + i] = 0;
    }
    heldN[a] = 0;
    rowN[a] = 0;
    beta[a] = -1;
    version[a]++;
    for (let i = 0; i < M; i++) fundAcc[a * M + i] = 0;
    for (let c = 0; c < C; c++) coll[a * C + c] = 0;
    hasColl[a] = 0;
    collOf[a] = -1;
    collUnits[a] = 0;
    pendingAt[a] = -1;
    const listed: number[] = [];
    for (let i = 0; i < M; i++) if (!Number.isNaN(closes[i][h])) listed.push(i);
    // equity: log-uniform from $100 to $100k
    const equity = 100 * Math.pow(1000, rand());
    cash[a] = equity;
    if (C > 0 && rand() < inp.collateralShare) {
      const c = Math.floor(rand() * C);
      const p = inp.collateralCloses[c][h];
      if (!Number.isNaN(p)) {
        const share = 0.3 + 0.7 * rand(); // of the equity, credited after the haircut
        coll[a * C + c] = (equity * share) / (p * (1 - inp.collateral[c].haircut));
        hasColl[a] = 1;
        collOf[a] = c;
        collUnits[a] = coll[a * C + c];
        cash[a] = equity * (1 - share);
      }
    }
    if (listed.length === 0) return;
    const w = new Float64Array(M);
    const adversarial = inp.adversarialBooks.length > 0 && rand() < inp.adversarialShare;
    if (adversarial) {
      const book = inp.adversarialBooks[Math.floor(rand() * inp.adversarialBooks.length)];
      for (const i of listed) w[i] = book[i];
    } else {
      const k = 1 + Math.floor(rand() * Math.min(3, listed.length));
      for (let j = 0; j < k; j++) {
        const i = listed[Math.floor(rand() * listed.length)];
        w[i] += (rand() < 0.55 ? 1 : -1) * (0.2 + rand());
      }
    }
    if (w.every((x) => x === 0)) return;
    // the level: adversarial at maintenance (the edge of what proves), others at a share of initial
    // every book opens proving initial margin (as the chain requires); adversarial ones at its edge
    const rates = inp.initial;
    // the book would still prove with target x its equity: a buffer in every constraint (the stress
    // rows apply at both levels, so a book at a row's boundary is liquidatable by any adverse move)
    const target = adversarial ? 0.9 : 0.2 + 0.75 * rand();
    const E = hcVal(a, h);
    // at the epoch's mark (the close with the cascade's shift)
    for (let i = 0; i < M; i++) {
      om[i] = closes[i][h] * (1 + shift[i]);
      en[i] = om[i];
    }
    // the largest scale x (notional per unit weight) at which the book proves with target x E: each
    // constraint in closed form (requirement x a + x^2 b, leverage, every stress row), the smallest
    const T = target * E;
    let qa = 0;
    let qb = 0;
    let gross = 0;
    for (let i = 0; i < M; i++) {
      if (w[i] === 0) continue;
      const aw = Math.abs(w[i]);
      qa += aw * rates[i];
      qb += (aw * aw * inp.impact[i]) / inp.depthUsd[i];
      gross += aw;
    }
    let lo = qb > 0 ? (-qa + Math.sqrt(qa * qa + 4 * qb * T)) / (2 * qb) : T / qa;
    lo = Math.min(lo, (inp.maxLeverage * T) / gross);
    for (const row of rowsArr) {
      let d = 0;
      for (let i = 0; i < M; i++) d += w[i] * row[i];
      if (d < 0) lo = Math.min(lo, T / -d);
    }
    lo *= 1 - 1e-9;
    if (!(lo > 0)) return;
    for (let i = 0; i < M; i++) {
      const notional = Math.abs(w[i] * lo);
      // the protocol-wide open-interest cap: a book that would exceed it opens without that market
      if (w[i] === 0 || oi[i] + notional > inp.oiCapUsd[i]) continue;
      oi[i] += notional;
      sizes[a * M + i] = (w[i] * lo) / om[i];
      entry[a * M + i] = om[i];
    }
    // the hot loop's view of the book
    const held: number[] = [];
    const sign: number[] = [];
    for (let i = 0; i < M; i++) {
      const s = sizes[a * M + i];
      if (s === 0) continue;
      cost[a * M + i] = s * entry[a * M + i];
      heldList[a * M + held.length] = i;
      held.push(i);
      sign.push(s > 0 ? 1 : -1);
    }
    heldN[a] = held.length;
    const key = `${held.join(",")}/${sign.join(",")}`;
    let rows = rowCache.get(key);
    if (rows === undefined) rowCache.set(key, (rows = decisiveRows(shockFlat, K, M, held, sign)));
    rowN[a] = rows.length;
    for (let r = 0; r < rows.length; r++) rowList[a * K + r] = rows[r];
  };
  for (let a = 0; a < N; a++) {
    open(a, h0);
    if (heldN[a] > 0) active[nActive++] = a;
  }
  const maint = Float64Array.from(inp.maint);
  const impOverD = Float64Array.from(inp.impact, (x, i) => x / inp.depthUsd[i]);
  const maxLev = inp.maxLeverage;
  const latency = inp.latencyHours;
  const collPx = new Float64Array(Math.max(1, C));
  // the skip (see SKIP_MARGIN): log marks of the hour, each account's log marks at its last full
  // check, and the log move beta it can take from there (-1: check every hour)
  const logMark = new Float64Array(M);
  const logColl = new Float64Array(Math.max(1, C));
  const baseMark = new Float64Array(N * M);
  const baseColl = new Float64Array(N);
  let shockAbsMax = 0;
  for (let q = 0; q < shockFlat.length; q++) shockAbsMax = Math.max(shockAbsMax, Math.abs(shockFlat[q]));
  const vv = new Float64Array(M);
  const takeovers = new Int32Array(N);
  const volume = new Float64Array(M);
  const prevClose = new Float64Array(M);
  for (let i = 0; i < M; i++) prevClose[i] = closes[i][h0];
  for (let h = h0 + 1; h < h1; h++) {
    // marks: the closes with the cascade shift (decaying by half every 24 h)
    let shockMarket = -1;
    let shockMove = 0;
    let anyMissing = false;
    for (let i = 0; i < M; i++) {
      shift[i] *= Math.pow(0.5, 1 / 24);
      const p = closes[i][h];
      mark[i] = Number.isNaN(p) ? NaN : p * (1 + shift[i]);
      if (Number.isNaN(p)) anyMissing = true;
      if (!Number.isNaN(p) && !Number.isNaN(prevClose[i])) {
        const mv = Math.abs(p / prevClose[i] - 1);
        if (mv > shockMove) {
          shockMove = mv;
          shockMarket = i;
        }
      }
      prevClose[i] = p;
    }
    for (let c = 0; c < C; c++) {
      collPx[c] = inp.collateralCloses[c][h];
      logColl[c] = Math.log(collPx[c]);
    }
    for (let i = 0; i < M; i++) logMark[i] = Math.log(mark[i]);
    volume.fill(0);
    let liqCount = 0;
    let liqVol = 0;
    let hourBad = 0;
    res.accountHours += N;
    // the accounts to visit: the active ones and those with a mark outside their interval (an
    // account not visited would have been skipped: its marks are inside, see the watch's margin)
    let nVisit = 0;
    for (let q = 0; q < nActive; q++) {
      const a = active[q];
      if (stamp[a] !== h) {
        stamp[a] = h;
        visit[nVisit++] = a;
      }
    }
    for (let sIdx = 0; sIdx < S; sIdx++) {
      const lm = sIdx < M ? logMark[sIdx] : logColl[sIdx - M];
      for (const [heap, x] of [
        [watchHi[sIdx], lm],
        [watchLo[sIdx], -lm],
      ] as const) {
        while (heap.size > 0 && heap.key[0] < x) {
          const a = heap.acc[0];
          if (heap.ver[0] === version[a] && stamp[a] !== h) {
            stamp[a] = h;
            visit[nVisit++] = a;
          }
          heap.pop();
        }
      }
    }
    // funding paid at this hour: it moves the holders' cost basis. An armed account absorbs
    // payments up to its reserve (FUNDING_RESERVE); beyond it, or unarmed, it is checked in full.
    for (let i = 0; i < M; i++) {
      const f = funding[i];
      const r = f ? f[h] : 0;
      if (r === 0 || Number.isNaN(r) || Number.isNaN(mark[i])) continue;
      for (let a = 0; a < N; a++) {
        const idx = a * M + i;
        const s = sizes[idx];
        if (s === 0) continue;
        const pay = s * r * mark[i];
        fundAcc[idx] += pay;
        cost[idx] = s * entry[idx] + fundAcc[idx];
        res.fundingPaidUsd += pay;
        if (beta[a] > 0 && pendingAt[a] < 0) {
          fundUsed[a] += pay < 0 ? -pay : pay;
          if (fundUsed[a] * (1 + 1e-9) <= reserve[a]) continue;
        }
        beta[a] = -1;
        if (stamp[a] !== h) {
          stamp[a] = h;
          visit[nVisit++] = a;
        }
      }
    }
    // in account order: neighbours in memory
    visit.subarray(0, nVisit).sort();
    // the checks: the margin rule inline (healthyFloat on the markets held and the decisive rows)
    let nTake = 0;
    for (let q = 0; q < nVisit; q++) {
      const a = visit[q];
      const k = heldN[a];
      if (k === 0) continue;
      const base = a * M;
      const due = pendingAt[a];
      const c = collOf[a];
      // the skip: no held mark (nor the collateral's price) has moved by more than beta in log
      // since the last full check, which then proves this hour passes too (NaN never skips)
      const b = beta[a];
      if (due < 0 && b > 0) {
        let inside = c < 0 || Math.abs(logColl[c] - baseColl[a]) <= b;
        for (let j = 0; inside && j < k; j++) {
          const i = heldList[base + j];
          if (!(Math.abs(logMark[i] - baseMark[base + i]) <= b)) inside = false;
        }
        if (inside) continue;
      }
      if (anyMissing) {
        let missing = false;
        for (let j = 0; j < k; j++) if (Number.isNaN(mark[heldList[base + j]])) missing = true;
        if (missing) continue;
      }
      if (due >= 0) {
        if (h < due) continue;
        if (grace <= 0) {
          takeovers[nTake++] = a;
          continue;
        }
        // the margin call's deadline: checked again below
      }
      let E = c >= 0 ? cash[a] + collUnits[a] * collPx[c] * collKeep[c] : cash[a];
      let R = 0;
      let G = 0;
      for (let j = 0; j < k; j++) {
        const i = heldList[base + j];
        const v = sizes[base + i] * mark[i];
        vv[i] = v;
        E += v - cost[base + i];
        const nn = v < 0 ? -v : v;
        G += nn;
        R += nn * (maint[i] + nn * impOverD[i]);
      }
      let ok = E >= R && G <= maxLev * E;
      let X = Infinity; // the least stress equity over the decisive rows
      if (ok) {
        const nr = rowN[a];
        const rb = a * K;
        for (let r = 0; r < nr; r++) {
          const o = rowList[rb + r] * M;
          let x = E;
          for (let j = 0; j < k; j++) {
            const i = heldList[base + j];
            x += vv[i] * shockFlat[o + i];
          }
          if (x < 0) {
            ok = false;
            break;
          }
          if (x < X) X = x;
        }
      }
      if (!ok) {
        if (due >= 0)
          takeovers[nTake++] = a; // still below maintenance at the call's deadline
        else if (grace > 0) {
          pendingAt[a] = h + grace;
          res.marginCalls++;
        } else {
          pendingAt[a] = h + latency;
          if (latency <= 0) takeovers[nTake++] = a;
        }
        continue;
      }
      if (due >= 0) {
        // the call is answered: healthy again at its deadline
        pendingAt[a] = -1;
        res.marginCallsCured++;
      }
      // healthy: how far may the marks move before this verdict could change (SKIP_MARGIN)
      const V = c >= 0 ? collUnits[a] * collPx[c] * collKeep[c] : 0;
      let scale = (cash[a] < 0 ? -cash[a] : cash[a]) + V + 4 * (G + R);
      for (let j = 0; j < k; j++) {
        const i = heldList[base + j];
        const ci = cost[base + i];
        scale += ci < 0 ? -ci : ci;
      }
      const margin = SKIP_MARGIN * scale * (2 + maxLev);
      // funding to come in a held market: keep a reserve Q of the slacks for the payments (they
      // lower E and X by what is paid and maxLev E by maxLev times that)
      let Q = 0;
      for (let j = 0; j < k; j++)
        if (fundedHere[heldList[base + j]]) {
          Q = FUNDING_RESERVE * Math.min(E - R - margin, (maxLev * E - G - margin) / maxLev, X - margin);
          break;
        }
      if (!(Q > 0)) Q = 0;
      let d = Math.min(1, (E - R - margin - Q) / (V + G + 3 * R), (maxLev * E - G - margin - maxLev * Q) / (maxLev * (V + G) + G));
      if (X !== Infinity) d = Math.min(d, (X - margin - Q) / (V + G * (1 + shockAbsMax)));
      reserve[a] = Q;
      fundUsed[a] = 0;
      const bb = inp.exhaustive ? -1 : Math.log1p(d * (1 - 1e-6)) - 1e-12;
      if (bb > 0) {
        beta[a] = bb;
        for (let j = 0; j < k; j++) {
          const i = heldList[base + j];
          baseMark[base + i] = logMark[i];
        }
        if (c >= 0) baseColl[a] = logColl[c];
      } else beta[a] = -1;
    }
    // the takeovers of the hour, in account order
    takeovers.subarray(0, nTake).sort();
    for (let t = 0; t < nTake; t++) {
      const a = takeovers[t];
      const base = a * M;
      for (let i = 0; i < M; i++) {
        sz[i] = sizes[base + i];
        en[i] = entry[base + i];
      }
      // takeover at the mark less the depth impact: value = raw collateral + PnL - slippage
      let value = rawVal(a, h);
      let notional = 0;
      for (let i = 0; i < M; i++) {
        if (sz[i] === 0) continue;
        const nn = Math.abs(sz[i]) * mark[i];
        value += sz[i] * (mark[i] - en[i]) - (nn * nn * inp.impact[i]) / inp.depthUsd[i];
        if (fundAcc[base + i] !== 0) value -= fundAcc[base + i];
        notional += nn;
        volume[i] += sz[i] * mark[i];
        res.contagion[shockMarket < 0 ? i : shockMarket][i] += nn;
      }
      liqCount++;
      liqVol += notional;
      if (C > 0) for (let c = 0; c < C; c++) if (coll[a * C + c] !== 0) res.collateralLiquidations++;
      if (value >= 0) fund += Math.min(value, inp.liquidationFee * notional);
      else {
        let loss = -value;
        hourBad += loss;
        const f = Math.min(fund, loss);
        fund -= f;
        loss -= f;
        const v = Math.min(vault, loss);
        vault -= v;
        loss -= v;
        if (loss > 0) {
          res.socialisedUsd += loss;
          res.adlEvents++;
        }
      }
      open(a, h);
    }
    // after the visits: armed accounts watch their interval (live entries from this version on);
    // pending, reopened or unarmed ones are visited next hour
    for (let q = 0; q < nVisit; q++) {
      const a = visit[q];
      const k = heldN[a];
      if (k === 0) continue;
      const b = beta[a];
      if (pendingAt[a] >= 0 || !(b > WATCH_SLACK)) {
        nextActive[nNext++] = a;
        continue;
      }
      const v = ++version[a];
      const w = b - WATCH_SLACK;
      const base = a * M;
      for (let j = 0; j < k; j++) {
        const i = heldList[base + j];
        watchHi[i].push(baseMark[base + i] + w, a, v);
        watchLo[i].push(-(baseMark[base + i] - w), a, v);
      }
      const c = collOf[a];
      if (c >= 0) {
        watchHi[M + c].push(baseColl[a] + w, a, v);
        watchLo[M + c].push(-(baseColl[a] - w), a, v);
      }
    }
    // stale entries (re-armed accounts) pile up where prices stay put: keep each heap O(N)
    for (let sIdx = 0; sIdx < S; sIdx++) {
      if (watchHi[sIdx].size > 4 * N + 64) watchHi[sIdx].compact(version);
      if (watchLo[sIdx].size > 4 * N + 64) watchLo[sIdx].compact(version);
    }
    [active, nextActive] = [nextActive, active];
    nActive = nNext;
    nNext = 0;
    // cascades: net liquidated notional moves each mark against the liquidated side
    for (let i = 0; i < M; i++)
      if (volume[i] !== 0) {
        // at most one depth's worth of impact per epoch, at most MAX_SHIFT in all
        const step = Math.max(-inp.impact[i], Math.min(inp.impact[i], (inp.impact[i] * volume[i]) / inp.depthUsd[i]));
        shift[i] = Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, shift[i] - step));
      }
    // drawdowns from the running peak (fees refill the fund)
    fundPeak = Math.max(fundPeak, fund);
    res.insuranceDrawdownUsd = Math.max(res.insuranceDrawdownUsd, fundPeak - fund);
    res.vaultDrawdownUsd = Math.max(res.vaultDrawdownUsd, inp.vaultUsd - vault);
    if (liqCount) {
      res.liquidations += liqCount;
      res.liquidationVolumeUsd += liqVol;
      res.liquidationsByHour.push([h, liqCount, liqVol]);
    }
    if (hourBad > 0) {
      res.badDebtUsd += hourBad;
      res.badDebtByHour.push([h, hourBad]);
    }
  }
  return res;
}

/** Model inputs from params (markets named; '-' or cap 0 left out). */
export function simModel(params: Params, names: string[]) {
  const idx = names.map((a, i) => (a !== "-" && params.markets[i].positionCap > 0n ? i : -1)).filter((i) => i >= 0);
  return {
    idx,
    assets: idx.map((i) => names[i]),
    maint: idx.map((i) => Number(params.markets[i].maintenanceRateBps) / 1e4),
    initial: idx.map((i) => Number(params.markets[i].initialRateBps) / 1e4),
    impact: idx.map((i) => Number(params.markets[i].impactBps) / 1e4),
    depthUsd: idx.map((i) => Number(params.markets[i].depth) / 1e6),
    shocks: params.scenarios.map((row) => idx.map((i) => Number(row[i]) / 1e4)).filter((r) => r.some((x) => x !== 0)),
    maxLeverage: Number(params.maxLeverageBps) / 1e4,
  };
}

/** Runs the segments on worker threads (or inline with workers = 0). */
export async function runSegments(
  inp: SimInput,
  hours: number,
  workers: number,
  onSegment: (done: number, total: number) => void = () => {},
): Promise<SegmentResult[]> {
  const segs: [number, number, number][] = [];
  for (let s = 0, h = 0; h < hours - 1; s++, h += SEGMENT_HOURS) segs.push([s, h, Math.min(hours, h + SEGMENT_HOURS + 1)]);
  const out: SegmentResult[] = [];
  if (workers <= 0) {
    for (const [s, a, b] of segs) {
      out.push(simulateSegment(inp, s, a, b));
      onSegment(out.length, segs.length);
    }
    return out;
  }
  const n = Math.max(1, Math.min(workers, segs.length));
  let next = 0;
  await Promise.all(
    [...Array(n)].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL("./simulate-worker.ts", import.meta.url), { workerData: inp });
          const feed = () => {
            if (next >= segs.length) {
              void w.terminate().then(() => resolve());
              return;
            }
            w.postMessage(segs[next++]);
          };
          w.on("message", (r: SegmentResult) => {
            out.push(r);
            onSegment(out.length, segs.length);
            feed();
          });
          w.on("error", reject);
          feed();
        }),
    ),
  );
  return out.sort((x, y) => x.segment - y.segment);
}

export const defaultWorkers = () => Math.max(1, Math.min(4, cpus().length));

/** Gas per attestation by batch size (BENCHMARKS.md, proveMarginBatch in the clearinghouse). */
export const BATCH_GAS: Record<number, number> = { 1: 259_436, 8: 95_292, 32: 74_129, 128: 68_993 };

export interface SimulateOptions {
  accounts: number;
  latencyHours: number;
  adversarialShare: number;
  collateralShare: number;
  liquidationFee: number;
  /** insurance fund and backstop vault, fractions of the population's total equity (~ accounts x $145k mean) */
  insuranceFraction: number;
  vaultFraction: number;
  /** open-interest cap per market = this x depth (risk plan's) */
  oiDepthMultiple: number;
  seed: number;
  workers: number;
  from?: number;
  to?: number;
  barDays: string[];
  /** margin calls with this grace period in hours instead of liquidation by proof (SimInput.graceHours); default 0 */
  graceHours?: number;
  /** funding rates per asset (readFunding): paid at their hours, moving the cost basis; default none */
  funding?: Record<string, FundingSeries>;
}

/** One asset's funding events: times (ms, UTC) and rates (fractions of the mark per event, longs pay). */
export interface FundingSeries {
  t: Float64Array;
  rate: Float64Array;
}

const FUNDING_FILE = /^([A-Z0-9]+)_USDT_USDT-1h-funding_rate\.csv$/;

/**
 * Binance USDⓈ-M funding rates: DIR/csv/<source>/futures/<ASSET>_USDT_USDT-1h-funding_rate.csv, the
 * rate in the open column (the first source in name order wins; docs/RISK.md, "Crash simulator").
 */
export function readFunding(dir: string): Record<string, FundingSeries> {
  const out: Record<string, FundingSeries> = {};
  for (const [asset, path] of futuresFiles(dir, FUNDING_FILE)) {
    if (out[asset]) continue;
    const lines = readFileSync(path, "utf8").split("\n");
    const header = lines[0].trim().split(",");
    const ti = header.indexOf("timestamp_ms");
    const ri = header.indexOf("open");
    if (ti < 0 || ri < 0) continue;
    const t: number[] = [];
    const rate: number[] = [];
    for (const line of lines.slice(1)) {
      const cells = line.split(",");
      const x = Number(cells[ti]);
      const r = Number(cells[ri]);
      if (cells.length > Math.max(ti, ri) && Number.isFinite(x) && Number.isFinite(r)) {
        t.push(x);
        rate.push(r);
      }
    }
    if (t.length > 0) out[asset] = { t: Float64Array.from(t), rate: Float64Array.from(rate) };
  }
  return out;
}

export const SIM_DEFAULTS = {
  accounts: 1000,
  latencyHours: 1,
  adversarialShare: 0.1,
  collateralShare: 0.2,
  liquidationFee: 0.01,
  insuranceFraction: 0.01,
  vaultFraction: 0.02,
  oiDepthMultiple: 10,
  seed: 1,
};

/** Mean equity of the population: log-uniform on [1e2, 1e5]. */
export const MEAN_EQUITY = (1e5 - 1e2) / Math.log(1000);

export interface SimulateReport {
  hours: number;
  first: string;
  last: string;
  accounts: number;
  accountHours: number;
  accountHoursPerSecond: number;
  seconds: number;
  workers: number;
  liquidations: number;
  liquidationVolumeUsd: number;
  collateralLiquidations: number;
  badDebtUsd: number;
  /** bad debt per 30-day segment: quantiles over segments (the distribution) */
  badDebtPerSegment: { p50: number; p99: number; max: number; segmentsWithBadDebt: number; segments: number };
  badDebtPerCrash: Record<string, { badDebtUsd: number; liquidations: number; liquidationVolumeUsd: number }>;
  insuranceFundUsd: number;
  vaultUsd: number;
  insuranceDrawdownUsd: number;
  vaultDrawdownUsd: number;
  socialisedUsd: number;
  adlEvents: number;
  /** margin calls (with graceHours > 0) and those answered by the deadline; funding paid by the population */
  marginCalls: number;
  marginCallsCured: number;
  fundingPaidUsd: number;
  contagion: { markets: string[]; notionalUsd: number[][] };
  frontier: { chain: string; graceSeconds: number; batch: number; accounts: number }[];
  /** the worst hours: timeline rows [hour label, liquidations, volume, bad debt] */
  timeline: { hour: string; liquidations: number; volumeUsd: number; badDebtUsd: number }[];
  segments: SegmentResult[];
}

/** The simulation's input: the model, the hourly grid and the adversarial books (simulate's first half). */
export async function simInput(
  params: Params,
  names: string[],
  collateralNames: string[],
  candles: Record<string, import("./calibrate.ts").Candles>,
  o: SimulateOptions,
) {
  const { toGrid, HOUR } = await import("./moves.ts");
  const { WorstSolver, jointWindows, worstModel } = await import("./worst.ts");
  const m = simModel(params, names);
  const collIdx = collateralNames.map((a, j) => (j > 0 && a !== "-" && params.collateral[j].priceE18 > 0n ? j : -1)).filter((j) => j >= 0);
  const series = [...m.assets, ...collIdx.map((j) => collateralNames[j]).filter((a) => !m.assets.includes(a))];
  const grids = series.map((a) => toGrid(candles[a], o.from, o.to));
  if (grids.some((g) => !g)) throw new Error("no candles in the span");
  const t0 = Math.min(...grids.map((g) => g!.t0));
  const t1 = Math.max(...grids.map((g) => g!.t0 + (g!.close.length - 1) * HOUR));
  const hours = Math.round((t1 - t0) / HOUR) + 1;
  const closes = grids.map((g) => {
    const x = new Float64Array(hours).fill(NaN);
    x.set(g!.close, Math.round((g!.t0 - t0) / HOUR));
    return x;
  });
  // adversarial books: the worst-portfolio optimum of the windows with the largest loss, among a sample
  const books: number[][] = [];
  {
    const wm = worstModel(params, "maintenance", names);
    const solver = await WorstSolver.create(wm);
    try {
      const jw = jointWindows(
        wm.assets.map((a) => candles[a]),
        1,
        o.from,
        o.to,
        true,
      );
      const found: { loss: number; book: number[] }[] = [];
      const stride = Math.max(1, Math.floor(jw.start.length / 400));
      for (let k = 0; k < jw.start.length; k += stride) {
        const r = solver.solve(
          wm.assets.map((_, a) => jw.coef.close.long[a][k]),
          wm.assets.map((_, a) => jw.coef.close.short[a][k]),
        );
        if (r.loss > 0) found.push({ loss: r.loss, book: r.long.map((x, a) => x - r.short[a]) });
      }
      found.sort((x, y) => y.loss - x.loss);
      for (const f of found.slice(0, 8)) books.push(m.idx.map((i) => f.book[wm.markets.indexOf(i)] ?? 0));
    } finally {
      solver.dispose();
    }
  }
  const totalEquity = o.accounts * MEAN_EQUITY;
  const inp: SimInput = {
    ...m,
    collateral: collIdx.map((j) => ({
      price: series.indexOf(collateralNames[j]),
      haircut: Number(params.collateral[j].haircutBps) / 1e4,
    })),
    collateralCloses: collIdx.map((j) => {
      const x = Float64Array.from(closes[series.indexOf(collateralNames[j])]);
      for (let h = 1; h < x.length; h++) if (Number.isNaN(x[h])) x[h] = x[h - 1];
      return x;
    }),
    t0,
    closes,
    accounts: o.accounts,
    adversarialShare: o.adversarialShare,
    adversarialBooks: books,
    collateralShare: o.collateralShare,
    latencyHours: o.latencyHours,
    oiCapUsd: m.depthUsd.map((d) => d * o.oiDepthMultiple),
    liquidationFee: o.liquidationFee,
    insuranceFundUsd: totalEquity * o.insuranceFraction,
    vaultUsd: totalEquity * o.vaultFraction,
    seed: o.seed,
    graceHours: o.graceHours ?? 0,
    funding: m.assets.map((a) => {
      const f = o.funding?.[a];
      if (!f) return null;
      const x = new Float64Array(hours);
      for (let k = 0; k < f.t.length; k++) {
        const h = Math.round((f.t[k] - t0) / HOUR);
        if (h >= 0 && h < hours) x[h] += f.rate[k];
      }
      return x.some((r) => r !== 0) ? x : null;
    }),
  };
  return { inp, m, hours, t0, t1 };
}

export async function simulate(
  params: Params,
  names: string[],
  collateralNames: string[],
  candles: Record<string, import("./calibrate.ts").Candles>,
  o: SimulateOptions,
  label: (t: number) => string,
  onSegment: (done: number, total: number) => void = () => {},
): Promise<SimulateReport> {
  const { HOUR } = await import("./moves.ts");
  const { capacity, CHAINS, DEFAULTS } = await import("./latency.ts");
  const { inp, m, hours, t0, t1 } = await simInput(params, names, collateralNames, candles, o);
  const started = performance.now();
  const segs = await runSegments(inp, hours, o.workers, onSegment);
  const seconds = (performance.now() - started) / 1000;
  const sum = (f: (s: SegmentResult) => number) => segs.reduce((acc, s) => acc + f(s), 0);
  const perSeg = segs.map((s) => s.badDebtUsd).sort((a, b) => a - b);
  const q = (p: number) => perSeg[Math.min(perSeg.length, Math.max(1, Math.ceil(p * perSeg.length))) - 1] ?? 0;
  const hourOf = (h: number) => t0 + h * HOUR;
  const crash: SimulateReport["badDebtPerCrash"] = {};
  for (const d of o.barDays) {
    const a = Date.parse(`${d}T00:00:00Z`);
    const inDay = (h: number) => hourOf(h) >= a && hourOf(h) < a + 86_400_000;
    crash[d] = {
      badDebtUsd: sum((s) => s.badDebtByHour.filter(([h]) => inDay(h)).reduce((x, [, v]) => x + v, 0)),
      liquidations: sum((s) => s.liquidationsByHour.filter(([h]) => inDay(h)).reduce((x, [, c]) => x + c, 0)),
      liquidationVolumeUsd: sum((s) => s.liquidationsByHour.filter(([h]) => inDay(h)).reduce((x, [, , v]) => x + v, 0)),
    };
  }
  const contagion = m.assets.map((_, i) => m.assets.map((__, j) => sum((s) => s.contagion[i][j])));
  const frontier: SimulateReport["frontier"] = [];
  for (const chain of ["ethereum-l1", "l2"] as const)
    for (const grace of [60, 300, 600, 1800, 3600])
      for (const batch of [1, 8, 32, 128])
        frontier.push({
          chain,
          graceSeconds: grace,
          batch,
          accounts: capacity({
            ...DEFAULTS,
            chain: CHAINS[chain],
            liquidations: DEFAULTS.accounts,
            graceSeconds: grace,
            gasPerAttestation: BATCH_GAS[batch],
            samples: 1,
          }).capacityAccounts,
        });
  const bad = new Map<number, number>();
  for (const s of segs) for (const [h, v] of s.badDebtByHour) bad.set(h, (bad.get(h) ?? 0) + v);
  const liq = segs.flatMap((s) => s.liquidationsByHour);
  liq.sort((x, y) => y[2] - x[2]);
  const timeline = liq
    .slice(0, 50)
    .map(([h, c, v]) => ({ hour: label(hourOf(h)), liquidations: c, volumeUsd: v, badDebtUsd: bad.get(h) ?? 0 }));
  const accountHours = sum((s) => s.accountHours);
  return {
    hours,
    first: label(t0),
    last: label(t1),
    accounts: o.accounts,
    accountHours,
    accountHoursPerSecond: accountHours / seconds,
    seconds,
    workers: o.workers,
    liquidations: sum((s) => s.liquidations),
    liquidationVolumeUsd: sum((s) => s.liquidationVolumeUsd),
    collateralLiquidations: sum((s) => s.collateralLiquidations),
    badDebtUsd: sum((s) => s.badDebtUsd),
    badDebtPerSegment: {
      p50: q(0.5),
      p99: q(0.99),
      max: q(1),
      segmentsWithBadDebt: perSeg.filter((x) => x > 0).length,
      segments: perSeg.length,
    },
    badDebtPerCrash: crash,
    insuranceFundUsd: inp.insuranceFundUsd,
    vaultUsd: inp.vaultUsd,
    insuranceDrawdownUsd: Math.max(0, ...segs.map((s) => s.insuranceDrawdownUsd)),
    vaultDrawdownUsd: Math.max(0, ...segs.map((s) => s.vaultDrawdownUsd)),
    socialisedUsd: sum((s) => s.socialisedUsd),
    adlEvents: sum((s) => s.adlEvents),
    marginCalls: sum((s) => s.marginCalls),
    marginCallsCured: sum((s) => s.marginCallsCured),
    fundingPaidUsd: sum((s) => s.fundingPaidUsd),
    contagion: { markets: m.assets, notionalUsd: contagion },
    frontier,
    timeline,
    segments: segs,
  };
}
