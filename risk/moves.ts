// Worst-move tables (the first table of the risk engine, docs/RISK.md): for each asset and
// horizon H hours, the adverse move of a long and of a short over every H-hour window of the
// hourly history that has no missing hour, wick- and close-based, with q99 / q99.9 / max and
// effective sample sizes, unconditional and conditional on a preceding large hourly move; on
// spot (DIR/merged) and on Binance USDⓈ-M perp mark prices (DIR/csv/*/futures/*-1h-mark.csv)
// where they exist, next to spot over the same span.
//
// Definitions (t = a window's start: the open time of its first candle; P0 = the close of the
// candle before it, the price at t):
//   long,  wick:  1 − min(low over the H candles) / P0     (worst drop, to the lowest low)
//   long,  close: 1 − (close of the H-th candle) / P0       (to the end close)
//   short, wick:  max(high over the H candles) / P0 − 1    (worst rise, to the highest high)
//   short, close: (close of the H-th candle) / P0 − 1
// A move is a fraction of P0; positive = the position loses. A window needs its H + 1 candles
// (P0's and the H of the window) all present: gaps are never bridged, and each gap reports how
// many windows it removed (the windows with a missing hour among their H + 1 candles; a window
// touching two gaps counts for both).
//
// Statistics over a set of n windows (moves x sorted ascending, x_(1) ≤ … ≤ x_(n)):
//   qp = x_(⌈p·n⌉), the inverse empirical distribution (the smallest move with at least a
//        fraction p of the windows at or below it; never interpolated, so qp is an observed
//        move); max = x_(n), with its window's start (the earliest one on ties).
//   effective sample size of overlapping windows starting at hours s_1..s_n:
//        n_eff = n² / Σ_i Σ_j max(0, 1 − |s_i − s_j| / H)
//   the "design effect" of the triangular (Bartlett) overlap correlation: two H-hour windows
//   whose starts are d hours apart share H − d hours, so their close-to-close moves have
//   correlation 1 − d/H when hourly returns are independent. For n consecutive hourly windows
//   n_eff → n / H (exactly n for H = 1); windows separated by gaps or at least H hours apart
//   count fully. Real returns cluster in volatility, so n_eff is an upper bound on the
//   independent information: read a quantile p as resting on about n_eff·(1 − p) independent
//   windows beyond it. n_eff is rounded down to 0.1.
//   Conditional: the windows whose preceding hour (the candle closing at P0, with its own
//   predecessor present) had |close-to-close move| strictly above the asset's
//   conditionQuantile quantile (the same estimator) of all its 1-hour close-to-close moves in
//   the span, i.e. the top 1 − conditionQuantile of hours.
// Rounding: *Fraction fields are the double computed, unrounded; *Bps fields are whole basis
// points rounded up (a worse move rounds up: against the trader), after removing floating-point
// noise below 1e-9 bps (0.2 is 2000 bps, not 2001).
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ASSETS, readCandleCsv, syntheticHistory, type Candles, type History } from "./calibrate.ts";

export const HOUR = 3_600_000;
export const DEFAULT_HORIZONS = [1, 2, 4, 24];
export const DEFAULT_CONDITION_QUANTILE = 0.99;
export const QUANTILES = [0.99, 0.999] as const;

/** A series on a dense hourly grid: index i is the candle opening at t0 + i hours; NaN where the hour is missing. */
export interface Grid {
  t0: number;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
}

/**
 * The candles with open time in [from, to] on an hourly grid from the first to the last candle
 * present (undefined when none). Candles whose time is not a whole number of hours after the
 * first one are left out.
 */
export function toGrid(c: Candles, from = -Infinity, to = Infinity): Grid | undefined {
  let first = -1;
  let last = -1;
  for (let i = 0; i < c.t.length; i++) {
    if (c.t[i] < from || c.t[i] > to) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) return undefined;
  const t0 = c.t[first];
  const n = Math.round((c.t[last] - t0) / HOUR) + 1;
  const g: Grid = {
    t0,
    open: new Float64Array(n).fill(NaN),
    high: new Float64Array(n).fill(NaN),
    low: new Float64Array(n).fill(NaN),
    close: new Float64Array(n).fill(NaN),
  };
  for (let i = first; i <= last; i++) {
    const k = (c.t[i] - t0) / HOUR;
    if (!Number.isInteger(k)) continue;
    g.open[k] = c.open[i];
    g.high[k] = c.high[i];
    g.low[k] = c.low[i];
    g.close[k] = c.close[i];
  }
  return g;
}

