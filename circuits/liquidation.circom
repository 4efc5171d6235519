pragma circom 2.2.0;

include "margin.circom";

// Liquidation by proof (issue #9): the holder of the liquidation key, who replays every
// account's hidden portfolio from its encrypted transition log, proves that an account's
// COMMITTED portfolio is below maintenance at an epoch, revealing nothing else. A witness exists
// iff the portfolio FAILS MarginCheck at level 0 (maintenance): the exact complement of
// MarginCheck, integers and rounding included. The TypeScript twin is prover/liquidation.ts;
// docs/SPEC.md ("Liquidation proof (MarginViolation)") derives every width below.
//
// Unlike MarginCheck, every quantity a violation depends on is EXACT here: in MarginCheck a
// trader may only under-claim collateral value or over-claim requirements (which only hurts
// itself); a liquidator would use the same freedom to fake a violation.

// ---- widths (prover/liquidation.ts has the twin; test/liquidation.test.ts compares them) ------
function liqMax(a, b) { return a > b ? a : b; }
// |U_i| < 2^88 + 2^100 + 2^104 < 2^105 (|F_i| < 2^63 is checked here), |sum U_i| < N * 2^105
function LIQ_PNL_BITS(N) { return 105 + ceilLog2(N); }
// signed equity: -2^136 < -N * 2^105 < E < M * 2^133 + N * 2^105 < 2^136 (at N = 8, M = 4)
function LIQ_EQUITY_BITS(N, M) { return liqMax(VALUE_SUM_BITS(M), LIQ_PNL_BITS(N)) + 1; }
// requirement cap 2^LIQ_EQUITY_BITS > E: q_i = min(req_i, cap) in [0, cap], checked in 137 bits
function LIQ_REQ_BITS(N, M) { return LIQ_EQUITY_BITS(N, M) + 1; }
// num_i = n_i * (rate_i * D_i + n_i * impact_i) < 2^88 * (2^14 * 2^96 + 2^88 * 2^14) < 2^199
function LIQ_NUM_BITS() { return NOTIONAL_BITS() + BPS_BITS() + DEPTH_BITS() + 1; }
// the selected rule's margin d >= 0, |d| < 2^169 for every rule (LEVERAGE: 2^32 * 2^136 + 2^105)
function LIQ_CHECK_BITS(N, M) {
    var e = LIQ_EQUITY_BITS(N, M);
    var margin = e + ceilLog2(N) + 1;                    // sum q_i - E - 1 < (N + 1) * 2^136
    var stress = e + BPS_BITS() + 1;                     // 10000 |E| + N * 2^88 * 2^14 < 2^151
    var cap = SIZE_BITS() + 1;                           // |s_i| - cap_i - 1, both < 2^40
    var leverage = e + LEVERAGE_BITS() + 1;              // maxLev |E| + 10000 G < 2^169
    var w = margin;
    if (stress > w) { w = stress; }
    if (cap > w) { w = cap; }
    if (leverage > w) { w = leverage; }
    return w;
}
// rules, in the selector's order: MARGIN, STRESS_0..S-1, POSITION_CAP_0..N-1, LEVERAGE
function LIQ_RULES(N, S) { return N + S + 2; }

