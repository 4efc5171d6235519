// risk moves: worst-move tables on crafted OHLC series with known answers, the effective sample
// size, the conditional restriction, the CLI, and facts from real history when the shared price
// folder exists.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPriceFolder, type Candles } from "../risk/calibrate.ts";
import {
  HOUR,
  bpsUp,
  effectiveSampleSize,
  iso,
  movesReport,
  quantile,
  readMarks,
  seriesTable,
  toGrid,
  windowMoves,
  type MovesOptions,
} from "../risk/moves.ts";
import { PACKAGE_ROOT, REPO_ROOT } from "../prover/artifacts.ts";

/** |actual - expected| <= tolerance (chai's closeTo is replaced by hardhat's bigint matchers when the contract suites run in the same process) */
function near(actual: number | null | undefined, expected: number, tolerance: number): void {
  expect(actual, "a value").to.be.a("number");
  expect(Math.abs((actual as number) - expected), `${actual} within ${tolerance} of ${expected}`).to.be.at.most(tolerance);
}

const T0 = Date.UTC(2021, 0, 1); // 2021-01-01 00:00 UTC
type Row = [open: number, high: number, low: number, close: number] | null; // null: a missing hour

function candles(rows: Row[], t0 = T0): Candles {
  const kept = rows.map((r, i) => [i, r] as const).filter((x): x is readonly [number, [number, number, number, number]] => x[1] !== null);
  const col = (k: number) => Float64Array.from(kept, ([, r]) => r[k]);
  return {
    t: Float64Array.from(kept, ([i]) => t0 + i * HOUR),
    open: col(0),
    high: col(1),
    low: col(2),
    close: col(3),
    ohlc: true,
    path: "test",
  };
}
const flat = (p: number): Row => [p, p, p, p];
const at = (h: number) => iso(T0 + h * HOUR);
const opts = (horizons: number[], extra: Partial<MovesOptions> = {}): MovesOptions => ({
  horizons,
  conditionQuantile: 0.99,
  synthetic: false,
  ...extra,
});

/** 101 flat hours at 100, except hour 20: open 100, low 70, close 90, and 90 after it. */
function crash(): Candles {
  return candles(Array.from({ length: 101 }, (_, h) => (h < 20 ? flat(100) : h === 20 ? [100, 100, 70, 90] : flat(90))));
}