/** A run of missing hours inside a grid: indices a..b. */
export interface Gap {
  a: number;
  b: number;
}

export function gapsOf(g: Grid): Gap[] {
  const out: Gap[] = [];
  const n = g.close.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(g.close[i])) continue;
    let j = i;
    while (j + 1 < n && Number.isNaN(g.close[j + 1])) j++;
    out.push({ a: i, b: j });
    i = j;
  }
  return out;
}

/** How many H-hour windows (reference candle r, candles r..r+H) of an n-hour grid touch the gap. */
export function windowsRemoved(gap: Gap, n: number, horizon: number): number {
  return Math.max(0, Math.min(gap.b, n - 1 - horizon) - Math.max(0, gap.a - horizon) + 1);
}

export type Side = "long" | "short";
export type Basis = "wick" | "close";
export const MEASURES: ReadonlyArray<readonly [Side, Basis]> = [
  ["long", "wick"],
  ["long", "close"],
  ["short", "wick"],
  ["short", "close"],
];

/** Every complete window of H hours: its reference candle r (the window is candles r+1..r+H) and the four moves. */
export interface Windows {
  horizon: number;
  /** reference candle index of each window (the window starts at t0 + (r + 1) hours) */
  ref: Int32Array;
  long: { wick: Float64Array; close: Float64Array };
  short: { wick: Float64Array; close: Float64Array };
}

export function windowMoves(g: Grid, horizon: number): Windows {
  const n = g.close.length;
  const H = horizon;
  // missing[i] = missing hours among candles 0..i-1
  const missing = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) missing[i + 1] = missing[i] + (Number.isNaN(g.close[i]) ? 1 : 0);
  const m = Math.max(0, n - H);
  const ref = new Int32Array(m);
  const lw = new Float64Array(m);
  const lc = new Float64Array(m);
  const sw = new Float64Array(m);
  const sc = new Float64Array(m);
  // sliding minimum of low and maximum of high over candles r+1..r+H (monotonic deques)
  const qmin = new Int32Array(n);
  const qmax = new Int32Array(n);
  let minHead = 0;
  let minTail = 0;
  let maxHead = 0;
  let maxTail = 0;
  // missing hours never enter a complete window; ±Infinity keeps the deques' comparisons total
  const lows = g.low.map((x) => (Number.isNaN(x) ? Infinity : x));
  const highs = g.high.map((x) => (Number.isNaN(x) ? -Infinity : x));
  let k = 0;
  for (let e = 1; e < n; e++) {
    // add candle e; the window ending at e has reference r = e - H
    while (minTail > minHead && lows[qmin[minTail - 1]] >= lows[e]) minTail--;
    qmin[minTail++] = e;
    while (maxTail > maxHead && highs[qmax[maxTail - 1]] <= highs[e]) maxTail--;
    qmax[maxTail++] = e;
    const r = e - H;
    if (r < 0) continue;
    while (qmin[minHead] <= r) minHead++;
    while (qmax[maxHead] <= r) maxHead++;
    if (missing[e + 1] - missing[r] !== 0) continue;
    const p0 = g.close[r];
    ref[k] = r;
    lw[k] = 1 - g.low[qmin[minHead]] / p0;
    lc[k] = 1 - g.close[e] / p0;
    sw[k] = g.high[qmax[maxHead]] / p0 - 1;
    sc[k] = g.close[e] / p0 - 1;
    k++;
  }
  return {
    horizon,
    ref: ref.slice(0, k),
    long: { wick: lw.slice(0, k), close: lc.slice(0, k) },
    short: { wick: sw.slice(0, k), close: sc.slice(0, k) },
  };
}

/** qp = x_(⌈p·n⌉) of the ascending order statistics (1-indexed); NaN for no values. */
export function quantile(sortedAscending: ArrayLike<number>, p: number): number {
  const n = sortedAscending.length;
  if (n === 0) return NaN;
  return sortedAscending[Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9))) - 1];
}

