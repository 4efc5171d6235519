// Worst provable portfolio (issue #11, item 4's core; docs/RISK.md, "Worst provable portfolio"):
// for every historical window of H hours, the largest loss, as a multiple of equity, over every
// portfolio that can prove margin at the window's start under the params, as a linear programme
// solved by HiGHS (the `highs` package, a WebAssembly build of the maintained solver).
//
// Scale invariance: with equity E = 1 and x_i = notional_i / E, every constraint of the margin
// model (prover/model.ts) is homogeneous in (positions, collateral) once the quadratic impact
// term n_i^2 * impact_i / (10000 * D_i) and the integer roundings are dropped. Dropping them only
// enlarges the feasible set, so the optimum is an upper bound on what a real portfolio can lose
// (conservative). Position caps bind only above an equity (reported per optimum), so they are
// omitted too. Collateral is the settlement asset (haircut 0): equity.
//
//   variables  L_i, S_i >= 0          long and short notional of market i, in units of E
//   maximise   sum_i cL_i L_i + cS_i S_i
//   margin     sum_i rate_i (L_i + S_i) <= 1                      (rate = maintenance or initial bps / 10000)
//   stress k   sum_i shock_k,i / 10000 (L_i - S_i) >= -1          (10000 E + sum s_i P_i shock_k,i >= 0)
//   leverage   sum_i (L_i + S_i) <= maxLeverageBps / 10000
//
// Objective, per window (P0 = the close before the window, as in risk moves):
//   wick:  cL_i = max(0, 1 - min low / P0), cS_i = max(0, max high / P0 - 1): every position
//          loses at its own asset's adverse extreme within the window (conservative: the
//          extremes need not coincide in time).
//   close: cL_i = 1 - close_end / P0, cS_i = -cL_i: the joint, path-consistent loss at the
//          window's end.
// A real portfolio holds one signed size per market; L_i and S_i both positive is not one. With
// the close objective that never pays (cL + cS = 0); with the wick objective it can (an asset
// that wicked both ways). When the LP optimum holds both sides of a market, the window is solved
// by branch and bound over directions (each branch fixes a market long-only, S_i = 0, or
// short-only, L_i = 0, and re-solves the warm-started LP; a branch whose LP bound is no better
// than the best one-side-per-market optimum found is pruned), so the answer is the exact optimum
// over real portfolios. lpText(..., binaries) writes the same problem as a MIP (one binary per
// market) for cross-checks.
import highsModule from "highs";
import type { Highs, Model } from "highs";
import type { Level, Params } from "../prover/types.ts";
import type { Candles } from "./calibrate.ts";
import { HOUR, iso, quantile, syntheticLabel, toGrid, windowMoves, type Label } from "./moves.ts";

export type Basis = "wick" | "close";
export const BASES: readonly Basis[] = ["wick", "close"];

/** The LP's data: the markets that can hold a position, in units of E = 1. */
export interface WorstModel {
  level: Level;
  /** market indices in params.markets */
  markets: number[];
  /** their asset names */
  assets: string[];
  /** margin rate at the level, a fraction */
  rates: number[];
  /** shock_k,i / 10000 per scenario k (all-zero rows dropped) */
  shocks: number[][];
  /** scenario indices of `shocks` rows */
  scenarioIndex: number[];
  /** maxLeverageBps / 10000 */
  maxLeverage: number;
}

/**
 * The model of params at a level for the markets named in `names` (params.markets order; "-"
 * or a market with positionCap 0 holds no position and is left out).
 */
export function worstModel(params: Params, level: Level, names: string[]): WorstModel {
  const markets: number[] = [];
  params.markets.forEach((m, i) => {
    if (names[i] && names[i] !== "-" && m.positionCap > 0n) markets.push(i);
  });
  const rate = (i: number) =>
    Number(level === "maintenance" ? params.markets[i].maintenanceRateBps : params.markets[i].initialRateBps) / 1e4;
  const shocks: number[][] = [];
  const scenarioIndex: number[] = [];
  params.scenarios.forEach((row, k) => {
    const r = markets.map((i) => Number(row[i]) / 1e4);
    if (r.some((x) => x !== 0)) {
      shocks.push(r);
      scenarioIndex.push(k);
    }
  });
  return {
    level,
    markets,
    assets: markets.map((i) => names[i]),
    rates: markets.map(rate),
    shocks,
    scenarioIndex,
    maxLeverage: Number(params.maxLeverageBps) / 1e4,
  };
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(17).replace(/\.?0+$/, ""));
const term = (c: number, v: string) => (c >= 0 ? `+ ${num(c)} ${v}` : `- ${num(-c)} ${v}`);

