pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "lib/widths.circom";
include "lib/range.circom";
include "lib/hash.circom";
include "lib/pack.circom";

// The margin rule lives in MarginCheck (below); MarginProof binds it to a committed portfolio
// and a hashed risk epoch, and circuits/transition.circom reuses the same pieces.

// PortfolioRange(N, M): every portfolio value at its stated width (docs/SPEC.md, "Widths"):
// |s_i| < 2^40, |c_i| < 2^100, |f_i| < 2^63, 0 <= a_j < 2^96. sizeNonNeg[i] = 1 iff s_i >= 0.
// These ranges make the packed position and amount words injective (PortfolioCommitment) and
// are what MarginCheck's width analysis assumes.
template PortfolioRange(N, M) {
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal output sizeNonNeg[N];

    component sizeRange[N];
    component costRange[N];
    component fundRange[N];
    component amountRange[M];
    for (var i = 0; i < N; i++) {
        sizeRange[i] = SignedRange(SIZE_BITS());        // |s_i| < 2^40
        sizeRange[i].in <== sizes[i];
        costRange[i] = SignedRange(COST_BITS());        // |c_i| < 2^100
        costRange[i].in <== costBasis[i];
        fundRange[i] = SignedRange(FUND_BITS());        // |f_i| < 2^63
        fundRange[i].in <== entryFunding[i];
    }
    for (var j = 0; j < M; j++) {
        amountRange[j] = Num2Bits(AMOUNT_BITS());        // 0 <= a_j < 2^96
        amountRange[j].in <== collateral[j];
    }
    for (var i = 0; i < N; i++) { sizeNonNeg[i] <== sizeRange[i].nonNeg; }
}

