pragma circom 2.2.0;

// Default instantiation: N_MARKETS, M_ASSETS, S_SCENARIOS of prover/constants.ts (8, 4, 16).
include "../margin.circom";

component main {public [level, binding]} = MarginProof(N_MARKETS(), M_ASSETS(), S_SCENARIOS());