/** The CPLEX LP text of the model with objective coefficients cL, cS; `binaries`: one direction per market (MIP). */
export function lpText(m: WorstModel, cL: ArrayLike<number>, cS: ArrayLike<number>, binaries = false): string {
  const n = m.markets.length;
  const idx = [...Array(n).keys()];
  const obj = idx.flatMap((i) => [term(cL[i], `L${i}`), term(cS[i], `S${i}`)]).join(" ");
  const rows = [
    ` margin: ${idx.flatMap((i) => [term(m.rates[i], `L${i}`), term(m.rates[i], `S${i}`)]).join(" ")} <= 1`,
    ` leverage: ${idx.flatMap((i) => [`+ L${i}`, `+ S${i}`]).join(" ")} <= ${num(m.maxLeverage)}`,
    ...m.shocks.map((r, k) => ` stress${k}: ${idx.flatMap((i) => [term(r[i], `L${i}`), term(-r[i], `S${i}`)]).join(" ")} >= -1`),
  ];
  const big = m.maxLeverage;
  if (binaries)
    for (const i of idx) rows.push(` dirL${i}: + L${i} - ${num(big)} z${i} <= 0`, ` dirS${i}: + S${i} + ${num(big)} z${i} <= ${num(big)}`);
  return [
    "Maximize",
    ` obj: ${obj}`,
    "Subject To",
    ...rows,
    ...(binaries ? ["Binaries", ` ${idx.map((i) => `z${i}`).join(" ")}`] : []),
    "End",
  ].join("\n");
}

/** One window's optimum. */
export interface Optimum {
  /** the largest loss, a multiple of equity */
  loss: number;
  /** long and short notional per market, multiples of equity */
  long: number[];
  short: number[];
  /** the constraints at their bound: margin, leverage, stress row k (the params' scenario index) */
  binding: string[];
  /** the plain LP optimum held both sides of a market: solved by branching on directions */
  mip: boolean;
}

const TOL = 1e-9;

// the package's types describe its CommonJS build; its ES module's default export is the loader
const loadHighs = highsModule as unknown as () => Promise<Highs>;

/** A persistent HiGHS model of one WorstModel; solve() changes the objective and re-solves (warm start). */
export class WorstSolver {
  readonly model: WorstModel;
  private readonly highs: Highs;
  private readonly lp: Model;

  private constructor(model: WorstModel, highs: Highs, lp: Model) {
    this.model = model;
    this.highs = highs;
    this.lp = lp;
  }

  static async create(model: WorstModel): Promise<WorstSolver> {
    if (model.markets.length === 0) throw new Error("no market can hold a position (every market is '-' or has positionCap 0)");
    const highs = await loadHighs();
    const n = model.markets.length;
    const lp = highs.createModel({ format: "lp", data: lpText(model, new Array(n).fill(1), new Array(n).fill(1)) });
    lp.options.set({ output_flag: false });
    return new WorstSolver(model, highs, lp);
  }

