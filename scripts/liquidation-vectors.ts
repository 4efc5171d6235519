// node scripts/liquidation-vectors.ts — (re)writes test/vectors/liquidation/*.json from the
// constructions below. Expected values come from the TypeScript reference (prover/model.ts and
// prover/liquidation.ts); the test suite and `zkmargin vectors replay` check them against the
// reference and the circuit (every selector of every vector).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { FIELD_MODULUS, pow2 } from "../prover/field.ts";
import { evaluate } from "../prover/model.ts";
import { LIQUIDATION_VECTOR_SCHEMA, prepareLiquidationVector, type LiquidationVector } from "../tools/vectors.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import {
  addCash,
  arbParams,
  arbPortfolio,
  atThreshold,
  baseParams,
  basePortfolio,
  clone,
  E18,
  example,
  exampleJson,
  extremeParams,
  extremePortfolio,
  fundToThresholds,
  paramsToJson,
  portfolioToJson,
} from "../tools/fixtures.ts";

const OUT = join(REPO_ROOT, "test", "vectors", "liquidation");
const vectors: LiquidationVector[] = [];
const LEVEL = "maintenance";

function add(
  name: string,
  description: string,
  tags: string[],
  params: unknown,
  portfolio: unknown,
  binding = "1",
  rule: string | null = null,
) {
  const v: LiquidationVector = {
    schema: LIQUIDATION_VECTOR_SCHEMA,
    circuit: "liquidation",
    name: `${String(vectors.length + 1).padStart(3, "0")}-${name}`,
    description,
    tags,
    binding,
    rule,
    params,
    portfolio,
    expected: { exitCode: 0, errorField: null, violations: [], violated: [], rule: null, publicSignals: null },
  };
  v.expected = prepareLiquidationVector(v).expected;
  if (v.expected.exitCode === 2 && v.expected.violated.length === 0 && !v.tags.includes("healthy")) v.tags.push("healthy");
  if (v.expected.exitCode === 2 && v.expected.violated.length > 0) v.tags.push("rule-not-violated");
  vectors.push(v);
}
const addTyped = (name: string, d: string, tags: string[], p: Params, q: Portfolio, binding = "1", rule: string | null = null) =>
  add(name, d, tags, paramsToJson(p), portfolioToJson(q), binding, rule);

/** a boundary pair: `at` is healthy (exit 2), `worse` one unit beyond (exit 0) */
function pair(name: string, d: string, tags: string[], p: Params, at: Portfolio, worse: Portfolio, pw: Params = p) {
  addTyped(`${name}-at-boundary`, `${d}: exactly at the boundary, healthy: no proof`, [...tags, "threshold", "healthy"], p, at);
  addTyped(`${name}-one-unit-worse`, `${d}: one unit beyond the boundary: proof`, [...tags, "threshold"], pw, worse);
  const [a, b] = vectors.slice(-2);
  if (a.expected.exitCode !== 2 || a.expected.violated.length > 0) throw new Error(`${name}: the boundary case is not healthy`);
  if (b.expected.exitCode !== 0) throw new Error(`${name}: the case beyond the boundary has no proof`);
}

function longPosition(p: Params, market: number, size: bigint, cash: bigint): Portfolio {
  const q = basePortfolio();
  q.sizes[market] = size;
  q.costBasis[market] = size * p.markets[market].markPrice;
  q.collateral[0] = cash;
  return q;
}

// ---------------------------------------------------------------- healthy: no proof
{
  const { params, portfolio } = example();
  addTyped("example-healthy", "the shipped example portfolio is healthy at maintenance", ["example", "healthy"], params, portfolio, "0x2a");
  addTyped("empty-portfolio", "no positions, no collateral: E = R = G = 0", ["healthy", "extreme"], baseParams(), basePortfolio());
  addTyped("cash-only", "cash and no positions", ["healthy"], baseParams(), addCash(basePortfolio(), 10n ** 20n));
  const ph = extremeParams();
  ph.markets.forEach((m) => (m.impactBps = 0n));
  const qh = basePortfolio();
  qh.collateral = qh.collateral.map(() => pow2(96) - 1n);
  qh.sizes[0] = pow2(40) - 1n;
  qh.costBasis[0] = (pow2(40) - 1n) * (pow2(48) - 1n);
  addTyped("extremes-healthy", "maximal collateral backing a maximal position", ["extreme", "healthy"], ph, qh);
  const pe = baseParams();
  for (const c of pe.collateral) c.priceE18 = pow2(96) - 1n;
  const qe = basePortfolio();
  qe.collateral = qe.collateral.map(() => pow2(96) - 1n);
  addTyped("equity-every-bit", "equity above 2^134 (every equity bit), no exposure", ["extreme", "healthy"], pe, qe);
}