/** n_eff = n² / Σ_i Σ_j max(0, 1 − |s_i − s_j| / H) for window starts s (in hours, ascending). O(n). */
export function effectiveSampleSize(starts: ArrayLike<number>, horizon: number): number {
  const n = starts.length;
  if (n === 0) return 0;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + starts[i];
  let total = 0;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const s = starts[i];
    while (starts[lo] <= s - horizon) lo++; // first j with s_j > s − H
    if (hi < i) hi = i;
    while (hi + 1 < n && starts[hi + 1] < s + horizon) hi++; // last j with s_j < s + H
    const count = hi - lo + 1;
    const left = s * (i - lo) - (prefix[i] - prefix[lo]);
    const right = prefix[hi + 1] - prefix[i + 1] - s * (hi - i);
    total += count - (left + right) / horizon;
  }
  return (n * n) / total;
}

/** Whole basis points, rounded up (against the trader), floating-point noise below 1e-9 bps removed. */
export function bpsUp(fraction: number): number {
  return Math.ceil(fraction * 10_000 - 1e-9) + 0; // + 0: no -0
}

export interface MoveStats {
  windows: number;
  /** n_eff, rounded down to 0.1 */
  effectiveSampleSize: number;
  q99Fraction: number | null;
  q99Bps: number | null;
  q99_9Fraction: number | null;
  q99_9Bps: number | null;
  maxFraction: number | null;
  maxBps: number | null;
  /** the start of the window with the largest move (UTC "YYYY-MM-DD HH:MM", or "synthetic hour N") */
  maxAt: string | null;
}

export type Label = (t: number) => string;

export const iso: Label = (t) => new Date(t).toISOString().slice(0, 16).replace("T", " ");
export const syntheticLabel: Label = (t) => `synthetic hour ${Math.round(t / HOUR)}`;

/** Statistics of the moves at the selected windows (indices into `values`, ascending). */
export function moveStats(
  values: Float64Array,
  pick: Int32Array | null,
  startHour: (k: number) => number,
  horizon: number,
  label: (hour: number) => string,
): MoveStats {
  const n = pick ? pick.length : values.length;
  const xs = new Float64Array(n);
  const starts = new Float64Array(n);
  let best = -1;
  for (let i = 0; i < n; i++) {
    const k = pick ? pick[i] : i;
    xs[i] = values[k];
    starts[i] = startHour(k);
    if (best < 0 || xs[i] > xs[best]) best = i;
  }
  const nEff = Math.floor(effectiveSampleSize(starts, horizon) * 10 + 1e-9) / 10;
  xs.sort();
  const num = (x: number) => (Number.isNaN(x) ? null : x);
  const [q99, q999] = QUANTILES.map((p) => quantile(xs, p));
  const max = n ? xs[n - 1] : NaN;
  return {
    windows: n,
    effectiveSampleSize: nEff,
    q99Fraction: num(q99),
    q99Bps: n ? bpsUp(q99) : null,
    q99_9Fraction: num(q999),
    q99_9Bps: n ? bpsUp(q999) : null,
    maxFraction: num(max),
    maxBps: n ? bpsUp(max) : null,
    maxAt: n ? label(starts[best]) : null,
  };
}

export interface GapReport {
  /** the first and last missing hour */
  from: string;
  to: string;
  missingHours: number;
  /** windows with a missing hour among their H + 1 candles, per horizon (hours) */
  windowsRemovedByHorizonHours: Record<string, number>;
}

export interface MeasureTable {
  unconditional: MoveStats;
  conditional: MoveStats;
}

export interface HorizonTable {
  hours: number;
  /** windows that fit in the span (start hours with H + 1 candles inside it) */
  possibleWindows: number;
  windows: number;
  windowsRemovedByGaps: number;
  long: { wick: MeasureTable; close: MeasureTable };
  short: { wick: MeasureTable; close: MeasureTable };
}

export interface SeriesTable {
  asset: string;
  /** "spot" (DIR/merged) or "mark" (perp mark price) */
  series: "spot" | "mark";
  file: string;
  /** the first and last hour of the series in the span */
  first: string;
  last: string;
  hours: number;
  missingHours: number;
  gaps: GapReport[];
  /** the hourly |close-to-close move| above which the next window is in the conditional table */
  condition: { quantile: number; thresholdFraction: number | null; thresholdBps: number | null; hours: number };
  horizons: HorizonTable[];
}

export interface MovesOptions {
  horizons: number[];
  conditionQuantile: number;
  /** candle open times kept, inclusive (ms) */
  from?: number;
  to?: number;
  synthetic: boolean;
}

