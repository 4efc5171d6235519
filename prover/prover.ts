// Proof generation and verification (snarkjs Groth16 over BN254).
// Artifacts are read once per MarginProver and reused for every proof.
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import { WitnessCalculatorBuilder as witnessCalculatorBuilder } from "circom_runtime";
import { FIELD_MODULUS } from "./field.ts";
import { MARGIN_PUBLIC_SIGNALS } from "./constants.ts";
import { commitment, paramsHash } from "./encoding.ts";
import { circuitInputs, expectedPublicSignals, type CircuitInputs } from "./inputs.ts";
import { evaluate } from "./model.ts";
import { circuitArtifacts, type CircuitArtifacts } from "./artifacts.ts";
import type { Level, Params, Portfolio, Violation } from "./types.ts";

export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** What `zkmargin prove` writes: snarkjs JSON. Public signals: [commitment, paramsHash, level, binding]. */
export interface MarginProof {
  proof: Groth16Proof;
  publicSignals: string[];
}

export interface SolidityCalldata {
  a: [string, string];
  b: [[string, string], [string, string]];
  c: [string, string];
  publicSignals: string[];
}

export class UnhealthyError extends Error {
  readonly violations: Violation[];
  constructor(violations: Violation[]) {
    super(`portfolio is not healthy: ${violations.join(", ")}`);
    this.name = "UnhealthyError";
    this.violations = violations;
  }
}

export type VerificationKey = Record<string, unknown> & { nPublic: number; protocol: string; curve: string };

export function loadVerificationKey(path = circuitArtifacts().vkey): VerificationKey {
  return JSON.parse(readFileSync(path, "utf8")) as VerificationKey;
}

interface WitnessCalculator {
  calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
  calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
}

/**
 * The circom witness calculator prints failed assertions to the console before throwing; keep
 * them out of the caller's output and put them into the thrown error instead.
 */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  console.error = console.log;
  try {
    return await f();
  } catch (e) {
    throw new Error(`witness generation failed: ${(e as Error).message} ${lines.join("; ")}`.trim());
  } finally {
    console.log = log;
    console.error = error;
  }
}

/**
 * A shipped circuit's prover: wasm, zkey and verification key are read once, the instance
 * proves repeatedly. MarginProver and TransitionProver add their typed front ends.
 */
export class CircuitProver {
  readonly artifacts: CircuitArtifacts;
  readonly vkey: VerificationKey;
  protected readonly zkey: Uint8Array;
  protected readonly calculator: WitnessCalculator;

  protected constructor(artifacts: CircuitArtifacts, zkey: Uint8Array, vkey: VerificationKey, calculator: WitnessCalculator) {
    this.artifacts = artifacts;
    this.zkey = zkey;
    this.vkey = vkey;
    this.calculator = calculator;
  }

  protected static async parts(artifacts: CircuitArtifacts): Promise<[CircuitArtifacts, Uint8Array, VerificationKey, WitnessCalculator]> {
    const wasm = readFileSync(artifacts.wasm);
    const zkey = readFileSync(artifacts.zkey);
    const vkey = loadVerificationKey(artifacts.vkey);
    const calculator = (await witnessCalculatorBuilder(wasm, { sanityCheck: true })) as WitnessCalculator;
    return [artifacts, zkey, vkey, calculator];
  }

  static async loadCircuit(artifacts: CircuitArtifacts): Promise<CircuitProver> {
    return new CircuitProver(...(await CircuitProver.parts(artifacts)));
  }

  /** Witness of raw circuit inputs (for tests and audits that go around the TS validation). */
  rawWitness(inputs: CircuitInputs): Promise<bigint[]> {
    return quietly(() => this.calculator.calculateWitness(inputs, true));
  }

  /**
   * Prove raw circuit inputs and check that the circuit's public signals are the ones the
   * TypeScript reference expects (a mismatch is an internal error, never a proof).
   */
  async proveInputs(inputs: CircuitInputs, expected: string[]): Promise<MarginProof> {
    const wtns = await quietly(() => this.calculator.calculateWTNSBin(inputs, true));
    const { proof, publicSignals } = (await snarkjs.groth16.prove(this.zkey, wtns)) as MarginProof;
    if (publicSignals.length !== expected.length || publicSignals.some((s, i) => s !== expected[i])) {
      throw new Error(`internal error: ${this.artifacts.name} public signals differ from the TypeScript reference`);
    }
    return { proof, publicSignals };
  }

