pragma circom 2.2.0;

// Default instantiation: 8 markets, 4 collateral assets, 16 stress scenarios (as margin).
include "../transition.circom";

component main {public [oldCommitment, newCommitment, paramsHash, context, fill, keyHash, ephemeralKey, cipher]} = Transition(8, 4, 16);
