// Risk calibration and back-testing from hourly price history (for risk publishers).
//   - stress scenarios: for each asset, the historical window of `horizon` hours with its worst
//     drop (and its best rise), with every other asset's move over the same window (real
//     co-movement); plus simultaneous 99.9% quantile moves and a market-wide worst move
//   - back-test: replay a portfolio through history, marks and collateral prices following the
//     real paths (scaled so the latest common hour equals the epoch's prices)
// Data: the merged hourly CSVs of ../shared/data/prices (DIR/merged/<ASSET>USDT_1h_*.csv with
// timestamp_ms, ..., close, ...). Without it, deterministic generated paths (geometric Brownian
// motion) can stand in: they are marked synthetic and their hours carry no calendar dates
// ("synthetic hour 123"), so they cannot pass for real history.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { S_SCENARIOS } from "../prover/constants.ts";
import { evaluate } from "../prover/model.ts";
import type { Level, Params, Portfolio, Violation } from "../prover/types.ts";

export type Series = Map<number, number>; // hour (timestamp_ms; synthetic: hour index * 1h) -> close

export interface History {
  source: string;
  /** true for generated paths: their times are hour indices from 0, not dates */
  synthetic: boolean;
  /** the price folder read (real data only) */
  dir?: string;
  /** the generator's seed (synthetic only) */
  seed?: number;
  series: Record<string, Series>;
  /** the OHLC candles behind `series` (real data read by readPriceFolder) */
  candles?: Record<string, Candles>;
}

/** Where a calibration's prices came from: printed with every result so generated paths cannot pass for real ones. */
export type DataInfo =
  | { source: "real"; dir: string; first: string; last: string; hours: number; assets: string[] }
  | { source: "synthetic"; generator: string; seed: number; hours: number; assets: string[] };

const HOUR = 3_600_000;

export const ASSETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE"] as const;

const PRICE_FILE = /^([A-Z]+)USDT_1h_.*\.csv$/;

/**
 * One hourly candle file, as columns sorted by time with one row per timestamp (the first row
 * read wins): timestamp_ms (candle open time, UTC) and close are required; open, high and low
 * are NaN where the file has no such column (`ohlc` says whether all three were present). Rows
 * whose time or close is not a finite number, or whose close is not positive, are skipped. The
 * one reader of price CSVs: calibrate (closes) and risk moves (OHLC, perp marks) both use it.
 */
export interface Candles {
  t: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** the file has open, high and low columns */
  ohlc: boolean;
  path: string;
}

/** An hourly candle CSV (the header names its columns), or undefined without timestamp_ms and close columns or rows. */
export function readCandleCsv(path: string): Candles | undefined {
  const lines = readFileSync(path, "utf8").split("\n");
  const header = lines[0].trim().split(",");
  const col = (name: string) => header.indexOf(name);
  const [ti, oi, hi, li, ci] = [col("timestamp_ms"), col("open"), col("high"), col("low"), col("close")];
  if (ti < 0 || ci < 0) return undefined;
  const ohlc = oi >= 0 && hi >= 0 && li >= 0;
  const need = Math.max(ti, ci, ohlc ? Math.max(oi, hi, li) : 0);
  const cols: number[][] = [[], [], [], [], []]; // t, open, high, low, close
  let sorted = true;
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(",");
    if (cells.length <= need) continue;
    const t = Number(cells[ti]);
    const close = Number(cells[ci]);
    if (!Number.isFinite(t) || !Number.isFinite(close) || close <= 0) continue;
    const n = cols[0].length;
    if (n > 0 && t <= cols[0][n - 1]) sorted = false;
    cols[0].push(t);
    cols[1].push(ohlc ? Number(cells[oi]) : NaN);
    cols[2].push(ohlc ? Number(cells[hi]) : NaN);
    cols[3].push(ohlc ? Number(cells[li]) : NaN);
    cols[4].push(close);
  }
  if (cols[0].length === 0) return undefined;
  let order: number[] | undefined;
  if (!sorted) {
    // one row per timestamp (the first read), in time order
    const first = new Map<number, number>();
    cols[0].forEach((t, i) => first.has(t) || first.set(t, i));
    order = [...first.values()].sort((x, y) => cols[0][x] - cols[0][y]);
  }
  const c = (k: number) => Float64Array.from(order ? order.map((i) => cols[k][i]) : cols[k]);
  return { t: c(0), open: c(1), high: c(2), low: c(3), close: c(4), ohlc, path };
}

