// Published test vectors (test/vectors/<circuit>/*.json, schema in docs/VECTORS.md) and their
// replay: the CLI (`zkmargin vectors replay DIR`) and the test suite use this same code.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { commitment, paramsHash } from "../prover/encoding.ts";
import { expectedPublicSignals } from "../prover/inputs.ts";
import { evaluate, report } from "../prover/model.ts";
import {
  expectedLiquidationSignals,
  liquidationCircuitInputs,
  liquidationInputs,
  liquidationRules,
  violatedRules,
  type LiquidationInputs,
  type LiquidationProver,
} from "../prover/liquidation.ts";
import type { MarginProver } from "../prover/prover.ts";
import { verifyProof } from "../prover/prover.ts";
import type { Params, Portfolio, Report } from "../prover/types.ts";
import {
  ValidationError,
  parseBinding,
  parseInteger,
  parseLevel,
  portfolioToJson,
  validateParams,
  validatePortfolio,
} from "../prover/validate.ts";
import {
  checkLiquidationKey,
  parseOp,
  prepareTransition,
  type Point,
  type PreparedTransition,
  type TransitionProver,
} from "../prover/transition/index.ts";

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
      problems.push(
        `circuit ${witness ? "accepts" : "rejects"} a portfolio the model finds ${got.report.healthy ? "healthy" : "unhealthy"}`,
      );
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

// ------------------------------------------------------------------------------ transition vectors

export const TRANSITION_VECTOR_SCHEMA = "zkmargin/transition-vector/v1";

/** A Transition circuit vector (test/vectors/transition; docs/VECTORS.md). */
export interface TransitionVector {
  schema: typeof TRANSITION_VECTOR_SCHEMA;
  circuit: "transition";
  name: string;
  description: string;
  tags: string[];
  /** the verifier's context tag, < 2^106 */
  binding: string;
  /** Baby Jubjub public key [x, y] of the liquidation key */
  liquidationKey: [string, string];
  /** the ephemeral scalar (fixed so that vectors are deterministic) */
  ephemeralSecret: string;
  params: unknown;
  old: unknown;
  op: unknown;
  expected: {
    /** 0 proven, 1 invalid input (errorField names it), 2 refused: not healthy at the initial level */
    exitCode: 0 | 1 | 2;
    errorField: string | null;
    violations: string[];
    /** [oldCommitment, newCommitment, paramsHash, context, fill, keyHash, ephemeralKey, cipher] */
    publicSignals: string[] | null;
    /** the new portfolio (portfolio.json shape, with its derived salt) */
    next: unknown | null;
  };
}

/** The circuit inputs of a transition vector, or the outcome when there is no proof. */
export function prepareTransitionVector(v: TransitionVector): { expected: TransitionVector["expected"]; prepared?: PreparedTransition } {
  try {
    const params = validateParams(v.params);
    const old = validatePortfolio(v.old);
    const op = parseOp(v.op);
    const binding = parseInteger(v.binding, "binding");
    const key: Point = [parseInteger(v.liquidationKey?.[0], "liquidationKey[0]"), parseInteger(v.liquidationKey?.[1], "liquidationKey[1]")];
    checkLiquidationKey(key);
    const ephemeralSecret = parseInteger(v.ephemeralSecret, "ephemeralSecret");
    const prepared = prepareTransition({ params, old, op, binding, liquidationKey: key, ephemeralSecret });
    const violations = prepared.applied.violations;
    if (violations.length > 0) return { expected: { exitCode: 2, errorField: null, violations, publicSignals: null, next: null } };
    return {
      expected: {
        exitCode: 0,
        errorField: null,
        violations: [],
        publicSignals: prepared.publicSignals,
        next: portfolioToJson(prepared.next),
      },
      prepared,
    };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { expected: { exitCode: 1, errorField: e.field, violations: [], publicSignals: null, next: null } };
  }
}

