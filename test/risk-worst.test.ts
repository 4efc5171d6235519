// risk worst: the worst-portfolio LP against a brute-force grid over two markets, its optimum
// converted back to lots and checked healthy by the margin model, a window with no adverse move,
// and the CLI (bad options, a missing price folder, generated paths, a small price folder).
// Never reads the shared price folder.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate } from "../prover/model.ts";
import { validateParams } from "../prover/validate.ts";
import type { Params } from "../prover/types.ts";
import type { Candles } from "../risk/calibrate.ts";
import { HOUR } from "../risk/moves.ts";
import { syntheticCandles } from "../tools/candles.ts";
import { WorstSolver, jointWindows, worstModel, worstReport, type WorstModel } from "../risk/worst.ts";
import { REPO_ROOT } from "../prover/artifacts.ts";

const EXAMPLE = join(REPO_ROOT, "examples", "params.json");
const raw = () => JSON.parse(readFileSync(EXAMPLE, "utf8")) as { markets: Record<string, string>[] } & Record<string, unknown>;
const NAMES = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];

/** |actual - expected| <= tolerance (chai's closeTo is replaced by hardhat's bigint matchers when the contract suites run in the same process) */
function near(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected), `${actual} within ${tolerance} of ${expected}`).to.be.at.most(tolerance);
}

/** A generated hourly OHLC path of n candles (open = previous close, wicks both ways), with a crash and a pump. */
const path = (n: number, seed: number, start = 100, t0 = Date.UTC(2021, 0, 1)): Candles =>
  syntheticCandles(n, seed, { jumps: { 20: -0.25, 30: 0.3 }, noise: 0.06, wick: { random: 0.04 }, start, t0 });

/** The true problem over signed x (one direction per market), on a grid of step h over [-X, X]^2. */
function bruteForce(m: WorstModel, cL: number[], cS: number[], h: number): number {
  const X = m.maxLeverage;
  let best = 0;
  for (let a = -X; a <= X + 1e-9; a += h) {
    for (let b = -X; b <= X + 1e-9; b += h) {
      const x = [a, b];
      const abs = x.map(Math.abs);
      if (abs[0] + abs[1] > m.maxLeverage + 1e-12) continue;
      if (m.rates[0] * abs[0] + m.rates[1] * abs[1] > 1 + 1e-12) continue;
      if (m.shocks.some((r) => 1 + r[0] * x[0] + r[1] * x[1] < -1e-12)) continue;
      const loss = x.reduce((s, xi, i) => s + (xi > 0 ? cL[i] * xi : -cS[i] * xi), 0);
      if (loss > best) best = loss;
    }
  }
  return best;
}

