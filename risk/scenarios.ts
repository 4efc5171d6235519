// risk scenarios (issue #11, item 3): the S stress rows of an epoch, drawn from history at the
// liquidation horizon L and chosen greedily over the worst-portfolio search (risk/worst.ts) to
// cover the most historical windows. docs/RISK.md, "Stress scenarios", defines it.
//
// Candidates: every window of L hours gives two joint rows (every asset's move in the same window,
// so one asset against another is kept): "close", each asset's close-to-close move, and "wick",
// each asset at its extreme in the direction of its close move (lowest low when it closed down,
// highest high when it closed up). Shocks are in bps, rounded away from zero (a larger move), and
// clamped to the model's |shock| <= 10000.
//
// Coverage: a window is covered when no portfolio that proves margin at its start (the LP of
// risk/worst.ts, plain LP: an upper bound) loses more than its equity by its end. Adding a row
// only shrinks the provable set, so every window's loss is non-increasing in the rows: a window
// covered by the margin and leverage rows alone stays covered, and only the uncovered windows
// (plus the top ones, for the worst case) are re-solved. Step s evaluates the candidates of the
// currently worst windows on that set and keeps the row that leaves the fewest uncovered windows,
// ties broken by the smaller worst loss. No two rows are equal.
import { MAX_SHOCK_BPS, S_SCENARIOS } from "../prover/constants.ts";
import type { Candles } from "./calibrate.ts";
import { iso, syntheticLabel, type Label } from "./moves.ts";
import { WorstSolver, jointWindows, type Basis, type JointWindows, type WorstModel } from "./worst.ts";

export type RowKind = "close" | "wick";

export interface ScenarioRow {
  /** shock per market of the model, bps (a price move: -3000 is a 30% drop) */
  shocksBps: number[];
  kind: RowKind;
  /** the window it was taken from (UTC start, or "synthetic hour N") */
  from: string;
  /** after adding it: windows still uncovered and the largest loss over the evaluated set */
  uncoveredAfter: number;
  maxLossAfter: number;
}

export interface ScenarioOptions {
  horizon: number;
  /** rows to choose (at most S_SCENARIOS) */
  rows: number;
  /** the coverage basis: close (joint, at the window's end) or wick (each asset at its extreme) */
  basis: Basis;
  /** candidate windows tried per step (each gives a close and a wick row) */
  candidates: number;
  /** windows evaluated per candidate: every uncovered one up to this many, then a stride sample */
  sample: number;
  from?: number;
  to?: number;
  synthetic: boolean;
  /** per window: the weight of leaving it uncovered (default 1; risk plan weighs its bar days) */
  weight?: Float64Array;
}

export const SCENARIO_DEFAULTS = { rows: S_SCENARIOS, basis: "close" as Basis, candidates: 6, sample: 400 };

export interface ScenarioResult {
  horizon: number;
  basis: Basis;
  windows: number;
  /** windows uncovered and the worst loss with the margin and leverage rows alone */
  before: { uncovered: number; maxLoss: number; maxAt: string | null };
  /** after the chosen rows: every window re-solved (plain LP, an upper bound) */
  after: { uncovered: number; coverage: number; maxLoss: number; maxAt: string | null };
  rows: ScenarioRow[];
  lpSolves: number;
  seconds: number;
}

const clampBps = (x: number) => {
  const b = x < 0 ? -Math.ceil(-x * 1e4 - 1e-9) : Math.ceil(x * 1e4 - 1e-9);
  return Math.max(-Number(MAX_SHOCK_BPS), Math.min(Number(MAX_SHOCK_BPS), b));
};

/** The two candidate rows of window k (bps per asset of the model). */
export function candidateRows(jw: JointWindows, k: number): Record<RowKind, number[]> {
  const n = jw.coef.close.long.length;
  const close: number[] = [];
  const wick: number[] = [];
  for (let a = 0; a < n; a++) {
    const m = jw.coef.close.short[a][k]; // close_end / P0 - 1
    close.push(clampBps(m));
    wick.push(clampBps(m < 0 ? -jw.coef.wick.long[a][k] : jw.coef.wick.short[a][k]));
  }
  return { close, wick };
}

/** Loads window k's objective coefficients of a basis into cL, cS. */
export function loadWindow(jw: JointWindows, basis: Basis, k: number, cL: Float64Array, cS: Float64Array): void {
  for (let a = 0; a < cL.length; a++) {
    cL[a] = jw.coef[basis].long[a][k];
    cS[a] = jw.coef[basis].short[a][k];
  }
}

/**
 * Chooses o.rows stress rows for the model (its own rows are ignored: the search starts from the
 * margin and leverage rows alone). `onStep` reports each row chosen.
 */
