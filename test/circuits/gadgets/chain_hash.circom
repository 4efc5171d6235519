pragma circom 2.2.0;

// Gadget test (test/gadgets.test.ts): ChainHash(n), the twin of prover/hash.ts chainHash, at
// n = 1, 16 (the largest single Poseidon), 17 (first chained), 31 (second link exactly 16 wide)
// and 32 (three links). One circuit so that circomlib's Poseidon constants are compiled once.
// Every input is public so that --O2 keeps it as a wire of the R1CS (a private input that
// only enters linearly would be substituted away, and the R1CS would no longer bind it).
include "../../../circuits/lib/hash.circom";

template ChainHashes() {
    signal input in1[1];
    signal input in16[16];
    signal input in17[17];
    signal input in31[31];
    signal input in32[32];
    signal output out1;
    signal output out16;
    signal output out17;
    signal output out31;
    signal output out32;
    out1 <== ChainHash(1)(in1);
    out16 <== ChainHash(16)(in16);
    out17 <== ChainHash(17)(in17);
    out31 <== ChainHash(31)(in31);
    out32 <== ChainHash(32)(in32);
}

component main {public [in1, in16, in17, in31, in32]} = ChainHashes();
