// risk simulate: the hot loop's float margin rule against prover/model.ts evaluate() on random
// portfolios in lots, the waterfall's accounting, worker threads against the inline run, and the
// CLI's errors. Never reads the shared price folder.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { evaluate } from "../prover/model.ts";
import { validateParams } from "../prover/validate.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import type { Candles } from "../risk/calibrate.ts";
import { rng } from "../risk/latency.ts";
import { syntheticCandles } from "../tools/candles.ts";
import { healthyFloat, simModel, simulate, SIM_DEFAULTS } from "../risk/simulate.ts";

const EXAMPLE = join(REPO_ROOT, "examples", "params.json");
const params = () => validateParams(JSON.parse(readFileSync(EXAMPLE, "utf8")));
const NAMES = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];

const path = (n: number, seed: number, jumps: Record<number, number> = {}, start = 100): Candles =>
  syntheticCandles(n, seed, { jumps, start, noise: 0.03, wick: { fixed: 0.01 }, rng });

describe("risk simulate: a population replayed through the margin rule", () => {
  it("the float rule agrees with evaluate() on random portfolios in lots (away from the rounding boundary)", () => {
    const p: Params = params();
    const m = simModel(p, NAMES);
    const u = rng(7);
    let agree = 0;
    let checked = 0;
    for (let trial = 0; trial < 400; trial++) {
      // sizes in lots, cost basis at a random entry, settlement collateral only
      const sizes = p.markets.map((mk, i) => (i < 6 && u() < 0.6 ? BigInt(Math.round((u() - 0.5) * 2e4)) : 0n));
      const entryQuote = p.markets.map((mk) => BigInt(Math.round(Number(mk.markPrice) * (0.9 + 0.2 * u()))));
      const costBasis = sizes.map((s, i) => s * entryQuote[i]);
      const entryFunding = p.markets.map((mk) => mk.fundingIndex); // no funding accrued
      const notional = sizes.reduce((a, s, i) => a + (s < 0n ? -s : s) * p.markets[i].markPrice, 0n);
      const cash = BigInt(Math.round(Number(notional) * (0.02 + 0.3 * u()))) + 1_000_000n;
      const q: Portfolio = { sizes, costBasis, entryFunding, collateral: [cash, 0n, 0n, 0n], salt: 1n };
      for (const level of ["maintenance", "initial"] as const) {
        const ev = evaluate(p, q, level);
        if (ev.violations.includes("POSITION_CAP")) continue;
        // the float twin in USD per lot: price = markPrice / 1e6, entry = cost / size / 1e6
        const idx = m.idx;
        const sz = idx.map((i) => Number(sizes[i]));
        const px = idx.map((i) => Number(p.markets[i].markPrice) / 1e6);
        const en = idx.map((i) => (sizes[i] === 0n ? 0 : Number(costBasis[i]) / Number(sizes[i]) / 1e6));
        const rates = level === "maintenance" ? m.maint : m.initial;
        const ok = healthyFloat(sz, en, px, Number(cash) / 1e6, rates, m.impact, m.depthUsd, m.shocks, m.maxLeverage);
        // skip states within 1e-6 of equity of a boundary (the model's integer roundings decide those)
        const E = Number(ev.equity);
        const slack = Math.min(
          E - Number(ev.requirement),
          ...ev.stressEquityE4.map((x) => Number(x) / 1e4),
          (Number(p.maxLeverageBps) * E) / 1e4 - Number(ev.grossNotional),
        );
        if (Math.abs(slack) <= Math.abs(E) * 1e-6 + 10) continue;
        checked++;
        if (ok === ev.healthy) agree++;
      }
    }
    expect(checked).to.be.greaterThan(300);
    expect(agree).to.equal(checked);
  });

  const candles: Record<string, Candles> = {};
  NAMES.slice(0, 6).forEach((a, i) => (candles[a] = path(800, 40 + i, i === 5 ? { 400: -0.7, 401: 0.5 } : { 400: -0.4 }, 10 + i)));
  const o = { ...SIM_DEFAULTS, accounts: 150, workers: 0, barDays: ["2021-01-17"] };
  const label = (t: number) => new Date(t).toISOString().slice(0, 16);

  it("the waterfall: with no fund, no vault and no fees every loss is socialised; bad debt lands on the crash day", async () => {
    const r = await simulate(
      params(),
      NAMES,
      ["USD", "ETH", "BTC", "-"],
      candles,
      { ...o, insuranceFraction: 0, vaultFraction: 0, liquidationFee: 0, latencyHours: 3 },
      label,
    );
    expect(r.accountHours).to.equal(150 * 799); // two segments (hours 1-720, 721-799): the population opens at hour 0
    expect(r.liquidations).to.be.greaterThan(0);
    expect(r.badDebtUsd).to.be.greaterThan(0);
    expect(Math.abs(r.socialisedUsd - r.badDebtUsd)).to.be.lessThan(1e-6 * r.badDebtUsd);
    expect(r.adlEvents).to.be.greaterThan(0);
    // hour 400 of the path is 2021-01-17 16:00
    expect(r.badDebtPerCrash["2021-01-17"].badDebtUsd).to.be.greaterThan(0);
    // a large fund takes all of it
    const funded = await simulate(
      params(),
      NAMES,
      ["USD", "ETH", "BTC", "-"],
      candles,
      { ...o, insuranceFraction: 10, vaultFraction: 0, latencyHours: 3 },
      label,
    );
    expect(funded.socialisedUsd).to.equal(0);
    expect(funded.insuranceDrawdownUsd).to.be.greaterThan(0);
  });

  it("worker threads give the inline result, segment for segment", async () => {
    const a = await simulate(params(), NAMES, ["USD", "ETH", "BTC", "-"], candles, o, label);
    const b = await simulate(params(), NAMES, ["USD", "ETH", "BTC", "-"], candles, { ...o, workers: 2 }, label);
    expect(b.segments).to.deep.equal(a.segments);
  });

  it("CLI: bad options exit 1 naming the field, without a stack trace", () => {
    const BIN = join(REPO_ROOT, "client/zkmargin.js");
    for (const [flag, v] of [
      ["--accounts", "0"],
      ["--adversarial", "2"],
    ]) {
      const r = spawnSync(process.execPath, [BIN, "risk", "simulate", flag, v, "--synthetic"], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.match(new RegExp(flag));
      expect(r.stderr).to.not.match(/\n\s+at /);
    }
  });
});