export function loadTransitionVectors(dir: string): TransitionVector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const v = JSON.parse(readFileSync(join(dir, f), "utf8")) as TransitionVector;
      if (v.schema !== TRANSITION_VECTOR_SCHEMA) throw new ValidationError(f, `schema must be ${TRANSITION_VECTOR_SCHEMA}`);
      return v;
    });
}

/** The schema of the first vector in a directory ("" when there is none). */
export function vectorDirSchema(dir: string): string {
  const f = readdirSync(dir)
    .filter((x) => x.endsWith(".json"))
    .sort()[0];
  if (!f) return "";
  try {
    return String((JSON.parse(readFileSync(join(dir, f), "utf8")) as { schema?: unknown }).schema ?? "");
  } catch {
    return "";
  }
}

/**
 * Replay a transition vector: the reference must reproduce the expected outcome; with a prover
 * the circuit must accept exactly the exit-0 vectors with the expected public signals, and with
 * `prove` a real proof is made and verified.
 */
export async function replayTransitionVector(v: TransitionVector, prover?: TransitionProver, prove = false): Promise<ReplayOutcome> {
  const problems: string[] = [];
  const { expected: got, prepared } = prepareTransitionVector(v);
  const e = v.expected;
  for (const k of ["exitCode", "errorField", "violations", "publicSignals", "next"] as const) {
    if (JSON.stringify(got[k]) !== JSON.stringify(e[k])) problems.push(`${k} differs: got ${JSON.stringify(got[k])}`);
  }
  if (prover && got.exitCode === 2) {
    // refused by the reference: the circuit must have no witness either
    const params = validateParams(v.params);
    const t = prepareTransition({
      params,
      old: validatePortfolio(v.old),
      op: parseOp(v.op),
      binding: parseInteger(v.binding, "binding"),
      liquidationKey: [BigInt(v.liquidationKey[0]), BigInt(v.liquidationKey[1])],
      ephemeralSecret: BigInt(v.ephemeralSecret),
    });
    let accepted = true;
    try {
      await prover.rawWitness(t.inputs);
    } catch {
      accepted = false;
    }
    if (accepted) problems.push("circuit accepts a transition the reference refuses");
  }
  if (prover && prepared) {
    let w: bigint[] | null = null;
    try {
      w = await prover.rawWitness(prepared.inputs);
    } catch {
      problems.push("circuit rejects a transition the reference accepts");
    }
    if (w && w.slice(1, 9).map(String).join() !== (e.publicSignals ?? []).join()) problems.push("circuit public signals differ");
    if (w && prove) {
      const proof = await prover.proveInputs(prepared.inputs, prepared.publicSignals);
      if (!(await verifyProof(proof, prover.vkey))) problems.push("proof does not verify");
    }
  }
  return { name: v.name, ok: problems.length === 0, problems };
}

// ------------------------------------------------------------------------------ liquidation vectors

export const LIQUIDATION_VECTOR_SCHEMA = "zkmargin/liquidation-vector/v1";

/** A LiquidationProof circuit vector (test/vectors/liquidation; docs/VECTORS.md). */
export interface LiquidationVector {
  schema: typeof LIQUIDATION_VECTOR_SCHEMA;
  circuit: "liquidation";
  name: string;
  description: string;
  tags: string[];
  /** the verifier's context tag, 0 <= x < r */
  binding: string;
  /** the rule the selector picks (MARGIN, STRESS_k, POSITION_CAP_i, LEVERAGE); null: the first violated */
  rule: string | null;
  params: unknown;
  portfolio: unknown;
  expected: {
    /** 0 proven, 1 invalid input (errorField names it), 2 refused: no rule (or not the requested rule) violated at maintenance */
    exitCode: 0 | 1 | 2;
    errorField: string | null;
    /** the reference model's violations at maintenance */
    violations: string[];
    /** every violated rule, in the selector's order */
    violated: string[];
    /** the rule the proof's selector picks (exit 0) */
    rule: string | null;
    /** [commitment, paramsHash, binding] */
    publicSignals: string[] | null;
  };
}

