pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): the derived widths of circuits/lib/widths.circom, as
// outputs (constants). The dimension-dependent ones are also given for d = 1..D (ceilLog2 edges).
include "../../../circuits/lib/widths.circom";

template Widths(D) {
    signal output notionalBits;
    signal output valueBits;
    signal output remBits;
    signal output slackBits;
    signal output valueSumBits;     // VALUE_SUM_BITS(M_ASSETS())
    signal output equityBits;       // EQUITY_BITS(M_ASSETS())
    signal output stressCapBits;    // STRESS_CAP_BITS(N_MARKETS())
    signal output stressBits;       // STRESS_BITS(N_MARKETS())
    signal output levCapBits;       // LEV_CAP_BITS(N_MARKETS())
    signal output levCheckBits;     // LEV_CHECK_BITS(N_MARKETS())
    // index d - 1 holds the value at dimension d
    signal output ceilLog2Of[D];
    signal output valueSumBitsOf[D];
    signal output equityBitsOf[D];
    signal output stressCapBitsOf[D];
    signal output stressBitsOf[D];
    signal output levCapBitsOf[D];
    signal output levCheckBitsOf[D];

    notionalBits <== NOTIONAL_BITS();
    valueBits <== VALUE_BITS();
    remBits <== REM_BITS();
    slackBits <== SLACK_BITS();
    valueSumBits <== VALUE_SUM_BITS(M_ASSETS());
    equityBits <== EQUITY_BITS(M_ASSETS());
    stressCapBits <== STRESS_CAP_BITS(N_MARKETS());
    stressBits <== STRESS_BITS(N_MARKETS());
    levCapBits <== LEV_CAP_BITS(N_MARKETS());
    levCheckBits <== LEV_CHECK_BITS(N_MARKETS());
    for (var d = 1; d <= D; d++) {
        ceilLog2Of[d - 1] <== ceilLog2(d);
        valueSumBitsOf[d - 1] <== VALUE_SUM_BITS(d);
        equityBitsOf[d - 1] <== EQUITY_BITS(d);
        stressCapBitsOf[d - 1] <== STRESS_CAP_BITS(d);
        stressBitsOf[d - 1] <== STRESS_BITS(d);
        levCapBitsOf[d - 1] <== LEV_CAP_BITS(d);
        levCheckBitsOf[d - 1] <== LEV_CHECK_BITS(d);
    }
}

component main = Widths(33);
