pragma circom 2.2.0;

// Derived bit widths of the zkmargin v1 model. The TypeScript twin is prover/widths.ts (a test
// compares every value); docs/SPEC.md derives each one. Input widths are generated.

// ---- inputs: generated into constants.circom from prover/constants.ts (SIZE_BITS, COST_BITS,
// FUND_BITS, AMOUNT_BITS, MARK_BITS, PRICE_E18_BITS, EPOCH_BITS, LEVERAGE_BITS, BPS_BITS,
// SHOCK_BITS, DEPTH_BITS, WORD_BITS, EPHEMERAL_BITS, BINDING_BITS)
include "constants.circom";

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
