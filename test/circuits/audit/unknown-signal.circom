pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";

// Audit fixture (test/audit.test.ts): the tag above Outer names `inner`, a signal of another
// template, so reading the table must fail with an error naming the line, the signal and Outer.

template Inner() {
    signal input inner;
    component bits = Num2Bits(8);
    bits.in <== inner;
}

// @audit by-design: inner — tags are scoped to their template: this one belongs to Outer
template Outer() {
    signal input outer;
    component sub = Inner();
    sub.inner <== outer;
}

component main = Outer();