/** The real hourly history in DIR/merged, or undefined when the folder is absent or holds no usable prices. */
export function readPriceFolder(dir: string): History | undefined {
  const merged = join(dir, "merged");
  if (!existsSync(merged)) return undefined;
  const series: Record<string, Series> = {};
  const candles: Record<string, Candles> = {};
  for (const f of readdirSync(merged).sort()) {
    const m = PRICE_FILE.exec(f);
    if (!m || candles[m[1]]) continue;
    const c = readCandleCsv(join(merged, f));
    if (c === undefined) continue;
    const s: Series = new Map();
    for (let i = 0; i < c.t.length; i++) s.set(c.t[i], c.close[i]);
    series[m[1]] = s;
    candles[m[1]] = c;
  }
  if (Object.keys(series).length === 0) return undefined;
  return { source: `hourly closes from ${dir}/merged`, synthetic: false, dir, series, candles };
}

/** Deterministic generated paths, marked synthetic. */
export function syntheticHistory(seed = 42): History {
  return {
    source: `synthetic generated paths (geometric Brownian motion, seed ${seed}; not real prices)`,
    synthetic: true,
    seed,
    series: generatedHistory(seed),
  };
}

/** The real history in DIR when it has data, else the synthetic paths (check `synthetic`). */
export function loadHistory(dir: string | undefined, seed = 42): History {
  return (dir !== undefined ? readPriceFolder(dir) : undefined) ?? syntheticHistory(seed);
}

/** Deterministic hourly GBM paths for the six assets, at hours 0, 1, 2, ... (no calendar dates). */
export function generatedHistory(seed: number, hours = 20_000): Record<string, Series> {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const vol: Record<string, number> = { BTC: 0.007, ETH: 0.009, SOL: 0.013, BNB: 0.009, XRP: 0.011, DOGE: 0.014 };
  const start: Record<string, number> = { BTC: 60000, ETH: 3000, SOL: 150, BNB: 600, XRP: 0.6, DOGE: 0.15 };
  const out: Record<string, Series> = {};
  const common = Array.from({ length: hours }, () => normal());
  for (const a of ASSETS) {
    const s: Series = new Map();
    let p = start[a];
    for (let h = 0; h < hours; h++) {
      const z = 0.6 * common[h] + 0.8 * normal();
      p *= Math.exp(vol[a] * z - (vol[a] * vol[a]) / 2);
      s.set(h * HOUR, p);
    }
    out[a] = s;
  }
  return out;
}

const bps = (r: number) => Math.max(-10000, Math.min(10000, Math.round(r * 10000)));

function windowReturns(s: Series, horizon: number): Array<{ t: number; r: number }> {
  const out: Array<{ t: number; r: number }> = [];
  for (const [t, p] of s) {
    const q = s.get(t + horizon * HOUR);
    if (q !== undefined) out.push({ t, r: q / p - 1 });
  }
  return out;
}

export interface AssetStats {
  hours: number;
  from: string;
  to: string;
  worstDropBps: number;
  worstDropAt: string;
  worstRiseBps: number;
  worstRiseAt: string;
  p999DropBps: number;
  p999RiseBps: number;
}

