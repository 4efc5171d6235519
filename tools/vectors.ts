// Published test vectors (test/vectors/<circuit>/*.json, schema in docs/VECTORS.md) and their
// replay: the CLI (`zkmargin vectors replay DIR`) and the test suite use this same code.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { amountWords, commitment, paramsHash, positionWord } from "../prover/encoding.ts";
import { expectedPublicSignals } from "../prover/inputs.ts";
import { collateralValue, evaluate, report } from "../prover/model.ts";
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
import {
  BACKSTOP_SALT_TAG,
  BackstopRefused,
  RESIDUAL_SALT_TAG,
  TAKEOVER_SIGNALS,
  takeoverContext,
  takeoverInputs,
  takeoverWord,
  type Takeover,
  type TakeoverInputs,
  type TakeoverProver,
} from "../prover/takeover.ts";
import { BINDING_BITS, BPS_BITS } from "../prover/constants.ts";
import { toField } from "../prover/field.ts";
import { chainHash, poseidon } from "../prover/hash.ts";
import { paramsInputs, portfolioInputs, type CircuitInputs } from "../prover/inputs.ts";
import { BPS_ONE } from "../prover/widths.ts";
import { settlementCash } from "../prover/transition/rule.ts";
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

// ------------------------------------------------------------------------------ takeover vectors

export const TAKEOVER_VECTOR_SCHEMA = "zkmargin/takeover-vector/v1";

/** The amounts of a takeover (prover/takeover.ts, Takeover), as decimal strings and flags. */
export interface TakeoverAmounts {
  pnl: string;
  claim: string;
  settled: string;
  converted: string;
  penaltyDue: string;
  penalty: string;
  residualCash: string;
  badDebt: string;
  insuranceCover: string;
  vaultCover: string;
  residualFlat: boolean;
  backstopFlat: boolean;
}

/** A Takeover circuit vector (test/vectors/takeover; docs/VECTORS.md). */
export interface TakeoverVector {
  schema: typeof TAKEOVER_VECTOR_SCHEMA;
  circuit: "takeover";
  name: string;
  description: string;
  tags: string[];
  /** the contract's takeoverBindingOf(account, nonce, backstopNonce, sender), 0 <= x < 2^106 */
  binding: string;
  /** the contract's liquidationPenaltyBps, 0 <= x < 2^14 */
  penaltyBps: string;
  /** the insurance fund's balance before the takeover, 0 <= x < 2^256 */
  insuranceFund: string;
  params: unknown;
  /** the frozen account's opening (portfolio.json shape) */
  frozen: unknown;
  /** the backstop account's opening */
  backstop: unknown;
  expected: {
    /** 0 proven, 1 invalid input (errorField names it), 2 refused: the backstop cannot take the book (refusal) */
    exitCode: 0 | 1 | 2;
    errorField: string | null;
    /** BackstopRefused's reasons (exit 2): MARGIN, STRESS, POSITION_CAP, LEVERAGE, CASH, BALANCE, RANGE */
    refusal: string[];
    /** [frozenCommitment, residualCommitment, backstopCommitment, backstopNewCommitment, paramsHash, context, flows, cover] */
    publicSignals: string[] | null;
    amounts: TakeoverAmounts | null;
    /** the frozen account after (portfolio.json shape, with its derived salt) */
    residual: unknown | null;
    /** the backstop after */
    backstopNext: unknown | null;
  };
}

/** The validated request of a takeover vector. */
export interface TakeoverRequest {
  params: Params;
  frozen: Portfolio;
  backstop: Portfolio;
  binding: bigint;
  penaltyBps: bigint;
  insuranceFund: bigint;
}

/** Validate a takeover vector's inputs (ValidationError naming the field). */
export function parseTakeoverRequest(v: TakeoverVector): TakeoverRequest {
  const params = validateParams(v.params);
  const prefixed = <T>(prefix: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ValidationError) throw new ValidationError(`${prefix}.${e.field}`, e.message.slice(e.field.length + 2));
      throw e;
    }
  };
  const frozen = prefixed("frozen", () => validatePortfolio(v.frozen));
  const backstop = prefixed("backstop", () => validatePortfolio(v.backstop));
  const binding = parseInteger(v.binding, "binding");
  if (binding < 0n || binding >= 1n << BigInt(BINDING_BITS)) throw new ValidationError("binding", `must be 0 <= x < 2^${BINDING_BITS}`);
  const penaltyBps = parseInteger(v.penaltyBps, "penaltyBps");
  if (penaltyBps < 0n || penaltyBps >= 1n << BigInt(BPS_BITS)) throw new ValidationError("penaltyBps", `must be 0 <= x < 2^${BPS_BITS}`);
  const insuranceFund = parseInteger(v.insuranceFund, "insuranceFund");
  if (insuranceFund < 0n || insuranceFund >= 1n << 256n) throw new ValidationError("insuranceFund", "must be 0 <= x < 2^256");
  return { params, frozen, backstop, binding, penaltyBps, insuranceFund };
}

