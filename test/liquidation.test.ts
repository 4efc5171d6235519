// Liquidation by proof (circuits/liquidation.circom, prover/liquidation.ts): a witness exists iff
// the committed portfolio fails MarginCheck at maintenance, whatever the prover claims.
//   - the widths of the circuit = the TypeScript twin's
//   - differential (fast-check): near every rule's boundary, a witness exists iff the reference
//     model finds the portfolio unhealthy, for exactly the selectors of the violated rules
//   - every rule exactly at its boundary (healthy: no witness for any selector) and one unit
//     worse (a real proof that verifies)
//   - adversarial: the same constraints with the witness-only hints (v_j, req_i) turned into
//     inputs, so that a test can claim any hint: a healthy portfolio has no witness with a
//     smaller v_j, a larger req_i, a field-wrapped one or another selector
//   - audit (mutation of every signal, range table), published vectors, artifacts
import { expect } from "chai";
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as snarkjs from "snarkjs";
import { WitnessCalculatorBuilder } from "circom_runtime";
import { ARTIFACTS_DIR, REPO_ROOT, circuitArtifacts } from "../prover/artifacts.ts";
import { commitment, paramsHash } from "../prover/encoding.ts";
import { FIELD_MODULUS, pow2, toField } from "../prover/field.ts";
import { evaluate } from "../prover/model.ts";
import {
  HealthyError,
  LIQ_NUM_BITS,
  LiquidationProver,
  cappedRequirements,
  liqCheckBits,
  liqEquityBits,
  liqReqBits,
  liquidationCircuitInputs,
  liquidationInputs,
  liquidationRules,
  violatedRules,
} from "../prover/liquidation.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { audit, liquidationCases } from "../tools/audit.ts";
import { firstFailingConstraint, readR1cs } from "../tools/r1cs.ts";
import { loadLiquidationVectors, replayLiquidationVector } from "../tools/vectors.ts";
import { addCash, arbParams, arbPortfolio, atThreshold, baseParams, basePortfolio, clone, fundToThresholds } from "../tools/fixtures.ts";
import { circuitSourcesHash, compileCircom, sha256File } from "../scripts/lib.ts";
import { M_ASSETS, N_MARKETS, S_SCENARIOS } from "../prover/constants.ts";

const LEVEL = "maintenance";
const RULES = liquidationRules(N_MARKETS, S_SCENARIOS);
const DIR = join(REPO_ROOT, "test", "vectors", "liquidation");

let proverPromise: Promise<LiquidationProver> | undefined;
const prover = (): Promise<LiquidationProver> => (proverPromise ??= LiquidationProver.load());

/** Does the shipped circuit have a witness for this portfolio with this rule's selector? */
async function accepts(p: Params, q: Portfolio, rule: string, binding = 1n): Promise<boolean> {
  try {
    await (await prover()).rawWitness(liquidationCircuitInputs(p, q, binding, rule));
    return true;
  } catch {
    return false;
  }
}

/** The rules whose selector the circuit accepts. */
async function acceptedRules(p: Params, q: Portfolio, rules: readonly string[] = RULES): Promise<string[]> {
  const out: string[] = [];
  for (const r of rules) if (await accepts(p, q, r)) out.push(r);
  return out;
}

function longPosition(p: Params, market: number, size: bigint, cash: bigint): Portfolio {
  const q = basePortfolio();
  q.sizes[market] = size;
  q.costBasis[market] = size * p.markets[market].markPrice;
  q.collateral[0] = cash;
  return q;
}