describe("risk moves: worst-move tables", () => {
  it("a single crash hour: the wick to its low, the close to its close, exactly", () => {
    const t = seriesTable("BTC", "spot", crash(), opts([1, 4]))!;
    const [h1, h4] = t.horizons;
    expect(h1.windows).to.equal(100); // 101 candles: 100 one-hour windows
    expect(h4.windows).to.equal(97);
    const lw = h1.long.wick.unconditional;
    expect(lw).to.deep.include({ windows: 100, maxFraction: 0.30000000000000004, maxBps: 3000, maxAt: at(20) });
    expect(h1.long.close.unconditional).to.deep.include({ maxBps: 1000, maxAt: at(20) });
    // q = x_(ceil(p n)): one move in 100 windows is above q99 (x_(99) = 0) and is q99.9 (x_(100))
    expect(lw.q99Bps).to.equal(0);
    expect(lw.q99_9Bps).to.equal(3000);
    // 4-hour windows: the earliest window holding the crash hour (start 17:00, P0 = hour 16's close)
    expect(h4.long.wick.unconditional).to.deep.include({ maxBps: 3000, maxAt: at(17) });
    expect(h4.long.close.unconditional).to.deep.include({ maxBps: 1000, maxAt: at(17) });
    // nothing rose: the short side never loses (its worst move is 0)
    expect(h1.short.wick.unconditional.maxBps).to.equal(0);
    expect(h4.short.close.unconditional.maxBps).to.equal(0);
    expect(t.gaps).to.deep.equal([]);
  });

  it("never bridges a gap, and says how many windows each gap removed", () => {
    // 100 until hour 9, hour 10 missing, 50 from hour 11: bridging would invent a 50% drop
    const rows: Row[] = Array.from({ length: 40 }, (_, h) => (h < 10 ? flat(100) : h === 10 ? null : flat(50)));
    rows[30] = null;
    rows[31] = null; // a second gap, of 2 hours
    const t = seriesTable("BTC", "spot", candles(rows), opts([1, 4]))!;
    expect(t.missingHours).to.equal(3);
    expect(t.gaps).to.deep.equal([
      { from: at(10), to: at(10), missingHours: 1, windowsRemovedByHorizonHours: { "1": 2, "4": 5 } },
      { from: at(30), to: at(31), missingHours: 2, windowsRemovedByHorizonHours: { "1": 3, "4": 6 } },
    ]);
    const [h1, h4] = t.horizons;
    expect(h1).to.deep.include({ possibleWindows: 39, windows: 34, windowsRemovedByGaps: 5 });
    expect(h4).to.deep.include({ possibleWindows: 36, windows: 25, windowsRemovedByGaps: 11 });
    for (const h of t.horizons) {
      for (const side of ["long", "short"] as const)
        for (const basis of ["wick", "close"] as const) expect(h[side][basis].unconditional.maxBps, `${side} ${basis}`).to.equal(0);
    }
    // no window touches a missing hour
    const g = toGrid(candles(rows))!;
    for (const H of [1, 4]) {
      for (const r of windowMoves(g, H).ref) for (let i = r; i <= r + H; i++) expect(Number.isNaN(g.close[i])).to.equal(false);
    }
  });

  it("long and short are mirror images: a 20% crash and a 25% spike", () => {
    // 100, then 125 at hour 5 (a 25% rise), back to 100 at hour 6 (a 20% drop)
    const t = seriesTable("BTC", "spot", candles(Array.from({ length: 12 }, (_, h) => flat(h === 5 ? 125 : 100))), opts([1]))!;
    const h = t.horizons[0];
    expect(h.short.close.unconditional).to.deep.include({ maxBps: 2500, maxAt: at(5) });
    expect(h.long.close.unconditional).to.deep.include({ maxBps: 2000, maxAt: at(6) });
    // on the inverted prices (1/p: highs and lows swap) a long's drop d is a short's rise d / (1 - d)
    let s = 7;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.04 - 0.02;
    let p = 100;
    const rows: Row[] = Array.from({ length: 300 }, () => {
      const o = p;
      p *= 1 + rnd();
      return [o, Math.max(o, p) * (1 + Math.abs(rnd())), Math.min(o, p) * (1 - Math.abs(rnd())), p];
    });
    const inverted = rows.map((r) => (r ? ([1 / r[0], 1 / r[2], 1 / r[1], 1 / r[3]] as Row) : null));
    for (const H of [1, 3, 24]) {
      const a = windowMoves(toGrid(candles(rows))!, H);
      const b = windowMoves(toGrid(candles(inverted))!, H);
      expect([...a.ref]).to.deep.equal([...b.ref]);
      for (let k = 0; k < a.ref.length; k++) {
        for (const basis of ["wick", "close"] as const) {
          const d = a.long[basis][k];
          near(b.short[basis][k], d / (1 - d), 1e-12);
          near(a.short[basis][k], b.long[basis][k] / (1 - b.long[basis][k]), 1e-12);
        }
        // a wick is never smaller than the close-based move of the same window
        expect(a.long.wick[k]).to.be.at.least(a.long.close[k]);
        expect(a.short.wick[k]).to.be.at.least(a.short.close[k]);
      }
    }
  });

  it("the effective sample size n^2 / sum_ij max(0, 1 - |s_i - s_j| / H)", () => {
    expect(effectiveSampleSize([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 1)).to.equal(10); // H = 1: every window counts
    expect(effectiveSampleSize([0, 1], 2)).to.equal(4 / 3); // 2^2 / (1 + 1 + 2 * 1/2)
    expect(effectiveSampleSize([0, 100], 24)).to.equal(2); // apart by more than H: independent
    expect(effectiveSampleSize([], 24)).to.equal(0);
    const run = Array.from({ length: 10_000 }, (_, i) => i);
    near(effectiveSampleSize(run, 24), 10_000 / 24, 0.5); // consecutive windows: n / H
    // the O(n) sums equal the double sum
    const starts = [0, 1, 2, 5, 6, 30, 31, 32, 33, 34, 35, 36, 80, 100, 101, 150];
    for (const H of [1, 2, 4, 24]) {
      let sum = 0;
      for (const a of starts) for (const b of starts) sum += Math.max(0, 1 - Math.abs(a - b) / H);
      near(effectiveSampleSize(starts, H), (starts.length * starts.length) / sum, 1e-9);
    }
    // in the table: 100 consecutive 4-hour windows... of a 101-hour series (97 windows), rounded down to 0.1
    const h4 = seriesTable("BTC", "spot", crash(), opts([4]))!.horizons[0];
    const exact = effectiveSampleSize(
      Array.from({ length: 97 }, (_, i) => i),
      4,
    );
    expect(h4.long.wick.unconditional.effectiveSampleSize).to.equal(Math.floor(exact * 10) / 10);
  });

  it("quantiles are observed moves x_(ceil(p n)); bps round up (against the trader)", () => {
    const xs = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(quantile(xs, 0.99)).to.equal(990);
    expect(quantile(xs, 0.999)).to.equal(999);
    expect(quantile(xs.subarray(0, 100), 0.99)).to.equal(99);
    expect(quantile(xs.subarray(0, 1), 0.999)).to.equal(1);
    expect(Number.isNaN(quantile(new Float64Array(0), 0.99))).to.equal(true);
    expect(bpsUp(0.2)).to.equal(2000);
    expect(bpsUp(1 - 0.8)).to.equal(2000); // 0.19999999999999996: floating noise is not a move
    expect(bpsUp(0.1 + 0.2)).to.equal(3000); // 0.30000000000000004
    expect(bpsUp(0.20001)).to.equal(2001); // a worse move rounds up
    expect(bpsUp(0.123456)).to.equal(1235);
    expect(bpsUp(-0.00015)).to.equal(-1); // a gain rounds toward the loss
  });

  it("conditional tables keep only the windows right after an hour in the top 1% of |moves|", () => {
    // flat at 100, +5% at hour 50, -6% at hour 120, -1% at hour 121: 199 hourly moves, 196 of them 0
    let p = 100;
    const rows: Row[] = Array.from({ length: 200 }, (_, h) => {
      const o = p;
      if (h === 50) p *= 1.05;
      if (h === 120) p *= 0.94;
      if (h === 121) p *= 0.99;
      return [o, Math.max(o, p), Math.min(o, p), p];
    });
    // q99 of the 199 |moves| is x_(198) = 5%: only the 6% hour is above it
    const t = seriesTable("BTC", "spot", candles(rows), opts([1, 2]))!;
    expect(t.condition).to.deep.include({ quantile: 0.99, thresholdBps: 500, hours: 1 });
    const [h1, h2] = t.horizons;
    expect(h1.long.close.unconditional).to.deep.include({ windows: 199, maxBps: 600, maxAt: at(120) });
    expect(h1.long.close.conditional).to.deep.include({ windows: 1, effectiveSampleSize: 1, maxBps: 100, maxAt: at(121) });
    expect(h2.long.close.conditional).to.deep.include({ windows: 1, maxBps: 100, maxAt: at(121) });
    expect(h1.short.close.conditional.maxBps).to.equal(-100); // the short gained 1%: a negative move
    // 0.98: x_(196) = 0, so the three hours that moved condition the windows after them
    const t98 = seriesTable("BTC", "spot", candles(rows), opts([1], { conditionQuantile: 0.98 }))!;
    expect(t98.condition).to.deep.include({ thresholdBps: 0, hours: 3 });
    const c = t98.horizons[0].long.close.conditional;
    expect(c).to.deep.include({ windows: 3, effectiveSampleSize: 3, maxBps: 100, maxAt: at(121) });
  });

  it("perp marks are compared with spot over the marks' span", () => {
    const spot = crash();
    const mark = candles(
      Array.from({ length: 41 }, (_, h) => (h === 0 ? flat(100) : h === 10 ? [100, 100, 60, 90] : flat(h < 10 ? 100 : 90))),
      T0 + 10 * HOUR, // hours 10..50 of the spot series; the mark's crash is spot's hour 20
    );
    const r = movesReport({ BTC: spot }, { BTC: mark }, ["BTC"], opts([1]));
    expect(r.spot).to.have.length(1);
    expect(r.marks).to.have.length(1);
    const m = r.marks[0];
    expect([m.first, m.last]).to.deep.equal([at(10), at(50)]);
    expect(m.mark.series).to.equal("mark");
    expect(m.mark.horizons[0].long.wick.unconditional).to.deep.include({ windows: 40, maxBps: 4000, maxAt: at(20) });
    expect(m.spot!.first).to.equal(at(10));
    expect(m.spot!.last).to.equal(at(50));
    expect(m.spot!.horizons[0].long.wick.unconditional).to.deep.include({ windows: 40, maxBps: 3000, maxAt: at(20) });
  });

  // ---- the CLI ----
  const BIN = join(REPO_ROOT, "client/zkmargin.js");
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, "risk", ...args], { encoding: "utf8" });
  const DATE = /\b(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}\b/;

  /** A price folder in the shared layout: BTC and XRP spot, a BTC perp mark file. */
  function folder(): string {
    const dir = mkdtempSync(join(tmpdir(), "zkmargin-moves-"));
    mkdirSync(join(dir, "merged"));
    mkdirSync(join(dir, "csv", "src", "futures"), { recursive: true });
    const csv = (c: Candles, header: string, extra: string) =>
      [header, ...Array.from(c.t, (t, i) => `${t},x,${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},1${extra}`)].join("\n");
    const merged = "timestamp_ms,datetime_utc,open,high,low,close,volume_base,source";
    writeFileSync(join(dir, "merged", "BTCUSDT_1h_binance_spot_merged.csv"), csv(crash(), merged, ",test"));
    writeFileSync(
      join(dir, "merged", "XRPUSDT_1h_binance_spot_merged.csv"),
      csv(candles(Array.from({ length: 60 }, (_, h) => flat(h === 30 ? 2.5 : 2))), merged, ",test"),
    );
    writeFileSync(
      join(dir, "csv", "src", "futures", "BTC_USDT_USDT-1h-mark.csv"),
      csv(
        candles(Array.from({ length: 30 }, (_, h) => flat(h < 20 ? 100 : 80))),
        "timestamp_ms,datetime_utc,open,high,low,close,volume",
        "",
      ),
    );
    return dir;
  }
  const dir = folder();

  it("zkmargin risk moves --json: every number's unit in its name, marks next to spot", () => {
    const r = cli("moves", "--prices", dir, "--json");
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.contain(`loading price history from ${dir}`);
    const j = JSON.parse(r.stdout);
    expect(j.data).to.deep.include({ source: "real", dir });
    expect(j.horizonsHours).to.deep.equal([1, 2, 4, 24]);
    expect(j.conditionQuantile).to.equal(0.99);
    expect(j.method.effectiveSampleSize).to.contain("n^2 / sum_i sum_j max(0, 1 - |s_i - s_j| / H)");
    expect(j.spot.map((t: { asset: string }) => t.asset)).to.deep.equal(["BTC", "XRP"]); // the project's order
    const btc = j.spot[0];
    expect(btc.horizons.map((h: { hours: number }) => h.hours)).to.deep.equal([1, 2, 4, 24]);
    const s = btc.horizons[0].long.wick.unconditional;
    expect(Object.keys(s)).to.deep.equal([
      "windows",
      "effectiveSampleSize",
      "q99Fraction",
      "q99Bps",
      "q99_9Fraction",
      "q99_9Bps",
      "maxFraction",
      "maxBps",
      "maxAt",
    ]);
    expect(s).to.deep.include({ windows: 100, maxBps: 3000, maxAt: "2021-01-01 20:00" });
    for (const k of ["q99Bps", "q99_9Bps", "maxBps"]) expect(Number.isInteger(s[k]), k).to.equal(true);
    expect(j.spot[1].horizons[0].short.close.unconditional.maxBps).to.equal(2500);
    // the mark file: the same table over its span, spot over the same span
    expect(j.marks).to.have.length(1);
    expect(j.marks[0]).to.deep.include({ asset: "BTC", first: "2021-01-01 00:00", last: "2021-01-02 05:00" });
    expect(j.marks[0].mark.horizons[0].long.close.unconditional).to.deep.include({ maxBps: 2000, maxAt: "2021-01-01 20:00" });
    expect(j.marks[0].spot.last).to.equal("2021-01-02 05:00");
    expect(j.marks[0].spot.horizons[0].long.close.unconditional.maxBps).to.equal(1000);
  });

  it("zkmargin risk moves prints tables by default, and takes assets, horizons and a span", () => {
    const r = cli("moves", "--prices", dir, "--assets", "BTC", "--horizons", "3,1", "--from", "2021-01-01", "--to", "2021-01-01");
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain("real Binance spot 1h prices");
    expect(r.stdout).to.match(/BTC spot {2}2021-01-01 00:00 → 2021-01-01 23:00, 24 hours, 0 missing/);
    expect(r.stdout).to.match(/\n {2}1h +long {2}wick {2}\| +23 +23\.0 .* 30\.00% +2021-01-01 20:00/);
    expect(r.stdout).to.match(/\n {2}3h +long/);
    expect(r.stdout).not.to.contain("XRP");
    expect(r.stdout).to.contain("Perp mark prices");
  });

  it("zkmargin risk moves: a wrong asset, horizon, date or quantile exits 1 naming the option", () => {
    const cases: Array<[string[], string]> = [
      [["--assets", "BTC,FOO"], "--assets"],
      [["--assets", "BTC;ETH"], "--assets"],
      [["--horizons", "0"], "--horizons"],
      [["--horizons", "1,x"], "--horizons"],
      [["--horizons", "10000"], "--horizons"],
      [["--from", "2021-02-30"], "--from"],
      [["--to", "yesterday"], "--to"],
      [["--from", "2021-01-03", "--to", "2021-01-02"], "--to"],
      [["--from", "2030-01-01"], "--from"], // no prices in the span
      [["--condition-quantile", "1"], "--condition-quantile"],
      [["--condition-quantile", "0.99x"], "--condition-quantile"],
      [["--synthetic"], "--synthetic"], // with --prices
    ];
    for (const [args, option] of cases) {
      const r = cli("moves", "--prices", dir, ...args);
      expect(r.status, args.join(" ")).to.equal(1);
      expect(r.stderr, args.join(" ")).to.contain(`zkmargin: error: ${option}`);
      expect(r.stderr).not.to.contain("    at ");
    }
    expect(cli("nope").status).to.equal(1);
    const help = cli();
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain("moves");
  });

  it("zkmargin risk moves refuses without real price data, naming --prices and --synthetic", () => {
    const empty = mkdtempSync(join(tmpdir(), "zkmargin-noprices-"));
    const r = cli("moves", "--prices", empty);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/zkmargin: error: --prices: no hourly price data/);
    expect(r.stderr).to.contain("--synthetic");
    expect(r.stdout).to.equal("");
    mkdirSync(join(empty, "merged"));
    expect(cli("moves", "--prices", empty).stderr).to.contain("holds no <ASSET>USDT_1h_");
  });

  it("zkmargin risk moves --synthetic says so on stderr and in the output, without dates", () => {
    const r = cli("moves", "--synthetic", "--assets", "BTC,ETH", "--horizons", "1,24", "--json");
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/--synthetic: .*not real prices/);
    const j = JSON.parse(r.stdout);
    expect(j.data).to.deep.include({ source: "synthetic", generator: "geometric Brownian motion", seed: 42 });
    expect(r.stdout).not.to.match(DATE);
    expect(j.spot[0].horizons[0].long.wick.unconditional.maxAt).to.match(/^synthetic hour [0-9]+$/);
    expect(j.marks).to.deep.equal([]);
    const human = cli("moves", "--synthetic", "--assets", "BTC", "--horizons", "1");
    expect(human.status).to.equal(0);
    expect(human.stdout).to.match(/^zkmargin risk moves — SYNTHETIC generated paths .*NOT real prices/);
    expect(cli("moves", "--synthetic", "--from", "2021-01-01").stderr).to.contain("--from");
  });

  // ---- real history ----
  const shared = join(PACKAGE_ROOT, "..", "shared", "data", "prices");

  it("real history: 2020-03-12, 2025-10-10 and BTC's worst 4 hours (only with ../shared/data/prices)", function () {
    if (!existsSync(join(shared, "merged"))) {
      process.stderr.write(`  skipped: ${shared} does not exist (the real Binance history is not on this machine)\n`);
      this.skip();
    }
    const h = readPriceFolder(shared)!;
    const c = h.candles!;
    // one reader: the closes calibrate uses are the candles' closes
    expect(h.series.BTC.get(c.BTC.t[1000])).to.equal(c.BTC.close[1000]);
    const day = (d: string) => ({ from: Date.parse(`${d}T00:00:00Z`), to: Date.parse(`${d}T23:00:00Z`) });
    // BTC's worst 1-hour close-to-close drop on 2020-03-12: 18.2% (10:00), at least 10%
    const btc = seriesTable("BTC", "spot", c.BTC, opts([1], day("2020-03-12")))!.horizons[0].long.close.unconditional;
    expect(btc.maxFraction).to.be.at.least(0.1);
    near(btc.maxFraction, 0.1822, 0.0005); // tolerance: 0.05 percentage points
    expect(btc.maxAt).to.equal("2020-03-12 10:00");
    // XRP on 2025-10-10: the 21:00 hour fell 49.7% to its low but closed only 6.8% down
    const span = day("2025-10-10");
    const xrp = seriesTable("XRP", "spot", c.XRP, opts([1], span))!.horizons[0].long;
    near(xrp.wick.unconditional.maxFraction, 0.497, 0.0005);
    expect(xrp.wick.unconditional.maxAt).to.equal("2025-10-10 21:00");
    const g = toGrid(c.XRP, span.from, span.to)!;
    const w = windowMoves(g, 1);
    const k = [...w.ref].findIndex((r) => g.t0 + (r + 1) * HOUR === Date.parse("2025-10-10T21:00:00Z"));
    near(w.long.close[k], 0.0677, 0.0005);
    expect(w.long.wick[k]).to.be.greaterThan(7 * w.long.close[k]);
    near(xrp.close.unconditional.maxFraction, 0.0683, 0.0005); // the day's worst close-based hour (20:00)
    // BTC's worst 4-hour drop over the whole history: 34.8% to the low, from 2020-03-12 23:00
    const btc4 = seriesTable("BTC", "spot", c.BTC, opts([4]))!.horizons[0].long.wick.unconditional;
    near(btc4.maxFraction, 0.348, 0.0005);
    expect(btc4.maxAt).to.equal("2020-03-12 23:00");
    // perp marks where they exist: all six assets, from 2024-12-31
    const marks = readMarks(shared);
    expect(Object.keys(marks).sort()).to.deep.equal(["BNB", "BTC", "DOGE", "ETH", "SOL", "XRP"]);
    const mark = seriesTable("XRP", "mark", marks.XRP, opts([1], span))!.horizons[0].long.wick.unconditional;
    expect(mark.maxAt).to.equal("2025-10-10 21:00");
    expect(mark.maxFraction).to.be.greaterThan(0.45);
  });
});