/** A Takeover as the vector's amounts. */
export function takeoverAmounts(t: Takeover): TakeoverAmounts {
  return {
    pnl: t.pnl.toString(),
    claim: t.claim.toString(),
    settled: t.settled.toString(),
    converted: t.converted.toString(),
    penaltyDue: t.penaltyDue.toString(),
    penalty: t.penalty.toString(),
    residualCash: t.residualCash.toString(),
    badDebt: t.badDebt.toString(),
    insuranceCover: t.insuranceCover.toString(),
    vaultCover: t.vaultCover.toString(),
    residualFlat: t.residualFlat,
    backstopFlat: t.backstopFlat,
  };
}

/** The circuit inputs of a takeover vector, or the outcome when there is no proof. */
export function prepareTakeoverVector(v: TakeoverVector): {
  expected: TakeoverVector["expected"];
  prepared?: TakeoverInputs;
  /** the validated request (exit 0 and 2) */
  request?: TakeoverRequest;
} {
  const none = { publicSignals: null, amounts: null, residual: null, backstopNext: null };
  let request: TakeoverRequest;
  try {
    request = parseTakeoverRequest(v);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { expected: { exitCode: 1, errorField: e.field, refusal: [], ...none } };
  }
  const { params, frozen, backstop, binding, penaltyBps, insuranceFund } = request;
  let prepared: TakeoverInputs;
  try {
    prepared = takeoverInputs(params, frozen, backstop, binding, penaltyBps, insuranceFund);
  } catch (e) {
    if (!(e instanceof BackstopRefused)) throw e;
    return { expected: { exitCode: 2, errorField: null, refusal: [...e.reasons], ...none }, request };
  }
  const r = prepared.result;
  return {
    expected: {
      exitCode: 0,
      errorField: null,
      refusal: [],
      publicSignals: prepared.publicSignals,
      amounts: takeoverAmounts(r),
      residual: portfolioToJson(r.residual),
      backstopNext: portfolioToJson(r.backstop),
    },
    prepared,
    request,
  };
}

export function loadTakeoverVectors(dir: string): TakeoverVector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const v = JSON.parse(readFileSync(join(dir, f), "utf8")) as TakeoverVector;
      if (v.schema !== TAKEOVER_VECTOR_SCHEMA) throw new ValidationError(f, `schema must be ${TAKEOVER_VECTOR_SCHEMA}`);
      return v;
    });
}

/**
 * Every value of a takeover as the circuit derives it (prover/takeover.ts's formulas), WITHOUT
 * the backstop's refusal: the honest hints of a request the reference refuses, and the base
 * of the tests' forgeries. `hints` replaces the circuit's two witness-only values (v_j, pen)
 * and everything after them follows from the replacement.
 */
export interface TakeoverTrace {
  claim: bigint;
  settled: bigint;
  /** v_j (index 0 unused, 0) */
  values: bigint[];
  converted: bigint;
  pen: bigint;
  penalty: bigint;
  badDebt: bigint;
  vaultCover: bigint;
  residual: Portfolio;
  next: Portfolio;
  residualFlat: boolean;
  backstopFlat: boolean;
}

