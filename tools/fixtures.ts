// Test fixtures: the shipped example, a neutral base epoch, threshold constructions and
// fast-check arbitraries of valid inputs. Everything here is plain data; no circuit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { evaluate } from "../prover/model.ts";
import { validateParams, validatePortfolio } from "../prover/validate.ts";
import type { Dims, Level, Params, Portfolio } from "../prover/types.ts";
import { DEFAULT_DIMS } from "../prover/types.ts";
import { FIELD_MODULUS, pow2 } from "../prover/field.ts";
import type { TransitionOp } from "../prover/transition/op.ts";

export const DIMS: Dims = DEFAULT_DIMS;
export const E18 = 10n ** 18n;

export function exampleJson(): { params: unknown; portfolio: unknown } {
  return {
    params: JSON.parse(readFileSync(join(REPO_ROOT, "examples/params.json"), "utf8")),
    portfolio: JSON.parse(readFileSync(join(REPO_ROOT, "examples/portfolio.json"), "utf8")),
  };
}

export function example(): { params: Params; portfolio: Portfolio } {
  const j = exampleJson();
  return { params: validateParams(j.params), portfolio: validatePortfolio(j.portfolio) };
}

export const clone = <T>(x: T): T => structuredClone(x);

/**
 * A neutral epoch: market 0 priced 1000 per lot, no funding, maintenance 500 / initial 1000 bps,
 * no impact, deep book, generous caps; asset 0 is cash (1 quote unit per unit, no haircut);
 * maxLeverage 2^32 - 1; all-zero stress scenarios.
 */
export function baseParams(): Params {
  return {
    epochId: 1n,
    maxLeverageBps: pow2(32) - 1n,
    markets: Array.from({ length: DIMS.N }, () => ({
      markPrice: 1000n,
      fundingIndex: 0n,
      maintenanceRateBps: 500n,
      initialRateBps: 1000n,
      impactBps: 0n,
      depth: 10n ** 12n,
      positionCap: 10n ** 9n,
    })),
    collateral: Array.from({ length: DIMS.M }, () => ({ priceE18: E18, haircutBps: 0n })),
    scenarios: Array.from({ length: DIMS.S }, () => Array.from({ length: DIMS.N }, () => 0n)),
  };
}

export function basePortfolio(): Portfolio {
  return {
    sizes: Array(DIMS.N).fill(0n),
    costBasis: Array(DIMS.N).fill(0n),
    entryFunding: Array(DIMS.N).fill(0n),
    collateral: Array(DIMS.M).fill(0n),
    salt: 77n,
  };
}

/** Shift cash (asset 0, price 1, no haircut: 1 unit of amount = 1 unit of equity) by delta. */
export function addCash(q: Portfolio, delta: bigint): Portfolio {
  const r = clone(q);
  r.collateral[0] += delta;
  if (r.collateral[0] < 0n) throw new Error("fixture: negative cash");
  return r;
}

/** Cash adjusted so that f(evaluation) becomes exactly 0 when f is linear in E with slope > 0. */
export function atThreshold(
  p: Params,
  q: Portfolio,
  level: Level,
  gap: (ev: ReturnType<typeof evaluate>) => bigint,
  slope = 1n,
): Portfolio {
  const g = gap(evaluate(p, q, level));
  if (g % slope !== 0n) throw new Error("fixture: threshold not reachable with whole cash units");
  return addCash(q, -g / slope);
}

/**
 * Repair a random case to sit at (extra = 0) or near its thresholds: caps at least |s|,
 * leverage at least 1x, and cash (asset 0 re-priced to 1 per unit, no haircut) covering the
 * largest shortfall of MARGIN, LEVERAGE and STRESS, plus `extra` units.
 */