// MarginCheck(N, M, S): the margin rule. A witness exists iff the portfolio is healthy at
// `level` (0 = maintenance, 1 = initial) under the parameters:
//   MARGIN        E >= R = sum_i ceil((n_i * rate_i * D_i + n_i^2 * impact_i) / (10000 * D_i))
//   STRESS        10000 * E + sum_i s_i * P_i * shock_k,i >= 0          for every scenario k
//   POSITION_CAP  |s_i| <= positionCap_i                                 for every market i
//   LEVERAGE      10000 * G <= maxLeverageBps * E
// NOTE (caller obligation): the portfolio must be range-checked by PortfolioRange, with
// sizeNonNeg its output for the same sizes, and `level` must be a bit. The parameters must
// satisfy every bound of docs/SPEC.md that is not checked in-circuit (see MarginProof's NOTE).
template MarginCheck(N, M, S) {
    signal input level;
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
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input sizeNonNeg[N];

    // ================================================================ per-market quantities
    signal signedNotional[N];   // s_i * P_i            |.| < 2^88
    signal notional[N];         // n_i = |s_i| * P_i    < 2^88
    signal fundingOwed[N];      // s_i * (F_i - f_i)    |.| < 2^104
    component capCheck[N];
    var pnl = 0;                // sum U_i, |.| < N * 2^104.1
    var gross = 0;              // G = sum n_i < N * 2^88
    for (var i = 0; i < N; i++) {
        // |s_i| = s_i * (2 * nonNeg_i - 1)
        // POSITION_CAP: positionCap_i - |s_i| in [0, 2^40)
        capCheck[i] = Num2Bits(SIZE_BITS());
        capCheck[i].in <== positionCap[i] - sizes[i] * (2 * sizeNonNeg[i] - 1);
        signedNotional[i] <== sizes[i] * markPrice[i];
        notional[i] <== signedNotional[i] * (2 * sizeNonNeg[i] - 1);
        fundingOwed[i] <== sizes[i] * (fundingIndex[i] - entryFunding[i]);
        // U_i = s_i * P_i - c_i - s_i * (F_i - f_i)
        pnl += signedNotional[i] - costBasis[i] - fundingOwed[i];
        gross += notional[i];
    }

    // ================================================================ collateral value
    // v_j = floor(a_j * priceE18_j * (10000 - haircut_j) / 10^22). The remainder is checked
    // one-sided in [0, 2^74): v_j can only be claimed too small, never too large. Each v_j is
    // bounded through the running sums K_1..K_{M-1} < 2^VALUE_SUM_BITS and the equity check
    // below (v_M = E - pnl - K_{M-1}), which rules out field wrap-around.
    signal priced[M];           // a_j * priceE18_j   < 2^192
    signal value[M];
    component remRange[M];
    component partialRange[M - 1];
    var collateralSum = 0;
    for (var j = 0; j < M; j++) {
        priced[j] <== collateral[j] * collateralPriceE18[j];
        value[j] <-- (priced[j] * (BPS_ONE() - haircutBps[j])) \ (VALUE_DIVISOR());
        // rem_j = a_j * priceE18_j * (10000 - haircut_j) - v_j * 10^22 in [0, 2^74)
        remRange[j] = Num2Bits(REM_BITS());
        remRange[j].in <== priced[j] * (BPS_ONE() - haircutBps[j]) - value[j] * (VALUE_DIVISOR());
        collateralSum += value[j];
        if (j < M - 1) {
            partialRange[j] = Num2Bits(VALUE_SUM_BITS(M));
            partialRange[j].in <== collateralSum;
        }
    }

    // ================================================================ equity
    // E = C + sum U_i; 0 <= E < 2^EQUITY_BITS (E >= 0 is implied by MARGIN anyway)
    signal equity <== collateralSum + pnl;
    component equityBits = Num2Bits(EQUITY_BITS(M));
    equityBits.in <== equity;

    // ================================================================ MARGIN
    // req_i = ceil(num_i / den_i), num_i = n_i * (rate_i * D_i + n_i * impact_i),
    // den_i = 10000 * D_i. The chain headroom[0] = E, headroom[i+1] = headroom[i] - req_i with
    // every headroom[i+1] in [0, 2^EQUITY_BITS) proves E - R >= 0 (the last link) and bounds
    // each req_i; the slack t_i = req_i * den_i - num_i in [0, 2^110) proves
    // req_i >= num_i / den_i. Over-claiming req_i only hurts the trader, so this is exact.
    signal rate[N];
    signal rateDepth[N];
    signal notionalImpact[N];
    signal num[N];
    signal headroom[N + 1];
    component headroomRange[N];
    component slackRange[N];
    headroom[0] <== equity;
    for (var i = 0; i < N; i++) {
        rate[i] <== maintenanceRateBps[i] + level * (initialRateBps[i] - maintenanceRateBps[i]);
        rateDepth[i] <== rate[i] * depth[i];
        notionalImpact[i] <== notional[i] * impactBps[i];
        num[i] <== notional[i] * (rateDepth[i] + notionalImpact[i]);

        // witness only: req_i = ceil(num_i / den_i); constrained by the two range checks below
        headroom[i + 1] <-- headroom[i] - (num[i] + BPS_ONE() * depth[i] - 1) \ (BPS_ONE() * depth[i]);
        headroomRange[i] = Num2Bits(EQUITY_BITS(M));
        headroomRange[i].in <== headroom[i + 1];
        slackRange[i] = Num2Bits(SLACK_BITS());
        slackRange[i].in <== (headroom[i] - headroom[i + 1]) * (BPS_ONE() * depth[i]) - num[i];
    }

    // ================================================================ STRESS
    // X_k = 10000 * E + sum_i s_i * P_i * shock_k,i >= 0. Since |sum_i ...| < 10000 * 2^T with
    // T = STRESS_CAP_BITS(N), E may be replaced by Ecap = min-like(E, 2^T) <= E without
    // changing the verdict, which keeps every check at STRESS_BITS(N) bits.
    component stressCap = CapFromBits(EQUITY_BITS(M), STRESS_CAP_BITS(N));
    stressCap.bits <== equityBits.out;
    signal shockTerm[S][N];
    component stressRange[S];
    for (var k = 0; k < S; k++) {
        var delta = 0;
        for (var i = 0; i < N; i++) {
            shockTerm[k][i] <== signedNotional[i] * shocks[k][i];
            delta += shockTerm[k][i];
        }
        stressRange[k] = Num2Bits(STRESS_BITS(N));
        stressRange[k].in <== BPS_ONE() * stressCap.out + delta;
    }

    // ================================================================ LEVERAGE
    // 10000 * G <= maxLeverageBps * E. 10000 * G < 2^T with T = LEV_CAP_BITS(N), so E may be
    // capped at 2^T the same way (maxLeverageBps = 0 still forces G = 0).
    component levCap = CapFromBits(EQUITY_BITS(M), LEV_CAP_BITS(N));
    levCap.bits <== equityBits.out;
    component leverageRange = Num2Bits(LEV_CHECK_BITS(N));
    leverageRange.in <== maxLeverageBps * levCap.out - BPS_ONE() * gross;
}