export function takeoverTrace(r: TakeoverRequest, hints: { values?: bigint[]; pen?: bigint } = {}): TakeoverTrace {
  const { params, frozen, backstop, penaltyBps, insuranceFund } = r;
  const M = params.collateral.length;
  const P = params.markets.map((m) => m.markPrice);
  const F = params.markets.map((m) => m.fundingIndex);
  const s = frozen.sizes;
  const markValue = s.map((x, i) => x * P[i]);
  const pnl = markValue.reduce((acc, mv, i) => acc + mv - frozen.costBasis[i] - s[i] * (F[i] - frozen.entryFunding[i]), 0n);
  const claim = pnl > 0n ? pnl : 0n;
  const settled = claim - pnl;
  const values =
    hints.values ??
    frozen.collateral.map((a, j) => (j === 0 ? 0n : collateralValue(a, params.collateral[j].priceE18, params.collateral[j].haircutBps)));
  let converted = 0n;
  for (let j = 1; j < M; j++) converted += values[j];
  const cash = frozen.collateral[0] + converted - settled;
  const positive = cash > 0n ? cash : 0n;
  const badDebt = positive - cash;
  const gross = s.reduce((acc, x, i) => acc + (x < 0n ? -x : x) * P[i], 0n);
  const pen = hints.pen ?? (penaltyBps * gross + BPS_ONE - 1n) / BPS_ONE;
  const penalty = pen < positive ? pen : positive;
  const vaultCover = badDebt - (badDebt < insuranceFund ? badDebt : insuranceFund);
  const residual: Portfolio = {
    sizes: s.map(() => 0n),
    costBasis: s.map((_, i) => (i === 0 ? -claim : 0n)),
    entryFunding: [...F],
    collateral: frozen.collateral.map((_, j) => (j === 0 ? positive - penalty : 0n)),
    salt: poseidon([frozen.salt, RESIDUAL_SALT_TAG]),
  };
  const next: Portfolio = {
    sizes: backstop.sizes.map((x, i) => x + s[i]),
    costBasis: backstop.costBasis.map((c, i) => c + backstop.sizes[i] * (F[i] - backstop.entryFunding[i]) + markValue[i]),
    entryFunding: [...F],
    collateral: backstop.collateral.map((a, j) => (j === 0 ? a - converted - vaultCover : a + frozen.collateral[j])),
    salt: poseidon([backstop.salt, BACKSTOP_SALT_TAG]),
  };
  const backstopFlat = next.sizes.every((x) => x === 0n) && next.costBasis.every((c) => c === 0n);
  return { claim, settled, values, converted, pen, penalty, badDebt, vaultCover, residual, next, residualFlat: claim === 0n, backstopFlat };
}

/**
 * PortfolioCommitment as the circuit computes it, in the field: the words of
 * prover/encoding.ts's commitment() reduced mod r, so that a portfolio beyond its widths (a
 * refused backstop's negative balance, a forgery) still has the value the circuit would hash.
 * Equal to commitment() within the widths.
 */
export function fieldCommitment(q: Portfolio): bigint {
  const words = q.sizes.map((s, i) => positionWord(s, q.costBasis[i], q.entryFunding[i]));
  return chainHash([...words, ...amountWords(q.collateral), q.salt].map(toField));
}

/** The public signals a trace claims (a forged trace claims forged ones, each consistent with the others). */
export function takeoverTraceSignals(r: TakeoverRequest, t: TakeoverTrace): string[] {
  const N = r.params.markets.length;
  return [
    commitment(r.frozen),
    fieldCommitment(t.residual),
    commitment(r.backstop),
    fieldCommitment(t.next),
    paramsHash(r.params),
    takeoverContext(r.binding, r.penaltyBps, t.residualFlat, t.backstopFlat),
    takeoverWord(t.settled, t.penalty, N),
    takeoverWord(t.badDebt, t.vaultCover, N),
  ].map((x) => toField(x).toString());
}

/** Circuit inputs: the request's private inputs and the public signals `publicSignals` (default: the honest trace's). */
export function takeoverTraceInputs(r: TakeoverRequest, publicSignals = takeoverTraceSignals(r, takeoverTrace(r))): CircuitInputs {
  const back = portfolioInputs(r.backstop);
  const inputs: CircuitInputs = {};
  TAKEOVER_SIGNALS.forEach((name, k) => (inputs[name] = publicSignals[k]));
  Object.assign(inputs, paramsInputs(r.params), portfolioInputs(r.frozen), {
    backSizes: back.sizes,
    backCostBasis: back.costBasis,
    backEntryFunding: back.entryFunding,
    backCollateral: back.collateral,
    backSalt: back.salt,
  });
  return inputs;
}

/**
 * Replay a takeover vector: the reference must reproduce the expected outcome; with a prover
 * the circuit must accept the exit-0 vectors with the expected public signals and have no
 * witness for a refused one (its honest hints: the reference's formulas without the refusal),
 * and with `prove` a real proof is made and verified.
 */
export async function replayTakeoverVector(v: TakeoverVector, prover?: TakeoverProver, prove = false): Promise<ReplayOutcome> {
  const problems: string[] = [];
  const { expected: got, prepared, request } = prepareTakeoverVector(v);
  const e = v.expected;
  for (const k of ["exitCode", "errorField", "refusal", "publicSignals", "amounts", "residual", "backstopNext"] as const) {
    if (JSON.stringify(got[k]) !== JSON.stringify(e[k])) problems.push(`${k} differs: got ${JSON.stringify(got[k])}`);
  }
  if (prover && request && !prepared) {
    let accepted = true;
    try {
      await prover.rawWitness(takeoverTraceInputs(request));
    } catch {
      accepted = false;
    }
    if (accepted) problems.push("circuit accepts a takeover the reference refuses");
  }
  if (prover && prepared) {
    let w: bigint[] | null = null;
    try {
      w = await prover.rawWitness(prepared.inputs);
    } catch {
      problems.push("circuit rejects a takeover the reference accepts");
    }
    if (w && w.slice(1, 9).map(String).join() !== (e.publicSignals ?? []).join()) problems.push("circuit public signals differ");
    if (w && prove) {
      const proof = await prover.proveInputs(prepared.inputs, prepared.publicSignals);
      if (!(await verifyProof(proof, prover.vkey))) problems.push("proof does not verify");
    }
  }
  return { name: v.name, ok: problems.length === 0, problems };
}

