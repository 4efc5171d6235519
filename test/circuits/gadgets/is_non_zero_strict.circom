pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): IsNonZeroStrict, out = 1 iff in != 0.
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/lib/range.circom";

component main {public [in]} = IsNonZeroStrict();