// PortfolioCommitment(N, M): commitment = H(positionWords, amountWords, salt).
// NOTE (caller obligation): the values must be range-checked (PortfolioRange); the packing is
// injective only then.
template PortfolioCommitment(N, M) {
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input salt;
    signal output out;

    // ================================================================ commitment
    // word_i = (s_i + 2^40) + (c_i + 2^100) * 2^41 + (f_i + 2^63) * 2^142     (206 bits)
    // amounts packed two per word: a_2j + a_2j+1 * 2^96                         (192 bits)
    // commitment = H(word_0..word_{N-1}, amountWord_0.., salt)
    var AW = (M + 1) \ 2;
    component commitHash = ChainHash(N + AW + 1);
    for (var i = 0; i < N; i++) {
        commitHash.in[i] <== (sizes[i] + 2 ** SIZE_BITS())
            + (costBasis[i] + 2 ** COST_BITS()) * 2 ** (SIZE_BITS() + 1)
            + (entryFunding[i] + 2 ** FUND_BITS()) * 2 ** (SIZE_BITS() + COST_BITS() + 2);
    }
    for (var w = 0; w < AW; w++) {
        var amountWord = collateral[2 * w];
        if (2 * w + 1 < M) { amountWord += collateral[2 * w + 1] * 2 ** AMOUNT_BITS(); }
        commitHash.in[N + w] <== amountWord;
    }
    commitHash.in[N + AW] <== salt;
    out <== commitHash.out;
}

// ParamsHash(N, M, S): the epoch's paramsHash. Range-checks every packed value (so the packing
// is injective); depth, positionCap and fundingIndex are hashed as field elements.
template ParamsHash(N, M, S) {
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
    signal output out;

    // ================================================================ paramsHash
    // priceWords = pack(epochId, markPrice[], collateralPriceE18[])            (fast data)
    // fundingHash = H(fundingIndex[])                                          (periodic)
    // riskHash = H(depth[], positionCap[], pack(maxLev, rates, haircuts, shocks)) (slow data)
    // slowHash = H(fundingHash, riskHash)
    // paramsHash = H(priceWords..., slowHash)
    var PC = packCount(0, N, M, S);
    var PW = packWords(0, N, M, S);
    var priceVal[PC];
    priceVal[0] = epochId;
    for (var i = 0; i < N; i++) { priceVal[1 + i] = markPrice[i]; }
    for (var j = 0; j < M; j++) { priceVal[1 + N + j] = collateralPriceE18[j]; }
    component priceRange[PC];
    var priceWord[PW];
    for (var w = 0; w < PW; w++) { priceWord[w] = 0; }
    for (var x = 0; x < PC; x++) {
        priceRange[x] = Num2Bits(packWidth(0, x, N, M, S));
        priceRange[x].in <== priceVal[x];
        priceWord[packLayout(0, x, N, M, S, 0)] += priceVal[x] * 2 ** packLayout(0, x, N, M, S, 1);
    }

    component fundingHash = ChainHash(N);
    fundingHash.in <== fundingIndex;

    var RC = packCount(1, N, M, S);
    var RW = packWords(1, N, M, S);
    var riskVal[RC];
    riskVal[0] = maxLeverageBps;
    for (var i = 0; i < N; i++) {
        riskVal[1 + 3 * i] = maintenanceRateBps[i];
        riskVal[2 + 3 * i] = initialRateBps[i];
        riskVal[3 + 3 * i] = impactBps[i];
    }
    for (var j = 0; j < M; j++) { riskVal[1 + 3 * N + j] = haircutBps[j]; }
    for (var k = 0; k < S; k++) {
        for (var i = 0; i < N; i++) {
            riskVal[1 + 3 * N + M + k * N + i] = shocks[k][i] + 2 ** SHOCK_BITS();
        }
    }
    component riskRange[RC];
    var riskWord[RW];
    for (var w = 0; w < RW; w++) { riskWord[w] = 0; }
    for (var x = 0; x < RC; x++) {
        riskRange[x] = Num2Bits(packWidth(1, x, N, M, S));
        riskRange[x].in <== riskVal[x];
        riskWord[packLayout(1, x, N, M, S, 0)] += riskVal[x] * 2 ** packLayout(1, x, N, M, S, 1);
    }
    component riskHash = ChainHash(2 * N + RW);
    for (var i = 0; i < N; i++) {
        riskHash.in[i] <== depth[i];
        riskHash.in[N + i] <== positionCap[i];
    }
    for (var w = 0; w < RW; w++) { riskHash.in[2 * N + w] <== riskWord[w]; }

    // slowHash changes only with funding or risk posts; a price-only post rehashes PW + 1 inputs
    component slowHash = ChainHash(2);
    slowHash.in[0] <== fundingHash.out;
    slowHash.in[1] <== riskHash.out;
    component paramsHasher = ChainHash(PW + 1);
    for (var w = 0; w < PW; w++) { paramsHasher.in[w] <== priceWord[w]; }
    paramsHasher.in[PW] <== slowHash.out;
    out <== paramsHasher.out;
}

