pragma circom 2.2.0;

include "circomlib/circuits/poseidon.circom";

// Audit fixture (test/audit.test.ts): the second audit tag misspells its kind, so reading the
// table must fail with an error naming this file and that line.
//
// @audit by-design: nonce — hashed into out; any field element is fine
// @audit by-desing: salted — hashed into out; any field element is fine
template Malformed() {
    signal input nonce;
    signal input salted;
    signal output out;

    component hash = Poseidon(2);
    hash.inputs <== [nonce, salted];
    out <== hash.out;
}

component main = Malformed();
