// Shared test helpers: one loaded prover (artifacts read once) and circuit predicates.
import type { ChildProcess } from "node:child_process";
import { MarginProver } from "../prover/prover.ts";
import { TransitionProver } from "../prover/transition/prover.ts";
import { readR1cs, type R1cs } from "../tools/r1cs.ts";
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

/** Wait until a JSON-RPC node (e.g. a spawned `hardhat node`) answers eth_chainId. */
export async function waitForNode(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error("hardhat node exited");
    try {
      const r = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
      });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("hardhat node did not start");
}