// MarginProof(N, M, S): a hidden portfolio of N perpetual positions and M collateral assets is
// healthy at `level` (0 = maintenance, 1 = initial) under the risk epoch hashed in `paramsHash`,
// against S stress scenarios. The TypeScript reference of the same model is prover/model.ts;
// docs/SPEC.md states every formula, encoding and bit width, and docs/AUDIT.md maps each to
// the templates and sections of this file.
//
// Public signals, in order: [commitment, paramsHash, level, binding].
//
// A witness exists iff the committed portfolio satisfies MarginCheck (MARGIN, STRESS,
// POSITION_CAP, LEVERAGE; integers, rounding against the trader) at `level`.
//
// NOTE (caller obligation): the parameters are private inputs bound only through paramsHash.
// The circuit range-checks every packed parameter (epochId, markPrice, collateralPriceE18,
// maxLeverageBps, all bps fields to < 2^14, shocks to |x| <= 2^14), but it does NOT check
//   depth_i in [1, 2^96), |fundingIndex_i| < 2^63, positionCap_i < 2^40,
//   maintenanceRateBps_i <= initialRateBps_i <= 10000, impactBps_i, haircutBps_j <= 10000,
//   |shock| <= 10000.
// A verifier must only accept a paramsHash computed from parameters validated against every
// bound of docs/SPEC.md (the on-chain epoch registry does this when an epoch is posted).
// The width analysis that makes the arithmetic wrap-free relies on depth and fundingIndex.
//
// Audit tags (read by `zkmargin audit`; grammar in docs/AUDIT.md, "Audit tags"): the bound
// after each dash is validated with the epoch, outside the circuit.
// @audit caller-obligation: depth — 1 <= depth_i < 2^96; hashed into paramsHash, never checked
// @audit caller-obligation: fundingIndex — |fundingIndex_i| < 2^63; hashed, never checked
// @audit caller-obligation: positionCap — positionCap_i < 2^40; checked only against |s_i|
// @audit caller-obligation: maintenanceRateBps — <= initialRateBps; checked to < 2^14 only
// @audit caller-obligation: initialRateBps — <= 10000; checked to < 2^14 only
// @audit caller-obligation: impactBps, haircutBps — <= 10000; checked to < 2^14 only
// @audit caller-obligation: shocks — |shock| <= 10000; checked to -2^14 <= x < 2^14 only
template MarginProof(N, M, S) {
    // ---------------------------------------------------------------- public
    signal input level;             // 0 = maintenance, 1 = initial
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

    // level is a bit; binding enters a constraint so it cannot be detached from the proof
    level * (level - 1) === 0;
    signal bindingSquare <== binding * binding;

    component range = PortfolioRange(N, M);
    range.sizes <== sizes;
    range.costBasis <== costBasis;
    range.entryFunding <== entryFunding;
    range.collateral <== collateral;

    component check = MarginCheck(N, M, S);
    check.level <== level;
    check.maxLeverageBps <== maxLeverageBps;
    check.markPrice <== markPrice;
    check.fundingIndex <== fundingIndex;
    check.maintenanceRateBps <== maintenanceRateBps;
    check.initialRateBps <== initialRateBps;
    check.impactBps <== impactBps;
    check.depth <== depth;
    check.positionCap <== positionCap;
    check.collateralPriceE18 <== collateralPriceE18;
    check.haircutBps <== haircutBps;
    check.shocks <== shocks;
    check.sizes <== sizes;
    check.costBasis <== costBasis;
    check.entryFunding <== entryFunding;
    check.collateral <== collateral;
    check.sizeNonNeg <== range.sizeNonNeg;

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
