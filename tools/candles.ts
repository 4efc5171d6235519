// Generated hourly OHLC paths for the risk engine's tests (one generator instead of a copy per
// test file). Deterministic: the same seed and options give the same candles.
import type { Candles } from "../risk/calibrate.ts";
import { HOUR } from "../risk/moves.ts";

/** xorshift32 in (0, 1): a tiny seeded generator. */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
}

export interface PathOptions {
  /** a move (fraction) forced at an hour; other hours move by (u - 0.5) * noise */
  jumps?: Record<number, number>;
  /** width of the random hourly move (default 0.04) */
  noise?: number;
  /** wicks beyond open/close: random up to `random` of the price, or a fixed fraction */
  wick?: { random: number } | { fixed: number };
  start?: number;
  t0?: number;
  /** the seeded generator (default xorshift) */
  rng?: (seed: number) => () => number;
}

/** n hourly candles, open = previous close, the high and low wicked both ways. */
export function syntheticCandles(n: number, seed: number, o: PathOptions = {}): Candles {
  const u = (o.rng ?? xorshift)(seed);
  const { jumps = {}, noise = 0.04, wick = { random: 0.03 }, start = 100, t0 = Date.UTC(2021, 0, 1) } = o;
  const t = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  let p = start;
  for (let i = 0; i < n; i++) {
    const c = p * (1 + (jumps[i] ?? (u() - 0.5) * noise));
    t[i] = t0 + i * HOUR;
    open[i] = p;
    close[i] = c;
    if ("random" in wick) {
      high[i] = Math.max(p, c) * (1 + u() * wick.random);
      low[i] = Math.min(p, c) * (1 - u() * wick.random);
    } else {
      high[i] = Math.max(p, c) * (1 + wick.fixed);
      low[i] = Math.min(p, c) * (1 - wick.fixed);
    }
    p = c;
  }
  return { t, open, high, low, close, ohlc: true, path: `generated ${seed}` };
}
