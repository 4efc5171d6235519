// risk report (issue #11, item 6): a self-contained HTML report with SVG plots drawn by Vega-Lite
// (compiled by vega-lite, rendered server-side by vega to SVG), and PNG through @resvg/resvg-js.
// docs/RISK.md, "Report", lists the plots and where each number comes from.
import type { Params } from "../prover/types.ts";
import type { Candles } from "./calibrate.ts";
import { CHAINS, DEFAULTS, capacity } from "./latency.ts";
import { iso, quantile, toGrid, windowMoves, type Label } from "./moves.ts";
import { BATCH_GAS, simulate, SIM_DEFAULTS, type SimulateReport } from "./simulate.ts";
import { WorstSolver, jointWindows, worstModel } from "./worst.ts";

type Spec = Record<string, unknown>;

/** Vega-Lite spec -> SVG text (server-side, no browser). */
export async function svgOf(spec: Spec): Promise<string> {
  const vl = await import("vega-lite");
  const vega = await import("vega");
  const compiled = vl.compile({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** SVG -> PNG bytes (resvg), scaled to `width` pixels. */
export async function pngOf(svg: string, width = 1200): Promise<Buffer> {
  const { Resvg } = await import("@resvg/resvg-js");
  const r = new Resvg(svg, { fitTo: { mode: "width", value: width }, background: "white", font: { loadSystemFonts: true } });
  return r.render().asPng();
}

export interface ReportData {
  title: string;
  source: string;
  marginVsLatency: { asset: string; hours: number; q99: number; q999: number; max: number }[];
  lossDistribution: { loss: number }[];
  badDebtCalendar: { year: number; month: number; windows: number }[];
  frontier: { chain: string; graceSeconds: number; batch: number; accounts: number }[];
  crashes: { day: string; hour: number; liquidations: number; volumeUsd: number; badDebtUsd: number }[];
  contagion: { shock: string; market: string; notionalUsd: number }[];
  summary: string[];
}

const HORIZONS = [1, 2, 4, 8, 12, 24];

/** The report's data: moves, the worst-portfolio losses (1 h close), the frontier and the crash replays. */
export async function reportData(
  params: Params,
  names: string[],
  collateral: string[],
  candles: Record<string, Candles>,
  crashDays: string[],
  synthetic: boolean,
  label: Label,
  onProgress: (what: string) => void = () => {},
): Promise<ReportData> {
  const model = worstModel(params, "maintenance", names);
  // margin versus latency: each asset's adverse move (the larger of a long's and a short's, close) over H
  const marginVsLatency: ReportData["marginVsLatency"] = [];
  for (const a of model.assets) {
    const g = toGrid(candles[a])!;
    for (const H of HORIZONS) {
      const w = windowMoves(g, H);
      const x = Float64Array.from(w.long.close, (l, k) => Math.max(l, w.short.close[k])).sort();
      if (x.length === 0) continue;
      marginVsLatency.push({ asset: a, hours: H, q99: quantile(x, 0.99), q999: quantile(x, 0.999), max: x[x.length - 1] });
    }
  }
  onProgress("worst-portfolio losses of every 1 h window (close)");
  const solver = await WorstSolver.create(model);
  const jw = jointWindows(
    model.assets.map((a) => candles[a]),
    1,
    -Infinity,
    Infinity,
    true,
  );
  const lossDistribution: ReportData["lossDistribution"] = [];
  const calendar = new Map<string, number>();
  try {
    for (let k = 0; k < jw.start.length; k++) {
      const l = solver.relaxed(
        model.assets.map((_, a) => jw.coef.close.long[a][k]),
        model.assets.map((_, a) => jw.coef.close.short[a][k]),
      );
      lossDistribution.push({ loss: l });
      if (l > 1 + 1e-9 && !synthetic) {
        const d = new Date(jw.start[k]);
        const key = `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}`;
        calendar.set(key, (calendar.get(key) ?? 0) + 1);
      }
    }
  } finally {
    solver.dispose();
  }
  const badDebtCalendar = [...calendar].map(([k, v]) => {
    const [y, m] = k.split("-").map(Number);
    return { year: y, month: m, windows: v };
  });
  const frontier: ReportData["frontier"] = [];
  for (const chain of ["ethereum-l1", "l2"] as const)
    for (const grace of [60, 120, 300, 600, 900, 1800, 2700, 3600])
      for (const batch of [1, 32, 128])
        frontier.push({
          chain,
          graceSeconds: grace,
          batch,
          accounts: capacity({
            ...DEFAULTS,
            chain: CHAINS[chain],
            liquidations: 1,
            graceSeconds: grace,
            gasPerAttestation: BATCH_GAS[batch],
          }).capacityAccounts,
        });
  // crash replays: 1,000 accounts from two days before to the day after each crash day
  const crashes: ReportData["crashes"] = [];
  const contagionM = new Map<string, number>();
  let sims: SimulateReport | undefined;
  for (const d of crashDays) {
    onProgress(`crash replay ${d}`);
    const t = Date.parse(`${d}T00:00:00Z`);
    const held = names.filter((a, i) => a !== "-" && params.markets[i].positionCap > 0n);
    const live = names.map((a) => (held.includes(a) && toGrid(candles[a], t - 2 * 86_400_000, t + 86_400_000) ? a : "-"));
    if (live.every((a) => a === "-")) continue;
    const r = await simulate(
      params,
      live,
      collateral.map((c, j) => (j === 0 || live.includes(c) ? c : "-")),
      candles,
      { ...SIM_DEFAULTS, accounts: 1000, workers: 0, from: t - 2 * 86_400_000, to: t + 86_400_000 - 1, barDays: [d] },
      label,
    );
    sims = r;
    const perHour = new Map<number, { liquidations: number; volumeUsd: number; badDebtUsd: number }>();
    const t0 = Date.parse(`${r.first.replace(" ", "T")}:00Z`);
    for (const s of r.segments) {
      for (const [h, c, v] of s.liquidationsByHour) perHour.set(h, { liquidations: c, volumeUsd: v, badDebtUsd: 0 });
      for (const [h, b] of s.badDebtByHour) perHour.set(h, { ...(perHour.get(h) ?? { liquidations: 0, volumeUsd: 0 }), badDebtUsd: b });
    }
    for (const [h, x] of perHour) crashes.push({ day: d, hour: (t0 + h * 3_600_000 - t) / 3_600_000, ...x });
    r.contagion.markets.forEach((si, i) =>
      r.contagion.markets.forEach((mj, j) =>
        contagionM.set(`${si}|${mj}`, (contagionM.get(`${si}|${mj}`) ?? 0) + r.contagion.notionalUsd[i][j]),
      ),
    );
  }
  const contagion = [...contagionM].map(([k, v]) => {
    const [shock, market] = k.split("|");
    return { shock, market, notionalUsd: v };
  });
  const bad = lossDistribution.filter((x) => x.loss > 1 + 1e-9).length;
  const sorted = Float64Array.from(lossDistribution, (x) => x.loss).sort();
  return {
    title: "zkmargin risk report",
    source: synthetic ? "SYNTHETIC generated paths (not real prices: do not publish)" : "real Binance spot hourly prices",
    marginVsLatency,
    lossDistribution,
    badDebtCalendar,
    frontier,
    crashes,
    contagion,
    summary: [
      `Markets: ${model.assets.join(", ")}; maintenance rates ${model.rates.map((r) => `${(r * 100).toFixed(2)}%`).join(", ")}; max leverage ${model.maxLeverage}x; ${model.shocks.length} stress rows.`,
      `Worst provable portfolio, 1 h close (plain LP, an upper bound): ${jw.start.length.toLocaleString("en-US")} windows, q99 ${quantile(sorted, 0.99).toFixed(2)}x, q99.9 ${quantile(sorted, 0.999).toFixed(2)}x, max ${sorted[sorted.length - 1]?.toFixed(2)}x; ${bad} windows (${((bad / Math.max(1, jw.start.length)) * 100).toFixed(3)}%) with bad debt.`,
      `Crash replays (1,000 accounts, two days before to the end of the day): ${crashDays.join(", ")}${sims ? "" : " (no data)"}.`,
    ],
  };
}

/** The plots' Vega-Lite specs. */
export function specs(d: ReportData): Record<string, { title: string; spec: Spec }> {
  const w = 560;
  return {
    margin: {
      title: "Margin versus latency: the adverse move over L hours (q99.9 line, q99 to max band)",
      spec: {
        width: w,
        height: 300,
        data: { values: d.marginVsLatency.map((x) => ({ ...x, q99: x.q99 * 100, q999: x.q999 * 100, max: Math.min(x.max, 1.5) * 100 })) },
        encoding: {
          x: {
            field: "hours",
            type: "quantitative",
            scale: { type: "log", domain: [1, 24], nice: false },
            title: "liquidation latency L (hours)",
          },
          color: { field: "asset", type: "nominal" },
        },
        layer: [
          {
            mark: { type: "area", opacity: 0.15 },
            encoding: { y: { field: "q99", type: "quantitative", title: "margin needed (% of notional)" }, y2: { field: "max" } },
          },
          { mark: { type: "line", point: true }, encoding: { y: { field: "q999", type: "quantitative" } } },
        ],
      },
    },
    heatmap: {
      title: "Bad-debt windows per month (1 h, close): some provable portfolio loses more than its equity",
      spec: {
        width: w,
        height: 200,
        data: { values: d.badDebtCalendar },
        mark: "rect",
        encoding: {
          x: { field: "month", type: "ordinal", title: "month" },
          y: { field: "year", type: "ordinal", title: "year" },
          color: { field: "windows", type: "quantitative", scale: { scheme: "reds" }, title: "windows" },
        },
      },
    },
    losses: {
      title: "Worst-portfolio loss distribution (1 h close, multiple of equity; > 1 is bad debt)",
      spec: {
        width: w,
        height: 240,
        data: { values: d.lossDistribution.map((x) => ({ loss: Math.min(x.loss, 5) })) },
        mark: "bar",
        encoding: {
          x: { field: "loss", bin: { maxbins: 50 }, type: "quantitative", title: "loss / equity (capped at 5)" },
          y: { aggregate: "count", type: "quantitative", scale: { type: "symlog" }, title: "windows" },
        },
      },
    },
    frontier: {
      title: "Capacity frontier: accounts that attest within the grace period (30% of block space)",
      spec: {
        width: w,
        height: 280,
        data: { values: d.frontier.map((x) => ({ ...x, series: `${x.chain}, batch ${x.batch}` })) },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "graceSeconds", type: "quantitative", title: "grace period (s)" },
          y: { field: "accounts", type: "quantitative", scale: { type: "log" }, title: "accounts" },
          color: { field: "series", type: "nominal", title: "chain, batch" },
        },
      },
    },
    crashes: {
      title: "Crash timelines: liquidation volume per hour around each crash day (hour 0 = 00:00 UTC of the day)",
      spec: {
        width: w,
        height: 260,
        data: { values: d.crashes.map((x) => ({ ...x, volumeM: x.volumeUsd / 1e6 })) },
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x: { field: "hour", type: "quantitative", title: "hours from the crash day's start" },
          y: { field: "volumeM", type: "quantitative", title: "liquidated notional ($M)" },
          color: { field: "day", type: "nominal" },
        },
      },
    },
    contagion: {
      title: "Contagion map: liquidated notional by market, by the market that moved most in the hour (crash replays)",
      spec: {
        width: 360,
        height: 300,
        data: { values: d.contagion.map((x) => ({ ...x, notionalM: x.notionalUsd / 1e6 })) },
        mark: "rect",
        encoding: {
          x: { field: "market", type: "nominal", title: "liquidated market" },
          y: { field: "shock", type: "nominal", title: "market that moved most" },
          color: { field: "notionalM", type: "quantitative", scale: { scheme: "oranges" }, title: "$M" },
        },
      },
    },
  };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The HTML: every plot inline as SVG, no script, no external resource. */
export async function reportHtml(
  d: ReportData,
  onPlot: (name: string) => void = () => {},
): Promise<{ html: string; svgs: Record<string, string> }> {
  const svgs: Record<string, string> = {};
  const parts: string[] = [];
  for (const [name, { title, spec }] of Object.entries(specs(d))) {
    onPlot(name);
    svgs[name] = await svgOf({ ...spec, title: { text: title, anchor: "start", fontSize: 13 } });
    parts.push(`<section>\n${svgs[name]}\n</section>`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}h2{font-size:1.05em;margin-top:2em}li{margin:.3em 0}</style>
</head><body>
<h1>${esc(d.title)}</h1>
<p>${esc(d.source)}. Generated ${esc(iso(Date.now()))} UTC by <code>zkmargin risk report</code>; docs/RISK.md defines every number.</p>
<ul>${d.summary.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
${parts.join("\n")}
</body></html>
`;
  return { html, svgs };
}
