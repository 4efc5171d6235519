// What a prover worker does with one job, wherever it runs (a worker thread of this process, or a
// `zkmargin worker --redis` on another machine). The provers are loaded once per worker, on first use.
import type { MarginProof } from "../../prover/prover.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import type { TransitionRequest } from "../../prover/transition/inputs.ts";
import type { ProvenTransition } from "../../prover/transition/prover.ts";

export type ProofJob =
  | { kind: "margin"; params: Params; portfolio: Portfolio; binding: bigint }
  | { kind: "liquidation"; params: Params; portfolio: Portfolio; binding: bigint }
  | { kind: "transition"; request: TransitionRequest };

export type JobResult = MarginProof | ProvenTransition;

/** An error as it crosses a thread or the queue: its name survives (UnhealthyError, HealthyError, TransitionRefused). */
export interface JobError {
  name: string;
  message: string;
}

let margin: Promise<import("../../prover/prover.ts").MarginProver> | undefined;
let liquidation: Promise<import("../../prover/liquidation.ts").LiquidationProver> | undefined;
let transition: Promise<import("../../prover/transition/prover.ts").TransitionProver> | undefined;
let curve: Promise<void> | undefined;

/**
 * One BN254 engine per worker, single-threaded: the pool's parallelism is its workers (one per
 * core); snarkjs' default engine would start another thread per core in every worker.
 */
function singleThreadedCurve(): Promise<void> {
  return (curve ??= (async () => {
    // snarkjs' own ffjavascript (whose module body resets globalThis.curve_bn128) is loaded by
    // this import; the engine it builds with singleThread is then the one every proof uses
    const snarkjs = (await import("snarkjs")) as unknown as { curves: { getCurveFromName(n: string, o: object): Promise<unknown> } };
    await import("../../prover/prover.ts");
    const g = globalThis as { curve_bn128?: unknown };
    if (g.curve_bn128) return;
    g.curve_bn128 = await snarkjs.curves.getCurveFromName("bn128", { singleThread: true });
  })());
}

export async function executeJob(job: ProofJob): Promise<JobResult> {
  await singleThreadedCurve();
  switch (job.kind) {
    case "margin": {
      const { MarginProver } = await import("../../prover/prover.ts");
      const p = await (margin ??= MarginProver.load());
      return p.prove(job.params, job.portfolio, "maintenance", job.binding);
    }
    case "liquidation": {
      const { LiquidationProver } = await import("../../prover/liquidation.ts");
      const p = await (liquidation ??= LiquidationProver.load());
      return p.prove(job.params, job.portfolio, job.binding);
    }
    case "transition": {
      const { TransitionProver } = await import("../../prover/transition/prover.ts");
      const p = await (transition ??= TransitionProver.load());
      return p.prove(job.request);
    }
    default:
      throw new Error(`unknown proof job kind '${(job as { kind?: unknown }).kind}'`);
  }
}

/** Rebuild an error of a job on the caller's side, keeping its name. */
export function jobError(e: JobError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