  /** The optimum for objective coefficients cL, cS (per market of the model). */
  solve(cL: ArrayLike<number>, cS: ArrayLike<number>): Optimum {
    const m = this.model;
    const n = m.markets.length;
    const zero = (): Optimum => ({ loss: 0, long: new Array(n).fill(0), short: new Array(n).fill(0), binding: [], mip: false });
    if (![...Array(n).keys()].some((i) => cL[i] > 0 || cS[i] > 0)) return zero();
    for (let i = 0; i < n; i++) {
      this.lp.changeColCost(2 * i, cL[i]);
      this.lp.changeColCost(2 * i + 1, cS[i]);
    }
    // depth-first branch and bound over directions: a node fixes some markets long-only (S_i = 0)
    // or short-only (L_i = 0); a node whose LP bound is no better than the best real portfolio is
    // pruned; a node whose optimum holds one side per market is a real portfolio
    let best: Optimum | undefined;
    let nodes = 0;
    const stack: Int8Array[] = [new Int8Array(n)]; // 0 free, 1 long only, -1 short only
    while (stack.length) {
      const fix = stack.pop()!;
      const r = this.run(fix);
      nodes++;
      if (best && r.loss <= best.loss + 1e-12) continue;
      const both = r.long.findIndex((x, i) => x > TOL && r.short[i] > TOL);
      if (both < 0) {
        best = { ...r, mip: nodes > 1 };
        continue;
      }
      const shortOnly = Int8Array.from(fix);
      shortOnly[both] = -1;
      const longOnly = Int8Array.from(fix);
      longOnly[both] = 1;
      // explore the side with the larger coefficient first (a good incumbent prunes more)
      if (cL[both] >= cS[both]) stack.push(shortOnly, longOnly);
      else stack.push(longOnly, shortOnly);
    }
    for (let i = 0; i < 2 * n; i++) this.lp.changeColBounds(i, 0, Infinity);
    this.fixed = false;
    const b = best ?? zero();
    b.mip = nodes > 1;
    b.binding = bindingConstraints(m, b.long, b.short);
    b.loss = Math.max(0, b.loss);
    return b;
  }

  private fixed = false;

  /**
   * The plain LP optimum (both sides of a market allowed): an upper bound on solve(), equal to it
   * when the optimum holds one side per market.
   */
  relaxed(cL: ArrayLike<number>, cS: ArrayLike<number>): number {
    const n = this.model.markets.length;
    if (![...Array(n).keys()].some((i) => cL[i] > 0 || cS[i] > 0)) return 0;
    for (let i = 0; i < n; i++) {
      this.lp.changeColCost(2 * i, cL[i]);
      this.lp.changeColCost(2 * i + 1, cS[i]);
    }
    return Math.max(0, this.run(new Int8Array(n)).loss);
  }

  /** The same optimum's loss from HiGHS's MIP solver (one binary direction per market): a cross-check, slower. */
  solveMip(cL: ArrayLike<number>, cS: ArrayLike<number>): number {
    const r = this.highs.solve(lpText(this.model, cL, cS, true), { output_flag: false, mip_rel_gap: 1e-9, mip_abs_gap: 1e-12 });
    if (r.Status !== "Optimal") throw new Error(`HiGHS: the MIP ended with status ${r.Status}`);
    return Math.max(0, r.ObjectiveValue);
  }

  /** One LP with the direction fixings applied. */
  private run(fix: Int8Array): Optimum {
    const n = fix.length;
    if (this.fixed || fix.some((x) => x !== 0)) {
      for (let i = 0; i < n; i++) {
        this.lp.changeColBounds(2 * i, 0, fix[i] === -1 ? 0 : Infinity);
        this.lp.changeColBounds(2 * i + 1, 0, fix[i] === 1 ? 0 : Infinity);
      }
      this.fixed = fix.some((x) => x !== 0);
    }
    this.lp.run();
    const status = this.lp.getModelStatus();
    if (status !== 7) throw new Error(`HiGHS: the LP ended with model status ${status}, not optimal`);
    const sol = this.lp.getSolution();
    const clean = (x: number) => (Math.abs(x) < TOL ? 0 : x);
    return {
      loss: this.lp.getObjectiveValue(),
      long: [...Array(n).keys()].map((i) => clean(sol.colValue[2 * i])),
      short: [...Array(n).keys()].map((i) => clean(sol.colValue[2 * i + 1])),
      binding: [],
      mip: false,
    };
  }

