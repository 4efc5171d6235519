pragma circom 2.2.0;

// Bit widths of the zkmargin v1 model. The TypeScript twin is prover/widths.ts; docs/SPEC.md
// derives every intermediate width. Change nothing here without changing both.

// ---- inputs (stated by the model) ------------------------------------------------------
function SIZE_BITS() { return 40; }          // |size| < 2^40 lots
function COST_BITS() { return 100; }         // |costBasis| < 2^100 quote units
function FUND_BITS() { return 63; }          // |entryFunding|, |fundingIndex| < 2^63
function AMOUNT_BITS() { return 96; }        // collateral amount < 2^96
function MARK_BITS() { return 48; }          // markPrice < 2^48
function PRICE_E18_BITS() { return 96; }     // collateral priceE18 < 2^96
function EPOCH_BITS() { return 64; }         // epochId < 2^64
function LEVERAGE_BITS() { return 32; }      // maxLeverageBps < 2^32
function BPS_BITS() { return 14; }           // in-circuit bound of every bps field (< 16384)
function SHOCK_BITS() { return 14; }         // in-circuit bound |shock| <= 2^14 (encoded shock + 2^14)
function DEPTH_BITS() { return 96; }         // NOT checked in-circuit (NOTE in margin.circom)

// ---- derived -----------------------------------------------------------------------------
function ceilLog2(n) {
    var r = 0;
    while ((1 << r) < n) { r++; }
    return r;
}
// notional, |s * P| < 2^(40+48)
function NOTIONAL_BITS() { return SIZE_BITS() + MARK_BITS(); }
// collateral value floor(a * p * (10000 - h) / 1e22) < 2^206 / 1e22 < 2^133
function VALUE_BITS() { return 133; }
function VALUE_SUM_BITS(M) { return VALUE_BITS() + ceilLog2(M); }
// |E| < M * 2^133 + N * 2^104.1  -> one more bit than the collateral sum
function EQUITY_BITS(M) { return VALUE_SUM_BITS(M) + 1; }
// remainder of the collateral floor division: [0, 1e22) inside [0, 2^74)
function REM_BITS() { return 74; }
// ceil slack t = req * 10000 * depth - num in [0, 10000 * depth) inside [0, 2^110)
function SLACK_BITS() { return 110; }
// stress: |sum_i sP_i * shock_k,i| < N * 2^88 * 2^14; E is capped at 2^STRESS_CAP_BITS
function STRESS_CAP_BITS(N) { return NOTIONAL_BITS() + SHOCK_BITS() + ceilLog2(N) - 13; }
function STRESS_BITS(N) { return STRESS_CAP_BITS(N) + 15; }
// leverage: 10000 * G < 10000 * N * 2^88 < 2^(88 + log2 N + 14); E is capped at 2^LEV_CAP_BITS
function LEV_CAP_BITS(N) { return NOTIONAL_BITS() + ceilLog2(N) + 14; }
function LEV_CHECK_BITS(N) { return LEV_CAP_BITS(N) + 1 + LEVERAGE_BITS(); }
// packed words carry at most 253 bits so every word is < 2^253 < r
function WORD_BITS() { return 253; }

// ---- transitions ---------------------------------------------------------------------------
// ephemeral encryption scalar e < 2^251 (Baby Jubjub prime subgroup order l ~ 2^250.6)
function EPHEMERAL_BITS() { return 251; }
// transition context = op (105 bits) + 2^105 * binding tag (106 bits) < 2^211 < r
function BINDING_BITS() { return 106; }