export function fundToThresholds(p0: Params, q: Portfolio, level: Level, extra = 0n): { params: Params; portfolio: Portfolio } {
  const p = clone(p0);
  p.collateral[0] = { priceE18: E18, haircutBps: 0n };
  if (p.maxLeverageBps < 10000n) p.maxLeverageBps = 10000n;
  p.markets.forEach((m, i) => {
    const a = q.sizes[i] < 0n ? -q.sizes[i] : q.sizes[i];
    if (m.positionCap < a) m.positionCap = a;
  });
  const ev = evaluate(p, q, level);
  const ceil = (a: bigint, b: bigint) => (a <= 0n ? -(-a / b) : (a + b - 1n) / b);
  let need = ev.requirement - ev.equity;
  const lev = ceil(10000n * ev.grossNotional, p.maxLeverageBps) - ev.equity;
  if (lev > need) need = lev;
  for (const x of ev.stressEquityE4) if (ceil(-x, 10000n) > need) need = ceil(-x, 10000n);
  need += extra;
  const portfolio = need > 0n && q.collateral[0] + need < pow2(96) ? addCash(q, need) : q;
  return { params: p, portfolio };
}

/** Every parameter at its largest value (2^k - 1, 10000 bps), full-crash and full-rally scenarios. */
export function extremeParams(): Params {
  const p = baseParams();
  for (const m of p.markets) {
    Object.assign(m, {
      markPrice: pow2(48) - 1n,
      positionCap: pow2(40) - 1n,
      fundingIndex: pow2(63) - 1n,
      depth: pow2(96) - 1n,
      maintenanceRateBps: 10000n,
      initialRateBps: 10000n,
      impactBps: 10000n,
    });
  }
  for (const c of p.collateral) c.priceE18 = pow2(96) - 1n;
  p.scenarios[0] = p.scenarios[0].map(() => -10000n);
  p.scenarios[1] = p.scenarios[1].map(() => 10000n);
  p.epochId = pow2(64) - 1n;
  p.maxLeverageBps = pow2(32) - 1n;
  return p;
}

/** Every portfolio input at 2^k - 1 or its negative extreme, alternating by market. */
export function extremePortfolio(): Portfolio {
  const q = basePortfolio();
  const alt = (bits: number, first: 1n | -1n) => (_: bigint, i: number) => (i % 2 === 0 ? first : -first) * (pow2(bits) - 1n);
  q.sizes = q.sizes.map(alt(40, 1n));
  q.costBasis = q.costBasis.map(alt(100, -1n));
  q.entryFunding = q.entryFunding.map(alt(63, -1n));
  q.collateral = q.collateral.map(() => pow2(96) - 1n);
  q.salt = FIELD_MODULUS - 1n;
  return q;
}

// ---------------------------------------------------------------- fast-check arbitraries

const bigRange = (lo: bigint, hi: bigint) => fc.bigInt({ min: lo, max: hi });
/** Mostly small magnitudes (realistic), sometimes extreme ones, always within |x| < 2^bits. */
const signedBits = (bits: number, typical: bigint) =>
  fc.oneof(
    { weight: 6, arbitrary: bigRange(-typical, typical) },
    { weight: 1, arbitrary: bigRange(-(pow2(bits) - 1n), pow2(bits) - 1n) },
    { weight: 1, arbitrary: fc.constantFrom(0n, pow2(bits) - 1n, -(pow2(bits) - 1n)) },
  );
const unsignedBits = (bits: number, typical: bigint) =>
  fc.oneof(
    { weight: 6, arbitrary: bigRange(0n, typical) },
    { weight: 1, arbitrary: bigRange(0n, pow2(bits) - 1n) },
    { weight: 1, arbitrary: fc.constantFrom(0n, pow2(bits) - 1n) },
  );