/** Boundary constructions per rule: [name, params, healthy portfolio at the boundary, one unit worse, its params] */
function boundaries(): Array<[string, Params, Portfolio, Portfolio, Params]> {
  const out: Array<[string, Params, Portfolio, Portfolio, Params]> = [];
  {
    const p = baseParams();
    p.markets[1].impactBps = 37n;
    p.markets[1].depth = 123457n;
    const q0 = addCash(longPosition(p, 0, 777n, 0n), 10n ** 7n);
    q0.sizes[1] = -321n;
    q0.costBasis[1] = -321000n;
    const q = atThreshold(p, q0, LEVEL, (ev) => ev.equity - ev.requirement);
    out.push(["MARGIN", p, q, addCash(q, -1n), p]);
  }
  {
    const p = baseParams();
    p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
    p.scenarios[9][0] = -10000n;
    const q = atThreshold(p, longPosition(p, 0, 1000n, 2n * 10n ** 6n), LEVEL, (ev) => ev.stressEquityE4[9], 10000n);
    const p2 = clone(p);
    p2.scenarios[9][1] = -1n;
    p2.markets[1].markPrice = 1n;
    const q2 = clone(q);
    q2.sizes[1] = 1n;
    q2.costBasis[1] = 1n;
    out.push(["STRESS_9", p, q, q2, p2]);
  }
  {
    const p = baseParams();
    p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
    p.markets[5].positionCap = 500n;
    out.push(["POSITION_CAP_5", p, longPosition(p, 5, -500n, 10n ** 9n), longPosition(p, 5, -501n, 10n ** 9n), p]);
  }
  {
    const p = baseParams();
    p.markets.forEach((m) => (m.maintenanceRateBps = 0n));
    p.maxLeverageBps = 50000n;
    const q = atThreshold(p, longPosition(p, 0, 1000n, 10n ** 6n), LEVEL, (ev) => ev.equity - 200000n);
    out.push(["LEVERAGE", p, q, addCash(q, -1n), p]);
  }
  return out;
}