  /**
   * Adds a stress row (shock / 10000 per market of the model, a fraction): sum_i r_i (L_i - S_i) >= -1.
   * risk scenarios and risk plan add candidate rows and take them back (popStress) on one persistent model.
   */
  pushStress(row: ArrayLike<number>, scenario = -1): void {
    const n = this.model.markets.length;
    const index: number[] = [];
    const value: number[] = [];
    for (let i = 0; i < n; i++) {
      if (row[i] === 0) continue;
      index.push(2 * i, 2 * i + 1);
      value.push(row[i], -row[i]);
    }
    this.lp.addRow(-1, Infinity, { indices: index, values: value });
    this.model.shocks.push(Array.from(row));
    this.model.scenarioIndex.push(scenario);
  }

  /** Removes the stress row added last by pushStress. */
  popStress(): void {
    const rows = this.lp.getDimensions().numRows;
    this.lp.deleteRows({ kind: "range", from: rows - 1, to: rows - 1 });
    this.model.shocks.pop();
    this.model.scenarioIndex.pop();
  }

  dispose(): void {
    this.lp.dispose();
  }
}

/** The constraints within 1e-7 of their bound at a portfolio (in units of E). */
export function bindingConstraints(m: WorstModel, long: number[], short: number[]): string[] {
  const out: string[] = [];
  const gross = long.reduce((s, x, i) => s + x + short[i], 0);
  const margin = long.reduce((s, x, i) => s + m.rates[i] * (x + short[i]), 0);
  if (margin >= 1 - 1e-7) out.push("margin");
  if (gross >= m.maxLeverage - 1e-7) out.push("leverage");
  m.shocks.forEach((r, k) => {
    if (1 + long.reduce((s, x, i) => s + r[i] * (x - short[i]), 0) <= 1e-7) out.push(`stress ${m.scenarioIndex[k]}`);
  });
  return out;
}

/** The joint windows of H hours: those whose H + 1 candles are present for every asset. */
export interface JointWindows {
  horizon: number;
  /** window start times (ms): the open time of the window's first candle */
  start: Float64Array;
  /** per basis, per asset (model order): the objective coefficients of a long and of a short */
  coef: Record<Basis, { long: Float64Array[]; short: Float64Array[] }>;
  /** hours of the span on which every asset has a candle */
  commonHours: number;
  /** per asset: 1 where the window holds its candles (always, unless listedOnly) */
  listed?: Uint8Array[];
}

/**
 * The joint windows of the assets' candles in [from, to]. `listedOnly`: a window needs the candles
 * of the assets listed over it (from their first to their last candle) only; an asset not yet
 * listed (or delisted) moves 0 in it and `listed` says which (risk plan: the history before SOL).
 */
export function jointWindows(candles: Candles[], horizon: number, from = -Infinity, to = Infinity, listedOnly = false): JointWindows {
  const grids = candles.map((c) => toGrid(c, from, to));
  const empty = (): JointWindows => ({
    horizon,
    start: new Float64Array(0),
    coef: { wick: { long: [], short: [] }, close: { long: [], short: [] } },
    commonHours: 0,
  });
  if (grids.some((g) => g === undefined)) return empty();
  const t0 = Math.min(...grids.map((g) => g!.t0));
  const t1 = Math.max(...grids.map((g) => g!.t0 + (g!.close.length - 1) * HOUR));
  const n = Math.round((t1 - t0) / HOUR) + 1;
  // each asset on the common grid, then its windows by reference candle
  const per = grids.map((g) => {
    const off = Math.round((g!.t0 - t0) / HOUR);
    const pad = (x: Float64Array) => {
      const a = new Float64Array(n).fill(NaN);
      a.set(x, off);
      return a;
    };
    const aligned = { t0, open: pad(g!.open), high: pad(g!.high), low: pad(g!.low), close: pad(g!.close) };
    return { aligned, w: windowMoves(aligned, horizon) };
  });
  let commonHours = 0;
  for (let i = 0; i < n; i++) if (per.every((p) => !Number.isNaN(p.aligned.close[i]))) commonHours++;
  const count = new Int32Array(n);
  for (const p of per) for (const r of p.w.ref) count[r]++;
  const at = per.map((p) => {
    const pos = new Int32Array(n).fill(-1);
    p.w.ref.forEach((r, k) => (pos[r] = k));
    return pos;
  });
  // each asset's first and last candle on the common grid
  const span = per.map((p) => {
    let a = 0;
    let b = n - 1;
    while (a < n && Number.isNaN(p.aligned.close[a])) a++;
    while (b >= 0 && Number.isNaN(p.aligned.close[b])) b--;
    return [a, b];
  });
  const listedAt = (a: number, r: number) => r >= span[a][0] && r + horizon <= span[a][1];
  const refs: number[] = [];
  for (let r = 0; r < n; r++) {
    if (count[r] === per.length) refs.push(r);
    else if (listedOnly && count[r] > 0 && per.every((_, a) => at[a][r] >= 0 || !listedAt(a, r))) refs.push(r);
  }
  const col = (f: (a: number, k: number) => number) =>
    per.map((_, a) => Float64Array.from(refs, (r) => (at[a][r] >= 0 ? f(a, at[a][r]) : 0)));
  return {
    listed: per.map((_, a) => Uint8Array.from(refs, (r) => (at[a][r] >= 0 ? 1 : 0))),
    horizon,
    start: Float64Array.from(refs, (r) => t0 + (r + 1) * HOUR),
    coef: {
      wick: {
        long: col((a, k) => Math.max(0, per[a].w.long.wick[k])),
        short: col((a, k) => Math.max(0, per[a].w.short.wick[k])),
      },
      close: {
        long: col((a, k) => per[a].w.long.close[k]),
        short: col((a, k) => per[a].w.short.close[k]),
      },
    },
    commonHours,
  };
}

