pragma circom 2.2.0;

include "widths.circom";

// Packed encodings of the public parameters (docs/SPEC.md, "Packed words").
// A value list is laid out greedily in order: a value goes into the current word if it fits in
// WORD_BITS() bits, otherwise it starts the next word; values are never split. Word w is
// sum(value_i * 2^shift_i) over its values. Every packed value is range-checked to its width by
// the caller, which makes the packing injective. prover/encoding.ts implements the same layout.

// kind 0: price list  = [epochId, markPrice[0..N-1], collateralPriceE18[0..M-1]]
// kind 1: risk list   = [maxLeverageBps, (maint_i, initial_i, impact_i) for each market,
//                        haircut_j for each asset, shock[k][i] + 2^14 row by row]
function packCount(kind, N, M, S) {
    if (kind == 0) { return 1 + N + M; }
    return 1 + 3 * N + M + S * N;
}

function packWidth(kind, i, N, M, S) {
    if (kind == 0) {
        if (i == 0) { return EPOCH_BITS(); }
        if (i <= N) { return MARK_BITS(); }
        return PRICE_E18_BITS();
    }
    if (i == 0) { return LEVERAGE_BITS(); }
    if (i <= 3 * N + M) { return BPS_BITS(); }
    return SHOCK_BITS() + 1;
}

// word index (what = 0) or bit shift (what = 1) of value i; what = 2 returns the word count
function packLayout(kind, i, N, M, S, what) {
    var word = 0;
    var shift = 0;
    var count = packCount(kind, N, M, S);
    for (var j = 0; j < count; j++) {
        var w = packWidth(kind, j, N, M, S);
        if (shift + w > WORD_BITS()) { word++; shift = 0; }
        if (j == i && what == 0) { return word; }
        if (j == i && what == 1) { return shift; }
        shift += w;
    }
    return word + 1;
}

function packWords(kind, N, M, S) { return packLayout(kind, 0, N, M, S, 2); }
