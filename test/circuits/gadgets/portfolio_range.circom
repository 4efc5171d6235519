pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): PortfolioRange(2, 2), every portfolio value at its width.
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/margin.circom";

component main {public [sizes, costBasis, entryFunding, collateral]} = PortfolioRange(2, 2);