export interface WorstWindow {
  /** the window's start (UTC "YYYY-MM-DD HH:MM", or "synthetic hour N") */
  start: string;
  lossMultiple: number;
  /** signed notional per asset, a multiple of equity (+ long, - short); zero positions left out */
  portfolio: Record<string, number>;
  /** the adverse move of each position held, a fraction of P0 (the objective coefficient) */
  moves: Record<string, number>;
  binding: string[];
  /** the equity (USD) above which a position cap would bind at the shipped mark prices (null: none held) */
  capBindsAboveUsd: number | null;
  mip: boolean;
}

export interface BasisSummary {
  basis: Basis;
  windows: number;
  /** windows with an adverse move (the others have loss 0 without an LP) */
  adverseWindows: number;
  /** windows solved exactly (in decreasing order of their LP bound, until every statistic is settled) */
  exactSolves: number;
  /** of those, the ones whose plain LP optimum held both sides of a market (branch and bound) */
  mipSolves: number;
  maxLossMultiple: number;
  maxAt: string | null;
  q99LossMultiple: number | null;
  q99_9LossMultiple: number | null;
  /** windows with loss > 1: some provable portfolio ends with bad debt */
  badDebtWindows: number;
  badDebtFraction: number;
  /** windows with loss above each threshold; exact for thresholds >= 1, an upper bound (LP bounds) below 1 */
  lossAbove: Record<string, { windows: number; fraction: number; exact: boolean }>;
  top: WorstWindow[];
  seconds: number;
}

export interface HorizonSummary {
  hours: number;
  commonHours: number;
  wick: BasisSummary;
  close: BasisSummary;
}

export interface WorstOptions {
  horizons: number[];
  level: Level;
  top: number;
  from?: number;
  to?: number;
  synthetic: boolean;
  /** loss thresholds (multiples of equity) whose exceedance fractions are reported; 1 (bad debt) always */
  thresholds?: number[];
}

export const METHOD = {
  normalisation: "equity E = 1; x_i = notional_i / E; collateral is the settlement asset (haircut 0)",
  variables: "L_i, S_i >= 0: long and short notional of market i as multiples of equity",
  margin: "sum_i rate_i (L_i + S_i) <= 1 (rate at --level, bps / 10000)",
  stress: "for every scenario k with a nonzero shock: sum_i shock_k,i / 10000 (L_i - S_i) >= -1",
  leverage: "sum_i (L_i + S_i) <= maxLeverageBps / 10000",
  wick: "maximise sum_i max(0, 1 - min low / P0) L_i + max(0, max high / P0 - 1) S_i (each position at its own asset's adverse extreme in the window)",
  close: "maximise sum_i (1 - close_end / P0) (L_i - S_i) (joint, path-consistent, at the window's end)",
  conservative:
    "impact (n^2 impact / (10000 D)), the integer roundings and position caps are dropped: the feasible set only grows, so the loss is an upper bound",
  direction:
    "an LP optimum holding both sides of a market is re-solved by branch and bound over directions (S_i = 0 or L_i = 0 per branch): exact over real portfolios",
  windows: "every start hour whose H + 1 candles are present for every asset; P0 = the close before the window (as risk moves)",
  solver: "HiGHS (npm highs, WebAssembly), one warm-started persistent LP per window with an adverse move",
} as const;

