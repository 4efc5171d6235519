pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): CapFromBits(10, 6) on a 10-bit value.
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/lib/range.circom";

component main {public [bits]} = CapFromBits(10, 6);
