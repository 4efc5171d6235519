pragma circom 2.2.0;

// Default instantiation: N_MARKETS, M_ASSETS, S_SCENARIOS of prover/constants.ts (8, 4, 16).
// Public signals, in order: [commitment, paramsHash, binding] (outputs first, then inputs).
include "../liquidation.circom";

component main {public [binding]} = LiquidationProof(N_MARKETS(), M_ASSETS(), S_SCENARIOS());
