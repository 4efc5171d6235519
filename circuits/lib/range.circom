pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";

// Signed range check: -2^k < in < 2^k, exactly.
// Decomposes u = in + 2^k into k+1 bits (so -2^k <= in < 2^k) and proves u != 0 (so in != -2^k).
// bits[k] is 1 iff in >= 0. Costs k+2 constraints; every internal signal is unique.
template SignedRange(k) {
    signal input in;
    signal output bits[k + 1];
    signal output nonNeg;

    signal u <== in + 2 ** k;
    component n2b = Num2Bits(k + 1);
    n2b.in <== u;
    bits <== n2b.out;

    signal uInv;
    uInv <-- 1 / u;
    u * uInv === 1;

    nonNeg <== bits[k];
}

// out = 1 iff in != 0. Unlike circomlib IsZero, the helper inverse is pinned to 0 when in = 0,
// so the witness is unique (no free signal for a mutation audit to flip). 3 constraints.
template IsNonZeroStrict() {
    signal input in;
    signal output out;
    signal inv;
    inv <-- in != 0 ? 1 / in : 0;
    out <== in * inv;
    in * (1 - out) === 0;
    (1 - out) * inv === 0;
}

// min-like cap of a non-negative value given by its bits: returns low + nz * 2^t where
// low = value mod 2^t and nz = 1 iff value >= 2^t. The result is <= value, equals value when
// value < 2^t, and is >= 2^t otherwise. Costs 3 constraints (the bits are the caller's).
template CapFromBits(n, t) {
    signal input bits[n];
    signal output out;
    var low = 0;
    var high = 0;
    for (var b = 0; b < t; b++) { low += bits[b] * 2 ** b; }
    for (var b = t; b < n; b++) { high += bits[b]; }
    component nz = IsNonZeroStrict();
    nz.in <== high;
    out <== low + nz.out * 2 ** t;
}

// out = 1 iff a == b, with a unique witness (IsNonZeroStrict). 3 constraints.
template IsEqualStrict() {
    signal input a;
    signal input b;
    signal output out;
    component nz = IsNonZeroStrict();
    nz.in <== a - b;
    out <== 1 - nz.out;
}

// in != 0, with the inverse as the (unique) helper witness. 1 constraint.
template NonZero() {
    signal input in;
    signal inv;
    inv <-- 1 / in;
    inv * in === 1;
}