/** The circuit inputs of a liquidation vector, or the outcome when there is no proof. */
export function prepareLiquidationVector(v: LiquidationVector): {
  expected: LiquidationVector["expected"];
  prepared?: LiquidationInputs;
  /** the rejected request's inputs when the input is well-formed (exit 2) */
  refused?: { params: Params; portfolio: Portfolio; binding: bigint };
} {
  let params: Params, portfolio: Portfolio, binding: bigint;
  try {
    params = validateParams(v.params);
    portfolio = validatePortfolio(v.portfolio);
    binding = parseBinding(v.binding, "binding");
    if (v.rule !== null && !liquidationRules(params.markets.length, params.scenarios.length).includes(v.rule as string))
      throw new ValidationError(
        "rule",
        `must be null or one of MARGIN, STRESS_k, POSITION_CAP_i, LEVERAGE (got ${JSON.stringify(v.rule)})`,
      );
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { expected: { exitCode: 1, errorField: e.field, violations: [], violated: [], rule: null, publicSignals: null } };
  }
  const violations = evaluate(params, portfolio, "maintenance").violations;
  const violated = violatedRules(params, portfolio);
  if (violated.length === 0 || (v.rule !== null && !violated.includes(v.rule))) {
    return {
      expected: { exitCode: 2, errorField: null, violations, violated, rule: null, publicSignals: null },
      refused: { params, portfolio, binding },
    };
  }
  const prepared = liquidationInputs(params, portfolio, binding, v.rule ?? undefined);
  return {
    expected: { exitCode: 0, errorField: null, violations, violated, rule: prepared.rule, publicSignals: prepared.publicSignals },
    prepared,
  };
}

export function loadLiquidationVectors(dir: string): LiquidationVector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const v = JSON.parse(readFileSync(join(dir, f), "utf8")) as LiquidationVector;
      if (v.schema !== LIQUIDATION_VECTOR_SCHEMA) throw new ValidationError(f, `schema must be ${LIQUIDATION_VECTOR_SCHEMA}`);
      return v;
    });
}

/**
 * Replay a liquidation vector: the reference must reproduce the expected outcome; with a prover
 * the circuit must accept the selector of exactly the violated rules (every one-hot selector is
 * tried: a healthy portfolio has no witness for any of them) with the expected public signals,
 * and with `prove` a real proof is made and verified.
 */
export async function replayLiquidationVector(v: LiquidationVector, prover?: LiquidationProver, prove = false): Promise<ReplayOutcome> {
  const problems: string[] = [];
  const { expected: got, prepared, refused } = prepareLiquidationVector(v);
  const e = v.expected;
  for (const k of ["exitCode", "errorField", "violations", "violated", "rule", "publicSignals"] as const) {
    if (JSON.stringify(got[k]) !== JSON.stringify(e[k])) problems.push(`${k} differs: got ${JSON.stringify(got[k])}`);
  }
  const request = prepared
    ? { params: validateParams(v.params), portfolio: validatePortfolio(v.portfolio), binding: parseBinding(v.binding) }
    : refused;
  if (prover && request) {
    const { params, portfolio, binding } = request;
    for (const rule of liquidationRules(params.markets.length, params.scenarios.length)) {
      let w: bigint[] | null = null;
      try {
        w = await prover.rawWitness(liquidationCircuitInputs(params, portfolio, binding, rule));
      } catch {
        w = null;
      }
      const violated = got.violated.includes(rule);
      if ((w !== null) !== violated)
        problems.push(
          `circuit ${w ? "accepts" : "rejects"} selector ${rule}, which the model finds ${violated ? "violated" : "satisfied"}`,
        );
      if (w && w.slice(1, 4).map(String).join() !== expectedLiquidationSignals(commitment(portfolio), paramsHash(params), binding).join())
        problems.push(`circuit public signals differ (selector ${rule})`);
    }
    if (prepared && prove) {
      const proof = await prover.proveInputs(prepared.inputs, prepared.publicSignals);
      if (!(await verifyProof(proof, prover.vkey))) problems.push("proof does not verify");
    }
  }
  return { name: v.name, ok: problems.length === 0, problems };
}
