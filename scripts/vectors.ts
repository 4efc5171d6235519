// npm run vectors:generate — (re)writes test/vectors/margin/*.json from the constructions below.
// Expected values come from the TypeScript reference; the test suite and `zkmargin vectors
// replay` check them against the reference and the circuit.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { FIELD_MODULUS, pow2 } from "../prover/field.ts";
import { VECTOR_SCHEMA, evaluateVector, type Vector } from "../tools/vectors.ts";
import type { Level, Params, Portfolio } from "../prover/types.ts";
import {
  addCash,
  arbLevel,
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

const OUT = join(REPO_ROOT, "test", "vectors", "margin");
const vectors: Vector[] = [];

function add(name: string, description: string, tags: string[], params: unknown, portfolio: unknown, level: string, binding = "1"): void {
  const v: Vector = {
    schema: VECTOR_SCHEMA,
    circuit: "margin",
    name: `${String(vectors.length + 1).padStart(3, "0")}-${name}`,
    description,
    tags,
    level,
    binding,
    params,
    portfolio,
    expected: { checkExitCode: 0, proveExitCode: 0, errorField: null, report: null, publicSignals: null },
  };
  v.expected = evaluateVector(v);
  vectors.push(v);
}
const addTyped = (name: string, d: string, tags: string[], p: Params, q: Portfolio, level: Level, binding = "1") =>
  add(name, d, tags, paramsToJson(p), portfolioToJson(q), level, binding);

function longPosition(p: Params, market: number, size: bigint, cash: bigint): Portfolio {
  const q = basePortfolio();
  q.sizes[market] = size;
  q.costBasis[market] = size * p.markets[market].markPrice;
  q.collateral[0] = cash;
  return q;
}

// ---------------------------------------------------------------- the example
{
  const { params, portfolio } = example();
  for (const level of ["maintenance", "initial"] as Level[]) {
    addTyped(`example-${level}`, "the shipped example portfolio (examples/)", ["example", "healthy"], params, portfolio, level, "0x2a");
  }
}

// ---------------------------------------------------------------- thresholds
for (const level of ["maintenance", "initial"] as Level[]) {
  const p = baseParams();
  p.markets[1].impactBps = 37n;
  p.markets[1].depth = 123457n;
  const q0 = addCash(longPosition(p, 0, 777n, 0n), 10n ** 7n);
  q0.sizes[1] = -321n;
  q0.costBasis[1] = -321000n;
  const q = atThreshold(p, q0, level, (ev) => ev.equity - ev.requirement);
  addTyped(`margin-exactly-${level}`, "E = R exactly", ["threshold", "MARGIN", "healthy"], p, q, level);
  addTyped(`margin-one-below-${level}`, "E = R - 1", ["threshold", "MARGIN"], p, addCash(q, -1n), level);
}
{
  const p = baseParams();
  p.scenarios[3][0] = -10000n;
  const q = atThreshold(p, longPosition(p, 0, 1000n, 2n * 10n ** 6n), "maintenance", (ev) => ev.stressEquityE4[3], 10000n);
  addTyped(
    "stress-exactly-zero",
    "X_3 = 0 exactly (a 100% crash of a fully collateralised long)",
    ["threshold", "STRESS", "healthy"],
    p,
    q,
    "maintenance",
  );
  const p2 = clone(p);
  p2.scenarios[3][1] = -1n;
  p2.markets[1].markPrice = 1n;
  const q2 = clone(q);
  q2.sizes[1] = 1n;
  q2.costBasis[1] = 1n;
  addTyped("stress-minus-one", "X_3 = -1 (one unit of stress equity short)", ["threshold", "STRESS"], p2, q2, "maintenance");
  const p3 = clone(p);
  p3.scenarios[5] = p3.scenarios[5].map(() => 10000n);
  addTyped("stress-upside-scenario", "a +100% scenario on a long adds equity", ["STRESS", "healthy"], p3, q, "initial");
}
for (const sign of [1n, -1n]) {
  const side = sign > 0n ? "long" : "short";
  const p = baseParams();
  p.markets[2].positionCap = 500n;
  const q = basePortfolio();
  q.sizes[2] = sign * 500n;
  q.costBasis[2] = sign * 500000n;
  q.collateral[0] = 10n ** 6n;
  addTyped(`cap-exactly-${side}`, "|s| = positionCap", ["threshold", "POSITION_CAP", "healthy"], p, q, "initial");
  const q2 = clone(q);
  q2.sizes[2] = sign * 501n;
  q2.costBasis[2] = sign * 501000n;
  addTyped(`cap-one-over-${side}`, "|s| = positionCap + 1", ["threshold", "POSITION_CAP"], p, q2, "initial");
}
{
  const p = baseParams();
  p.maxLeverageBps = 50000n;
  const q = atThreshold(p, longPosition(p, 0, 1000n, 10n ** 6n), "initial", (ev) => ev.equity - 200000n);
  addTyped("leverage-exactly-5x", "10000 G = maxLeverageBps E exactly", ["threshold", "LEVERAGE", "healthy"], p, q, "initial");
  addTyped("leverage-one-below", "one unit of equity below the leverage limit", ["threshold", "LEVERAGE"], p, addCash(q, -1n), "initial");
  const p0 = clone(p);
  p0.maxLeverageBps = 0n;
  addTyped("leverage-zero-with-exposure", "maxLeverageBps = 0 forbids any exposure", ["LEVERAGE"], p0, q, "initial");
  addTyped(
    "leverage-zero-flat",
    "maxLeverageBps = 0 and a flat portfolio",
    ["LEVERAGE", "healthy"],
    p0,
    addCash(basePortfolio(), 5n),
    "initial",
  );
}

// ---------------------------------------------------------------- rounding traps
{
  const p = baseParams();
  p.markets[0] = { ...p.markets[0], maintenanceRateBps: 1n, depth: 3n, impactBps: 1n };
  const q = atThreshold(p, longPosition(p, 0, 1n, 100n), "maintenance", (e) => e.equity - e.requirement);
  addTyped("requirement-ceil-exact", "num/den = 33.43: requirement 34, equity 34", ["rounding", "MARGIN", "healthy"], p, q, "maintenance");
  addTyped(
    "requirement-ceil-trap",
    "equity 33 passes a floor but not the ceiling",
    ["rounding", "MARGIN"],
    p,
    addCash(q, -1n),
    "maintenance",
  );
}
{
  const p = baseParams();
  p.collateral[1] = { priceE18: 10n ** 22n - 1n, haircutBps: 0n };
  p.markets[0].maintenanceRateBps = 9999n;
  const q = basePortfolio();
  q.collateral[1] = 1n;
  q.sizes[0] = 10n;
  q.costBasis[0] = 10000n;
  addTyped("collateral-floor-exact", "value 9999.99.. floors to 9999 = R", ["rounding", "MARGIN", "healthy"], p, q, "maintenance");
  const p2 = clone(p);
  p2.markets[0].maintenanceRateBps = 10000n;
  p2.markets[0].initialRateBps = 10000n;
  addTyped(
    "collateral-floor-trap",
    "a rounded-up collateral value would pass; the floor does not",
    ["rounding", "MARGIN"],
    p2,
    q,
    "maintenance",
  );
  const p3 = baseParams();
  p3.collateral[2] = { priceE18: E18, haircutBps: 3334n };
  p3.markets[0].maintenanceRateBps = 11n;
  p3.markets[0].initialRateBps = 11n;
  const q3 = basePortfolio();
  q3.collateral[2] = 3n;
  q3.sizes[0] = 1n;
  q3.costBasis[0] = 1000n;
  addTyped("haircut-floor-trap", "3 units at a 33.34% haircut are worth 1, requirement 2", ["rounding", "MARGIN"], p3, q3, "maintenance");
}
{
  const p = baseParams();
  p.markets[0].fundingIndex = 50n;
  const q = longPosition(p, 0, 10n, 0n);
  q.entryFunding[0] = 20n;
  q.collateral[0] = 800n;
  addTyped("funding-owed-by-long", "a long owes 10 * (50 - 20) = 300 of funding", ["funding"], p, q, "maintenance");
  const q2 = clone(q);
  q2.sizes[0] = -10n;
  q2.costBasis[0] = -10000n;
  addTyped("funding-earned-by-short", "a short earns the same funding", ["funding", "healthy"], p, q2, "maintenance");
}

// ---------------------------------------------------------------- all refusal codes at once
{
  const p = baseParams();
  p.maxLeverageBps = 10000n;
  p.markets[0].positionCap = 5n;
  p.scenarios[0][0] = -10000n;
  const q = longPosition(p, 0, 10n, 0n);
  addTyped(
    "all-four-violations",
    "MARGIN, STRESS, POSITION_CAP and LEVERAGE at once",
    ["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"],
    p,
    q,
    "initial",
  );
}

// ---------------------------------------------------------------- extremes of every width
{
  const p = extremeParams();
  const q = extremePortfolio();
  addTyped("extremes-all-widths-maintenance", "every input at 2^k - 1 or its negative extreme", ["extreme"], p, q, "maintenance");
  addTyped("extremes-all-widths-initial", "every input at 2^k - 1 or its negative extreme", ["extreme"], p, q, "initial");
  const ph = clone(p);
  ph.markets.forEach((m) => (m.impactBps = 0n));
  const qh = basePortfolio();
  qh.collateral = qh.collateral.map(() => pow2(96) - 1n);
  qh.sizes[0] = pow2(40) - 1n;
  qh.costBasis[0] = (pow2(40) - 1n) * (pow2(48) - 1n);
  qh.salt = 0n;
  addTyped("extremes-healthy", "maximal collateral backing a maximal position", ["extreme", "healthy"], ph, qh, "initial");
  const pz = baseParams();
  addTyped("empty-portfolio", "no positions, no collateral: E = R = 0", ["extreme", "healthy"], pz, basePortfolio(), "initial");
}

// ---------------------------------------------------------------- malformed inputs (exit 1)
{
  type J = { params: any; portfolio: any };
  const bad: Array<[string, (j: J) => void]> = [
    ["sizes-2^40", (j) => (j.portfolio.sizes[3] = String(pow2(40)))],
    ["sizes-minus-2^40", (j) => (j.portfolio.sizes[3] = String(-pow2(40)))],
    ["costBasis-2^100", (j) => (j.portfolio.costBasis[0] = String(pow2(100)))],
    ["costBasis-minus-2^100", (j) => (j.portfolio.costBasis[0] = String(-pow2(100)))],
    ["entryFunding-2^63", (j) => (j.portfolio.entryFunding[5] = String(pow2(63)))],
    ["entryFunding-minus-2^63", (j) => (j.portfolio.entryFunding[5] = String(-pow2(63)))],
    ["collateral-2^96", (j) => (j.portfolio.collateral[1] = String(pow2(96)))],
    ["collateral-negative", (j) => (j.portfolio.collateral[1] = "-1")],
    ["salt-r", (j) => (j.portfolio.salt = String(FIELD_MODULUS))],
    ["salt-negative", (j) => (j.portfolio.salt = "-1")],
    ["epochId-2^64", (j) => (j.params.epochId = String(pow2(64)))],
    ["maxLeverageBps-2^32", (j) => (j.params.maxLeverageBps = String(pow2(32)))],
    ["markPrice-2^48", (j) => (j.params.markets[1].markPrice = String(pow2(48)))],
    ["markPrice-negative", (j) => (j.params.markets[1].markPrice = "-1")],
    ["fundingIndex-2^63", (j) => (j.params.markets[6].fundingIndex = String(pow2(63)))],
    ["fundingIndex-minus-2^63", (j) => (j.params.markets[6].fundingIndex = String(-pow2(63)))],
    ["maintenance-above-initial", (j) => (j.params.markets[0].maintenanceRateBps = "501")],
    ["initialRate-10001", (j) => (j.params.markets[0].initialRateBps = "10001")],
    ["maintenanceRate-negative", (j) => (j.params.markets[0].maintenanceRateBps = "-1")],
    ["impact-10001", (j) => (j.params.markets[3].impactBps = "10001")],
    ["depth-zero", (j) => (j.params.markets[2].depth = "0")],
    ["depth-2^96", (j) => (j.params.markets[2].depth = String(pow2(96)))],
    ["positionCap-2^40", (j) => (j.params.markets[4].positionCap = String(pow2(40)))],
    ["priceE18-2^96", (j) => (j.params.collateral[2].priceE18 = String(pow2(96)))],
    ["haircut-10001", (j) => (j.params.collateral[3].haircutBps = "10001")],
    ["shock-10001", (j) => (j.params.scenarios[4][1] = "10001")],
    ["shock-minus-10001", (j) => (j.params.scenarios[15][7] = "-10001")],
    ["too-few-markets", (j) => j.params.markets.pop()],
    ["too-many-scenarios", (j) => j.params.scenarios.push(j.params.scenarios[0])],
    ["short-scenario-row", (j) => j.params.scenarios[9].pop()],
    ["too-few-assets", (j) => j.portfolio.collateral.pop()],
    ["missing-costBasis", (j) => delete j.portfolio.costBasis],
    ["unknown-field", (j) => (j.portfolio.leverage = "10")],
    ["decimal-point", (j) => (j.portfolio.sizes[0] = "1.0")],
    ["hex-amount", (j) => (j.portfolio.collateral[0] = "0x10")],
    ["number-too-large-for-json", (j) => (j.portfolio.costBasis[2] = 1e21)],
    ["empty-string", (j) => (j.params.markets[0].depth = "")],
  ];
  for (const [name, mutate] of bad) {
    const j = exampleJson() as J;
    mutate(j);
    add(`invalid-${name}`, "malformed or out-of-bounds input: exit 1 naming the field", ["invalid"], j.params, j.portfolio, "initial");
  }
  const j = exampleJson() as J;
  add("invalid-level", "unknown level: exit 1 naming --level", ["invalid"], j.params, j.portfolio, "liquidation");
  add("invalid-binding-r", "binding = r: exit 1 naming --binding", ["invalid"], j.params, j.portfolio, "initial", FIELD_MODULUS.toString());
  add(
    "binding-max",
    "binding = r - 1 is accepted",
    ["healthy", "binding"],
    j.params,
    j.portfolio,
    "initial",
    (FIELD_MODULUS - 1n).toString(),
  );
  add("binding-hex", "0x-hex binding", ["healthy", "binding"], j.params, j.portfolio, "maintenance", "0xdeadbeef");
}

// ---------------------------------------------------------------- seeded random differential cases
{
  const samples = fc.sample(fc.tuple(arbParams, arbPortfolio, arbLevel, fc.boolean()), { seed: 20261124, numRuns: 40 });
  samples.forEach(([p0, q0, level, fund], i) => {
    // funded cases land one unit below, at, or one unit above their binding threshold
    const { params: p, portfolio: q } = fund ? fundToThresholds(p0, q0, level, BigInt(i % 3) - 1n) : { params: p0, portfolio: q0 };
    addTyped(`random-${String(i).padStart(2, "0")}`, "seeded random epoch and portfolio", ["random"], p, q, level, String(i + 1));
  });
}

mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith(".json")) rmSync(join(OUT, f));
for (const v of vectors) writeFileSync(join(OUT, `${v.name}.json`), `${JSON.stringify(v, null, 1)}\n`);
const healthy = vectors.filter((v) => v.expected.report?.healthy).length;
const invalid = vectors.filter((v) => v.expected.checkExitCode === 1).length;
process.stderr.write(
  `wrote ${vectors.length} vectors to ${OUT} (${healthy} healthy, ${vectors.length - healthy - invalid} unhealthy, ${invalid} malformed)\n`,
);