describe("risk worst: the worst provable portfolio", () => {
  let solver2: WorstSolver;
  let model2: WorstModel;
  before(async () => {
    model2 = worstModel(validateParams(raw()), "maintenance", ["BTC", "ETH", "-", "-", "-", "-", "-", "-"]);
    solver2 = await WorstSolver.create(model2);
  });
  after(() => solver2.dispose());

  it("two markets: the LP optimum equals a brute-force grid over signed portfolios, on every window of a generated path", () => {
    expect(model2.assets).to.deep.equal(["BTC", "ETH"]);
    const jw = jointWindows([path(60, 7), path(60, 11, 50)], 4);
    expect(jw.start.length).to.equal(56);
    const step = 0.05;
    let checked = 0;
    for (const basis of ["wick", "close"] as const) {
      for (let k = 0; k < jw.start.length; k += 5) {
        const cL = [0, 1].map((a) => jw.coef[basis].long[a][k]);
        const cS = [0, 1].map((a) => jw.coef[basis].short[a][k]);
        const lp = solver2.solve(cL, cS);
        const grid = bruteForce(model2, cL, cS, step);
        // the grid is feasible, so it never beats the optimum; it comes within one step of it
        expect(grid, `window ${k} ${basis}: grid <= LP`).to.be.at.most(lp.loss + 1e-9);
        const slack = step * 2 * Math.max(...cL.map(Math.abs), ...cS.map(Math.abs)) * 4 + 1e-9;
        expect(lp.loss - grid, `window ${k} ${basis}: LP ${lp.loss} vs grid ${grid}`).to.be.at.most(slack);
        // one direction per market, and HiGHS's MIP agrees
        lp.long.forEach((x, i) => expect(x === 0 || lp.short[i] === 0).to.equal(true));
        expect(Math.abs(solver2.solveMip(cL, cS) - lp.loss)).to.be.below(1e-6);
        checked++;
      }
    }
    expect(checked).to.equal(24);
  });

  it("a market that wicked both ways: the plain LP holds both sides, the answer does not", () => {
    // BTC wicked 10% both ways, ETH did not move: the LP bound uses both sides of BTC
    const cL = [0.1, 0];
    const cS = [0.1, 0];
    const bound = solver2.relaxed(cL, cS);
    const r = solver2.solve(cL, cS);
    expect(r.mip).to.equal(true);
    expect(bound).to.be.above(r.loss + 0.01);
    expect(Math.abs(r.loss - bruteForce(model2, cL, cS, 0.05))).to.be.below(0.02);
    expect(Math.abs(r.loss - solver2.solveMip(cL, cS))).to.be.below(1e-6);
  });

  it("the optimum converted to lots proves margin (evaluate is healthy) and loses the LP's multiple within rounding", async () => {
    // the shipped params with impact 0 and caps that do not bind: the LP is then exact up to roundings
    const p = raw();
    for (const m of p.markets) {
      m.impactBps = "0";
      if (m.positionCap !== "0") m.positionCap = "1000000000000";
    }
    const params: Params = validateParams(p);
    for (const level of ["maintenance", "initial"] as const) {
      const model = worstModel(params, level, NAMES);
      expect(model.assets).to.deep.equal(NAMES.slice(0, 6));
      const solver = await WorstSolver.create(model);
      try {
        const jw = jointWindows(
          NAMES.slice(0, 6).map((_, a) => path(40, 100 + a, 10 + a)),
          4,
        );
        for (const k of [10, 18, 27]) {
          const cL = [...Array(6).keys()].map((a) => jw.coef.wick.long[a][k]);
          const cS = [...Array(6).keys()].map((a) => jw.coef.wick.short[a][k]);
          const r = solver.solve(cL, cS);
          expect(r.loss).to.be.above(0);
          const E = 10n ** 13n; // $10M in quote units of 1e-6 USD
          const shrink = 1 - 1e-3; // the roundings' slack: every constraint holds with 1e-3 E to spare
          const sizes = params.markets.map((m, i) => {
            const a = model.markets.indexOf(i);
            if (a < 0) return 0n;
            const x = (r.long[a] - r.short[a]) * shrink;
            return BigInt(Math.trunc((x * Number(E)) / Number(m.markPrice))); // toward zero
          });
          const portfolio = {
            sizes,
            costBasis: sizes.map((s, i) => s * params.markets[i].markPrice),
            entryFunding: params.markets.map((m) => m.fundingIndex),
            collateral: [E, 0n, 0n, 0n],
            salt: 1n,
          };
          const ev = evaluate(params, portfolio, level);
          expect(ev.violations, `${level} window ${k}`).to.deep.equal([]);
          expect(ev.equity).to.equal(E);
          // the loss of the lots at the window's adverse moves, a multiple of E
          const loss =
            sizes.reduce((s, size, i) => {
              const a = model.markets.indexOf(i);
              if (a < 0 || size === 0n) return s;
              const n = Number(size * params.markets[i].markPrice);
              return s + (n > 0 ? cL[a] * n : -cS[a] * n);
            }, 0) / Number(E);
          const lots = params.markets.reduce((s, m) => s + Number(m.markPrice), 0) / Number(E);
          expect(Math.abs(loss - r.loss), `${level} window ${k}: ${loss} vs ${r.loss}`).to.be.at.most(r.loss * 1e-3 + lots + 1e-9);
        }
      } finally {
        solver.dispose();
      }
    }
  });

  it("a window with no adverse move loses 0; the report counts no bad debt", async () => {
    const flat = (n: number): Candles => {
      const c = path(n, 3);
      c.open.fill(100);
      c.high.fill(100);
      c.low.fill(100);
      c.close.fill(100);
      return c;
    };
    expect(solver2.solve([0, 0], [0, 0]).loss).to.equal(0);
    const model = worstModel(validateParams(raw()), "maintenance", ["BTC", "ETH", "-", "-", "-", "-", "-", "-"]);
    const rep = await worstReport(model, [flat(30), flat(30)], { horizons: [1, 4], level: "maintenance", top: 3, synthetic: false });
    for (const h of rep.horizons) {
      for (const s of [h.wick, h.close]) {
        expect(s.windows).to.equal(30 - h.hours);
        expect(s).to.deep.include({ maxLossMultiple: 0, badDebtWindows: 0, adverseWindows: 0, exactSolves: 0, top: [] });
      }
    }
  });

  it("the report: the crash and pump windows lead, bad debt is counted exactly, statistics agree with a full exact pass", async () => {
    const model = worstModel(validateParams(raw()), "maintenance", ["BTC", "ETH", "-", "-", "-", "-", "-", "-"]);
    const candles = [path(80, 7), path(80, 11, 50)];
    const rep = await worstReport(model, candles, { horizons: [4], level: "maintenance", top: 80, synthetic: false });
    const jw = jointWindows(candles, 4);
    for (const basis of ["wick", "close"] as const) {
      const all = [...Array(jw.start.length).keys()].map(
        (k) =>
          solver2.solve(
            [0, 1].map((a) => jw.coef[basis].long[a][k]),
            [0, 1].map((a) => jw.coef[basis].short[a][k]),
          ).loss,
      );
      const s = rep.horizons[0][basis];
      near(s.maxLossMultiple, Math.max(...all), 1e-9);
      expect(s.badDebtWindows).to.equal(all.filter((x) => x > 1 + 1e-12).length);
      near(s.top[0].lossMultiple, Math.max(...all), 1e-9);
    }
    // the generated crash at hour 20 (-25%) and pump at hour 30 (+30%) are in the worst windows
    const worstHours = rep.horizons[0].close.top
      .slice(0, 2)
      .map((w) => Math.round((Date.parse(`${w.start}Z`) - Date.UTC(2021, 0, 1)) / HOUR));
    expect(worstHours.every((h) => (h >= 17 && h <= 20) || (h >= 27 && h <= 30))).to.equal(true);
  });

  describe("CLI", () => {
    const BIN = join(REPO_ROOT, "client/zkmargin.js");
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, "risk", "worst", ...args], { encoding: "utf8" });

    it("exits 1 naming --horizon for a bad horizon and --params for a missing file", () => {
      for (const h of ["0", "1.5", "x", "10000"]) {
        const r = cli("--params", EXAMPLE, "--horizon", h, "--synthetic");
        expect(r.status, h).to.equal(1);
        expect(r.stderr).to.match(/--horizon/);
      }
      const r = cli("--params", join(tmpdir(), "zkmargin-no-such-params.json"), "--synthetic");
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/--params/);
      const lvl = cli("--params", EXAMPLE, "--level", "x", "--synthetic");
      expect(lvl.status).to.equal(1);
      expect(lvl.stderr).to.match(/--level/);
    });

    it("a missing price folder: exit 1 naming --prices, pointing to --synthetic (as every risk command)", () => {
      const r = cli("--params", EXAMPLE, "--prices", join(tmpdir(), "zkmargin-no-such-prices"));
      expect(r.status).to.equal(1);
      expect(r.stderr).to.match(/--prices/);
      expect(r.stderr).to.match(/--synthetic/);
    });

    it("--synthetic: runs on generated paths, says so on stderr and in the JSON", () => {
      const dir = mkdtempSync(join(tmpdir(), "zkmargin-worst-"));
      const json = join(dir, "worst.json");
      const r = cli("--params", EXAMPLE, "--synthetic", "--horizon", "24", "--top", "2", "--json", json);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/--synthetic: using synthetic generated paths/);
      expect(r.stdout).to.match(/SYNTHETIC/);
      const doc = JSON.parse(readFileSync(json, "utf8"));
      expect(doc.data.source).to.equal("synthetic");
      expect(doc.horizons[0].hours).to.equal(24);
      expect(doc.horizons[0].wick.top).to.have.length(2);
      expect(doc.horizons[0].wick.maxLossMultiple).to.be.at.least(doc.horizons[0].close.maxLossMultiple - 1e-9);
    });

    it("a small price folder in the shared layout: the table and the JSON", () => {
      const dir = mkdtempSync(join(tmpdir(), "zkmargin-worst-prices-"));
      mkdirSync(join(dir, "merged"));
      NAMES.slice(0, 6).forEach((a, i) => {
        const c = path(50, 200 + i, 10 + i);
        const rows = [...c.t].map((t, k) => `${t},${c.open[k]},${c.high[k]},${c.low[k]},${c.close[k]}`);
        writeFileSync(join(dir, "merged", `${a}USDT_1h_test.csv`), `timestamp_ms,open,high,low,close\n${rows.join("\n")}\n`);
      });
      const json = join(dir, "worst.json");
      const r = cli("--params", EXAMPLE, "--prices", dir, "--horizon", "1,4", "--json", json);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/1h\s+wick/);
      expect(r.stdout).to.match(/4h\s+close/);
      const doc = JSON.parse(readFileSync(json, "utf8"));
      expect(doc.data.source).to.equal("real");
      expect(doc.horizons.map((h: { hours: number }) => h.hours)).to.deep.equal([1, 4]);
      expect(doc.horizons[0].wick.windows).to.equal(49);
      expect(doc.markets).to.deep.equal(NAMES.slice(0, 6));
      // a span without any complete window, and a market whose asset has no prices: exit 1 naming the field
      const empty = cli("--params", EXAMPLE, "--prices", dir, "--from", "2021-01-05", "--to", "2021-01-06");
      expect(empty.status).to.equal(1);
      expect(empty.stderr).to.match(/--from: no window/);
      const unknown = cli("--params", EXAMPLE, "--prices", dir, "--markets", "BTC,ETH,SOL,BNB,XRP,ADA,-,-");
      expect(unknown.status).to.equal(1);
      expect(unknown.stderr).to.match(/--markets: no hourly prices of ADA/);
    });
  });
});
