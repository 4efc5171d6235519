// risk scenarios and risk plan: the candidate rows from a window's moves, the greedy choice (no
// duplicate rows, coverage never worse, the final count re-derived with an independent solver),
// the plan's parameters validated and checked against every window, the refusal, and the CLI on a
// small generated price folder. Never reads the shared price folder.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { validateParams } from "../prover/validate.ts";
import type { Candles } from "../risk/calibrate.ts";
import { CHAINS } from "../risk/latency.ts";
import { HOUR } from "../risk/moves.ts";
import { syntheticCandles } from "../tools/candles.ts";
import { plan } from "../risk/plan.ts";
import { candidateRows, chooseScenarios } from "../risk/scenarios.ts";
import { WorstSolver, jointWindows, worstModel } from "../risk/worst.ts";

const EXAMPLE = join(REPO_ROOT, "examples", "params.json");
const params = () => validateParams(JSON.parse(readFileSync(EXAMPLE, "utf8")));
const NAMES = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];

/** A generated hourly OHLC path with jumps at the given hours (fractions). */
const path = (n: number, seed: number, jumps: Record<number, number> = {}, start = 100): Candles =>
  syntheticCandles(n, seed, { jumps, start, noise: 0.04, wick: { random: 0.03 } });

const OPTS = { rows: 16, basis: "close" as const, candidates: 4, sample: 200, synthetic: false };

describe("risk scenarios: stress rows chosen greedily over the worst-portfolio search", () => {
  const candles = [path(300, 1, { 50: -0.3, 120: 0.25 }), path(300, 2, { 50: 0.2, 200: -0.35 }), path(300, 3, { 90: 0.5 })];
  const model = worstModel(params(), "maintenance", ["BTC", "ETH", "SOL", "-", "-", "-", "-", "-"]);

  it("candidate rows: the joint close move and the wick in its direction, bps away from zero, clamped", () => {
    const jw = jointWindows([path(10, 5, { 3: -0.123456 }), path(10, 6, { 3: 2.5 })], 1);
    const k = [...jw.start].findIndex((t) => t === Date.UTC(2021, 0, 1) + 3 * HOUR);
    const r = candidateRows(jw, k);
    expect(r.close[0]).to.equal(-1235);
    expect(r.close[1]).to.equal(10000); // +250% clamps to the model's bound
    expect(r.wick[0]).to.be.at.most(r.close[0]); // the low is at or below the close
    expect(r.wick[1]).to.equal(10000);
  });

  it("no duplicate rows, uncovered windows never increase, and the final count re-derived independently", async () => {
    const r = await chooseScenarios(model, candles, { ...OPTS, horizon: 4 });
    expect(r.before.uncovered).to.be.greaterThan(0);
    const keys = r.rows.map((x) => x.shocksBps.join(","));
    expect(new Set(keys).size).to.equal(keys.length);
    for (let i = 1; i < r.rows.length; i++) expect(r.rows[i].uncoveredAfter).to.be.at.most(r.rows[i - 1].uncoveredAfter);
    expect(r.after.uncovered).to.be.lessThan(r.before.uncovered);
    // an independent solver with the chosen rows, every window
    const m = { ...model, shocks: r.rows.map((x) => x.shocksBps.map((b) => b / 1e4)), scenarioIndex: r.rows.map((_, k) => k) };
    const s = await WorstSolver.create(m);
    const jw = jointWindows(candles, 4);
    let bad = 0;
    for (let k = 0; k < jw.start.length; k++) {
      const l = s.relaxed(
        [0, 1, 2].map((a) => jw.coef.close.long[a][k]),
        [0, 1, 2].map((a) => jw.coef.close.short[a][k]),
      );
      if (l > 1 + 1e-9) bad++;
    }
    s.dispose();
    expect(bad).to.equal(r.after.uncovered);
  });
});

