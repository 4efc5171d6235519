pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "../../../circuits/lib/range.circom";

// Audit fixture (test/audit.test.ts): every private input and every witness-only signal is
// range-checked in code, so the range-check table has no tag to read and no MISSING row. The
// checks are a Num2Bits, a SignedRange and a helper template whose inputs are range-checked
// inside it (the audit follows a template's input ports, as for PortfolioRange).

// Pair(): both inputs below 2^16.
template Pair() {
    signal input lo;
    signal input hi;
    component loBits = Num2Bits(16);
    loBits.in <== lo;
    component hiBits = Num2Bits(16);
    hiBits.in <== hi;
}

// Bounded(): quotient = floor(amount / 1024), proven by the witness-only quotient and a
// remainder in [0, 2^10).
template Bounded() {
    signal input amount;        // 0 <= amount < 2^32
    signal input delta;         // |delta| < 2^8
    signal input low;
    signal input high;
    signal output quotient;

    component amountBits = Num2Bits(32);
    amountBits.in <== amount;
    component deltaRange = SignedRange(8);
    deltaRange.in <== delta;
    component pair = Pair();
    pair.lo <== low;
    pair.hi <== high;

    quotient <-- amount \ 1024;
    component quotientBits = Num2Bits(22);
    quotientBits.in <== quotient;
    component remBits = Num2Bits(10);
    remBits.in <== amount - quotient * 1024;
}

component main = Bounded();
