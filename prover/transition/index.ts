// Account transitions: the public API, and the TypeScript reference of Transition(N, M, S) in
// circuits/transition.circom, one file per section of the circuit. docs/SPEC.md: §7
// "Transitions"; docs/PROTOCOL.md for the protocol around them.
//
//   op.ts          the op word, context, fill commitment, payload   ("context = op + ...", "fill")
//   rule.ts        applyTransition: old portfolio + op -> new       ("new portfolio", "reduce-only level", "margin")
//   encryption.ts  verifiable encryption to the liquidation key     ("encryption")
//   replay.ts      the liquidation key holder's replay
//   inputs.ts      circuit inputs and public signals                (input declarations, "commitments")
//   prover.ts      TransitionProver
//   json.ts        ops as JSON
export {
  TRANSITION_KINDS,
  KIND_CODE,
  opWord,
  opAmount,
  decodeOpWord,
  contextOf,
  fillCommitment,
  payloadOf,
  describeOp,
  type TransitionKind,
  type Fill,
  type TransitionOp,
} from "./op.ts";
export {
  TransitionRefused,
  checkOp,
  marginLevel,
  applyTransition,
  emptyPortfolio,
  cashRule,
  settlementCash,
  type Applied,
  type TransitionViolation,
} from "./rule.ts";
export {
  randomScalar,
  liquidationKeyPair,
  checkLiquidationKey,
  liquidationKeyHash,
  encryptTransition,
  decryptTransition,
  type Point,
  type LiquidationKeyPair,
  type Encrypted,
} from "./encryption.ts";
export { replayTransition, type TransitionRecord } from "./replay.ts";
export { TRANSITION_SIGNALS, prepareTransition, type TransitionRequest, type PreparedTransition } from "./inputs.ts";
export { TransitionProver, type ProvenTransition } from "./prover.ts";
export { parseOp, opToJson } from "./json.ts";
/** Width of the verifier's binding tag inside context (context = op + 2^105 * binding); defined in prover/constants.ts. */
export { BINDING_BITS } from "../constants.ts";
