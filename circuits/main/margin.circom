pragma circom 2.2.0;

// Default instantiation: 8 markets, 4 collateral assets, 16 stress scenarios.
include "../margin.circom";

component main {public [level, binding]} = MarginProof(8, 4, 16);