// ---------------------------------------------------------------- MARGIN
{
  const p = baseParams();
  p.markets[1].impactBps = 37n;
  p.markets[1].depth = 123457n;
  const q0 = addCash(longPosition(p, 0, 777n, 0n), 10n ** 7n);
  q0.sizes[1] = -321n;
  q0.costBasis[1] = -321000n;
  const q = atThreshold(p, q0, LEVEL, (ev) => ev.equity - ev.requirement);
  pair("margin", "E = R with impact on a short", ["MARGIN"], p, q, addCash(q, -1n));
  addTyped("margin-rule-requested", "MARGIN requested explicitly", ["MARGIN", "rule"], p, addCash(q, -1n), "7", "MARGIN");
  addTyped(
    "margin-rule-not-violated",
    "STRESS_0 requested but only MARGIN is violated",
    ["MARGIN", "rule"],
    p,
    addCash(q, -1n),
    "7",
    "STRESS_0",
  );
}
for (const [i, rate, depth, impact] of [
  [2, 250n, 10n ** 6n, 0n],
  [5, 1n, 3n, 1n],
  [7, 10000n, 1n, 10000n],
  [3, 0n, 99991n, 9999n],
] as Array<[number, bigint, bigint, bigint]>) {
  const p = baseParams();
  p.markets[i] = { ...p.markets[i], maintenanceRateBps: rate, initialRateBps: rate > 1000n ? rate : 1000n, depth, impactBps: impact };
  const q = atThreshold(p, longPosition(p, i, -13n, 10n ** 9n), LEVEL, (ev) => ev.equity - ev.requirement);
  pair(`margin-market-${i}`, `E = R on market ${i} (rate ${rate}, depth ${depth}, impact ${impact})`, ["MARGIN"], p, q, addCash(q, -1n));
}
{
  // rounding: the requirement is a ceiling, the collateral value a floor
  const p = baseParams();
  p.markets[0] = { ...p.markets[0], maintenanceRateBps: 1n, depth: 3n, impactBps: 1n };
  const q = atThreshold(p, longPosition(p, 0, 1n, 100n), LEVEL, (e) => e.equity - e.requirement);
  pair(
    "requirement-ceil",
    "num/den = 33.43: requirement 34 (a floor, 33, would call equity 33 healthy)",
    ["MARGIN", "rounding"],
    p,
    q,
    addCash(q, -1n),
  );

  const pc = baseParams();
  pc.collateral[1] = { priceE18: 10n ** 22n - 1n, haircutBps: 0n };
  pc.markets[0].maintenanceRateBps = 9999n;
  pc.markets[0].initialRateBps = 9999n;
  const qc = basePortfolio();
  qc.collateral[1] = 1n;
  qc.sizes[0] = 10n;
  qc.costBasis[0] = 10000n;
  const pc2 = clone(pc);
  pc2.markets[0].maintenanceRateBps = 10000n;
  pc2.markets[0].initialRateBps = 10000n;
  pair("collateral-floor", "value 9999.99.. floors to 9999 (R 9999, then R 10000)", ["MARGIN", "rounding"], pc, qc, qc, pc2);

  const ph = baseParams();
  ph.collateral[2] = { priceE18: E18, haircutBps: 3334n };
  ph.markets[0].maintenanceRateBps = 10n;
  const qh = basePortfolio();
  qh.collateral[2] = 3n;
  qh.sizes[0] = 1n;
  qh.costBasis[0] = 1000n;
  const ph2 = clone(ph);
  ph2.markets[0].maintenanceRateBps = 11n;
  ph2.markets[0].initialRateBps = 11n;
  pair("haircut-floor", "3 units at a 33.34% haircut are worth 1 (R 1, then R 2)", ["MARGIN", "rounding"], ph, qh, qh, ph2);

  const pr = baseParams();
  pr.collateral[3] = { priceE18: 3n * E18 + 7n, haircutBps: 1234n };
  const qr = longPosition(pr, 4, 55n, 0n);
  qr.collateral[3] = 123n; // worth floor(123 * (3e18 + 7) * 8766 / 1e22) = 323, remainder > 0
  const qr3 = atThreshold(pr, addCash(qr, 10n ** 6n), LEVEL, (ev) => ev.equity - ev.requirement);
  pair("haircut-remainder", "a haircut asset with a non-zero remainder at E = R", ["MARGIN", "rounding"], pr, qr3, addCash(qr3, -1n));
}
{
  // requirements at and above the circuit's cap 2^136 (rate 0, impact 10000, depth 1: req = n^2)
  const p = baseParams();
  p.markets[0] = {
    ...p.markets[0],
    markPrice: pow2(38),
    maintenanceRateBps: 0n,
    initialRateBps: 0n,
    impactBps: 10000n,
    depth: 1n,
    positionCap: pow2(40) - 1n,
  };
  const q = basePortfolio();
  q.sizes[0] = pow2(30);
  q.costBasis[0] = pow2(68);
  q.collateral = q.collateral.map(() => pow2(96) - 1n);
  for (const c of p.collateral) c.priceE18 = pow2(96) - 1n;
  addTyped("margin-requirement-at-cap", "req = n^2 = 2^136 exactly, the circuit's cap", ["MARGIN", "cap", "extreme"], p, q);
  const p2 = clone(p);
  p2.markets[0].markPrice = pow2(38) + 1n;
  addTyped("margin-requirement-above-cap", "req = (2^68 + 2^30)^2 > 2^136: capped at 2^136 > E", ["MARGIN", "cap", "extreme"], p2, q);
  const p3 = clone(p);
  p3.markets[0].markPrice = pow2(38) - 1n;
  addTyped("margin-requirement-below-cap", "req = (2^68 - 2^30)^2 < 2^136: exact", ["MARGIN", "cap", "extreme"], p3, q);
  const p4 = clone(p);
  p4.markets[0].markPrice = pow2(48) - 1n;
  const q4 = clone(q);
  q4.sizes[0] = pow2(40) - 1n;
  q4.costBasis[0] = 0n;
  addTyped(
    "margin-requirement-maximal",
    "the largest requirement, n = (2^40 - 1)(2^48 - 1), depth 1",
    ["MARGIN", "cap", "extreme"],
    p4,
    q4,
  );
}
{
  // bankrupt accounts: E < 0
  const p = baseParams();
  const q = longPosition(p, 0, 100n, 0n);
  q.costBasis[0] += 1n; // bought one unit above the mark
  addTyped("bankrupt-minus-one", "E = -1, no requirement left to cover", ["MARGIN", "LEVERAGE", "bankrupt"], p, q);
  const pz = baseParams();
  pz.markets[0].maintenanceRateBps = 0n;
  pz.maxLeverageBps = 0n;
  const qz = basePortfolio();
  qz.costBasis[0] = 5n; // a realised loss of 5 on a closed position
  addTyped("bankrupt-flat", "a flat account with E = -5: MARGIN (R = 0 > E)", ["MARGIN", "bankrupt"], pz, qz);
  const pf = baseParams();
  pf.markets[0].fundingIndex = pow2(63) - 1n;
  const qf = longPosition(pf, 0, pow2(40) - 1n, 0n);
  qf.entryFunding[0] = -(pow2(63) - 1n);
  addTyped("bankrupt-funding-extreme", "maximal funding owed: E about -2^104", ["MARGIN", "bankrupt", "extreme", "funding"], pf, qf);
  const px = extremeParams();
  const qx = extremePortfolio();
  addTyped("extremes-all-widths", "every input at 2^k - 1 or its negative extreme", ["extreme"], px, qx);
  const qn = clone(qx);
  qn.collateral = qn.collateral.map(() => 0n);
  qn.costBasis = qn.costBasis.map(() => pow2(100) - 1n);
  addTyped(
    "most-negative-equity",
    "no collateral, every cost basis 2^100 - 1 and maximal funding: E far below 0",
    ["bankrupt", "extreme"],
    px,
    qn,
  );
}