describe("risk plan: parameters for a confidence, checked against every window", () => {
  const candles: Record<string, Candles> = {
    BTC: path(400, 11, { 100: -0.2 }),
    ETH: path(400, 12, { 100: -0.25, 300: 0.3 }),
    SOL: path(400, 13, { 200: 0.4 }),
  };
  const markets = ["BTC", "ETH", "SOL", "-", "-", "-", "-", "-"];
  const o = {
    confidence: 0.99,
    horizon: 1,
    basis: "close" as const,
    cashVm: true,
    chain: CHAINS["ethereum-l1"],
    accounts: 1000,
    synthetic: false,
  };

  it("writes valid params whose worst case, re-checked over every window, meets the confidence", async () => {
    const p = await plan(params(), markets, ["USD", "ETH", "BTC", "-"], candles, o);
    expect(p.accepted, JSON.stringify(p.attempts)).to.not.equal(undefined);
    const a = p.accepted!;
    validateParams(JSON.parse(JSON.stringify(a.params, (_, v) => (typeof v === "bigint" ? String(v) : v))));
    for (const m of a.markets) {
      expect(m.initialRateBps).to.be.at.least(m.maintenanceRateBps);
      expect(m.maintenanceRateBps).to.be.at.least(m.quantileMoveBps);
    }
    // the written params, every window, the plain LP: bad debt within 1 - q (no collateral term: a lower count)
    const model = worstModel(a.params, "maintenance", markets);
    const s = await WorstSolver.create(model);
    const jw = jointWindows([candles.BTC, candles.ETH, candles.SOL], 1);
    let bad = 0;
    for (let k = 0; k < jw.start.length; k++) {
      const l = s.relaxed(
        [0, 1, 2].map((i) => jw.coef.close.long[i][k]),
        [0, 1, 2].map((i) => jw.coef.close.short[i][k]),
      );
      if (l > 1 + 1e-9) bad++;
    }
    s.dispose();
    expect(bad / jw.start.length).to.be.at.most(1 - o.confidence);
    expect(bad).to.be.at.most(a.badWindows);
    // haircuts cover the collateral's own drop and its wrong-way drop
    for (const c of a.collateral) expect(c.haircutBps).to.equal(Math.max(c.quantileDropBps, c.wrongWayDropBps));
    expect(a.graceSeconds).to.be.greaterThan(0);
    expect(BigInt(a.bondWei) > 0n).to.equal(true);
  });

  it("refuses when a move beyond 100% cannot be covered (confidence 1)", async () => {
    const wild = { ...candles, SOL: path(400, 13, { 200: 1.6 }) };
    const p = await plan(params(), markets, ["USD", "-", "-", "-"], wild, { ...o, confidence: 1 });
    expect(p.accepted).to.equal(undefined);
    expect(p.attempts.at(-1)!.badWindows).to.be.greaterThan(0);
  });

  describe("CLI", () => {
    const BIN = join(REPO_ROOT, "client/zkmargin.js");
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, "risk", ...args], { encoding: "utf8" });
    const folder = (jump: number) => {
      const dir = mkdtempSync(join(tmpdir(), "zkmargin-plan-prices-"));
      mkdirSync(join(dir, "merged"));
      NAMES.slice(0, 6).forEach((a, i) => {
        const c = path(120, 300 + i, i === 5 ? { 60: jump } : {}, 10 + i);
        const rows = [...c.t].map((t, k) => `${t},${c.open[k]},${c.high[k]},${c.low[k]},${c.close[k]}`);
        writeFileSync(join(dir, "merged", `${a}USDT_1h_test.csv`), `timestamp_ms,open,high,low,close\n${rows.join("\n")}\n`);
      });
      return dir;
    };

    it("bad options exit 1 naming the field", () => {
      for (const [args, field] of [
        [["plan", "--confidence", "1.5"], "--confidence"],
        [["plan", "--horizon", "0"], "--horizon"],
        [["plan", "--basis", "mid"], "--basis"],
        [["plan", "--collateral", "-,ETH,BTC,-"], "--collateral"],
        [["scenarios", "--params", EXAMPLE, "--rows", "17"], "--rows"],
        [["scenarios", "--params", EXAMPLE, "--epoch-id", "5"], "--epoch-id"],
      ] as const) {
        const r = cli(...args, "--synthetic");
        expect(r.status, `${args.join(" ")}: ${r.stderr}`).to.equal(1);
        expect(r.stderr).to.match(new RegExp(field));
        expect(r.stderr).to.not.match(/\n\s+at /);
      }
    });

    it("plan --out writes validated params; scenarios --out writes its rows; an uncoverable move is refused with exit 3", () => {
      const dir = folder(-0.3);
      const outP = join(dir, "planned.json");
      const r = cli("plan", "--prices", dir, "--confidence", "0.99", "--out", outP, "--json", join(dir, "plan.json"));
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/Wrote/);
      const written = validateParams(JSON.parse(readFileSync(outP, "utf8")));
      expect(written.epochId).to.equal(43n);
      const doc = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8"));
      expect(doc.plan.badFraction).to.be.at.most(0.01);
      const sc = cli("scenarios", "--params", outP, "--prices", dir, "--rows", "3", "--out", join(dir, "rows.json"));
      expect(sc.status, sc.stderr).to.equal(0);
      const rows = validateParams(JSON.parse(readFileSync(join(dir, "rows.json"), "utf8"))).scenarios;
      expect(rows.slice(3).every((row) => row.every((x) => x === 0n))).to.equal(true);
      const wild = folder(2.0);
      const refused = cli("plan", "--prices", wild, "--confidence", "1", "--out", join(wild, "never.json"));
      expect(refused.status, refused.stderr).to.equal(3);
      expect(refused.stderr.trim().split("\n").at(-1)).to.match(/^zkmargin: error: refused: no parameters meet confidence 1/);
      expect(() => readFileSync(join(wild, "never.json"))).to.throw();
    });
  });
});
