// risk simulate: the hot loop's float margin rule against prover/model.ts evaluate() on random
// portfolios in lots, the fast segment (pruned rows, skipped checks) against the reference loop bit
// for bit on random inputs, margin calls and funding, the waterfall's accounting, worker threads against the inline run, and
// the CLI's errors. Never reads the shared price folder.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { evaluate } from "../prover/model.ts";
import { validateParams } from "../prover/validate.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import type { Candles } from "../risk/calibrate.ts";
import { rng } from "../risk/latency.ts";
import { syntheticCandles } from "../tools/candles.ts";
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import {
  decisiveRows,
  readFunding,
  healthyFloat,
  simModel,
  simulate,
  simulateSegment,
  SIM_DEFAULTS,
  type SimInput,
} from "../risk/simulate.ts";
import { simulateSegmentReference } from "../risk/simulate-reference.ts";

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

  it("decisiveRows: the verdict over the kept rows is the verdict over every row, in floats (random books)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 2 ** 31 }), (M, K, seed) => {
        const u = rng(seed);
        // entries on a coarse grid so that ties and dominance happen
        const flat = Float64Array.from({ length: K * M }, () => (u() < 0.2 ? 0 : Math.round((u() - 0.5) * 20) / 20));
        const held: number[] = [];
        const sign: number[] = [];
        for (let i = 0; i < M; i++)
          if (u() < 0.6) {
            held.push(i);
            sign.push(u() < 0.5 ? 1 : -1);
          }
        if (held.length === 0) return;
        const keep = decisiveRows(flat, K, M, held, sign);
        for (let t = 0; t < 30; t++) {
          const vv = new Float64Array(M);
          held.forEach((i, j) => (vv[i] = sign[j] * Math.exp((u() - 0.5) * 20)));
          const E = Math.exp((u() - 0.5) * 20);
          const x = (k: number) => {
            let s = E;
            for (let i = 0; i < M; i++) s += vv[i] * flat[k * M + i];
            return s;
          };
          const all = [...Array(K).keys()].some((k) => x(k) < 0);
          const kept = keep.some((k) => x(k) < 0);
          if (all !== kept) throw new Error(`rows ${keep} of ${K}: ${all} vs ${kept}`);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("the fast segment equals the reference loop bit for bit on random populations, paths, gaps and params", () => {
    const base = simModel(params(), NAMES);
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
          accounts: fc.integer({ min: 1, max: 60 }),
          hours: fc.integer({ min: 2, max: 300 }),
          latency: fc.integer({ min: 0, max: 3 }),
          noise: fc.constantFrom(0.005, 0.02, 0.06),
          rates: fc.constantFrom(0.5, 1, 2),
          rows: fc.integer({ min: 0, max: 16 }),
          adversarial: fc.constantFrom(0, 0.1, 0.5),
          collateral: fc.constantFrom(0, 0.2, 0.9),
          gaps: fc.boolean(),
          fund: fc.constantFrom(0, 1e3, 1e6),
        }),
        (r) => {
          const u = rng(r.seed);
          const M = base.assets.length;
          const series = [...Array(M + 1)].map((_, i) => {
            const c = syntheticCandles(r.hours, r.seed + 17 * i, {
              noise: r.noise,
              jumps: { [Math.floor(r.hours / 2)]: (u() - 0.5) * 0.6 },
              start: 1 + 100 * u(),
              rng,
            }).close;
            const x = Float64Array.from(c);
            if (r.gaps) {
              // a market listed late, and a run of missing hours
              if (i === 2) x.fill(NaN, 0, Math.floor(r.hours / 3));
              const g = Math.floor(u() * r.hours);
              x.fill(NaN, g, Math.min(r.hours, g + 1 + Math.floor(u() * 5)));
            }
            return x;
          });
          const collClose = Float64Array.from(series[M]);
          for (let h = 1; h < collClose.length; h++) if (Number.isNaN(collClose[h])) collClose[h] = collClose[h - 1];
          const inp: SimInput = {
            ...base,
            maint: base.maint.map((x) => x * r.rates),
            initial: base.initial.map((x) => x * r.rates),
            shocks: base.shocks.slice(0, r.rows),
            collateral: [{ price: M, haircut: 0.1 }],
            collateralCloses: [collClose],
            t0: 0,
            closes: series.slice(0, M),
            accounts: r.accounts,
            adversarialShare: r.adversarial,
            adversarialBooks: [0, 1, 2].map(() => base.assets.map(() => (u() < 0.5 ? 0 : u() - 0.5))),
            collateralShare: r.collateral,
            latencyHours: r.latency,
            oiCapUsd: base.depthUsd.map((d) => d * (u() < 0.2 ? 1e-6 : 10)),
            liquidationFee: 0.01,
            insuranceFundUsd: r.fund,
            vaultUsd: r.fund,
            seed: r.seed,
          };
          const h0 = Math.floor(u() * Math.min(10, r.hours - 1));
          const a = simulateSegmentReference(inp, 3, h0, r.hours);
          const b = simulateSegment(inp, 3, h0, r.hours);
          if (!isDeepStrictEqual(a, b)) throw new Error(`segment differs: ${JSON.stringify({ a, b }).slice(0, 400)}`);
        },
      ),
      { numRuns: 150, seed: 5 },
    );
  });

  // a segment on hand-made closes: every market follows `path` (a function of the hour)
  const segmentInput = (path: (h: number) => number, hours: number, extra: Partial<SimInput>): SimInput => {
    const base = simModel(params(), NAMES);
    return {
      ...base,
      collateral: [],
      collateralCloses: [],
      t0: 0,
      closes: base.assets.map((_, i) => Float64Array.from({ length: hours }, (__, h) => (10 + i) * path(h))),
      accounts: 300,
      adversarialShare: 0,
      adversarialBooks: [],
      collateralShare: 0,
      latencyHours: 1,
      oiCapUsd: base.depthUsd.map((d) => d * 10),
      liquidationFee: 0.01,
      insuranceFundUsd: 1e6,
      vaultUsd: 1e6,
      seed: 9,
      ...extra,
    };
  };

  it("margin calls: a dip that recovers within the grace period is answered; one that stays is liquidated at the deadline", () => {
    const H = 200;
    const dip = (h: number) => (h >= 100 && h < 102 ? 0.8 : 1); // two hours 20% down, then back
    const stay = (h: number) => (h >= 100 ? 0.8 : 1);
    const byProof = simulateSegment(segmentInput(dip, H, {}), 0, 0, H);
    const called = simulateSegment(segmentInput(dip, H, { graceHours: 4 }), 0, 0, H);
    expect(byProof.liquidations).to.be.greaterThan(0);
    expect(byProof.marginCalls).to.equal(0);
    // every account below maintenance at the dip is called, and all are healthy again at the deadline
    expect(called.marginCalls).to.be.greaterThan(0);
    expect(called.marginCallsCured).to.equal(called.marginCalls);
    expect(called.liquidations).to.equal(0);
    // the same population under a lasting drop: the calls are not answered, the takeovers come at the deadline
    const lasting = simulateSegment(segmentInput(stay, H, { graceHours: 4 }), 0, 0, H);
    expect(lasting.marginCalls).to.be.greaterThan(0);
    expect(lasting.marginCallsCured).to.equal(0);
    expect(lasting.liquidations).to.equal(lasting.marginCalls);
    expect(lasting.liquidationsByHour.map(([h]) => h)).to.deep.equal([104]);
    // without a call the same lasting drop is taken over one epoch after the failed check
    const proofLasting = simulateSegment(segmentInput(stay, H, {}), 0, 0, H);
    expect(proofLasting.liquidationsByHour.map(([h]) => h)).to.deep.equal([101]);
    expect(proofLasting.liquidations).to.equal(lasting.liquidations);
  });

  it("funding: payments move the cost basis (longs pay a positive rate); a zero series changes nothing", () => {
    const H = 300;
    const flat = () => 1;
    const longs = { adversarialShare: 1, adversarialBooks: [[1, 0, 0, 0, 0, 0]] };
    const rate = (r: number) => [Float64Array.from({ length: H }, (_, h) => (h % 8 === 0 && h > 0 ? r : 0)), null, null, null, null, null];
    const none = simulateSegment(segmentInput(flat, H, longs), 0, 0, H);
    const zero = simulateSegment(segmentInput(flat, H, { ...longs, funding: rate(0) }), 0, 0, H);
    expect(zero).to.deep.equal(none);
    expect(none.liquidations).to.equal(0); // flat prices: nobody falls
    // 0.5% of the mark per 8 hours: the longs' equity bleeds until they fall below maintenance
    const paid = simulateSegment(segmentInput(flat, H, { ...longs, funding: rate(0.005) }), 0, 0, H);
    expect(paid.fundingPaidUsd).to.be.greaterThan(0);
    expect(paid.liquidations).to.be.greaterThan(0);
    // a negative rate pays the longs: nobody falls
    const received = simulateSegment(segmentInput(flat, H, { ...longs, funding: rate(-0.005) }), 0, 0, H);
    expect(received.fundingPaidUsd).to.be.lessThan(0);
    expect(received.liquidations).to.equal(0);
    // flat prices: the takeovers (value = raw collateral + PnL - funding paid - impact) leave no bad debt
    expect(paid.badDebtUsd).to.equal(0);
  });

  it("with margin calls and funding, skipping checks changes nothing: the fast segment equals the exhaustive one (random inputs)", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
          accounts: fc.integer({ min: 1, max: 60 }),
          hours: fc.integer({ min: 2, max: 250 }),
          grace: fc.integer({ min: 0, max: 5 }),
          latency: fc.integer({ min: 0, max: 2 }),
          rate: fc.constantFrom(0, 1e-4, -3e-4, 3e-3),
          noise: fc.constantFrom(0.005, 0.03),
          collateral: fc.constantFrom(0, 0.5),
        }),
        (r) => {
          const u = rng(r.seed);
          const inp: SimInput = {
            ...segmentInput(() => 1, r.hours, {}),
            accounts: r.accounts,
            latencyHours: r.latency,
            graceHours: r.grace,
            seed: r.seed,
            adversarialShare: 0.2,
            adversarialBooks: [[1, -1, 0.5, 0, 0, -0.3]],
            collateralShare: r.collateral,
          };
          inp.closes = inp.closes.map((_, i) => {
            const x = syntheticCandles(r.hours, r.seed + 31 * i, { noise: r.noise, start: 5 + 50 * u(), rng }).close;
            if (i === 1) x.fill(NaN, Math.floor(r.hours / 2), Math.floor(r.hours / 2) + 2); // a gap
            return x;
          });
          inp.collateral = [{ price: 0, haircut: 0.15 }];
          inp.collateralCloses = [Float64Array.from(syntheticCandles(r.hours, r.seed + 7, { noise: r.noise, rng }).close)];
          inp.funding = inp.closes.map((_, i) =>
            i % 2 === 0 ? Float64Array.from({ length: r.hours }, (__, h) => (h % 8 === 3 ? r.rate * (1 + i) : 0)) : null,
          );
          const fast = simulateSegment(inp, 2, 0, r.hours);
          const all = simulateSegment({ ...inp, exhaustive: true }, 2, 0, r.hours);
          if (!isDeepStrictEqual(fast, all)) throw new Error(`segment differs: ${JSON.stringify({ fast, all }).slice(0, 400)}`);
        },
      ),
      { numRuns: 120, seed: 3 },
    );
  });

  it("readFunding: the rate is the open column of DIR/csv/<source>/futures/<ASSET>_USDT_USDT-1h-funding_rate.csv, first source wins", () => {
    const dir = mkdtempSync(join(tmpdir(), "zkmargin-funding-"));
    for (const [src, r] of [
      ["a", "0.0001"],
      ["b", "0.5"],
    ]) {
      mkdirSync(join(dir, "csv", src, "futures"), { recursive: true });
      writeFileSync(
        join(dir, "csv", src, "futures", "BTC_USDT_USDT-1h-funding_rate.csv"),
        `timestamp_ms,datetime_utc,open,high,low,close,volume\n1735603200000,2024-12-31 00:00:00,${r},0,0,0,0\n1735632000000,2024-12-31 08:00:00,-0.00002,0,0,0,0\n`,
      );
    }
    const f = readFunding(dir);
    expect(Object.keys(f)).to.deep.equal(["BTC"]);
    expect([...f.BTC.t]).to.deep.equal([1735603200000, 1735632000000]);
    expect([...f.BTC.rate]).to.deep.equal([0.0001, -0.00002]);
    expect(readFunding(join(dir, "missing"))).to.deep.equal({});
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
      ["--grace", "-1"],
    ]) {
      const r = spawnSync(process.execPath, [BIN, "risk", "simulate", flag, v, "--synthetic"], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.match(new RegExp(flag));
      expect(r.stderr).to.not.match(/\n\s+at /);
    }
    // funding rates exist only for real data
    const f = spawnSync(process.execPath, [BIN, "risk", "simulate", "--synthetic", "--accounts", "10", "--funding"], { encoding: "utf8" });
    expect(f.status, f.stderr).to.equal(1);
    expect(f.stderr).to.match(/--funding: needs real data/);
  });

  it("CLI: --grace replaces liquidation by proof with margin calls and reports them", () => {
    const BIN = join(REPO_ROOT, "client/zkmargin.js");
    const r = spawnSync(process.execPath, [BIN, "risk", "simulate", "--synthetic", "--accounts", "50", "--grace", "2", "--workers", "0"], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/margin calls\s+[\d,]+ \(grace 2 h\), [\d,]+ answered/);
  });
});