/** The moves table of one series, or undefined when it has no candle in the span. */
export function seriesTable(asset: string, kind: "spot" | "mark", c: Candles, o: MovesOptions): SeriesTable | undefined {
  const g = toGrid(c, o.from, o.to);
  if (g === undefined) return undefined;
  const label = o.synthetic ? syntheticLabel : iso;
  const n = g.close.length;
  const at = (i: number) => label(g.t0 + i * HOUR);
  const gaps = gapsOf(g);
  // hourly |close-to-close| moves and the conditioning threshold
  const abs: number[] = [];
  const hourMove = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) {
    const r = g.close[i] / g.close[i - 1] - 1;
    if (Number.isFinite(r)) {
      hourMove[i] = Math.abs(r);
      abs.push(Math.abs(r));
    }
  }
  const sortedAbs = Float64Array.from(abs).sort();
  const threshold = quantile(sortedAbs, o.conditionQuantile);
  let conditioningHours = 0;
  for (const x of abs) if (x > threshold) conditioningHours++;
  const horizons: HorizonTable[] = o.horizons.map((H) => {
    const w = windowMoves(g, H);
    const startHour = (k: number) => g.t0 + (w.ref[k] + 1) * HOUR;
    const cond: number[] = [];
    for (let k = 0; k < w.ref.length; k++) if (hourMove[w.ref[k]] > threshold) cond.push(k);
    const condIdx = Int32Array.from(cond);
    const hoursOf = (k: number) => startHour(k) / HOUR;
    const table = (values: Float64Array): MeasureTable => ({
      unconditional: moveStats(values, null, hoursOf, H, (h) => label(h * HOUR)),
      conditional: moveStats(values, condIdx, hoursOf, H, (h) => label(h * HOUR)),
    });
    const possible = Math.max(0, n - H);
    return {
      hours: H,
      possibleWindows: possible,
      windows: w.ref.length,
      windowsRemovedByGaps: possible - w.ref.length,
      long: { wick: table(w.long.wick), close: table(w.long.close) },
      short: { wick: table(w.short.wick), close: table(w.short.close) },
    };
  });
  return {
    asset,
    series: kind,
    file: c.path,
    first: at(0),
    last: at(n - 1),
    hours: n,
    missingHours: gaps.reduce((s, x) => s + x.b - x.a + 1, 0),
    gaps: gaps.map((x) => ({
      from: at(x.a),
      to: at(x.b),
      missingHours: x.b - x.a + 1,
      windowsRemovedByHorizonHours: Object.fromEntries(o.horizons.map((H) => [String(H), windowsRemoved(x, n, H)])),
    })),
    condition: {
      quantile: o.conditionQuantile,
      thresholdFraction: Number.isNaN(threshold) ? null : threshold,
      thresholdBps: Number.isNaN(threshold) ? null : bpsUp(threshold),
      hours: conditioningHours,
    },
    horizons,
  };
}

const MARK_FILE = /^([A-Z]+)_USDT_USDT-1h-mark\.csv$/;

/** Binance USDⓈ-M perp mark-price candles: DIR/csv/<source>/futures/<ASSET>_USDT_USDT-1h-mark.csv (first source in name order wins). */
export function readMarks(dir: string): Record<string, Candles> {
  const out: Record<string, Candles> = {};
  for (const [asset, path] of futuresFiles(dir, MARK_FILE)) {
    if (out[asset]) continue;
    const c = readCandleCsv(path);
    if (c?.ohlc) out[asset] = c;
  }
  return out;
}

/**
 * The files DIR/csv/<source>/futures/<name> whose name matches `pattern` (its first group is the
 * asset), as [asset, path], sources and names in name order: a reader keeps the first it can read.
 */
export function* futuresFiles(dir: string, pattern: RegExp): Generator<[string, string]> {
  const csv = join(dir, "csv");
  if (!existsSync(csv)) return;
  for (const source of readdirSync(csv).sort()) {
    const futures = join(csv, source, "futures");
    if (!existsSync(futures)) continue;
    for (const f of readdirSync(futures).sort()) {
      const m = pattern.exec(f);
      if (m) yield [m[1], join(futures, f)];
    }
  }
}