// ---------------------------------------------------------------- STRESS
for (const k of [0, 3, 9, 15]) {
  const p = baseParams();
  p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  p.scenarios[k][0] = -10000n;
  const q = atThreshold(p, longPosition(p, 0, 1000n, 2n * 10n ** 6n), LEVEL, (ev) => ev.stressEquityE4[k], 10000n);
  const p2 = clone(p);
  p2.scenarios[k][1] = -1n;
  p2.markets[1].markPrice = 1n;
  const q2 = clone(q);
  q2.sizes[1] = 1n;
  q2.costBasis[1] = 1n;
  pair(`stress-${k}`, `X_${k} = 0, then X_${k} = -1`, ["STRESS"], p, q, q2, p2);
}
{
  // a short squeezed by a +37.5% rally, with a mixed scenario row
  const p = baseParams();
  p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  p.scenarios[6] = p.scenarios[6].map((_, i) => (i === 2 ? 3750n : i === 0 ? -1000n : 0n));
  const q0 = longPosition(p, 2, -800n, 0n);
  q0.sizes[0] = 200n;
  q0.costBasis[0] = 200000n;
  const q = atThreshold(p, addCash(q0, 10n ** 7n), LEVEL, (ev) => ev.stressEquityE4[6], 10000n);
  pair("stress-short-squeeze", "X_6 = 0 for a short against a rally", ["STRESS"], p, q, addCash(q, -1n));
  addTyped("stress-rule-requested", "STRESS_6 requested (MARGIN holds)", ["STRESS", "rule"], p, addCash(q, -1n), "3", "STRESS_6");
  addTyped(
    "stress-other-scenario-requested",
    "STRESS_5 requested: that scenario holds",
    ["STRESS", "rule"],
    p,
    addCash(q, -1n),
    "3",
    "STRESS_5",
  );
  const pu = clone(p);
  pu.scenarios[5] = pu.scenarios[5].map(() => 10000n);
  addTyped("stress-upside-scenario", "a +100% scenario on a net long adds equity", ["STRESS", "healthy"], pu, addCash(q, 10n ** 6n));
  // exact E, not capped: a bankrupt account whose shock term is positive
  const pb = baseParams();
  pb.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  pb.maxLeverageBps = pow2(32) - 1n;
  pb.scenarios[2][0] = 10000n;
  const qb = longPosition(pb, 0, 1000n, 0n);
  qb.costBasis[0] += 10n ** 6n; // E = -10^6, a +100% move gives X_2 = 0 exactly
  addTyped(
    "stress-bankrupt-rescued-by-rally",
    "E < 0: MARGIN and other scenarios fail; X_2 = 0 holds",
    ["STRESS", "bankrupt", "rule"],
    pb,
    qb,
    "1",
    "STRESS_2",
  );
  addTyped("stress-bankrupt-first-rule", "the same account: the first violated rule is MARGIN", ["STRESS", "bankrupt"], pb, qb);
}

