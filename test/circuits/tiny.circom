pragma circom 2.2.0;

// A tiny circuit for ceremony tests (its setup fits a 2^8 powers of tau, made in seconds).
include "circomlib/circuits/bitify.circom";

template Tiny() {
    signal input a;
    signal input b;
    signal output c;
    component r = Num2Bits(16);
    r.in <== a;
    c <== a * b;
}

component main {public [b]} = Tiny();