export interface Calibration {
  source: string;
  horizonHours: number;
  markets: string[];
  assets: Record<string, AssetStats>;
  /** S = S_SCENARIOS rows of shocks in bps, one column per market (unknown markets: 0) */
  scenarios: number[][];
  scenarioNotes: string[];
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ");

/** A time as shown in results: a UTC date for real data, "synthetic hour N" for generated paths. */
export function timeLabel(h: History): (t: number) => string {
  return h.synthetic ? (t) => `synthetic hour ${Math.round(t / HOUR)}` : iso;
}

/** Where the prices came from, with the span they cover. */
export function dataInfo(h: History): DataInfo {
  const all = new Set<number>();
  for (const s of Object.values(h.series)) for (const t of s.keys()) all.add(t);
  const assets = Object.keys(h.series).sort();
  if (h.synthetic) return { source: "synthetic", generator: "geometric Brownian motion", seed: h.seed ?? 42, hours: all.size, assets };
  let first = Infinity;
  let last = -Infinity;
  for (const t of all) {
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return { source: "real", dir: h.dir ?? "", first: all.size ? iso(first) : "", last: all.size ? iso(last) : "", hours: all.size, assets };
}

export function calibrate(h: History, horizon: number, markets: string[], rows = S_SCENARIOS): Calibration {
  const when = timeLabel(h);
  const assets: Record<string, AssetStats> = {};
  const windows: Record<string, Array<{ t: number; r: number }>> = {};
  for (const [a, s] of Object.entries(h.series)) {
    const w = windowReturns(s, horizon);
    if (w.length === 0) continue;
    windows[a] = w;
    const sorted = [...w].sort((x, y) => x.r - y.r);
    const ts = [...s.keys()];
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * (sorted.length - 1))))].r;
    assets[a] = {
      hours: s.size,
      from: when(Math.min(...ts)),
      to: when(Math.max(...ts)),
      worstDropBps: bps(sorted[0].r),
      worstDropAt: when(sorted[0].t),
      worstRiseBps: bps(sorted[sorted.length - 1].r),
      worstRiseAt: when(sorted[sorted.length - 1].t),
      p999DropBps: bps(q(0.001)),
      p999RiseBps: bps(q(0.999)),
    };
  }
  // an asset without prices over the window gets its own 99.9% move in the window's direction
  const moveAt = (a: string, t: number, dir: "drop" | "rise") => {
    const s = h.series[a];
    const p = s?.get(t);
    const q = s?.get(t + horizon * HOUR);
    if (p !== undefined && q !== undefined) return bps(q / p - 1);
    return dir === "drop" ? Math.min(0, assets[a].p999DropBps) : Math.max(0, assets[a].p999RiseBps);
  };
  const scenarios: number[][] = [];
  const notes: string[] = [];
  const known = markets.filter((m) => assets[m]);
  for (const dir of ["drop", "rise"] as const) {
    for (const a of known) {
      const w = windows[a];
      const pick = w.reduce((best, x) => ((dir === "drop" ? x.r < best.r : x.r > best.r) ? x : best), w[0]);
      scenarios.push(markets.map((m) => (assets[m] ? moveAt(m, pick.t, dir) : 0)));
      notes.push(`${a} worst ${horizon}h ${dir} from ${when(pick.t)}, every asset's move over that window`);
    }
  }
  scenarios.push(markets.map((m) => assets[m]?.p999DropBps ?? 0));
  notes.push("every asset at its 99.9% quantile drop at once");
  scenarios.push(markets.map((m) => assets[m]?.p999RiseBps ?? 0));
  notes.push("every asset at its 99.9% quantile rise at once");
  const worstDrop = Math.min(0, ...known.map((m) => assets[m].worstDropBps));
  const worstRise = Math.max(0, ...known.map((m) => assets[m].worstRiseBps));
  scenarios.push(markets.map((m) => (assets[m] ? worstDrop : 0)));
  notes.push("every asset at the worst single-asset drop at once");
  scenarios.push(markets.map((m) => (assets[m] ? worstRise : 0)));
  notes.push("every asset at the worst single-asset rise at once");
  while (scenarios.length < rows) {
    scenarios.push(markets.map(() => 0));
    notes.push("unused");
  }
  return {
    source: h.source,
    horizonHours: horizon,
    markets,
    assets,
    scenarios: scenarios.slice(0, rows),
    scenarioNotes: notes.slice(0, rows),
  };
}

export interface Backtest {
  source: string;
  level: Level;
  hoursEvaluated: number;
  unhealthyHours: number;
  violations: Record<Violation, number>;
  firstBreach: string | null;
  minMarginRatio: number | null; // min E / R over hours with R > 0
}

/** Replay a portfolio through history; prices follow the real paths, scaled to the epoch at the latest common hour. */
export function backtest(
  h: History,
  params: Params,
  portfolio: Portfolio,
  markets: string[],
  collateral: string[],
  level: Level,
): Backtest {
  const used = [...new Set([...markets, ...collateral].filter((a) => h.series[a]))];
  const hours = [...(h.series[used[0]]?.keys() ?? [])].filter((t) => used.every((a) => h.series[a].has(t))).sort((x, y) => x - y);
  const res: Backtest = {
    source: h.source,
    level,
    hoursEvaluated: 0,
    unhealthyHours: 0,
    violations: { MARGIN: 0, STRESS: 0, POSITION_CAP: 0, LEVERAGE: 0 },
    firstBreach: null,
    minMarginRatio: null,
  };
  if (hours.length === 0) return res;
  const when = timeLabel(h);
  const ref = hours[hours.length - 1];
  const SCALE = 1_000_000n;
  const factor = (a: string, t: number) => BigInt(Math.round((h.series[a].get(t)! / h.series[a].get(ref)!) * 1e6));
  for (const t of hours) {
    const p: Params = structuredClone(params);
    p.markets.forEach((m, i) => {
      if (h.series[markets[i]]) m.markPrice = (m.markPrice * factor(markets[i], t)) / SCALE;
    });
    p.collateral.forEach((c, j) => {
      if (h.series[collateral[j]]) c.priceE18 = (c.priceE18 * factor(collateral[j], t)) / SCALE;
    });
    const ev = evaluate(p, portfolio, level);
    res.hoursEvaluated++;
    if (ev.requirement > 0n) {
      const ratio = Number(ev.equity) / Number(ev.requirement);
      if (res.minMarginRatio === null || ratio < res.minMarginRatio) res.minMarginRatio = ratio;
    }
    if (!ev.healthy) {
      res.unhealthyHours++;
      for (const v of ev.violations) res.violations[v]++;
      res.firstBreach ??= when(t);
    }
  }
  return res;
}
