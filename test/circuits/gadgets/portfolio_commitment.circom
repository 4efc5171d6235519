pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): PortfolioCommitment, the twin of prover/encoding.ts
// commitment, at the default dims and with an odd asset count (the last amount word holds one
// amount). The two instances have separate inputs and outputs.
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/margin.circom";

template Commitments(N, M) {
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input salt;
    signal input oddSizes[2];
    signal input oddCostBasis[2];
    signal input oddEntryFunding[2];
    signal input oddCollateral[3];
    signal input oddSalt;
    signal output out;
    signal output oddOut;
    out <== PortfolioCommitment(N, M)(sizes, costBasis, entryFunding, collateral, salt);
    oddOut <== PortfolioCommitment(2, 3)(oddSizes, oddCostBasis, oddEntryFunding, oddCollateral, oddSalt);
}

component main {public [sizes, costBasis, entryFunding, collateral, salt, oddSizes, oddCostBasis, oddEntryFunding, oddCollateral, oddSalt]} = Commitments(N_MARKETS(), M_ASSETS());