// ---------------------------------------------------------------- POSITION_CAP
for (const [i, cap] of [
  [0, 0n],
  [2, 500n],
  [5, 1n],
  [7, pow2(40) - 2n],
] as Array<[number, bigint]>) {
  for (const sign of [1n, -1n]) {
    const side = sign > 0n ? "long" : "short";
    const p = baseParams();
    p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
    p.markets[i].positionCap = cap;
    p.markets[i].markPrice = cap > pow2(30) ? 1n : 1000n;
    const q = longPosition(p, i, sign * cap, 10n ** 20n);
    const q2 = longPosition(p, i, sign * (cap + 1n), 10n ** 20n);
    pair(`cap-${i}-${side}`, `|s_${i}| = positionCap_${i} = ${cap} (${side})`, ["POSITION_CAP"], p, q, q2);
  }
}
{
  const p = baseParams();
  p.markets[3].positionCap = pow2(40) - 1n;
  p.markets[3].markPrice = 1n;
  p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  addTyped(
    "cap-maximal",
    "|s| = 2^40 - 1 = positionCap: healthy",
    ["POSITION_CAP", "extreme", "healthy"],
    p,
    longPosition(p, 3, -(pow2(40) - 1n), 10n ** 20n),
  );
  const p2 = clone(p);
  p2.markets[3].positionCap = 0n;
  addTyped(
    "cap-zero-maximal-size",
    "|s| = 2^40 - 1 against a cap of 0",
    ["POSITION_CAP", "extreme"],
    p2,
    longPosition(p2, 3, -(pow2(40) - 1n), 10n ** 20n),
  );
  addTyped(
    "cap-rule-requested",
    "POSITION_CAP_3 requested",
    ["POSITION_CAP", "rule"],
    p2,
    longPosition(p2, 3, 5n, 10n ** 20n),
    "9",
    "POSITION_CAP_3",
  );
  addTyped(
    "cap-other-market-requested",
    "POSITION_CAP_2 requested: that market is within its cap",
    ["POSITION_CAP", "rule"],
    p2,
    longPosition(p2, 3, 5n, 10n ** 20n),
    "9",
    "POSITION_CAP_2",
  );
}

