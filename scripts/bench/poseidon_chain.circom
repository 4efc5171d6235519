pragma circom 2.2.0;

// Benchmark reference (issue #2): 60 chained Poseidon(2) hashes h_i = Poseidon(h_{i-1}, i),
// 14,220 constraints with --O2.
include "circomlib/circuits/poseidon.circom";

template PoseidonChain(n) {
    signal input in[1];
    signal output out;
    component h[n];
    for (var i = 0; i < n; i++) {
        h[i] = Poseidon(2);
        h[i].inputs[0] <== i == 0 ? in[0] : h[i - 1].out;
        h[i].inputs[1] <== i;
    }
    out <== h[n - 1].out;
}

component main = PoseidonChain(60);