/** Generated OHLC candles around calibrate's synthetic closes (open = previous close; wicks from the same seeded generator). */
export function syntheticCandles(seed = 42): { history: History; candles: Record<string, Candles> } {
  const history = syntheticHistory(seed);
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  const candles: Record<string, Candles> = {};
  for (const a of ASSETS) {
    const s = history.series[a];
    const t = Float64Array.from(s.keys());
    const close = Float64Array.from(s.values());
    const open = close.map((c, i) => (i === 0 ? c : close[i - 1]));
    const spread = (i: number) => Math.abs(Math.log(close[i] / open[i])) + 0.002;
    const high = close.map((c, i) => Math.max(open[i], c) * (1 + uniform() * spread(i)));
    const low = close.map((c, i) => Math.min(open[i], c) * (1 - uniform() * spread(i)));
    candles[a] = { t, open, high, low, close, ohlc: true, path: `synthetic ${a} (seed ${seed})` };
  }
  return { history, candles };
}

export interface MarkComparison {
  asset: string;
  /** the span both tables cover: the mark series' first and last hour within --from/--to */
  first: string;
  last: string;
  mark: SeriesTable;
  spot: SeriesTable | null;
}

/** The definitions behind every number, carried in the JSON output (docs/RISK.md has them in full). */
export const METHOD = {
  move: "fraction of P0, the close of the candle before the window (the price at its start); positive = the position loses",
  longWick: "1 - min(low of the window's H candles) / P0",
  longClose: "1 - close of the window's last candle / P0",
  shortWick: "max(high of the window's H candles) / P0 - 1",
  shortClose: "close of the window's last candle / P0 - 1",
  windows: "every start hour whose H + 1 candles (P0's and the window's) are all present; gaps are never bridged",
  quantile: "qp = x_(ceil(p*n)) of the moves sorted ascending (an observed move, not interpolated)",
  effectiveSampleSize: "n^2 / sum_i sum_j max(0, 1 - |s_i - s_j| / H) over window starts s in hours, rounded down to 0.1 (about n / H)",
  conditional: "windows whose P0 candle's |close-to-close move| is strictly above the asset's conditionQuantile quantile of 1-hour moves",
  rounding: "*Fraction unrounded; *Bps whole basis points rounded up (a worse move rounds up), after removing noise below 1e-9 bps",
  maxAt: "the start (open time of the first candle, UTC) of the earliest window with the largest move",
} as const;

export interface MovesReport {
  method: typeof METHOD;
  horizonsHours: number[];
  conditionQuantile: number;
  spot: SeriesTable[];
  /** assets asked for that have no candle in the span */
  noData: string[];
  marks: MarkComparison[];
}

/** The worst-move tables of the assets: spot, and perp marks next to spot over the marks' span. */
export function movesReport(
  spot: Record<string, Candles>,
  marks: Record<string, Candles>,
  assets: string[],
  o: MovesOptions,
  onProgress: (what: string) => void = () => {},
): MovesReport {
  const tables: SeriesTable[] = [];
  const noData: string[] = [];
  for (const a of assets) {
    onProgress(`${a} spot`);
    const t = seriesTable(a, "spot", spot[a], o);
    if (t) tables.push(t);
    else noData.push(a);
  }
  const cmp: MarkComparison[] = [];
  for (const a of assets) {
    if (!marks[a]) continue;
    onProgress(`${a} perp marks`);
    const mark = seriesTable(a, "mark", marks[a], o);
    if (!mark) continue;
    const g = toGrid(marks[a], o.from, o.to)!;
    const from = g.t0;
    const to = g.t0 + (g.close.length - 1) * HOUR;
    cmp.push({
      asset: a,
      first: mark.first,
      last: mark.last,
      mark,
      spot: spot[a] ? (seriesTable(a, "spot", spot[a], { ...o, from, to }) ?? null) : null,
    });
  }
  return { method: METHOD, horizonsHours: o.horizons, conditionQuantile: o.conditionQuantile, spot: tables, noData, marks: cmp };
}

const pct = (bps: number | null) => (bps === null ? "—" : `${(bps / 100).toFixed(2)}%`);
const int = (n: number) => n.toLocaleString("en-US");

/** Tail windows behind a quantile: n_eff·(1 − p) below this marks the quantile "*" (thin). */
export const THIN_TAIL = 10;

const WIDTHS = [8, 10, 9, 9, 9];
const cellRow = (cells: string[]) => cells.map((c, i) => c.padStart(WIDTHS[i])).join(" ");

function statCells(s: MoveStats): string {
  const thin = (p: number) => (s.windows > 0 && s.effectiveSampleSize * (1 - p) < THIN_TAIL ? "*" : " ");
  return cellRow([
    int(s.windows),
    s.effectiveSampleSize.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    `${pct(s.q99Bps)}${thin(0.99)}`,
    `${pct(s.q99_9Bps)}${thin(0.999)}`,
    `${pct(s.maxBps)} `,
  ]);
}