  verify(proof: MarginProof): Promise<boolean> {
    return verifyProof(proof, this.vkey);
  }
}

export class MarginProver extends CircuitProver {
  /** Read the wasm, zkey and verification key once; the instance proves repeatedly. */
  static async load(artifacts: CircuitArtifacts = circuitArtifacts()): Promise<MarginProver> {
    return new MarginProver(...(await CircuitProver.parts(artifacts)));
  }

  /**
   * Full witness (wire values, wire 0 = 1) for validated inputs. Throws when a constraint fails,
   * i.e. when no proof exists for these inputs.
   */
  witness(params: Params, portfolio: Portfolio, level: Level, binding: bigint): Promise<bigint[]> {
    return quietly(() => this.calculator.calculateWitness(circuitInputs(params, portfolio, level, binding), true));
  }

  /**
   * Prove that the portfolio is healthy at `level`. Refuses (UnhealthyError) without touching
   * the circuit when the reference model finds a violation.
   */
  async prove(params: Params, portfolio: Portfolio, level: Level, binding: bigint): Promise<MarginProof> {
    const ev = evaluate(params, portfolio, level);
    if (!ev.healthy) throw new UnhealthyError(ev.violations);
    const expected = expectedPublicSignals(commitment(portfolio), paramsHash(params), level, binding);
    return this.proveInputs(circuitInputs(params, portfolio, level, binding), expected);
  }
}

/** Structural check of untrusted proof JSON; returns a reason or null. */
export function proofShapeError(x: unknown, nPublic = MARGIN_PUBLIC_SIGNALS): string | null {
  const isField = (s: unknown) => typeof s === "string" && /^(0|[1-9][0-9]{0,77})$/.test(s);
  if (x === null || typeof x !== "object") return "proof file must be a JSON object";
  const o = x as Record<string, unknown>;
  if (!Array.isArray(o.publicSignals) || o.publicSignals.length !== nPublic)
    return `publicSignals: must be an array of ${nPublic} decimal strings`;
  for (let i = 0; i < nPublic; i++) {
    const s = o.publicSignals[i];
    if (!isField(s)) return `publicSignals[${i}]: must be a decimal string`;
    if (BigInt(s as string) >= FIELD_MODULUS) return `publicSignals[${i}]: must be < r (the BN254 scalar field modulus)`;
  }
  const p = o.proof as Record<string, unknown> | undefined;
  if (!p || typeof p !== "object") return "proof: missing";
  if (p.protocol !== "groth16" || p.curve !== "bn128") return "proof: must be a groth16 proof on bn128";
  const g1 = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every(isField);
  const g2 = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((c) => Array.isArray(c) && c.length === 2 && c.every(isField));
  if (!g1(p.pi_a)) return "proof.pi_a: must be 3 decimal strings";
  if (!g2(p.pi_b)) return "proof.pi_b: must be 3 pairs of decimal strings";
  if (!g1(p.pi_c)) return "proof.pi_c: must be 3 decimal strings";
  return null;
}

/** Verify a proof against a verification key. Malformed proofs and public inputs >= r are rejected. */
export async function verifyProof(proof: MarginProof, vkey: VerificationKey = loadVerificationKey()): Promise<boolean> {
  if (proofShapeError(proof, vkey.nPublic) !== null) return false;
  try {
    return (await snarkjs.groth16.verify(vkey, proof.publicSignals, proof.proof)) === true;
  } catch {
    return false;
  }
}

/** Arguments for the generated Solidity verifier's verifyProof(a, b, c, publicSignals). */
export async function solidityCalldata(proof: MarginProof): Promise<SolidityCalldata> {
  const raw = (await snarkjs.groth16.exportSolidityCallData(proof.proof, proof.publicSignals)) as string;
  const [a, b, c, publicSignals] = JSON.parse(`[${raw}]`);
  return { a, b, c, publicSignals };
}

/** Release snarkjs worker threads so a process can exit. */
export { releaseCurves } from "./curves.ts";
