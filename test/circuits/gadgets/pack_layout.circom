pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): the packing layout functions of circuits/lib/pack.circom
// at the default dims, as outputs (constants): for kind 0 (price list) and kind 1 (risk list),
// the value count, the word count and every value's width, word index and bit shift.
include "../../../circuits/lib/pack.circom";

template PackLayout(N, M, S) {
    var PC = packCount(0, N, M, S);
    var RC = packCount(1, N, M, S);
    signal output priceCount;
    signal output priceWords;
    signal output priceWidth[PC];
    signal output priceWord[PC];
    signal output priceShift[PC];
    signal output riskCount;
    signal output riskWords;
    signal output riskWidth[RC];
    signal output riskWord[RC];
    signal output riskShift[RC];

    priceCount <== PC;
    priceWords <== packWords(0, N, M, S);
    for (var i = 0; i < PC; i++) {
        priceWidth[i] <== packWidth(0, i, N, M, S);
        priceWord[i] <== packLayout(0, i, N, M, S, 0);
        priceShift[i] <== packLayout(0, i, N, M, S, 1);
    }
    riskCount <== RC;
    riskWords <== packWords(1, N, M, S);
    for (var i = 0; i < RC; i++) {
        riskWidth[i] <== packWidth(1, i, N, M, S);
        riskWord[i] <== packLayout(1, i, N, M, S, 0);
        riskShift[i] <== packLayout(1, i, N, M, S, 1);
    }
}

component main = PackLayout(N_MARKETS(), M_ASSETS(), S_SCENARIOS());