describe("liquidation proof (circuits/liquidation.circom)", function () {
  this.timeout(1_200_000);

  it("the circuit's widths are the TypeScript twin's (compiled circom functions)", async () => {
    const dir = mkdtempSync(join(REPO_ROOT, "build", "liq-widths-"));
    try {
      const src = join(dir, "widths.circom");
      writeFileSync(
        src,
        `pragma circom 2.2.0;
include "../../circuits/liquidation.circom";
template W() {
    signal input x;
    signal output out[6];
    out[0] <== x * LIQ_EQUITY_BITS(${N_MARKETS}, ${M_ASSETS});
    out[1] <== x * LIQ_REQ_BITS(${N_MARKETS}, ${M_ASSETS});
    out[2] <== x * LIQ_NUM_BITS();
    out[3] <== x * LIQ_CHECK_BITS(${N_MARKETS}, ${M_ASSETS});
    out[4] <== x * LIQ_RULES(${N_MARKETS}, ${S_SCENARIOS});
    out[5] <== x * LIQ_PNL_BITS(${N_MARKETS});
}
component main {public [x]} = W();
`,
      );
      const built = compileCircom(src, dir);
      const calc = await WitnessCalculatorBuilder(readFileSync(built.wasm));
      const w = (await calc.calculateWitness({ x: 1 }, true)) as bigint[];
      expect(w.slice(1, 7).map(Number)).to.deep.equal([
        liqEquityBits(N_MARKETS, M_ASSETS),
        liqReqBits(N_MARKETS, M_ASSETS),
        LIQ_NUM_BITS,
        liqCheckBits(N_MARKETS, M_ASSETS),
        RULES.length,
        105 + 3,
      ]);
      // the values docs/SPEC.md states, and the headroom the width argument needs: every |d| < 2^169 < r / 2
      expect([liqEquityBits(8, 4), liqReqBits(8, 4), LIQ_NUM_BITS, liqCheckBits(8, 4), RULES.length]).to.deep.equal([
        136, 137, 199, 169, 26,
      ]);
      expect(pow2(liqCheckBits(8, 4) + 1) < FIELD_MODULUS / 2n).to.equal(true);
      // no product wraps: q_i * den_i <= 2^136 * 2^110, num_i < 2^199
      expect(pow2(136 + 110) + pow2(199) < FIELD_MODULUS / 2n).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the TypeScript reference refuses a healthy portfolio, naming the rules", async () => {
    const p = baseParams();
    const q = addCash(basePortfolio(), 5n);
    expect(() => liquidationInputs(p, q, 1n)).to.throw(HealthyError, /^portfolio is healthy at maintenance: no liquidation proof exists/);
    expect(() => liquidationInputs(p, q, 1n)).to.throw(/MARGIN, STRESS_0\.\.STRESS_15, POSITION_CAP_0\.\.POSITION_CAP_7, LEVERAGE/);
    let error: unknown;
    try {
      await (await prover()).prove(p, q, 1n);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(HealthyError);
    const p2 = clone(p);
    p2.maxLeverageBps = 0n;
    const q2 = longPosition(p2, 0, 1n, 10n ** 9n);
    expect(liquidationInputs(p2, q2, 1n).rule).to.equal("LEVERAGE");
    expect(() => liquidationInputs(p2, q2, 1n, "MARGIN")).to.throw(/rule MARGIN is not violated at maintenance \(violated: LEVERAGE\)/);
  });

  describe("every rule exactly at its boundary (no witness for any selector) and one unit worse (a proof)", () => {
    for (const [rule, p, at, worse, pw] of boundaries()) {
      it(rule, async () => {
        expect(evaluate(p, at, LEVEL).healthy, "at the boundary: healthy").to.equal(true);
        expect(violatedRules(p, at)).to.deep.equal([]);
        expect(await acceptedRules(p, at)).to.deep.equal([]);
        expect(evaluate(pw, worse, LEVEL).healthy, "one unit worse: unhealthy").to.equal(false);
        expect(violatedRules(pw, worse)).to.deep.equal([rule]);
        expect(await acceptedRules(pw, worse)).to.deep.equal([rule]);
        const liq = await prover();
        const binding = 0xabcdefn;
        const proof = await liq.prove(pw, worse, binding);
        expect(proof.publicSignals).to.deep.equal([commitment(worse), paramsHash(pw), binding].map(String));
        expect(await liq.verify(proof)).to.equal(true);
        const cd = await liq.solidityCalldata(proof);
        expect(cd.publicSignals).to.have.length(3);
        // the proof is bound to its public signals: another binding, commitment or epoch fails
        for (const k of [0, 1, 2]) {
          const t = structuredClone(proof);
          t.publicSignals[k] = toField(BigInt(t.publicSignals[k]) + 1n).toString();
          expect(await liq.verify(t), `public signal ${k} changed`).to.equal(false);
        }
      });
    }
  });

  describe("property: a witness exists iff the reference model finds the portfolio unhealthy at maintenance", () => {
    const runs = Number(process.env.ZKMARGIN_FUZZ_RUNS ?? 60);
    it(`random epochs and portfolios at or near every rule's boundary (${runs} runs; ZKMARGIN_FUZZ_RUNS for more)`, async () => {
      const seen = { healthy: 0, unhealthy: 0 };
      await fc.assert(
        fc.asyncProperty(
          arbParams,
          arbPortfolio,
          fc.integer({ min: -1, max: 1 }),
          fc.integer({ min: 0, max: N_MARKETS - 1 }),
          fc.integer({ min: -1, max: 1 }),
          fc.boolean(),
          async (p0, q0, extra, market, capExtra, fund) => {
            // funded: the binding one of MARGIN, STRESS and LEVERAGE lands one unit below, at or above its boundary
            const { params: p, portfolio: q } = fund ? fundToThresholds(p0, q0, LEVEL, BigInt(extra)) : { params: p0, portfolio: q0 };
            // and one market's cap at |s| - 1, |s| or |s| + 1
            const s = q.sizes[market] < 0n ? -q.sizes[market] : q.sizes[market];
            if (fund && s + BigInt(capExtra) >= 0n && s + BigInt(capExtra) < pow2(40)) p.markets[market].positionCap = s + BigInt(capExtra);
            const violated = violatedRules(p, q);
            const healthy = evaluate(p, q, LEVEL).healthy;
            if (healthy) seen.healthy++;
            else seen.unhealthy++;
            if ((violated.length === 0) !== healthy) return false;
            // healthy: no selector has a witness; unhealthy: the violated rules' selectors have one,
            // and a rule that holds has none
            const tried = healthy ? RULES : [...violated, ...RULES.filter((r) => !violated.includes(r)).slice(0, 2)];
            const accepted = await acceptedRules(p, q, tried);
            return JSON.stringify(accepted) === JSON.stringify(tried.filter((r) => violated.includes(r)));
          },
        ),
        { numRuns: runs, seed: Number(process.env.ZKMARGIN_FUZZ_SEED ?? 20261202) },
      );
      expect(seen.healthy, "some random cases are healthy").to.be.greaterThan(0);
      expect(seen.unhealthy, "some random cases are unhealthy").to.be.greaterThan(0);
    });
  });

  // The adversarial harness: circuits/liquidation.circom with its two witness-only computations
  // (`value[j] <-- ...` and `req[i] <-- ...`) replaced by private inputs hintValue and hintReq.
  // Every other constraint is the shipped one, and every remaining `<--` is inside a gadget
  // whose value its constraints determine (bits, inverses), so: the harness has a witness for
  // some hints iff the shipped circuit has a witness with those hint values.
  describe("adversarial hints: a healthy portfolio has no witness whatever the prover claims", () => {
    let dir: string;
    let calc: { calculateWitness(i: unknown, s: boolean): Promise<bigint[]> };
    before(async () => {
      mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
      dir = mkdtempSync(join(REPO_ROOT, "build", "liq-hinted-"));
      let src = readFileSync(join(REPO_ROOT, "circuits", "liquidation.circom"), "utf8");
      const swaps: Array<[RegExp, string]> = [
        [/include "margin\.circom";/, 'include "../../circuits/margin.circom";'],
        [
          /( +)signal input sizeNonNeg\[N\];\n/,
          "$1signal input sizeNonNeg[N];\n$1signal input hintValue[M];\n$1signal input hintReq[N];\n",
        ],
        [/value\[j\] <-- [^;]+;/, "value[j] <== hintValue[j];"],
        [/req\[i\] <-- [^;]+;/, "req[i] <== hintReq[i];"],
        [
          /( +)signal input selector\[N \+ S \+ 2\];\n\n/,
          "$1signal input selector[N + S + 2];\n$1signal input hintValue[M];\n$1signal input hintReq[N];\n\n",
        ],
        [
          /( +)violation\.sizeNonNeg <== range\.sizeNonNeg;\n/,
          "$1violation.sizeNonNeg <== range.sizeNonNeg;\n$1violation.hintValue <== hintValue;\n$1violation.hintReq <== hintReq;\n",
        ],
      ];
      for (const [re, to] of swaps) {
        expect(re.test(src), `harness: ${re}`).to.equal(true);
        src = src.replace(re, to);
      }
      expect(src.match(/<--/g)?.length ?? 0, "no witness-only computation left in the harness").to.equal(0);
      src += "\ncomponent main {public [binding]} = LiquidationProof(N_MARKETS(), M_ASSETS(), S_SCENARIOS());\n";
      const file = join(dir, "hinted.circom");
      writeFileSync(file, src);
      const built = compileCircom(file, dir);
      calc = await WitnessCalculatorBuilder(readFileSync(built.wasm), { sanityCheck: true });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const honest = (p: Params, q: Portfolio) => ({ value: evaluate(p, q, LEVEL).collateralValues, req: cappedRequirements(p, q) });
    async function hinted(p: Params, q: Portfolio, rule: string, value: bigint[], req: bigint[]): Promise<boolean> {
      const inputs = {
        ...liquidationCircuitInputs(p, q, 1n, rule),
        hintValue: value.map((x) => toField(x).toString()),
        hintReq: req.map((x) => toField(x).toString()),
      };
      const { log, error } = console;
      console.log = () => {};
      console.error = () => {};
      try {
        await calc.calculateWitness(inputs, true);
        return true;
      } catch {
        return false;
      } finally {
        console.log = log;
        console.error = error;
      }
    }
    /** claims a prover could make instead of the honest hints */
    function forgeries(p: Params, q: Portfolio): Array<[string, bigint[], bigint[]]> {
      const h = honest(p, q);
      const out: Array<[string, bigint[], bigint[]]> = [];
      const inv = (x: bigint) => {
        let [a, b, u] = [toField(x), FIELD_MODULUS, 1n];
        let v = 0n;
        while (b) {
          const t = a / b;
          [a, b] = [b, a - t * b];
          [u, v] = [v, u - t * v];
        }
        return toField(u);
      };
      for (let j = 0; j < M_ASSETS; j++) {
        const X = q.collateral[j] * p.collateral[j].priceE18 * (10000n - p.collateral[j].haircutBps);
        const rem = X - h.value[j] * 10n ** 22n;
        for (const [label, v] of [
          ["v-1", h.value[j] - 1n],
          ["v-2^64", h.value[j] - pow2(64)],
          ["v+1", h.value[j] + 1n],
          // v_j + rem_j / 10^22 in the field: makes the low remainder check's value 0
          ["v+rem/1e22 mod r", toField(h.value[j] + rem * inv(10n ** 22n))],
          ["v-(1e22-rem)/1e22 mod r", toField(h.value[j] - (10n ** 22n - rem) * inv(10n ** 22n))],
        ] as Array<[string, bigint]>) {
          if (toField(v) === toField(h.value[j])) continue; // rem = 0: not a forgery
          const value = [...h.value];
          value[j] = v;
          out.push([`value[${j}] = ${label}`, value, h.req]);
        }
      }
      for (let i = 0; i < N_MARKETS; i++) {
        const den = 10000n * p.markets[i].depth;
        for (const [label, r] of [
          ["req+1", h.req[i] + 1n],
          ["req-1", h.req[i] - 1n],
          ["req=2^136", pow2(136)],
          ["req=2^136+1", pow2(136) + 1n],
          // req + ceil(r / den): q * den wraps around r to a small slack
          ["req+ceil(r/den)", h.req[i] + (FIELD_MODULUS + den - 1n) / den],
          ["req+floor(r/den)", h.req[i] + FIELD_MODULUS / den],
          ["req+r/den mod r", toField(h.req[i] + inv(den))],
        ] as Array<[string, bigint]>) {
          if (toField(r) === toField(h.req[i])) continue; // already the honest value
          const req = [...h.req];
          req[i] = r;
          out.push([`req[${i}] = ${label}`, h.value, req]);
        }
      }
      return out;
    }

    for (const [rule, p, at, worse, pw] of boundaries()) {
      it(`${rule} at its boundary: no selector with the honest hints, no forged hint with the rules it could fake`, async () => {
        const h = honest(p, at);
        for (const r of RULES) expect(await hinted(p, at, r, h.value, h.req), `honest hints, selector ${r}`).to.equal(false);
        // a smaller collateral value or a larger requirement would fake MARGIN, STRESS and LEVERAGE
        const targets = ["MARGIN", "LEVERAGE", ...RULES.filter((r) => r.startsWith("STRESS_"))];
        const accepted: string[] = [];
        for (const [label, value, req] of forgeries(p, at))
          for (const r of targets) if (await hinted(p, at, r, value, req)) accepted.push(`${label} with ${r}`);
        expect(accepted).to.deep.equal([]);
        // control: one unit worse, the honest hints give a witness for the violated rule only,
        // and no forged hint gives one (the hints are pinned)
        const hw = honest(pw, worse);
        expect(await hinted(pw, worse, rule, hw.value, hw.req), "one unit worse, honest hints").to.equal(true);
        const forged: string[] = [];
        for (const [label, value, req] of forgeries(pw, worse)) if (await hinted(pw, worse, rule, value, req)) forged.push(label);
        expect(forged).to.deep.equal([]);
      });
    }

    it("a requirement above the cap: q_i = 2^136 is the only accepted hint, and it cannot fake a healthy account", async () => {
      // req_0 = n^2 = (2^68 + 2^30)^2 > 2^136 (rate 0, impact 10000, depth 1)
      const p = baseParams();
      p.markets[0] = {
        ...p.markets[0],
        markPrice: pow2(38) + 1n,
        maintenanceRateBps: 0n,
        initialRateBps: 0n,
        impactBps: 10000n,
        depth: 1n,
        positionCap: pow2(40) - 1n,
      };
      const q = basePortfolio();
      q.sizes[0] = pow2(30);
      q.costBasis[0] = q.sizes[0] * p.markets[0].markPrice;
      q.collateral[0] = 1n;
      const h = honest(p, q);
      expect(h.req[0]).to.equal(pow2(136));
      expect(await hinted(p, q, "MARGIN", h.value, h.req)).to.equal(true);
      for (const r of [pow2(136) - 1n, pow2(136) + 1n, evaluate(p, q, LEVEL).requirements[0]]) {
        const req = [...h.req];
        req[0] = r;
        expect(await hinted(p, q, "MARGIN", h.value, req), `req = ${r}`).to.equal(false);
      }
      // exactly at the cap: req = 2^136 with a zero slack is the honest, uncapped value too
      const pc = clone(p);
      pc.markets[0].markPrice = pow2(38);
      const qc = clone(q);
      qc.costBasis[0] = qc.sizes[0] * pc.markets[0].markPrice;
      expect(evaluate(pc, qc, LEVEL).requirements[0]).to.equal(pow2(136));
      expect(await hinted(pc, qc, "MARGIN", honest(pc, qc).value, honest(pc, qc).req)).to.equal(true);
    });
  });

  describe("audit: every signal mutated, range table complete", () => {
    it("0 accepted mutations, every private input re-derived, no finding (a sample: `zkmargin audit --circuit liquidation` mutates every proven vector)", async () => {
      const all = loadLiquidationVectors(DIR);
      const families = ["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"];
      const sample = families.flatMap((f) => all.filter((v) => v.expected.exitCode === 0 && v.expected.rule?.startsWith(f)).slice(0, 2));
      const report = await audit("liquidation", { prover: await prover(), cases: liquidationCases(sample) });
      expect(report.findings).to.deep.equal([]);
      expect(report.mutation.vectors).to.equal(8);
      expect(report.mutation.mutationsAccepted).to.equal(0);
      expect(report.mutation.inputsWithoutEffect).to.deep.equal([]);
      expect(report.publicInputs).to.have.length(12);
      expect(report.publicInputs.every((x) => x.offChain === "rejected")).to.equal(true);
      expect(report.constraints.publicSignals).to.deep.equal(["main.commitment", "main.paramsHash", "main.binding"]);
      const rows = report.rangeChecks.rows;
      expect(rows.filter((r) => r.status === "MISSING")).to.deep.equal([]);
      // every private input and both hints bounded by a check of their own; no audit tag needed
      const bounded = [
        ...["epochId", "maxLeverageBps", "markPrice", "fundingIndex", "maintenanceRateBps", "initialRateBps", "impactBps", "depth"],
        ...["positionCap", "collateralPriceE18", "haircutBps", "shocks", "sizes", "costBasis", "entryFunding", "collateral", "selector"],
        ...["value", "req"],
      ];
      expect(Object.fromEntries(rows.map((r) => [r.signal, r.status]))).to.deep.equal({
        ...Object.fromEntries(bounded.map((x) => [x, "bounded"])),
        priced: "bounded through other checks",
        num: "bounded through other checks",
      });
      expect(report.rangeChecks.noteSignals).to.deep.equal([]);
      expect(report.mutation.inputsRederived).to.equal(249);
    });
  });

  describe("published vectors (test/vectors/liquidation)", () => {
    const vectors = loadLiquidationVectors(DIR);

    it("cover at least 100 cases: every rule's boundary, healthy 'no proof' cases, requested rules, extremes, malformed input", () => {
      expect(vectors.length).to.be.at.least(100);
      const tags = new Set(vectors.flatMap((v) => v.tags));
      for (const t of [
        "threshold",
        "healthy",
        "rounding",
        "extreme",
        "cap",
        "bankrupt",
        "rule",
        "invalid",
        "random",
        "MARGIN",
        "STRESS",
        "POSITION_CAP",
        "LEVERAGE",
      ])
        expect(tags.has(t), t).to.equal(true);
      for (const code of [0, 1, 2])
        expect(
          vectors.some((v) => v.expected.exitCode === code),
          `exit ${code}`,
        ).to.equal(true);
      const rules = new Set(vectors.map((v) => v.expected.rule?.replace(/_\d+$/, "")));
      for (const r of ["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"]) expect(rules.has(r), r).to.equal(true);
    });

    it("every vector validates against test/vectors/liquidation.schema.json", () => {
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, "test", "vectors", "liquidation.schema.json"), "utf8"));
      const validate = new Ajv2020({ allErrors: true }).compile(schema);
      const bad = vectors.filter((v) => !validate(v as unknown)).map((v) => `${v.name}: ${JSON.stringify(validate.errors)}`);
      expect(bad).to.deep.equal([]);
    });

    it("every vector replays: the reference, and the circuit for every selector", async () => {
      const p = await prover();
      const failures: string[] = [];
      for (const v of vectors) {
        const r = await replayLiquidationVector(v, p);
        if (!r.ok) failures.push(`${r.name}: ${r.problems.join("; ")}`);
      }
      expect(failures).to.deep.equal([]);
    });

    it("zkmargin vectors replay exits 0 (a copy of every 10th vector: the test above replays them all), 1 on a tampered one", () => {
      const dir = mkdtempSync(join(REPO_ROOT, "build", "liq-vectors-"));
      try {
        const sample = vectors.filter((_, i) => i % 10 === 0);
        for (const v of sample) writeFileSync(join(dir, `${v.name}.json`), JSON.stringify(v));
        const replay = () =>
          spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "vectors", "replay", dir], { encoding: "utf8" });
        const r = replay();
        expect(r.status, r.stderr + r.stdout.slice(-500)).to.equal(0);
        expect(r.stdout).to.contain(`${sample.length} passed, 0 failed`);
        // a healthy vector that claims a proof fails
        const healthy = vectors.find((v) => v.expected.exitCode === 2 && v.expected.violated.length === 0)!;
        const forged = structuredClone(healthy);
        forged.expected.exitCode = 0;
        writeFileSync(join(dir, `${healthy.name}.json`), JSON.stringify(forged));
        const bad = replay();
        expect(bad.status).to.equal(1);
        expect(bad.stdout).to.match(new RegExp(`FAIL ${healthy.name}: exitCode differs`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("proving artifacts (liquidation)", () => {
    const manifest = JSON.parse(readFileSync(join(ARTIFACTS_DIR, "manifest.json"), "utf8"));
    const entry = manifest.circuits.liquidation;
    const a = circuitArtifacts("liquidation");

    it("every shipped file has the sha256 recorded in artifacts/manifest.json; 2^14 powers of tau", () => {
      for (const key of ["r1cs", "wasm", "sym", "zkey", "vkey", "verifier"])
        expect(sha256File(join(REPO_ROOT, entry[key].path)), key).to.equal(entry[key].sha256);
      expect(entry.verifier.path).to.equal("verifier-contracts/generated/LiquidationVerifier.sol");
      expect(entry.constraints + 4).to.be.at.most(2 ** 14);
      expect(entry.ptau.power).to.equal(14);
      expect(manifest.sources.files["circuits/liquidation.circom"]).to.equal(circuitSourcesHash().files["circuits/liquidation.circom"]);
    });

    it("recompiling the sources reproduces the shipped r1cs byte for byte", () => {
      const out = mkdtempSync(join(REPO_ROOT, "build", "recompile-liq-"));
      try {
        const built = compileCircom(join(REPO_ROOT, "circuits", "main", "liquidation.circom"), out);
        expect(sha256File(built.r1cs)).to.equal(entry.r1cs.sha256);
        const r1cs = readR1cs(built.r1cs);
        expect([r1cs.nOutputs, r1cs.nPubInputs]).to.deep.equal([2, 1]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it("phase 2 had a contribution; the vkey is the zkey's; the standard snarkjs verifier embeds it with uint[3] public signals", async () => {
      const vk = JSON.parse(readFileSync(a.vkey, "utf8"));
      expect(vk.vk_delta_2).to.not.deep.equal(vk.vk_gamma_2);
      expect(vk.nPublic).to.equal(3);
      expect(JSON.parse(JSON.stringify(await snarkjs.zKey.exportVerificationKey(a.zkey)))).to.deep.equal(vk);
      const sol = readFileSync(a.verifier, "utf8");
      for (const x of [...vk.vk_alpha_1.slice(0, 2), ...vk.vk_delta_2.slice(0, 2).flat(), ...vk.IC.flatMap((p: string[]) => p.slice(0, 2))])
        expect(sol).to.contain(x);
      expect(sol).to.match(/contract Groth16Verifier \{/);
      expect(sol).to.contain(
        "function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[3] calldata _pubSignals)",
      );
    });

    it("the honest witness of a proven vector satisfies the shipped r1cs", async () => {
      const v = loadLiquidationVectors(DIR).find((x) => x.expected.exitCode === 0)!;
      const [c] = liquidationCases([v]);
      const w = await (await prover()).rawWitness(c.inputs);
      expect(firstFailingConstraint(readR1cs(a.r1cs), w)).to.equal(-1);
    });
  });
});
