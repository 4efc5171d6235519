// Shared test helpers: one loaded prover (artifacts read once) and circuit predicates.
import { MarginProver } from "../prover/prover.ts";
import { TransitionProver } from "../prover/transition.ts";
import { readR1cs, type R1cs } from "../prover/r1cs.ts";
import { circuitArtifacts } from "../prover/artifacts.ts";
import type { CircuitInputs } from "../prover/inputs.ts";
import type { Level, Params, Portfolio } from "../prover/types.ts";

let proverPromise: Promise<MarginProver> | undefined;
export const prover = (): Promise<MarginProver> => (proverPromise ??= MarginProver.load());

let r1csCache: R1cs | undefined;
export const r1cs = (): R1cs => (r1csCache ??= readR1cs(circuitArtifacts().r1cs));

/** Witness of the circuit, or null when witness generation fails (no proof exists). */
export async function witnessOrNull(p: Params, q: Portfolio, level: Level, binding = 1n): Promise<bigint[] | null> {
  try {
    return await (await prover()).witness(p, q, level, binding);
  } catch {
    return null;
  }
}

export async function rawWitnessOrNull(inputs: CircuitInputs): Promise<bigint[] | null> {
  try {
    return await (await prover()).rawWitness(inputs);
  } catch {
    return null;
  }
}

let transitionPromise: Promise<TransitionProver> | undefined;
export const transitionProver = (): Promise<TransitionProver> => (transitionPromise ??= TransitionProver.load());

/** Await a promise that must reject with a message matching `re`. */
export async function expectRejection(p: Promise<unknown>, re: RegExp): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected a rejection matching ${re}, got success`);
  if (!re.test((error as Error).message)) throw new Error(`expected a rejection matching ${re}, got: ${(error as Error).message}`);
}
