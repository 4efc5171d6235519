// The TypeScript reference model and its validation (no circuit).
import { expect } from "chai";
import { evaluate, marketRequirement, collateralValue, report } from "../prover/model.ts";
import { validateParams, validatePortfolio, parseBinding, parseLevel, ValidationError } from "../prover/validate.ts";
import { FIELD_MODULUS, pow2 } from "../prover/field.ts";
import { addCash, basePortfolio, baseParams, clone, example, exampleJson, E18 } from "../tools/fixtures.ts";

describe("reference model (prover/model.ts)", () => {
  it("computes the example report with the documented fields", () => {
    const { params, portfolio } = example();
    const r = report(params, portfolio, "maintenance");
    expect(Object.keys(r)).to.deep.equal([
      "healthy",
      "violations",
      "equity",
      "collateralValue",
      "requirement",
      "grossNotional",
      "stressEquityE4",
      "commitment",
      "paramsHash",
    ]);
    expect(r.healthy).to.equal(true);
    expect(r.stressEquityE4).to.have.length(16);
    // collateral: 150000000000 cash + floor(2e18 * 3.45e9 * 9000 / 1e22) + floor(5e7 * 9.725e20 * 8500 / 1e22)
    expect(r.collateralValue).to.equal(String(150000000000n + 6210000000n + 41331250000n));
  });

  it("rounds the requirement up (ceil) and exactly", () => {
    // n = 1000, rate = 333, D = 7, impact = 1: (1000*333*7 + 1e6*1) / 70000 = 3331000/70000 = 47.58.. -> 48
    expect(marketRequirement(1000n, 333n, 1n, 7n)).to.equal(48n);
    // exact division stays exact: 10000 * 500 * 1 / 10000 = 500
    expect(marketRequirement(10000n, 500n, 0n, 1n)).to.equal(500n);
    // one unit of numerator past a multiple rounds up
    expect(marketRequirement(10001n, 10000n, 0n, 1n)).to.equal(10001n);
    expect(marketRequirement(0n, 10000n, 10000n, 5n)).to.equal(0n);
  });

  it("rounds collateral value down (floor)", () => {
    expect(collateralValue(1n, 10n ** 22n - 1n, 0n)).to.equal(9999n); // 1 * (1e22-1) * 10000 / 1e22
    expect(collateralValue(3n, E18, 0n)).to.equal(3n);
    expect(collateralValue(3n, E18, 3334n)).to.equal(1n); // 3 * 6666 / 10000 = 1.9998
    expect(collateralValue(5n, E18, 10000n)).to.equal(0n);
  });

  it("computes PnL with funding against the position's side", () => {
    const p = baseParams();
    p.markets[0].fundingIndex = 50n;
    const q = basePortfolio();
    q.sizes[0] = 10n; // long 10 lots at mark 1000
    q.costBasis[0] = 9000n; // bought at 900
    q.entryFunding[0] = 20n; // long pays funding accrued since entry: 10 * (50 - 20) = 300
    const ev = evaluate(p, q, "maintenance");
    expect(ev.pnl[0]).to.equal(10n * 1000n - 9000n - 300n);
    q.sizes[0] = -10n;
    q.costBasis[0] = -11000n; // shorted at 1100
    const ev2 = evaluate(p, q, "maintenance");
    expect(ev2.pnl[0]).to.equal(-10000n + 11000n + 300n); // short receives funding
  });

  it("reports each violation code, in the documented order", () => {
    const p = baseParams();
    p.maxLeverageBps = 10000n;
    p.markets[0].positionCap = 5n;
    p.scenarios[0][0] = -10000n;
    const q = basePortfolio();
    q.sizes[0] = 10n;
    q.costBasis[0] = 10000n;
    const ev = evaluate(p, q, "initial"); // E = 0 < R = 1000
    expect(ev.violations).to.deep.equal(["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"]);
    const ok = evaluate(
      p,
      addCash({ ...q, sizes: [5n, ...q.sizes.slice(1)], costBasis: [5000n, ...q.costBasis.slice(1)] }, 5000n),
      "initial",
    );
    expect(ok.violations).to.deep.equal([]);
  });

  it("uses maintenance rates at level maintenance and initial rates at level initial", () => {
    const p = baseParams();
    const q = basePortfolio();
    q.sizes[0] = 100n;
    q.costBasis[0] = 100000n;
    expect(evaluate(p, q, "maintenance").requirement).to.equal(5000n);
    expect(evaluate(p, q, "initial").requirement).to.equal(10000n);
  });
});

