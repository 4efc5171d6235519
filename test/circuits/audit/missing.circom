pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// Audit fixture (test/audit.test.ts): fee has no range check and no audit tag, so the table
// must report it MISSING. The prose marker of the old audit is kept on purpose: prose is not
// read, only tags are.
//
// FIELD ELEMENTS BY DESIGN: fee
// @audit by-design: nonce — hashed into out; any field element is fine
template Missing() {
    signal input amount;
    signal input fee;
    signal input nonce;
    signal output out;

    component amountBits = Num2Bits(32);
    amountBits.in <== amount;

    component hash = Poseidon(2);
    hash.inputs <== [amount - fee, nonce];
    out <== hash.out;
}

component main = Missing();