// ---------------------------------------------------------------- LEVERAGE
for (const lev of [50000n, 10000n, 1n, 123457n]) {
  const p = baseParams();
  p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  p.maxLeverageBps = lev;
  // G = 10^6: E must be 10000 * 10^6 / lev (whole when lev divides 10^10)
  const q0 = longPosition(p, 0, 1000n, 10n ** 12n);
  let q: Portfolio;
  if (10n ** 10n % lev === 0n) q = atThreshold(p, q0, LEVEL, (ev) => ev.equity - 10n ** 10n / lev);
  else {
    // 10000 G = lev E with G chosen as a multiple of lev: s = lev, P = 1
    p.markets[0].markPrice = 1n;
    const q1 = longPosition(p, 0, lev, 10n ** 12n);
    q = atThreshold(p, q1, LEVEL, (ev) => ev.equity - 10000n);
  }
  const ev = evaluate(p, q, LEVEL);
  if (10000n * ev.grossNotional !== lev * ev.equity) throw new Error(`leverage ${lev}: not at the boundary`);
  pair(`leverage-${lev}`, `10000 G = ${lev} E exactly, then one unit of equity less`, ["LEVERAGE"], p, q, addCash(q, -1n));
}
{
  const p = baseParams();
  p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  p.maxLeverageBps = 0n;
  addTyped("leverage-zero-with-exposure", "maxLeverageBps = 0 forbids any exposure", ["LEVERAGE"], p, longPosition(p, 4, 1n, 10n ** 9n));
  addTyped("leverage-zero-flat", "maxLeverageBps = 0 and a flat portfolio", ["LEVERAGE", "healthy"], p, addCash(basePortfolio(), 5n));
  const pm = baseParams();
  pm.markets.forEach((m) => (m.maintenanceRateBps = 0n));
  pm.maxLeverageBps = pow2(32) - 1n;
  const qm = longPosition(pm, 0, pow2(40) - 1n, 0n);
  pm.markets[0].positionCap = pow2(40) - 1n;
  pm.markets[0].markPrice = pow2(48) - 1n;
  qm.costBasis[0] = (pow2(40) - 1n) * (pow2(48) - 1n);
  // 10000 G = maxLev E: E = ceil(10000 G / maxLev) is the smallest healthy equity
  const G = (pow2(40) - 1n) * (pow2(48) - 1n);
  const need = (10000n * G + pm.maxLeverageBps - 1n) / pm.maxLeverageBps;
  const qmh = addCash(qm, need);
  pair(
    "leverage-maximal",
    "the largest exposure at the largest leverage (ceil(10000 G / maxLev) of cash)",
    ["LEVERAGE", "extreme"],
    pm,
    qmh,
    addCash(qmh, -1n),
  );
  addTyped("leverage-rule-requested", "LEVERAGE requested", ["LEVERAGE", "rule"], pm, addCash(qmh, -1n), "11", "LEVERAGE");
}

