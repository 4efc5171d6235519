pragma circom 2.2.0;

// Default instantiation: N_MARKETS, M_ASSETS, S_SCENARIOS of prover/constants.ts (8, 4, 16).
include "../transition.circom";

component main {public [oldCommitment, newCommitment, paramsHash, context, fill, keyHash, ephemeralKey, cipher]} = Transition(N_MARKETS(), M_ASSETS(), S_SCENARIOS());
