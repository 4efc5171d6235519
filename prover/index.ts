// zkmargin prover library: the public API.
export * from "./types.ts";
export * from "./field.ts";
export { ValidationError, validateParams, validatePortfolio, parseLevel, parseBinding, parseJson, parseInteger } from "./validate.ts";
export { evaluate, report, marketRequirement, collateralValue, type Evaluation } from "./model.ts";
export { commitment, paramsHash, paramsHashParts, priceWords, riskWords, fundingHash, riskHash, slowHash, packWords } from "./encoding.ts";
export { chainHash, poseidon } from "./hash.ts";
export { circuitInputs, expectedPublicSignals, type CircuitInputs } from "./inputs.ts";
export {
  MarginProver,
  UnhealthyError,
  verifyProof,
  solidityCalldata,
  proofShapeError,
  loadVerificationKey,
  releaseCurves,
  type MarginProof,
  type Groth16Proof,
  type SolidityCalldata,
  type VerificationKey,
} from "./prover.ts";
export { circuitArtifacts, CIRCUITS, ARTIFACTS_DIR, type CircuitArtifacts, type CircuitName } from "./artifacts.ts";
export { CircuitProver } from "./prover.ts";
export * from "./transition/index.ts";
export {
  LiquidationProver,
  HealthyError,
  LIQUIDATION_PUBLIC_SIGNALS,
  LIQUIDATION_SIGNALS,
  liquidationRules,
  liquidationInputs,
  liquidationCircuitInputs,
  violatedRules,
  ruleMargins,
  ruleViolation,
  selectorOf,
  expectedLiquidationSignals,
  cappedRequirements,
  type LiquidationRule,
  type LiquidationInputs,
} from "./liquidation.ts";