/** The worst-portfolio report of the model over the assets' candles (model order). */
export async function worstReport(
  model: WorstModel,
  candles: Candles[],
  o: WorstOptions,
  capUsd: (long: number[], short: number[]) => number | null = () => null,
  onProgress: (what: string) => void = () => {},
): Promise<{ method: typeof METHOD; horizons: HorizonSummary[] }> {
  const label: Label = o.synthetic ? syntheticLabel : iso;
  const solver = await WorstSolver.create(model);
  const thresholds = [...new Set([...(o.thresholds ?? []), 1])].sort((a, b) => a - b);
  try {
    const horizons: HorizonSummary[] = [];
    for (const H of o.horizons) {
      const jw = jointWindows(candles, H, o.from, o.to);
      const basis = (b: Basis): BasisSummary => {
        const started = performance.now();
        const nw = jw.start.length;
        const cL = new Float64Array(model.markets.length);
        const cS = new Float64Array(model.markets.length);
        const load = (k: number) => {
          for (let a = 0; a < cL.length; a++) {
            cL[a] = jw.coef[b].long[a][k];
            cS[a] = jw.coef[b].short[a][k];
          }
        };
        // pass 1: the plain LP (an upper bound) of every window
        const bound = new Float64Array(nw);
        let adverse = 0;
        let lastReport = started;
        for (let k = 0; k < nw; k++) {
          load(k);
          bound[k] = solver.relaxed(cL, cS);
          if (bound[k] > 0) adverse++;
          const now = performance.now();
          if (now - lastReport > 5000) {
            onProgress(`${H} h ${b}: LP bound, ${k + 1} of ${nw} windows (${((now - started) / 1000).toFixed(0)} s)`);
            lastReport = now;
          }
        }
        // pass 2: exact optima in decreasing bound order, until every statistic is settled: the
        // windows not solved exactly have loss <= their bound <= the next bound
        const order = [...Array(nw).keys()].sort((x, y) => bound[y] - bound[x] || x - y);
        const rankQ = (p: number) => nw - Math.min(nw, Math.max(1, Math.ceil(p * nw - 1e-9))) + 1; // 1 = the largest
        const need = Math.min(nw, Math.max(o.top, rankQ(0.99)));
        const exact = new Map<number, Optimum>();
        const sortedExact: number[] = []; // descending
        let mipSolves = 0;
        for (const k of order) {
          const next = bound[k];
          const settled = sortedExact.length >= need && next <= sortedExact[need - 1] && next <= 1;
          if (settled || next <= 0) break;
          load(k);
          const r = solver.solve(cL, cS);
          if (r.mip) mipSolves++;
          exact.set(k, r);
          const pos = sortedExact.findIndex((x) => x < r.loss);
          sortedExact.splice(pos < 0 ? sortedExact.length : pos, 0, r.loss);
          const now = performance.now();
          if (now - lastReport > 5000) {
            onProgress(`${H} h ${b}: exact optima, ${exact.size} windows (${((now - started) / 1000).toFixed(0)} s)`);
            lastReport = now;
          }
        }
        const ranked = [...exact.entries()].sort((x, y) => y[1].loss - x[1].loss || x[0] - y[0]);
        const q = (p: number) => (nw === 0 ? null : (sortedExact[rankQ(p) - 1] ?? 0));
        const above = (t: number) => ranked.filter(([, r]) => r.loss > t + 1e-12).length;
        const top = ranked.slice(0, o.top).map(([k, r]): WorstWindow => {
          load(k);
          const portfolio: Record<string, number> = {};
          const moves: Record<string, number> = {};
          model.assets.forEach((asset, a) => {
            const x = r.long[a] - r.short[a];
            if (x !== 0) {
              portfolio[asset] = x;
              moves[asset] = x > 0 ? cL[a] : cS[a];
            }
          });
          return {
            start: label(jw.start[k]),
            lossMultiple: r.loss,
            portfolio,
            moves,
            binding: r.binding,
            capBindsAboveUsd: capUsd(r.long, r.short),
            mip: r.mip,
          };
        });
        const bad = above(1);
        return {
          basis: b,
          windows: nw,
          adverseWindows: adverse,
          exactSolves: exact.size,
          mipSolves,
          maxLossMultiple: ranked.length ? ranked[0][1].loss : 0,
          maxAt: ranked.length ? label(jw.start[ranked[0][0]]) : null,
          q99LossMultiple: q(0.99),
          q99_9LossMultiple: q(0.999),
          badDebtWindows: bad,
          badDebtFraction: nw ? bad / nw : 0,
          lossAbove: Object.fromEntries(
            thresholds.map((t) => {
              // exact where settled (every window with a bound above 1 was solved exactly); else counted on bounds (upper bound)
              const c = t >= 1 ? above(t) : bound.reduce((s, x) => s + (x > t + 1e-12 ? 1 : 0), 0);
              return [String(t), { windows: c, fraction: nw ? c / nw : 0, exact: t >= 1 }];
            }),
          ),
          top,
          seconds: (performance.now() - started) / 1000,
        };
      };
      onProgress(`${H} h: ${jw.start.length} joint windows`);
      const wick = basis("wick");
      const close = basis("close");
      horizons.push({ hours: H, commonHours: jw.commonHours, wick, close });
    }
    return { method: METHOD, horizons };
  } finally {
    solver.dispose();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const mult = (x: number | null) => (x === null ? "—" : `${x.toFixed(2)}x`);

/** The human table. */
export function formatWorst(model: WorstModel, horizons: HorizonSummary[], header: string[]): string {
  const lines = [...header];
  lines.push(
    `Worst loss, as a multiple of equity, over every portfolio that proves ${model.level} margin at the window's start`,
    "(LP without impact, roundings and position caps: an upper bound). wick: each position at its asset's adverse",
    "extreme within the window; close: the joint loss at the window's last close. > 1x: bad debt. Times: UTC.",
    `Markets: ${model.assets.join(", ")}; ${model.shocks.length} stress rows; max leverage ${model.maxLeverage}x.`,
    "",
    "  H      basis |  windows      q99    q99.9      max  max at             bad debt (> 1x)      LP s",
  );
  for (const h of horizons) {
    for (const s of [h.wick, h.close]) {
      lines.push(
        `  ${`${h.hours}h`.padEnd(6)} ${s.basis.padEnd(5)} |${s.windows.toLocaleString("en-US").padStart(9)} ${mult(s.q99LossMultiple).padStart(8)} ${mult(s.q99_9LossMultiple).padStart(8)} ${mult(s.maxLossMultiple).padStart(8)}  ${(s.maxAt ?? "—").padEnd(18)} ${`${s.badDebtWindows} (${pct(s.badDebtFraction)})`.padStart(16)} ${s.seconds.toFixed(1).padStart(9)}`,
      );
    }
  }
  for (const h of horizons) {
    for (const s of [h.wick, h.close]) {
      if (s.top.length === 0) continue;
      lines.push("", `Worst ${h.hours}h windows (${s.basis}): loss, portfolio (notional / equity, + long, - short), binding constraints`);
      for (const w of s.top) {
        const book = Object.entries(w.portfolio)
          .map(([a, x]) => `${x > 0 ? "+" : ""}${x.toFixed(2)} ${a} (${pct(w.moves[a])})`)
          .join(", ");
        lines.push(`  ${w.start.padEnd(18)} ${mult(w.lossMultiple).padStart(7)}  ${book}  [${w.binding.join(", ")}]`);
      }
    }
  }
  return lines.map((l) => l.trimEnd()).join("\n");
}
