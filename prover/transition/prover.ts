// Proving a transition (snarkjs Groth16 over BN254, through CircuitProver). Circom twin: the
// whole Transition(N, M, S) of circuits/transition.circom as instantiated by
// circuits/main/transition.circom (artifacts/transition/). docs/SPEC.md: §7 "Transitions"
// (and §5 "Trusted setup and artifacts").
import { circuitArtifacts, type CircuitArtifacts } from "../artifacts.ts";
import { CircuitProver, type MarginProof } from "../prover.ts";
import { prepareTransition, type PreparedTransition, type TransitionRequest } from "./inputs.ts";
import { TransitionRefused } from "./rule.ts";

export interface ProvenTransition {
  proof: MarginProof;
  prepared: PreparedTransition;
}

export class TransitionProver extends CircuitProver {
  static async load(artifacts: CircuitArtifacts = circuitArtifacts("transition")): Promise<TransitionProver> {
    return new TransitionProver(...(await CircuitProver.parts(artifacts)));
  }

  /**
   * Prove a transition. Refuses (TransitionRefused) without touching the circuit when the
   * reference model finds the result unhealthy at its level (initial, or maintenance for a
   * reduce-only trade); ValidationError names the field of an invalid op.
   */
  async prove(req: TransitionRequest): Promise<ProvenTransition> {
    const prepared = prepareTransition(req);
    if (prepared.applied.violations.length > 0) throw new TransitionRefused(prepared.applied.violations, prepared.applied.level);
    const proof = await this.proveInputs(prepared.inputs, prepared.publicSignals);
    return { proof, prepared };
  }
}