/**
 * The backstop's asset-0 balance that puts it exactly at its binding threshold after the
 * takeover (initial margin, leverage, stress, CASH; a'_0 >= 0), plus `extra`: the vector
 * generator's and the tests' construction (asset 0 must be priced 1 per unit without haircut).
 */
export function backstopAtThreshold(r: Omit<TakeoverRequest, "binding">, extra = 0n): Portfolio {
  const B0 = { ...r.backstop, collateral: r.backstop.collateral.map((a, j) => (j === 0 ? 0n : a)) };
  const t = takeoverTrace({ ...r, backstop: B0, binding: 0n });
  const next = { ...t.next, collateral: t.next.collateral.map((a, j) => (j === 0 ? 0n : a)) };
  const ev = evaluate(r.params, next, "initial");
  const ceil = (a: bigint, b: bigint) => (a <= 0n ? -(-a / b) : (a + b - 1n) / b);
  let need = ev.requirement - ev.equity;
  const lev = ceil(10000n * ev.grossNotional, r.params.maxLeverageBps === 0n ? 1n : r.params.maxLeverageBps) - ev.equity;
  if (lev > need) need = lev;
  for (const x of ev.stressEquityE4) if (ceil(-x, 10000n) > need) need = ceil(-x, 10000n);
  const cashNeed = -settlementCash(r.params, next.sizes, next.costBasis, 0n);
  if (cashNeed > need) need = cashNeed;
  if (need < 0n) need = 0n;
  return { ...B0, collateral: B0.collateral.map((a, j) => (j === 0 ? t.converted + t.vaultCover + need + extra : a)) };
}

/**
 * A random takeover request from the fixtures' arbitraries (tools/fixtures.ts): `tamed` brings
 * prices, sizes, costs, funding and non-settlement collateral to realistic scales (deep books),
 * and `extra` (when not null) funds the backstop to its threshold + extra; asset 0 is cash and
 * the caps cover the combined sizes. Balances that do not fit stay at 2^96 - 1.
 */
export function randomTakeover(
  p0: Params,
  L0: Portfolio,
  B0: Portfolio,
  penaltyBps: bigint,
  insuranceFund: bigint,
  binding: bigint,
  tamed: boolean,
  extra: bigint | null,
): TakeoverRequest {
  const params = structuredClone(p0);
  const frozen = structuredClone(L0);
  let backstop = structuredClone(B0);
  if (tamed) {
    for (let j = 1; j < params.collateral.length; j++) {
      params.collateral[j].priceE18 %= 10n ** 19n;
      frozen.collateral[j] %= 10n ** 12n;
      backstop.collateral[j] %= 10n ** 12n;
    }
    params.markets.forEach((m) => {
      m.fundingIndex %= 10n ** 7n;
      m.markPrice %= 10n ** 7n;
      if (m.depth < 10n ** 9n) m.depth += 10n ** 9n;
    });
    for (const q of [frozen, backstop]) {
      q.sizes = q.sizes.map((x) => x % 10n ** 6n);
      q.costBasis = q.costBasis.map((c) => c % 10n ** 15n);
      q.entryFunding = q.entryFunding.map((f) => f % 10n ** 7n);
    }
  }
  params.collateral[0] = { priceE18: 10n ** 18n, haircutBps: 0n };
  if (params.maxLeverageBps < 10000n) params.maxLeverageBps = 10000n;
  params.markets.forEach((m, k) => {
    const s = backstop.sizes[k] + frozen.sizes[k];
    const a = s < 0n ? -s : s;
    if (m.positionCap < a && a < 1n << 40n) m.positionCap = a;
  });
  if (extra !== null) backstop = backstopAtThreshold({ params, frozen, backstop, penaltyBps, insuranceFund }, extra);
  if (backstop.collateral[0] < 0n || backstop.collateral[0] >= 1n << 96n) backstop.collateral[0] = (1n << 96n) - 1n;
  return { params, frozen, backstop, binding, penaltyBps, insuranceFund };
}
