// Replays the published vectors (test/vectors/margin) against the reference model and the
// circuit, and a sample of them through the CLI exactly as an auditor would.
import { expect } from "chai";
import { Ajv2020 } from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { loadTransitionVectors, loadVectors, replayTransitionVector, replayVector } from "../tools/vectors.ts";
import { prover, transitionProver } from "./helpers.ts";

const DIR = join(REPO_ROOT, "test", "vectors", "margin");
const vectors = loadVectors(DIR);

describe("published test vectors (test/vectors/margin)", function () {
  this.timeout(600_000);

  it("cover at least 100 cases: thresholds, rounding, extremes, every refusal code, malformed input", () => {
    expect(vectors.length).to.be.at.least(100);
    const tags = new Set(vectors.flatMap((v) => v.tags));
    for (const t of ["threshold", "rounding", "extreme", "invalid", "random", "MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE"]) {
      expect(tags.has(t), t).to.equal(true);
    }
    const codes = new Set(vectors.flatMap((v) => v.expected.report?.violations ?? []));
    expect([...codes].sort()).to.deep.equal(["LEVERAGE", "MARGIN", "POSITION_CAP", "STRESS"]);
  });

  it("every vector validates against test/vectors/schema.json", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "test", "vectors", "schema.json"), "utf8"));
    const validate = new Ajv2020({ allErrors: true }).compile(schema);
    const bad = vectors.filter((v) => !validate(v as unknown)).map((v) => `${v.name}: ${JSON.stringify(validate.errors)}`);
    expect(bad).to.deep.equal([]);
  });

  it("every vector replays against the reference model and the circuit", async () => {
    const p = await prover();
    const failures: string[] = [];
    for (const v of vectors) {
      const r = await replayVector(v, p);
      if (!r.ok) failures.push(`${r.name}: ${r.problems.join("; ")}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it("the CLI reproduces the expected reports, exit codes and error fields", () => {
    const dir = mkdtempSync(join(tmpdir(), "zkmargin-vectors-"));
    const sample = vectors.filter((v, i) => i % 4 === 0 || v.tags.includes("binding") || v.name.includes("binding"));
    for (const v of sample) {
      const pf = join(dir, "p.json");
      const qf = join(dir, "q.json");
      writeFileSync(pf, JSON.stringify(v.params));
      writeFileSync(qf, JSON.stringify(v.portfolio));
      const r = spawnSync(
        process.execPath,
        [join(REPO_ROOT, "client/zkmargin.js"), "check", "--params", pf, "--portfolio", qf, "--level", v.level],
        { encoding: "utf8" },
      );
      expect(r.status, v.name).to.equal(v.expected.checkExitCode);
      if (v.expected.report) expect(JSON.parse(r.stdout), v.name).to.deep.equal(v.expected.report);
      if (v.expected.errorField && v.expected.checkExitCode === 1) expect(r.stderr, v.name).to.contain(v.expected.errorField);
    }
  });

  it("zkmargin vectors replay exits 0 on the published set", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "vectors", "replay", DIR], { encoding: "utf8" });
    expect(r.status, r.stdout.slice(-500)).to.equal(0);
    expect(r.stdout).to.contain(`${vectors.length} passed, 0 failed`);
  });
});

const TDIR = join(REPO_ROOT, "test", "vectors", "transition");
const tvectors = loadTransitionVectors(TDIR);

describe("published test vectors (test/vectors/transition)", function () {
  this.timeout(600_000);

  it("cover at least 100 cases: every op, thresholds, extremes, refusals and malformed input", () => {
    expect(tvectors.length).to.be.at.least(100);
    const tags = new Set(tvectors.flatMap((v) => v.tags));
    for (const t of [
      "deposit",
      "withdraw",
      "trade",
      "realize",
      "settle",
      "threshold",
      "extreme",
      "invalid",
      "unhealthy",
      "random",
      "funding",
      "flat",
      "context",
      "encryption",
    ]) {
      expect(tags.has(t), t).to.equal(true);
    }
    for (const code of [0, 1, 2])
      expect(
        tvectors.some((v) => v.expected.exitCode === code),
        `exit ${code}`,
      ).to.equal(true);
  });

  it("every vector validates against test/vectors/transition.schema.json", () => {
    const schema = JSON.parse(readFileSync(join(TDIR, "..", "transition.schema.json"), "utf8"));
    const validate = new Ajv2020({ allErrors: true }).compile(schema);
    const bad = tvectors.filter((v) => !validate(v as unknown)).map((v) => `${v.name}: ${JSON.stringify(validate.errors)}`);
    expect(bad).to.deep.equal([]);
  });

  it("every vector replays against the reference and the circuit; the CLI agrees", async () => {
    const p = await transitionProver();
    const failures: string[] = [];
    for (const v of tvectors) {
      const r = await replayTransitionVector(v, p);
      if (!r.ok) failures.push(`${r.name}: ${r.problems.join("; ")}`);
    }
    expect(failures).to.deep.equal([]);
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "vectors", "replay", TDIR], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`${tvectors.length} passed, 0 failed`);
  });
});
