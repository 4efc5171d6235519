pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): CapFromBits as MarginCheck's STRESS cap uses it at the
// default dims: CapFromBits(EQUITY_BITS(M), STRESS_CAP_BITS(N)).
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/lib/widths.circom";
include "../../../circuits/lib/range.circom";

component main {public [bits]} = CapFromBits(EQUITY_BITS(M_ASSETS()), STRESS_CAP_BITS(N_MARKETS()));
