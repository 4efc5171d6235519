pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// Audit fixture (test/audit.test.ts): signals left unbounded on purpose, each named by an audit
// tag, next to prose that says the same in the style of the shipped circuits (the table reads
// only the tags; the test rewrites this prose and expects the same table).

// Tagged(): out = H(amount, blinding, key) and the share floor(amount * rateBps / depth).
//
// NOTE (caller obligation): the circuit does NOT check
//   1 <= depth < 2^32, rateBps <= 10000 (only < 2^14).
// A verifier must accept only parameters validated against these bounds.
//
// FIELD ELEMENTS BY DESIGN: blinding key
//   both are only hashed into out, so any field element is fine.
//
// @audit caller-obligation: depth — 1 <= depth < 2^32 is validated by whoever posts it
// @audit caller-obligation: rateBps — checked to < 2^14 only; <= 10000 is validated by the caller
// @audit by-design: blinding — hashed into out; any field element is fine
template Tagged() {
    signal input amount;
    signal input rateBps;
    signal input depth;
    signal input blinding;
    signal input key[2];
    signal output out;
    signal output share;

    component amountBits = Num2Bits(32);
    amountBits.in <== amount;
    component rateBits = Num2Bits(14);
    rateBits.in <== rateBps;

    // share = floor(amount * rateBps / depth): remainder in [0, 2^32)
    signal scaled <== amount * rateBps;
    share <-- scaled \ depth;
    component shareBits = Num2Bits(46);
    shareBits.in <== share;
    component remBits = Num2Bits(32);
    remBits.in <== scaled - share * depth;

    component hash = Poseidon(4);
    hash.inputs <== [amount, blinding, key[0], key[1]];   // @audit by-design: key -- hashed, like blinding
    out <== hash.out;
}

component main = Tagged();
