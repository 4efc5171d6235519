// Published test vectors (test/vectors/<circuit>/*.json, schema in docs/VECTORS.md) and their
// replay: the CLI (`zkmargin vectors replay DIR`) and the test suite use this same code.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { commitment, paramsHash } from "./encoding.ts";
import { expectedPublicSignals } from "./inputs.ts";
import { report } from "./model.ts";
import type { MarginProver } from "./prover.ts";
import { verifyProof } from "./prover.ts";
import type { Report } from "./types.ts";
import { ValidationError, parseBinding, parseLevel, validateParams, validatePortfolio } from "./validate.ts";

export const VECTOR_SCHEMA = "zkmargin/vector/v1";

export interface Vector {
  schema: typeof VECTOR_SCHEMA;
  circuit: "margin";
  name: string;
  description: string;
  tags: string[];
  level: string;
  binding: string;
  params: unknown;
  portfolio: unknown;
  expected: {
    /** exit code of `zkmargin check` (0 or 1) */
    checkExitCode: 0 | 1;
    /** exit code of `zkmargin prove` (0, 1 or 2) */
    proveExitCode: 0 | 1 | 2;
    /** field named by the error when the input is malformed (for `check` unless it is --binding) */
    errorField: string | null;
    /** the `zkmargin check` report when the input is well-formed */
    report: Report | null;
    /** public signals of a proof when healthy: [commitment, paramsHash, level, binding] */
    publicSignals: string[] | null;
  };
}

export interface ReplayOutcome {
  name: string;
  ok: boolean;
  problems: string[];
}

/** Evaluate a vector's inputs the way the CLI does; returns what `check`/`prove` would produce. */
export function evaluateVector(v: Vector): Vector["expected"] {
  let r: Report;
  let params, portfolio, level;
  try {
    params = validateParams(v.params);
    portfolio = validatePortfolio(v.portfolio);
    level = parseLevel(v.level, "--level");
    r = report(params, portfolio, level);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { checkExitCode: 1, proveExitCode: 1, errorField: e.field, report: null, publicSignals: null };
  }
  // `check` takes no binding: a bad binding only fails `prove`
  let binding: bigint;
  try {
    binding = parseBinding(v.binding, "--binding");
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { checkExitCode: 0, proveExitCode: 1, errorField: e.field, report: r, publicSignals: null };
  }
  return {
    checkExitCode: 0,
    proveExitCode: r.healthy ? 0 : 2,
    errorField: null,
    report: r,
    publicSignals: r.healthy ? expectedPublicSignals(commitment(portfolio), paramsHash(params), level, binding) : null,
  };
}

export function loadVectors(dir: string): Vector[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  return files.map((f) => {
    const v = JSON.parse(readFileSync(join(dir, f), "utf8")) as Vector;
    if (v.schema !== VECTOR_SCHEMA) throw new ValidationError(f, `schema must be ${VECTOR_SCHEMA}`);
    return v;
  });
}

export function isVectorDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Replay one vector: the reference model must reproduce the expected outcome; with a prover,
 * the circuit must accept exactly the healthy vectors (with the expected public signals), and
 * with `prove` a real proof is made and verified.
 */
export async function replayVector(v: Vector, prover?: MarginProver, prove = false): Promise<ReplayOutcome> {
  const problems: string[] = [];
  const got = evaluateVector(v);
  const e = v.expected;
  if (got.checkExitCode !== e.checkExitCode) problems.push(`check exit ${got.checkExitCode}, expected ${e.checkExitCode}`);
  if (got.proveExitCode !== e.proveExitCode) problems.push(`prove exit ${got.proveExitCode}, expected ${e.proveExitCode}`);
  if (got.errorField !== e.errorField) problems.push(`error field ${got.errorField}, expected ${e.errorField}`);
  if (JSON.stringify(got.report) !== JSON.stringify(e.report)) problems.push("report differs");
  if (JSON.stringify(got.publicSignals) !== JSON.stringify(e.publicSignals)) problems.push("public signals differ");
  if (prover && got.report && got.proveExitCode !== 1) {
    const params = validateParams(v.params);
    const portfolio = validatePortfolio(v.portfolio);
    const level = parseLevel(v.level);
    const binding = parseBinding(v.binding);
    let witness: bigint[] | null = null;
    try {
      witness = await prover.witness(params, portfolio, level, binding);
    } catch {
      witness = null;
    }
    if ((witness !== null) !== got.report.healthy) {
      problems.push(`circuit ${witness ? "accepts" : "rejects"} a portfolio the model finds ${got.report.healthy ? "healthy" : "unhealthy"}`);
    }
    if (witness && e.publicSignals && witness.slice(1, 5).map(String).join() !== e.publicSignals.join()) {
      problems.push("circuit public signals differ");
    }
    if (prove && got.report.healthy) {
      const proof = await prover.prove(params, portfolio, level, binding);
      if (proof.publicSignals.join() !== (e.publicSignals ?? []).join()) problems.push("proof public signals differ");
      if (!(await verifyProof(proof, prover.vkey))) problems.push("proof does not verify");
    }
  }
  return { name: v.name, ok: problems.length === 0, problems };
}