export const arbParams: fc.Arbitrary<Params> = fc.record({
  epochId: unsignedBits(64, 10n ** 6n),
  maxLeverageBps: unsignedBits(32, 500000n),
  markets: fc.array(
    fc
      .record({
        markPrice: unsignedBits(48, 10n ** 9n),
        fundingIndex: signedBits(63, 10n ** 7n),
        rates: fc.tuple(bigRange(0n, 10000n), bigRange(0n, 10000n)),
        impactBps: bigRange(0n, 10000n),
        depth: fc.oneof(bigRange(1n, 10n ** 15n), bigRange(1n, pow2(96) - 1n), fc.constant(1n)),
        positionCap: unsignedBits(40, 10n ** 7n),
      })
      .map(({ rates: [a, b], ...m }) => ({ ...m, maintenanceRateBps: a < b ? a : b, initialRateBps: a < b ? b : a })),
    { minLength: DIMS.N, maxLength: DIMS.N },
  ),
  collateral: fc.array(fc.record({ priceE18: unsignedBits(96, 10n ** 21n), haircutBps: bigRange(0n, 10000n) }), {
    minLength: DIMS.M,
    maxLength: DIMS.M,
  }),
  scenarios: fc.array(fc.array(bigRange(-10000n, 10000n), { minLength: DIMS.N, maxLength: DIMS.N }), {
    minLength: DIMS.S,
    maxLength: DIMS.S,
  }),
});

export const arbPortfolio: fc.Arbitrary<Portfolio> = fc.record({
  sizes: fc.array(signedBits(40, 10n ** 5n), { minLength: DIMS.N, maxLength: DIMS.N }),
  costBasis: fc.array(signedBits(100, 10n ** 14n), { minLength: DIMS.N, maxLength: DIMS.N }),
  entryFunding: fc.array(signedBits(63, 10n ** 7n), { minLength: DIMS.N, maxLength: DIMS.N }),
  collateral: fc.array(unsignedBits(96, 10n ** 20n), { minLength: DIMS.M, maxLength: DIMS.M }),
  salt: bigRange(0n, FIELD_MODULUS - 1n),
});

export const arbLevel: fc.Arbitrary<Level> = fc.constantFrom("maintenance", "initial");

/** JSON form of typed params/portfolio (decimal strings), as the CLI reads them. */
export { paramsToJson, portfolioToJson } from "../prover/validate.ts";

/** A random transition op; the bounds keep fills near the example's scale (seeded samples are stable). */
export function arbTransitionOp(b: {
  maxAsset: number;
  maxAmount: bigint;
  maxTradeMarket: number;
  maxSize: bigint;
}): fc.Arbitrary<TransitionOp> {
  return fc.oneof(
    fc.record({
      kind: fc.constantFrom("deposit" as const, "withdraw" as const),
      asset: fc.integer({ min: 0, max: b.maxAsset }),
      amount: fc.bigInt({ min: 1n, max: b.maxAmount }),
    }),
    fc.record({
      kind: fc.constantFrom("buy" as const, "sell" as const),
      fill: fc.record({
        market: fc.integer({ min: 0, max: b.maxTradeMarket }),
        size: fc.bigInt({ min: 1n, max: b.maxSize }),
        price: fc.bigInt({ min: 0n, max: 2n ** 30n }),
        salt: fc.bigInt({ min: 0n, max: FIELD_MODULUS - 1n }),
      }),
    }),
    fc.record({
      kind: fc.constantFrom("realize" as const, "settle" as const),
      market: fc.integer({ min: 0, max: 7 }),
      amount: fc.bigInt({ min: 0n, max: b.maxAmount }),
    }),
  );
}

/**
 * The smallest deposit of the settlement asset with which `base` plus a new position of `size`
 * lots (signed) in `market` at `price`, after paying `fee` from the deposit, is healthy at
 * `level` (binary search; the requirement is monotone in the collateral). Tests and benchmarks
 * use it to put an account just above a level, so that a small price move crosses it.
 */
export function minimalDeposit(
  params: Params,
  base: Portfolio,
  fill: { market: number; size: bigint; price: bigint },
  level: Level,
  fee = 0n,
  max = 10n ** 15n,
): bigint {
  const after = (deposit: bigint): Portfolio => {
    const q = clone(base);
    q.collateral[0] += deposit - fee;
    q.sizes[fill.market] += fill.size;
    q.costBasis[fill.market] += fill.size * fill.price;
    q.entryFunding[fill.market] = params.markets[fill.market].fundingIndex;
    return q;
  };
  let lo = fee;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (evaluate(params, after(mid), level).healthy) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}