// ---------------------------------------------------------------- every rule at once
{
  const p = baseParams();
  p.maxLeverageBps = 10000n;
  p.markets[0].positionCap = 5n;
  p.scenarios[0][0] = -10000n;
  const q = longPosition(p, 0, 10n, 0n);
  addTyped(
    "all-four-violations",
    "MARGIN, STRESS, POSITION_CAP and LEVERAGE at once (first: MARGIN)",
    ["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"],
    p,
    q,
  );
  for (const rule of ["STRESS_0", "POSITION_CAP_0", "LEVERAGE"])
    addTyped(`all-four-requested-${rule}`, `the same account, ${rule} requested`, ["rule"], p, q, "5", rule);
}

// ---------------------------------------------------------------- malformed inputs (exit 1)
{
  type J = { params: any; portfolio: any };
  const bad: Array<[string, (j: J) => void]> = [
    ["sizes-2^40", (j) => (j.portfolio.sizes[3] = String(pow2(40)))],
    ["collateral-negative", (j) => (j.portfolio.collateral[1] = "-1")],
    ["salt-r", (j) => (j.portfolio.salt = String(FIELD_MODULUS))],
    ["depth-zero", (j) => (j.params.markets[2].depth = "0")],
    ["fundingIndex-2^63", (j) => (j.params.markets[6].fundingIndex = String(pow2(63)))],
    ["positionCap-2^40", (j) => (j.params.markets[4].positionCap = String(pow2(40)))],
    ["haircut-10001", (j) => (j.params.collateral[3].haircutBps = "10001")],
    ["shock-minus-10001", (j) => (j.params.scenarios[15][7] = "-10001")],
    ["too-few-markets", (j) => j.params.markets.pop()],
    ["missing-costBasis", (j) => delete j.portfolio.costBasis],
  ];
  for (const [name, mutate] of bad) {
    const j = exampleJson() as J;
    mutate(j);
    add(`invalid-${name}`, "malformed or out-of-bounds input: exit 1 naming the field", ["invalid"], j.params, j.portfolio);
  }
  const j = exampleJson() as J;
  add("invalid-binding-r", "binding = r: exit 1 naming binding", ["invalid"], j.params, j.portfolio, FIELD_MODULUS.toString());
  add("invalid-rule", "an unknown rule name: exit 1 naming rule", ["invalid", "rule"], j.params, j.portfolio, "1", "STRESS_16");
  const p = baseParams();
  p.maxLeverageBps = 0n;
  const q = longPosition(p, 0, 1n, 10n ** 9n);
  add(
    "binding-max",
    "binding = r - 1 is accepted",
    ["binding", "LEVERAGE"],
    paramsToJson(p),
    portfolioToJson(q),
    (FIELD_MODULUS - 1n).toString(),
  );
  add("binding-hex", "0x-hex binding", ["binding", "LEVERAGE"], paramsToJson(p), portfolioToJson(q), "0xdeadbeef");
}

// ---------------------------------------------------------------- seeded random differential cases
{
  const samples = fc.sample(fc.tuple(arbParams, arbPortfolio, fc.boolean()), { seed: 20261202, numRuns: 40 });
  samples.forEach(([p0, q0, fund], i) => {
    // funded cases land one unit below, at, or one unit above their binding threshold
    const { params: p, portfolio: q } = fund ? fundToThresholds(p0, q0, LEVEL, BigInt(i % 3) - 1n) : { params: p0, portfolio: q0 };
    addTyped(`random-${String(i).padStart(2, "0")}`, "seeded random epoch and portfolio", ["random"], p, q, String(i + 1));
  });
}

mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith(".json")) rmSync(join(OUT, f));
for (const v of vectors) writeFileSync(join(OUT, `${v.name}.json`), `${JSON.stringify(v, null, 1)}\n`);
const count = (c: number) => vectors.filter((v) => v.expected.exitCode === c).length;
process.stderr.write(`wrote ${vectors.length} vectors to ${OUT} (${count(0)} proven, ${count(2)} no proof, ${count(1)} malformed)\n`);
