// The auditors' kit: the audit finds nothing on the shipped circuit, and it does find an
// under-constrained signal when one exists (negative control on a weakened constraint system).
import { expect } from "chai";
import { join } from "node:path";
import { audit, marginCases, mutationAudit, rangeCheckTable, readSym, transitionCases } from "../tools/audit.ts";
import { readR1cs } from "../tools/r1cs.ts";
import { REPO_ROOT, circuitArtifacts } from "../prover/artifacts.ts";
import { loadTransitionVectors, loadVectors } from "../tools/vectors.ts";
import { prover, transitionProver } from "./helpers.ts";

const vectors = loadVectors(join(REPO_ROOT, "test", "vectors", "margin"));

describe("zkmargin audit (margin)", function () {
  this.timeout(600_000);

  it("reports 0 accepted mutations over every healthy vector and no finding", async () => {
    const report = await audit("margin", { prover: await prover(), cases: marginCases(vectors) });
    expect(report.findings).to.deep.equal([]);
    expect(report.mutation.mutationsAccepted).to.equal(0);
    expect(report.mutation.vectors).to.be.at.least(20);
    expect(report.mutation.mutationsTried).to.be.greaterThan(1_000_000);
    expect(report.mutation.inputsRederived).to.equal(223);
    expect(report.mutation.inputsWithoutEffect).to.deep.equal([]);
    expect(report.publicInputs).to.have.length(16);
    expect(report.publicInputs.every((p) => p.offChain === "rejected")).to.equal(true);
    expect(report.constraints.total).to.equal(report.constraints.perComponent.reduce((a, c) => a + c.constraints, 0));
    expect(report.constraints.publicSignals).to.deep.equal(["main.commitment", "main.paramsHash", "main.level", "main.binding"]);
  });

  it("catches an under-constrained signal (negative control: one booleanity constraint removed)", async () => {
    const a = circuitArtifacts("margin");
    const r1cs = readR1cs(a.r1cs);
    const sym = readSym(a.sym);
    // find a wire whose only constraints are the ones we drop: a bit of the first cap check
    const target = sym.find((s) => s.wire > 0 && s.name.startsWith("main.check.capCheck[0].out["))!;
    const dropped = new Set(r1cs.wireConstraints[target.wire]);
    const weakened = { ...r1cs, wireConstraints: r1cs.wireConstraints.map((list) => list.filter((k) => !dropped.has(k))) };
    const res = await mutationAudit(await prover(), weakened, sym, marginCases(vectors).slice(0, 1));
    expect(res.mutationsAccepted).to.be.greaterThan(0);
    expect(res.accepted.map((x) => x.signal)).to.include(target.name);
  });

  it("derives a range-check table that bounds every private input or lists it in the NOTE", () => {
    const { rows, noteSignals } = rangeCheckTable(join(REPO_ROOT, "circuits", "margin.circom"), readSym(circuitArtifacts().sym));
    expect(rows.filter((r) => r.status === "MISSING")).to.deep.equal([]);
    for (const s of ["sizes", "costBasis", "entryFunding", "collateral", "markPrice", "epochId", "collateralPriceE18", "maxLeverageBps", "headroom"]) {
      expect(rows.find((r) => r.signal === s)?.status, s).to.equal("bounded");
    }
    expect(noteSignals).to.include.members(["depth", "fundingIndex", "positionCap"]);
    expect(rows.find((r) => r.signal === "value")?.indirect.join()).to.contain("partialRange");
  });
});

describe("zkmargin audit (transition)", function () {
  this.timeout(900_000);

  it("reports 0 accepted mutations and no finding (every op kind; `npm run audit` mutates all 79 provable vectors)", async () => {
    const all = loadTransitionVectors(join(REPO_ROOT, "test", "vectors", "transition"));
    const kinds = ["deposit", "withdraw", "buy", "sell", "realize"];
    const sample = kinds.flatMap((k) => all.filter((v) => v.expected.exitCode === 0 && (v.op as { kind?: string }).kind === k).slice(0, 2));
    const cases = transitionCases(sample);
    const report = await audit("transition", { prover: await transitionProver(), cases });
    expect(report.findings).to.deep.equal([]);
    expect(report.mutation.mutationsAccepted).to.equal(0);
    expect(report.mutation.vectors).to.equal(10);
    expect(report.mutation.inputsWithoutEffect).to.deep.equal([]);
    expect(report.mutation.inputsRefused).to.equal(report.mutation.inputsRederived);
    expect(report.publicInputs).to.have.length(32);
    expect(report.constraints.publicSignals).to.deep.equal([
      "main.oldCommitment", "main.newCommitment", "main.paramsHash", "main.context", "main.fill", "main.keyHash", "main.ephemeralKey", "main.cipher",
    ]);
    const rows = report.rangeChecks.rows;
    for (const s of ["sizes", "costBasis", "collateral", "fillSize", "fillPrice", "ephemeralSecret", "markPrice"]) {
      expect(rows.find((r) => r.signal === s)?.status, s).to.equal("bounded");
    }
    for (const s of ["fillSalt", "liquidationKey", "fillMarket"]) expect(rows.find((r) => r.signal === s)?.status, s).to.equal("field element by design");
  });
});