// MarginViolation(N, M, S): a witness exists iff the portfolio violates the rule the one-hot
// `selector` picks, at maintenance:
//   MARGIN          R - E - 1 >= 0          R = sum_i ceil(num_i / den_i), den_i = 10000 * D_i
//   STRESS_k        -(10000 * E + sum_i s_i * P_i * shock_k,i) - 1 >= 0
//   POSITION_CAP_i  |s_i| - positionCap_i - 1 >= 0
//   LEVERAGE        10000 * G - maxLeverageBps * E - 1 >= 0
// with E = C + sum U_i SIGNED and exact, v_j exact floors, req_i exact ceilings (capped at
// 2^136 > E, which cannot change the MARGIN verdict). The selected d is checked in
// [0, 2^LIQ_CHECK_BITS): every rule's d satisfies |d| < 2^169 < (r - 1) / 2, so a negative d
// (the rule holds) is a field element >= r - 2^169 > 2^169 and fails the check. No wrap-around.
// This template range-checks the parameters its widths rely on that MarginCheck leaves to the
// epoch registry: 1 <= depth_i <= 2^96, |fundingIndex_i| < 2^63, positionCap_i < 2^40.
// NOTE (caller obligation): the portfolio must be range-checked by PortfolioRange, with
// sizeNonNeg its output for the same sizes, and the packed parameters by ParamsHash
// (markPrice < 2^48, priceE18 < 2^96, maxLeverageBps < 2^32, bps < 2^14, |shock| <= 2^14).
template MarginViolation(N, M, S) {
    signal input selector[N + S + 2];
    signal input maxLeverageBps;
    signal input markPrice[N];
    signal input fundingIndex[N];
    signal input maintenanceRateBps[N];
    signal input impactBps[N];
    signal input depth[N];
    signal input positionCap[N];
    signal input collateralPriceE18[M];
    signal input haircutBps[M];
    signal input shocks[S][N];
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input sizeNonNeg[N];

    var EB = LIQ_EQUITY_BITS(N, M);
    var R = LIQ_RULES(N, S);

    // ================================================================ parameters
    // the widths below need these; the margin circuits leave them to the epoch registry
    component depthRange[N];
    component fundingRange[N];
    component positionCapRange[N];
    for (var i = 0; i < N; i++) {
        depthRange[i] = Num2Bits(DEPTH_BITS());             // 1 <= D_i <= 2^96
        depthRange[i].in <== depth[i] - 1;
        fundingRange[i] = SignedRange(FUND_BITS());          // |F_i| < 2^63
        fundingRange[i].in <== fundingIndex[i];
        positionCapRange[i] = Num2Bits(CAP_BITS());          // 0 <= cap_i < 2^40
        positionCapRange[i].in <== positionCap[i];
    }

    // ================================================================ selector
    // one-hot over the rules: every element a bit, exactly one set. The sum s of R bits is an
    // integer in [0, R], and s^2 = 1 in the field iff s = 1 (s = -1 = r - 1 > R is impossible).
    // Quadratic on purpose: the linear `s === 1` would let --O2 substitute one selector input
    // away (a private input without a wire of its own).
    component selectorBit[R];
    var selected = 0;
    for (var r = 0; r < R; r++) {
        selectorBit[r] = Num2Bits(1);
        selectorBit[r].in <== selector[r];
        selected += selector[r];
    }
    selected * selected === 1;

    // ================================================================ per-market quantities
    signal signedNotional[N];   // s_i * P_i            |.| < 2^88
    signal absSize[N];          // |s_i| = s_i * (2 * nonNeg_i - 1) < 2^40
    signal notional[N];         // n_i = |s_i| * P_i    < 2^88
    signal fundingOwed[N];      // s_i * (F_i - f_i)    |.| < 2^104
    var pnl = 0;                // sum U_i, |.| < N * 2^105
    var gross = 0;              // G = sum n_i < N * 2^88
    for (var i = 0; i < N; i++) {
        absSize[i] <== sizes[i] * (2 * sizeNonNeg[i] - 1);
        signedNotional[i] <== sizes[i] * markPrice[i];
        notional[i] <== absSize[i] * markPrice[i];
        fundingOwed[i] <== sizes[i] * (fundingIndex[i] - entryFunding[i]);
        pnl += signedNotional[i] - costBasis[i] - fundingOwed[i];
        gross += notional[i];
    }

    // ================================================================ collateral value
    // v_j = floor(a_j * priceE18_j * (10000 - haircut_j) / 10^22), EXACT: v_j in [0, 2^133) and
    // rem_j = a_j * priceE18_j * (10000 - haircut_j) - v_j * 10^22 in [0, 10^22) (both sides,
    // 74 bits each: 10^22 < 2^74). |v_j * 10^22| < 2^207 and the product < 2^206: no wrap, so
    // the integer equation holds and v_j is the floor. (A haircut above 10000 makes the product
    // negative and leaves no witness at all: it cannot fake a violation.)
    signal priced[M];           // a_j * priceE18_j   < 2^192
    signal value[M];
    component valueRange[M];
    component remLow[M];
    component remHigh[M];
    var collateralSum = 0;      // C < M * 2^133
    for (var j = 0; j < M; j++) {
        priced[j] <== collateral[j] * collateralPriceE18[j];
        value[j] <-- (priced[j] * (BPS_ONE() - haircutBps[j])) \ (VALUE_DIVISOR());
        valueRange[j] = Num2Bits(VALUE_BITS());
        valueRange[j].in <== value[j];
        remLow[j] = Num2Bits(REM_BITS());
        remLow[j].in <== priced[j] * (BPS_ONE() - haircutBps[j]) - value[j] * VALUE_DIVISOR();
        remHigh[j] = Num2Bits(REM_BITS());
        remHigh[j].in <== VALUE_DIVISOR() - 1 - priced[j] * (BPS_ONE() - haircutBps[j]) + value[j] * VALUE_DIVISOR();
        collateralSum += value[j];
    }

    // ================================================================ equity
    // E = C + sum U_i, SIGNED (a bankrupt account has E < 0): -2^136 < E < 2^136. Implied by the
    // checks above; the SignedRange states it (and is what every width below assumes).
    signal equity <== collateralSum + pnl;
    component equityRange = SignedRange(EB);
    equityRange.in <== equity;

    // ================================================================ MARGIN
    // q_i = min(req_i, 2^136), req_i = ceil(num_i / den_i), EXACT:
    //   capped_i = (q_i == 2^136), 0 <= q_i <= 2^136                        (137 bits, twice)
    //   t_i = q_i * den_i - num_i < den_i, i.e. q_i <= req_i   (den_i - 1 - t_i in 199 bits)
    //   t_i >= 0 unless capped_i, i.e. q_i >= req_i            ((1 - capped_i) * t_i in 110 bits)
    // |q_i * den_i| <= 2^136 * 2^110 = 2^246 and num_i < 2^199: no wrap. Capping cannot change
    // the verdict: req_i >= 2^136 > E already violates MARGIN, and then q_i = 2^136 > E too.
    // Without the cap q_i would need 177 bits and q_i * den_i would wrap (then t_i in [0, den_i)
    // would not pin q_i).
    signal rateDepth[N];
    signal notionalImpact[N];
    signal num[N];
    signal req[N];
    signal reqDepth[N];
    signal slack[N];
    component reqRange[N];
    component reqCapRange[N];
    component capped[N];
    component slackLow[N];
    component slackHigh[N];
    var requirement = 0;        // sum q_i <= N * 2^136
    for (var i = 0; i < N; i++) {
        rateDepth[i] <== maintenanceRateBps[i] * depth[i];
        notionalImpact[i] <== notional[i] * impactBps[i];
        num[i] <== notional[i] * (rateDepth[i] + notionalImpact[i]);

        // witness only: min(ceil(num_i / den_i), 2^136); pinned by the four checks below
        req[i] <-- liqMin((num[i] + BPS_ONE() * depth[i] - 1) \ (BPS_ONE() * depth[i]), 2 ** EB);
        reqRange[i] = Num2Bits(LIQ_REQ_BITS(N, M));
        reqRange[i].in <== req[i];
        reqCapRange[i] = Num2Bits(LIQ_REQ_BITS(N, M));
        reqCapRange[i].in <== 2 ** EB - req[i];
        capped[i] = IsEqualStrict();
        capped[i].a <== req[i];
        capped[i].b <== 2 ** EB;

        reqDepth[i] <== req[i] * depth[i];
        slackHigh[i] = Num2Bits(LIQ_NUM_BITS());
        slackHigh[i].in <== BPS_ONE() * depth[i] - 1 - (BPS_ONE() * reqDepth[i] - num[i]);
        slack[i] <== (1 - capped[i].out) * (BPS_ONE() * reqDepth[i] - num[i]);
        slackLow[i] = Num2Bits(SLACK_BITS());
        slackLow[i].in <== slack[i];
        requirement += req[i];
    }

    // ================================================================ the selected rule
    // d_r for every rule, then the selected one, sum_r selector_r * d_r, in [0, 2^169)
    signal shockTerm[S][N];
    signal stressEquity[S];     // X_k = 10000 * E + sum_i s_i * P_i * shock_k,i, |.| < 2^151
    for (var k = 0; k < S; k++) {
        var delta = 0;
        for (var i = 0; i < N; i++) {
            shockTerm[k][i] <== signedNotional[i] * shocks[k][i];
            delta += shockTerm[k][i];
        }
        stressEquity[k] <== BPS_ONE() * equity + delta;
    }
    signal leverageEquity <== maxLeverageBps * equity;      // |.| < 2^168

    signal term[R];
    term[0] <== selector[0] * (requirement - equity - 1);                       // MARGIN
    for (var k = 0; k < S; k++) {
        term[1 + k] <== selector[1 + k] * (-stressEquity[k] - 1);               // STRESS_k
    }
    for (var i = 0; i < N; i++) {
        term[1 + S + i] <== selector[1 + S + i] * (absSize[i] - positionCap[i] - 1);  // POSITION_CAP_i
    }
    term[R - 1] <== selector[R - 1] * (BPS_ONE() * gross - leverageEquity - 1); // LEVERAGE
    var violation = 0;
    for (var r = 0; r < R; r++) { violation += term[r]; }
    component violationRange = Num2Bits(LIQ_CHECK_BITS(N, M));
    violationRange.in <== violation;
}

