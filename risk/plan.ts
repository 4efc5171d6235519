// risk plan (issue #11, item 4): parameters for a target confidence q at the liquidation horizon L,
// checked against every historical window of L hours with the worst-portfolio search
// (risk/worst.ts) and refused when the check fails. docs/RISK.md, "Parameter plan", defines it.
//
// Confidence q: the share of historical windows of L hours in which no portfolio that proves
// maintenance margin at the window's start ends with bad debt (owes more than it holds) by the
// window's end, on the chosen basis (close: joint, at the window's end; wick: each position at its
// own asset's adverse extreme). q = 1: no window at all.
//
// Steps, for quantile levels p = q, then tighter (1 - (1 - q) / 3, 1 - (1 - q) / 10, 1) until the
// check passes:
//   maintenance_i  = the p-quantile of asset i's adverse move over L (max of a long's and a
//                    short's, on the basis), in bps rounded up, at least FLOOR_BPS
//   initial_i      = INITIAL_MULTIPLE x maintenance_i (rounded up, at most 10000)
//   max leverage   = 1 / min_i maintenance_i (never binds before the margin rows)
//   stress rows    = risk scenarios' greedy choice over the windows with these rates
//   haircut_j      = the larger of the p-quantile of collateral j's wick drop over L and its
//                    largest drop in the stressed windows (the worst portfolio loses more than half
//                    its equity: the collateral that falls with the position, wrong way)
//   check          = for every window: the plain LP's loss (an upper bound) plus the collateral
//                    term; with the cash variation-margin rule (--cash-vm: a_0 + sum U_i >= 0) the
//                    non-settlement collateral of an account is at most 1 / (1 - h_j) of its
//                    equity and adds max_j max(0, d_j - h_j) / (1 - h_j); without it collateral can
//                    back any unrealised loss, so a window where some d_j > h_j is bad debt
// The plan is refused (no params) when even p = 1 fails (a move beyond 100% at L, say).
//
// Recommendations outside params.json: the grace period (the largest whose fallback latency p99
// from risk latency fits in L), the bond (a liquidation's gas at a stressed gas price), open-
// interest caps (OI_DEPTH_MULTIPLE x depth per market, the planner's per-account caps sized so that
// the expected number of accounts cannot exceed it), and the insurance fund and backstop vault as
// fractions of the equity held in worst-case books: the q-quantile and the maximum of the excess
// loss over the windows.
import { MAX_SHOCK_BPS, N_MARKETS, S_SCENARIOS } from "../prover/constants.ts";
import type { Params } from "../prover/types.ts";
import { validateParams, paramsToJson } from "../prover/validate.ts";
import type { Candles } from "./calibrate.ts";
import { CHAINS, DEFAULTS, GAS_PER_LIQUIDATION, capacity, latencyReport, type ChainProfile } from "./latency.ts";
import { iso, syntheticLabel } from "./moves.ts";
import { chooseScenarios, SCENARIO_DEFAULTS } from "./scenarios.ts";
import { jointWindows, type Basis, type WorstModel } from "./worst.ts";

export const PLAN_DEFAULTS = {
  confidence: 0.999,
  horizon: 1,
  basis: "close" as Basis,
  floorBps: 50,
  initialMultiple: 1.5,
  /** position cap = this x depth / mark (lots) */
  capDepthMultiple: 2,
  /** protocol-wide open interest per market = this x depth */
  oiDepthMultiple: 10,
  accounts: 1000,
  /** gwei: a stressed L1 gas price for the bond */
  stressGasGwei: 300,
  bondMargin: 1.2,
  graces: [30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600],
};

export interface PlanOptions {
  confidence: number;
  horizon: number;
  basis: Basis;
  cashVm: boolean;
  chain: ChainProfile;
  accounts: number;
  from?: number;
  to?: number;
  synthetic: boolean;
  /** UTC days (YYYY-MM-DD) on which no window may end with bad debt (the issue's bar) */
  barDays?: string[];
}

/** The issue's bar: the named crash days. */
export const BAR_DAYS = ["2020-03-12", "2021-05-19", "2022-06-13", "2022-11-08", "2024-08-05", "2025-10-10"];

