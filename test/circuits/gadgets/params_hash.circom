pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): ParamsHash(3, 2, 3), the twin of prover/encoding.ts
// paramsHash at small dims where both packed lists span two words (the default-dims layout is
// checked against prover/encoding.ts by pack_layout.circom, the default-dims hash by the
// margin circuit's own tests).
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/margin.circom";

component main {public [epochId, maxLeverageBps, markPrice, fundingIndex, maintenanceRateBps,
    initialRateBps, impactBps, depth, positionCap, collateralPriceE18, haircutBps, shocks]} = ParamsHash(3, 2, 3);