function liqMin(a, b) { return a < b ? a : b; }

// LiquidationProof(N, M, S): the committed portfolio (commitment) is below maintenance under the
// risk epoch hashed in paramsHash. Reuses PortfolioRange, PortfolioCommitment and ParamsHash
// unchanged, so commitment and paramsHash are exactly MarginProof's and Transition's.
//
// Public signals, in order: [commitment, paramsHash, binding] (snarkjs puts the outputs first,
// then the public inputs).
//
// A witness exists iff the committed portfolio fails MarginCheck at level 0 (MARGIN, STRESS,
// POSITION_CAP or LEVERAGE, integers and rounding as in MarginCheck). The private selector
// names the violated rule; it changes no public signal.
//
// NOTE (caller obligation): accept only the paramsHash of a posted epoch and the account's
// current commitment. The bps fields and shocks are range-checked to their packed widths only
// (< 2^14, |x| <= 2^14), which is all the widths above need: a bps field above 10000 gives the
// same verdict as the reference model evaluated on it (a haircut above 10000 leaves no witness).
// depth, fundingIndex and positionCap are range-checked in MarginViolation.
template LiquidationProof(N, M, S) {
    // ---------------------------------------------------------------- public
    signal input binding;           // verifier-chosen context (account, chain, contract, nonce)
    signal output commitment;
    signal output paramsHash;

    // ---------------------------------------------------------------- parameters (private)
    signal input epochId;
    signal input maxLeverageBps;
    signal input markPrice[N];
    signal input fundingIndex[N];
    signal input maintenanceRateBps[N];
    signal input initialRateBps[N];
    signal input impactBps[N];
    signal input depth[N];
    signal input positionCap[N];
    signal input collateralPriceE18[M];
    signal input haircutBps[M];
    signal input shocks[S][N];

    // ---------------------------------------------------------------- portfolio (private)
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input salt;

    // ---------------------------------------------------------------- the violated rule (private)
    signal input selector[N + S + 2];

    // binding enters a constraint so it cannot be detached from the proof
    signal bindingSquare <== binding * binding;

    component range = PortfolioRange(N, M);
    range.sizes <== sizes;
    range.costBasis <== costBasis;
    range.entryFunding <== entryFunding;
    range.collateral <== collateral;

    component violation = MarginViolation(N, M, S);
    violation.selector <== selector;
    violation.maxLeverageBps <== maxLeverageBps;
    violation.markPrice <== markPrice;
    violation.fundingIndex <== fundingIndex;
    violation.maintenanceRateBps <== maintenanceRateBps;
    violation.impactBps <== impactBps;
    violation.depth <== depth;
    violation.positionCap <== positionCap;
    violation.collateralPriceE18 <== collateralPriceE18;
    violation.haircutBps <== haircutBps;
    violation.shocks <== shocks;
    violation.sizes <== sizes;
    violation.costBasis <== costBasis;
    violation.entryFunding <== entryFunding;
    violation.collateral <== collateral;
    violation.sizeNonNeg <== range.sizeNonNeg;

    component commit = PortfolioCommitment(N, M);
    commit.sizes <== sizes;
    commit.costBasis <== costBasis;
    commit.entryFunding <== entryFunding;
    commit.collateral <== collateral;
    commit.salt <== salt;
    commitment <== commit.out;

    component params = ParamsHash(N, M, S);
    params.epochId <== epochId;
    params.maxLeverageBps <== maxLeverageBps;
    params.markPrice <== markPrice;
    params.fundingIndex <== fundingIndex;
    params.maintenanceRateBps <== maintenanceRateBps;
    params.initialRateBps <== initialRateBps;
    params.impactBps <== impactBps;
    params.depth <== depth;
    params.positionCap <== positionCap;
    params.collateralPriceE18 <== collateralPriceE18;
    params.haircutBps <== haircutBps;
    params.shocks <== shocks;
    paramsHash <== params.out;
}