describe("input validation (prover/validate.ts)", () => {
  const bad: Array<[string, (j: { params: any; portfolio: any }) => void, string]> = [
    ["sizes[3]", (j) => (j.portfolio.sizes[3] = String(pow2(40))), "sizes[3]"],
    ["sizes[3] negative extreme", (j) => (j.portfolio.sizes[3] = String(-pow2(40))), "sizes[3]"],
    ["costBasis[0]", (j) => (j.portfolio.costBasis[0] = String(-pow2(100))), "costBasis[0]"],
    ["entryFunding[7]", (j) => (j.portfolio.entryFunding[7] = String(pow2(63))), "entryFunding[7]"],
    ["collateral[2] negative", (j) => (j.portfolio.collateral[2] = "-1"), "collateral[2]"],
    ["collateral[1] 2^96", (j) => (j.portfolio.collateral[1] = String(pow2(96))), "collateral[1]"],
    ["salt = r", (j) => (j.portfolio.salt = String(FIELD_MODULUS)), "salt"],
    ["sizes length", (j) => j.portfolio.sizes.pop(), "sizes"],
    ["unknown portfolio key", (j) => (j.portfolio.extra = "1"), "extra"],
    ["missing salt", (j) => delete j.portfolio.salt, "salt"],
    ["float", (j) => (j.portfolio.sizes[0] = "1.5"), "sizes[0]"],
    ["exponent", (j) => (j.portfolio.sizes[0] = "1e3"), "sizes[0]"],
    ["unsafe JSON number", (j) => (j.portfolio.costBasis[1] = 1e30), "costBasis[1]"],
    ["leading zero", (j) => (j.portfolio.sizes[0] = "01"), "sizes[0]"],
    ["null", (j) => (j.portfolio.sizes[0] = null), "sizes[0]"],
    ["epochId", (j) => (j.params.epochId = String(pow2(64))), "epochId"],
    ["maxLeverageBps", (j) => (j.params.maxLeverageBps = String(pow2(32))), "maxLeverageBps"],
    ["markPrice", (j) => (j.params.markets[1].markPrice = String(pow2(48))), "markets[1].markPrice"],
    ["fundingIndex", (j) => (j.params.markets[1].fundingIndex = String(-pow2(63))), "markets[1].fundingIndex"],
    ["depth zero", (j) => (j.params.markets[2].depth = "0"), "markets[2].depth"],
    ["depth 2^96", (j) => (j.params.markets[2].depth = String(pow2(96))), "markets[2].depth"],
    ["positionCap", (j) => (j.params.markets[0].positionCap = String(pow2(40))), "markets[0].positionCap"],
    ["impactBps", (j) => (j.params.markets[0].impactBps = "10001"), "markets[0].impactBps"],
    ["initialRateBps", (j) => (j.params.markets[0].initialRateBps = "10001"), "markets[0].initialRateBps"],
    ["maintenance > initial", (j) => (j.params.markets[4].maintenanceRateBps = "5000"), "markets[4].maintenanceRateBps"],
    ["priceE18", (j) => (j.params.collateral[3].priceE18 = String(pow2(96))), "collateral[3].priceE18"],
    ["haircutBps", (j) => (j.params.collateral[1].haircutBps = "10001"), "collateral[1].haircutBps"],
    ["shock", (j) => (j.params.scenarios[4][1] = "-10001"), "scenarios[4][1]"],
    ["scenario row length", (j) => j.params.scenarios[2].push("0"), "scenarios[2]"],
    ["scenarios count", (j) => j.params.scenarios.pop(), "scenarios"],
    ["markets count", (j) => j.params.markets.pop(), "markets"],
    ["market not object", (j) => (j.params.markets[5] = "x"), "markets[5]"],
    ["unknown market key", (j) => (j.params.markets[0].typo = "1"), "markets[0].typo"],
  ];
  for (const [name, mutate, field] of bad) {
    it(`rejects ${name}, naming ${field}`, () => {
      const j = exampleJson() as { params: any; portfolio: any };
      mutate(j);
      const run = () => {
        validateParams(j.params);
        validatePortfolio(j.portfolio);
      };
      expect(run).to.throw(ValidationError).with.property("field", field);
    });
  }

  it("accepts the extremes of every width", () => {
    const j = exampleJson() as { params: any; portfolio: any };
    j.portfolio.sizes[0] = String(pow2(40) - 1n);
    j.portfolio.sizes[1] = String(-(pow2(40) - 1n));
    j.portfolio.costBasis[0] = String(-(pow2(100) - 1n));
    j.portfolio.entryFunding[0] = String(pow2(63) - 1n);
    j.portfolio.collateral[0] = String(pow2(96) - 1n);
    j.portfolio.salt = String(FIELD_MODULUS - 1n);
    j.params.epochId = String(pow2(64) - 1n);
    j.params.markets[0].depth = String(pow2(96) - 1n);
    j.params.scenarios[0][0] = "-10000";
    expect(() => validatePortfolio(j.portfolio)).not.to.throw();
    expect(() => validateParams(j.params)).not.to.throw();
  });

  it("parses bindings as decimal or 0x-hex below r, and levels by name", () => {
    expect(parseBinding("0x10")).to.equal(16n);
    expect(parseBinding("123")).to.equal(123n);
    expect(parseBinding((FIELD_MODULUS - 1n).toString())).to.equal(FIELD_MODULUS - 1n);
    for (const b of [FIELD_MODULUS.toString(), "0x" + FIELD_MODULUS.toString(16), "-1", "1.0", "", "0x", "abc", "007"]) {
      expect(() => parseBinding(b), b).to.throw(ValidationError);
    }
    expect(parseLevel("initial")).to.equal("initial");
    expect(() => parseLevel("Initial")).to.throw(ValidationError);
  });

  it("does not mutate its input", () => {
    const j = exampleJson();
    const before = clone(j);
    validateParams(j.params);
    validatePortfolio(j.portfolio);
    expect(j).to.deep.equal(before);
  });
});
