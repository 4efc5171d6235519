pragma circom 2.2.0;

// Default instantiation: N_MARKETS, M_ASSETS, S_SCENARIOS of prover/constants.ts (8, 4, 16).
// Public signals, in order: [frozenCommitment, residualCommitment, backstopCommitment,
// backstopNewCommitment, paramsHash, context, flows, cover].
include "../takeover.circom";

component main {public [frozenCommitment, residualCommitment, backstopCommitment, backstopNewCommitment, paramsHash, context, flows, cover]} = Takeover(N_MARKETS(), M_ASSETS(), S_SCENARIOS());