export async function chooseScenarios(
  model: WorstModel,
  candles: Candles[],
  o: ScenarioOptions,
  onStep: (done: number, total: number, what: string) => void = () => {},
  windows?: JointWindows,
): Promise<ScenarioResult & { jw: JointWindows; loss: Float64Array }> {
  const started = performance.now();
  const label: Label = o.synthetic ? syntheticLabel : iso;
  const jw = windows ?? jointWindows(candles, o.horizon, o.from, o.to);
  const nw = jw.start.length;
  const m: WorstModel = { ...model, shocks: [], scenarioIndex: [] };
  const solver = await WorstSolver.create(m);
  const n = m.markets.length;
  const cL = new Float64Array(n);
  const cS = new Float64Array(n);
  let lpSolves = 0;
  const solve = (k: number) => {
    loadWindow(jw, o.basis, k, cL, cS);
    lpSolves++;
    return solver.relaxed(cL, cS);
  };
  try {
    // every window without stress rows: the margin and leverage rows alone
    const loss = new Float64Array(nw);
    for (let k = 0; k < nw; k++) loss[k] = solve(k);
    const argmax = (xs: Float64Array | number[], idx?: number[]) => {
      let best = -1;
      for (const k of idx ?? xs.keys()) if (best < 0 || xs[k] > xs[best]) best = k;
      return best;
    };
    const k0 = argmax(loss);
    const uncovered0 = loss.reduce((s, x) => s + (x > 1 + 1e-9 ? 1 : 0), 0);
    const maxLoss0 = k0 >= 0 ? loss[k0] : 0;
    // the evaluated set: uncovered windows and the top ones (for the worst case once all are covered)
    const byLoss = [...Array(nw).keys()].sort((x, y) => loss[y] - loss[x] || x - y);
    const tracked = byLoss.slice(0, Math.max(uncovered0, Math.min(nw, 300))).filter((k) => loss[k] > 0);
    const w = (k: number) => (o.weight ? o.weight[k] : 1);
    const rows: ScenarioRow[] = [];
    const chosen = new Set<string>();
    const total = Math.min(o.rows, S_SCENARIOS);
    for (let step = 0; step < total; step++) {
      // the worst windows first, uncovered weighted ones (risk plan's bar days) before all
      const urgent = (k: number) => (loss[k] > 1 + 1e-9 ? w(k) : 0);
      const live = tracked.filter((k) => loss[k] > 1e-12).sort((x, y) => urgent(y) - urgent(x) || loss[y] - loss[x] || x - y);
      if (live.length === 0) break;
      const uncovered = live.filter((k) => loss[k] > 1 + 1e-9);
      // the evaluation sample: every uncovered window up to o.sample, else a stride sample (the worst first)
      const pool = uncovered.length > 0 ? uncovered : live;
      const sample: number[] = [];
      if (pool.length <= o.sample) sample.push(...pool);
      else {
        const head = Math.floor(o.sample / 2);
        sample.push(...pool.slice(0, head));
        const stride = (pool.length - head) / (o.sample - head);
        for (let j = 0; j < o.sample - head; j++) sample.push(pool[head + Math.floor(j * stride)]);
      }
      let best: { row: number[]; kind: RowKind; k: number; bad: number; max: number } | undefined;
      for (const k of live.slice(0, o.candidates)) {
        const rowsOf = candidateRows(jw, k);
        for (const kind of ["close", "wick"] as const) {
          const bps = rowsOf[kind];
          const key = bps.join(",");
          if (chosen.has(key) || bps.every((x) => x === 0)) continue;
          solver.pushStress(bps.map((x) => x / 1e4));
          let bad = 0;
          let max = 0;
          for (const wi of sample) {
            const l = solve(wi);
            if (l > 1 + 1e-9) bad += w(wi);
            if (l > max) max = l;
          }
          solver.popStress();
          if (!best || bad < best.bad || (bad === best.bad && max < best.max - 1e-12)) best = { row: bps, kind, k, bad, max };
        }
      }
      if (!best) break;
      solver.pushStress(
        best.row.map((x) => x / 1e4),
        step,
      );
      chosen.add(best.row.join(","));
      for (const k of live) loss[k] = solve(k);
      const left = live.filter((k) => loss[k] > 1 + 1e-9).length;
      const maxNow = live.reduce((s, k) => Math.max(s, loss[k]), 0);
      rows.push({ shocksBps: best.row, kind: best.kind, from: label(jw.start[best.k]), uncoveredAfter: left, maxLossAfter: maxNow });
      onStep(
        step + 1,
        total,
        `row ${step + 1}: ${best.kind} of ${label(jw.start[best.k])}, ${left} windows uncovered, worst ${maxNow.toFixed(2)}x`,
      );
    }
    // every window again with the chosen rows (an upper bound per window)
    for (let k = 0; k < nw; k++) loss[k] = rows.length ? solve(k) : loss[k];
    const k1 = argmax(loss);
    const uncovered1 = loss.reduce((s, x) => s + (x > 1 + 1e-9 ? 1 : 0), 0);
    return {
      horizon: o.horizon,
      basis: o.basis,
      windows: nw,
      before: { uncovered: uncovered0, maxLoss: maxLoss0, maxAt: k0 >= 0 ? label(jw.start[k0]) : null },
      after: {
        uncovered: uncovered1,
        coverage: nw ? 1 - uncovered1 / nw : 1,
        maxLoss: k1 >= 0 ? loss[k1] : 0,
        maxAt: k1 >= 0 ? label(jw.start[k1]) : null,
      },
      rows,
      lpSolves,
      seconds: (performance.now() - started) / 1000,
      jw,
      loss,
    };
  } finally {
    solver.dispose();
  }
}