export interface PlanMarket {
  asset: string;
  index: number;
  maintenanceRateBps: number;
  initialRateBps: number;
  impactBps: number;
  depth: string;
  positionCap: string;
  maxLeverage: number;
  /** the p-quantile and max adverse move over L, bps */
  quantileMoveBps: number;
  maxMoveBps: number;
  oiCapUsd: number;
}

export interface PlanCollateral {
  asset: string;
  index: number;
  haircutBps: number;
  quantileDropBps: number;
  wrongWayDropBps: number;
}

export interface PlanAttempt {
  quantile: number;
  badWindows: number;
  badFraction: number;
  /** bad windows starting on a bar day (must be 0) */
  barBadWindows: number;
  maxLoss: number;
  passed: boolean;
  seconds: number;
}

export interface Plan {
  confidence: number;
  horizon: number;
  basis: Basis;
  cashVm: boolean;
  windows: number;
  attempts: PlanAttempt[];
  /** the accepted attempt (undefined: refused) */
  accepted?: {
    quantile: number;
    badWindows: number;
    badFraction: number;
    maxLoss: number;
    maxAt: string | null;
    markets: PlanMarket[];
    collateral: PlanCollateral[];
    maxLeverageBps: string;
    scenarios: { shocksBps: number[]; kind: string; from: string }[];
    graceSeconds: number;
    latencyP99Seconds: number;
    capacityAccounts: number;
    bondWei: string;
    insuranceFundFraction: number;
    backstopVaultFraction: number;
    params: Params;
  };
  seconds: number;
}

const bpsUp = (x: number) => Math.min(10000, Math.ceil(x * 1e4 - 1e-9));

/** q-quantile by the convention of risk moves: x_(ceil(q n)) of the ascending order. */
function quantileOf(xs: Float64Array, q: number): number {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length - 1e-9))) - 1];
}

/**
 * The plan. `base` gives the units, marks, depths, funding, collateral prices and epochId;
 * `markets` (N names, "-" for none) and `collateral` (M names, index 0 the settlement asset) name
 * the assets; `candles` holds every named asset's candles.
 */