/** The human tables. */
export function formatReport(r: MovesReport, header: string[]): string {
  const lines = [...header];
  lines.push(
    "Adverse move from the price at the window's start (the previous candle's close), in percent rounded up to 0.01%",
    "(bps rounded up in --json). long: a drop; short: a rise. wick: to the lowest low / highest high within the window;",
    "close: to the window's last close. Windows with a missing hour are left out (gaps never bridged). Times: UTC.",
    "n_eff = n² / Σ_i Σ_j max(0, 1 − |s_i − s_j| / H) (≈ n / H for overlapping hourly windows); * = fewer than",
    `${THIN_TAIL} effective windows beyond the quantile (n_eff·(1 − p) < ${THIN_TAIL}). q = the ⌈p·n⌉-th smallest move.`,
    `cond: windows starting right after an hour whose |close-to-close move| was in the asset's top ${+((1 - r.conditionQuantile) * 100).toFixed(4)}%.`,
  );
  const stats = (n: string) => cellRow([n, "n_eff", "q99 ", "q99.9 ", "max "]);
  const head = `  H      side  basis |${stats("windows")}  ${"max at (window start)".padEnd(21)} |${stats("cond n")}`;
  const table = (t: SeriesTable) => {
    const out: string[] = [];
    const largest = [...t.gaps].sort((x, y) => y.missingHours - x.missingHours).slice(0, 3);
    out.push(
      "",
      `${t.asset} ${t.series}  ${t.first} → ${t.last}, ${int(t.hours)} hours, ${int(t.missingHours)} missing in ${t.gaps.length} gap${t.gaps.length === 1 ? "" : "s"}` +
        (largest.length ? ` (largest: ${largest.map((x) => `${int(x.missingHours)} h from ${x.from}`).join(", ")})` : ""),
      `  condition: |1 h move| > ${pct(t.condition.thresholdBps)} (${int(t.condition.hours)} hours)`,
      head,
    );
    for (const h of t.horizons) {
      for (const [side, basis] of MEASURES) {
        const m = h[side][basis];
        const u = statCells(m.unconditional);
        const c = statCells(m.conditional);
        out.push(
          `  ${`${h.hours}h`.padEnd(6)} ${side.padEnd(5)} ${basis.padEnd(5)} |${u}  ${(m.unconditional.maxAt ?? "—").padEnd(21)} |${c}`,
        );
      }
      if (h.windowsRemovedByGaps > 0)
        out.push(`  ${"".padEnd(6)} ${int(h.windowsRemovedByGaps)} of ${int(h.possibleWindows)} windows removed by gaps`);
    }
    return out;
  };
  for (const t of r.spot) lines.push(...table(t));
  for (const a of r.noData) lines.push("", `${a} spot: no hourly prices in the span`);
  if (r.marks.length) {
    lines.push(
      "",
      "Perp mark prices (Binance USDⓈ-M) next to spot over the same span: q99 / q99.9 / max, unconditional (conditional in --json)",
      "  asset  H      side  basis |   mark q99    q99.9      max  max at           |   spot q99    q99.9      max  max at",
    );
    for (const m of r.marks) {
      const spot = m.spot ? `spot ${int(m.spot.hours)} hours (${int(m.spot.missingHours)} missing)` : "no spot prices";
      lines.push(`  ${m.asset}  ${m.first} → ${m.last}, mark ${int(m.mark.hours)} hours (${int(m.mark.missingHours)} missing), ${spot}`);
      m.mark.horizons.forEach((h, i) => {
        for (const [side, basis] of MEASURES) {
          const cells = (s: MoveStats | undefined) =>
            s
              ? `${pct(s.q99Bps).padStart(11)} ${pct(s.q99_9Bps).padStart(8)} ${pct(s.maxBps).padStart(8)}  ${(s.maxAt ?? "—").padEnd(16)}`
              : "no spot".padStart(11);
          const spot = m.spot?.horizons[i][side][basis].unconditional;
          lines.push(
            `  ${m.asset.padEnd(5)}  ${`${h.hours}h`.padEnd(6)} ${side.padEnd(5)} ${basis.padEnd(5)} |${cells(h[side][basis].unconditional)} |${cells(spot)}`,
          );
        }
      });
    }
  }
  return lines.map((l) => l.trimEnd()).join("\n");
}
