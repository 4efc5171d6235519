pragma circom 2.2.0;

include "circomlib/circuits/poseidon.circom";

// ChainHash(n): Poseidon over any number of field elements, as specified in docs/SPEC.md:
//   H(x)   = Poseidon_n(x)                                   if n <= 16
//   H(x)   = H([Poseidon_16(x[0..15])] ++ x[16..n-1])        otherwise
// prover/hash.ts implements the same function.
template ChainHash(n) {
    signal input in[n];
    signal output out;
    if (n <= 16) {
        component h = Poseidon(n);
        h.inputs <== in;
        out <== h.out;
    } else {
        component head = Poseidon(16);
        for (var i = 0; i < 16; i++) { head.inputs[i] <== in[i]; }
        component rest = ChainHash(n - 15);
        rest.in[0] <== head.out;
        for (var i = 16; i < n; i++) { rest.in[i - 15] <== in[i]; }
        out <== rest.out;
    }
}