export async function plan(
  base: Params,
  markets: string[],
  collateral: string[],
  candles: Record<string, Candles>,
  o: PlanOptions,
  onProgress: (what: string) => void = () => {},
): Promise<Plan> {
  const started = performance.now();
  const label = o.synthetic ? syntheticLabel : iso;
  const idx = markets.map((a, i) => (a !== "-" && base.markets[i].markPrice > 0n ? i : -1)).filter((i) => i >= 0);
  const assets = idx.map((i) => markets[i]);
  const collIdx = collateral.map((a, j) => (j > 0 && a !== "-" ? j : -1)).filter((j) => j >= 0);
  const extra = collIdx.map((j) => collateral[j]).filter((a) => !assets.includes(a));
  const all = [...assets, ...extra];
  // every window in which the assets listed at the time have their candles (before SOL's listing
  // too: an asset not yet listed moves 0), so that the crashes of 2020 count
  const jw = jointWindows(
    all.map((a) => candles[a]),
    o.horizon,
    o.from,
    o.to,
    true,
  );
  const nw = jw.start.length;
  const result: Plan = {
    confidence: o.confidence,
    horizon: o.horizon,
    basis: o.basis,
    cashVm: o.cashVm,
    windows: nw,
    attempts: [],
    seconds: 0,
  };
  if (nw === 0) return result;
  const pos = (a: string) => all.indexOf(a);
  const adverse = assets.map((_, a) => {
    const x = new Float64Array(nw);
    for (let k = 0; k < nw; k++) x[k] = Math.max(jw.coef[o.basis].long[a][k], jw.coef[o.basis].short[a][k], 0);
    return x;
  });
  const own = (a: number, xs: Float64Array) => (jw.listed ? xs.filter((_, k) => jw.listed![a][k] === 1) : xs);
  const drops = collIdx.map((j) => jw.coef.wick.long[pos(collateral[j])]);
  const barStarts = (o.barDays ?? []).map((d) => Date.parse(`${d}T00:00:00Z`));
  const weight = new Float64Array(nw).fill(1);
  const onBar = new Uint8Array(nw);
  for (let k = 0; k < nw; k++)
    if (barStarts.some((t) => jw.start[k] >= t && jw.start[k] < t + 86_400_000)) {
      weight[k] = 1000;
      onBar[k] = 1;
    }
  const levels = [...new Set([o.confidence, 1 - (1 - o.confidence) / 3, 1 - (1 - o.confidence) / 10, 1])].filter((p) => p <= 1);
  for (const p of levels) {
    const t0 = performance.now();
    const maint = adverse.map((x, a) => Math.max(PLAN_DEFAULTS.floorBps, bpsUp(quantileOf(own(a, x), p))));
    const minRate = Math.min(...maint);
    const model: WorstModel = {
      level: "maintenance",
      markets: idx,
      assets,
      rates: maint.map((b) => b / 1e4),
      shocks: [],
      scenarioIndex: [],
      maxLeverage: Math.floor(1e8 / minRate) / 1e4,
    };
    onProgress(`quantile ${p}: rates ${assets.map((a, i) => `${a} ${maint[i]}`).join(", ")} bps; choosing ${S_SCENARIOS} stress rows`);
    const sc = await chooseScenarios(
      model,
      [],
      {
        ...SCENARIO_DEFAULTS,
        candidates: 4,
        sample: 300,
        horizon: o.horizon,
        rows: S_SCENARIOS,
        basis: o.basis,
        synthetic: o.synthetic,
        weight,
      },
      (d, t, what) => onProgress(`quantile ${p}: ${what}`),
      jw,
    );
    // haircuts: own drop at p, and the largest drop in the stressed (wrong-way) windows
    const stressed: number[] = [];
    for (let k = 0; k < nw; k++) if (sc.loss[k] > 0.5) stressed.push(k);
    const coll = collIdx.map((j, c) => {
      const q = bpsUp(quantileOf(own(pos(collateral[j]), drops[c]), p));
      const ww = bpsUp(stressed.reduce((s, k) => Math.max(s, drops[c][k]), 0));
      return { asset: collateral[j], index: j, haircutBps: Math.min(9999, Math.max(q, ww)), quantileDropBps: q, wrongWayDropBps: ww };
    });
    // the check over every window
    const excess = new Float64Array(nw);
    let bad = 0;
    let barBad = 0;
    let maxLoss = 0;
    let maxAt = -1;
    for (let k = 0; k < nw; k++) {
      let extraLoss = 0;
      coll.forEach((c, ci) => {
        const h = c.haircutBps / 1e4;
        const d = drops[ci][k];
        if (d > h) extraLoss = Math.max(extraLoss, o.cashVm ? (d - h) / (1 - h) : Infinity);
      });
      const l = sc.loss[k] + extraLoss;
      if (l > maxLoss) {
        maxLoss = l;
        maxAt = k;
      }
      if (l > 1 + 1e-9) {
        bad++;
        if (onBar[k]) barBad++;
      }
      excess[k] = Math.max(0, l - 1);
    }
    const passed = bad <= Math.floor((1 - o.confidence) * nw + 1e-9) && barBad === 0;
    result.attempts.push({
      quantile: p,
      badWindows: bad,
      badFraction: bad / nw,
      barBadWindows: barBad,
      maxLoss,
      passed,
      seconds: (performance.now() - t0) / 1000,
    });
    onProgress(
      `quantile ${p}: ${bad} of ${nw} windows with bad debt (${((bad / nw) * 100).toFixed(3)}%, ${barBad} on the bar's days), worst ${maxLoss.toFixed(2)}x: ${passed ? "passes" : "fails"}`,
    );
    if (!passed) continue;
    // the other recommendations
    const planMarkets: PlanMarket[] = idx.map((i, a) => {
      const m = base.markets[i];
      const initial = Math.min(10000, Math.ceil(maint[a] * PLAN_DEFAULTS.initialMultiple));
      const cap = (BigInt(PLAN_DEFAULTS.capDepthMultiple) * m.depth) / m.markPrice;
      return {
        asset: assets[a],
        index: i,
        maintenanceRateBps: maint[a],
        initialRateBps: initial,
        impactBps: Math.max(1, bpsUp(quantileOf(own(a, adverse[a]), Math.min(p, 0.99)))),
        depth: m.depth.toString(),
        positionCap: (cap > 0n ? cap : 1n).toString(),
        maxLeverage: Math.floor((1e4 / initial) * 100) / 100,
        quantileMoveBps: bpsUp(quantileOf(own(a, adverse[a]), p)),
        maxMoveBps: bpsUp(quantileOf(own(a, adverse[a]), 1)),
        oiCapUsd: (PLAN_DEFAULTS.oiDepthMultiple * Number(m.depth)) / 1e6,
      };
    });
    const maxLeverageBps = BigInt(Math.floor(1e8 / minRate));
    const scenarios: bigint[][] = sc.rows.map((r) => {
      const x = new Array<bigint>(N_MARKETS).fill(0n);
      idx.forEach((i, a) => (x[i] = BigInt(Math.max(-Number(MAX_SHOCK_BPS), Math.min(Number(MAX_SHOCK_BPS), r.shocksBps[a])))));
      return x;
    });
    while (scenarios.length < S_SCENARIOS) scenarios.push(new Array<bigint>(N_MARKETS).fill(0n));
    const params: Params = {
      epochId: base.epochId,
      maxLeverageBps,
      markets: base.markets.map((m, i) => {
        const pm = planMarkets.find((x) => x.index === i);
        if (!pm) return { ...m };
        return {
          ...m,
          maintenanceRateBps: BigInt(pm.maintenanceRateBps),
          initialRateBps: BigInt(pm.initialRateBps),
          impactBps: BigInt(pm.impactBps),
          positionCap: BigInt(pm.positionCap),
        };
      }),
      collateral: base.collateral.map((c, j) => {
        const pc = coll.find((x) => x.index === j);
        return pc ? { ...c, haircutBps: BigInt(pc.haircutBps) } : { ...c };
      }),
      scenarios,
    };
    validateParams(JSON.parse(JSON.stringify(paramsToJson(params))));
    // grace: the largest whose fallback p99 latency fits in L
    const L = o.horizon * 3600;
    let grace = PLAN_DEFAULTS.graces[0];
    let p99 = 0;
    let cap = 0;
    for (const g of PLAN_DEFAULTS.graces) {
      const r = latencyReport({
        ...DEFAULTS,
        chain: o.chain,
        accounts: o.accounts,
        liquidations: o.accounts,
        graceSeconds: g,
        samples: 20_000,
      });
      if (r.fallback.p99Seconds <= L || g === PLAN_DEFAULTS.graces[0]) {
        grace = g;
        p99 = r.fallback.p99Seconds;
        cap = capacity({ ...DEFAULTS, chain: o.chain, accounts: o.accounts, liquidations: o.accounts, graceSeconds: g }).capacityAccounts;
      }
    }
    const bondWei = BigInt(Math.ceil(GAS_PER_LIQUIDATION * PLAN_DEFAULTS.stressGasGwei * PLAN_DEFAULTS.bondMargin)) * 10n ** 9n;
    result.accepted = {
      quantile: p,
      badWindows: bad,
      badFraction: bad / nw,
      maxLoss,
      maxAt: maxAt >= 0 ? label(jw.start[maxAt]) : null,
      markets: planMarkets,
      collateral: coll,
      maxLeverageBps: maxLeverageBps.toString(),
      scenarios: sc.rows.map((r) => ({ shocksBps: r.shocksBps, kind: r.kind, from: r.from })),
      graceSeconds: grace,
      latencyP99Seconds: p99,
      capacityAccounts: cap,
      bondWei: bondWei.toString(),
      insuranceFundFraction: quantileOf(excess, o.confidence),
      backstopVaultFraction: Math.max(0, quantileOf(excess, 1) - quantileOf(excess, o.confidence)),
      params,
    };
    break;
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

export { CHAINS };
