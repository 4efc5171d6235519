pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";
include "margin.circom";

// |U| < N * 2^105 (|s P| < 2^88, |c| < 2^100, |s (F - f)| < 2^104): the net PnL's signed width
function TAKEOVER_PNL_BITS(N) { return 105 + ceilLog2(N); }
// cash = a_0 + V - settled: -2^108 < cash < 2^96 + 3 * 2^133 < 2^136
function TAKEOVER_CASH_BITS() { return 136; }

// Takeover(N, M, S): the liquidation key holder, who replays every account (frozen ones and the
// backstop's), unwinds a FROZEN account into the protocol's backstop account at the epoch's mark
// price, without publishing a position. The TypeScript twin is prover/takeover.ts (takeover());
// docs/SPEC.md ("Takeover") and docs/PROTOCOL.md ("Takeover and the loss waterfall") state the same rules.
//
// Public signals, in order (8):
//   [frozenCommitment, residualCommitment, backstopCommitment, backstopNewCommitment,
//    paramsHash, context, flows, cover]
// context = binding + 2^106 * (penaltyBps + 2^14 * residualFlat + 2^15 * backstopFlat)
// flows   = settled + 2^108 * penalty        (settled < 2^108, penalty < 2^96)
// cover   = badDebt + 2^108 * vaultCover     (badDebt < 2^108, vaultCover < 2^96)
//
// The frozen portfolio L (sizes s, cost c, entry funding f, collateral a) at the epoch
// (marks P, funding F):
//   c~_i = c_i + s_i (F_i - f_i)                       funding settled
//   U = sum_i (s_i P_i - c~_i)                         net unrealised PnL, |U| < 2^108
//   claim = max(U, 0), settled = max(-U, 0)            the loss collected into the PnL pool
//   V = sum_{j>=1} floor(a_j * priceE18_j * (10000 - haircut_j) / 1e22)
//                                                      L's other collateral, bought by the
//                                                      backstop at its haircut value (floor)
//   cash = a_0 + V - settled                           signed, |cash| < 2^136
//   badDebt = max(-cash, 0)                            the loss L's collateral cannot pay
//   pen = ceil(penaltyBps * G / 10000), G = sum_i |s_i| P_i
//   penalty = min(pen, max(cash, 0))                   to the insurance fund
//   residual = max(cash, 0) - penalty                  L's owner keeps it, withdrawable
// The residual portfolio L' (salt Poseidon(salt, 2)): no position, cost basis -claim on market 0
// (an unrealised profit stays a claim on the PnL pool, realised like any other: U'_0 = claim),
// entry funding F, collateral [residual, 0, .., 0]. residualFlat = [claim == 0].
// The backstop B (its own opening; salt' = Poseidon(backSalt, 3)) takes every position at mark:
//   s'_i = s^B_i + s_i, c'_i = c^B_i + s^B_i (F_i - f^B_i) + s_i P_i, f'_i = F_i
//   a'_0 = a^B_0 - V - vaultCover,  a'_j = a^B_j + a_j (j >= 1)
// and must stay healthy at the INITIAL level (MarginCheck, level 1), with settlement cash
// a'_0 + sum_i (s'_i P_i - c'_i) >= 0 (the CASH rule), and a'_0 >= 0 (it pays V and its share
// of the bad debt). backstopFlat = [every s'_i and c'_i is 0]. A backstop that cannot afford the
// takeover has no witness: the waterfall does not reach it.
// Conservation: sum_i c changes by -settled over L and B (the PnL pool gains settled); token 0
// moves a_0 - residual out of L and V + vaultCover out of B; the contract adds settled to the
// pool and penalty - (badDebt - vaultCover) to the insurance fund, which sums to zero.
//
// NOTE (caller obligations): frozenCommitment and backstopCommitment come from storage (the
// frozen account's and the backstop's), paramsHash from the latest fresh epoch, the binding in
// context from the verifier's state, penaltyBps from its configuration; the contract checks
// vaultCover <= badDebt and badDebt - vaultCover <= insuranceFund (the fund's share, paid first;
// the backstop may pay more, never less). The epoch's parameters carry MarginProof's
// caller obligations; fundingIndex is range-checked here (it becomes both new entry fundings).
//
// Audit tags (read by `zkmargin audit`; docs/AUDIT.md, "Audit tags"):
// @audit caller-obligation: depth — 1 <= depth_i < 2^96; hashed into paramsHash, never checked
// @audit caller-obligation: positionCap — positionCap_i < 2^40; checked only against |s'_i|
// @audit caller-obligation: maintenanceRateBps — <= initialRateBps; checked to < 2^14 only
// @audit caller-obligation: initialRateBps — <= 10000; checked to < 2^14 only
// @audit caller-obligation: impactBps, haircutBps — <= 10000; checked to < 2^14 only
// @audit caller-obligation: shocks — |shock| <= 10000; checked to -2^14 <= x < 2^14 only
template Takeover(N, M, S) {
    // ---------------------------------------------------------------- public
    signal input frozenCommitment;
    signal input residualCommitment;
    signal input backstopCommitment;
    signal input backstopNewCommitment;
    signal input paramsHash;
    signal input context;
    signal input flows;
    signal input cover;

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

    // ---------------------------------------------------------------- frozen portfolio (private)
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input salt;

    // ---------------------------------------------------------------- backstop portfolio (private)
    signal input backSizes[N];
    signal input backCostBasis[N];
    signal input backEntryFunding[N];
    signal input backCollateral[M];
    signal input backSalt;

    // ================================================================ public words
    // TypeScript twin: prover/takeover.ts (takeoverContext, takeoverFlows)
    var FLAGS = BINDING_BITS() + BPS_BITS();
    component contextBits = Num2Bits(FLAGS + 2);
    contextBits.in <== context;
    var penaltyBps = 0;
    for (var b = 0; b < BPS_BITS(); b++) { penaltyBps += contextBits.out[BINDING_BITS() + b] * 2 ** b; }
    signal residualFlat <== contextBits.out[FLAGS];
    signal backstopFlat <== contextBits.out[FLAGS + 1];

    var FLOW = TAKEOVER_PNL_BITS(N);
    component flowBits = Num2Bits(FLOW + AMOUNT_BITS());
    flowBits.in <== flows;
    component coverBits = Num2Bits(FLOW + AMOUNT_BITS());
    coverBits.in <== cover;
    var settledPub = 0;
    var badDebtPub = 0;
    for (var b = 0; b < FLOW; b++) {
        settledPub += flowBits.out[b] * 2 ** b;
        badDebtPub += coverBits.out[b] * 2 ** b;
    }
    var penaltyPub = 0;
    var vaultCover = 0;
    for (var b = 0; b < AMOUNT_BITS(); b++) {
        penaltyPub += flowBits.out[FLOW + b] * 2 ** b;
        vaultCover += coverBits.out[FLOW + b] * 2 ** b;
    }

    // ================================================================ ranges
    // both old portfolios at their widths (unique openings, the widths below); F_i at 63 bits
    // (it becomes the entry funding of both new portfolios)
    component frozenRange = PortfolioRange(N, M);
    frozenRange.sizes <== sizes;
    frozenRange.costBasis <== costBasis;
    frozenRange.entryFunding <== entryFunding;
    frozenRange.collateral <== collateral;
    component backRange = PortfolioRange(N, M);
    backRange.sizes <== backSizes;
    backRange.costBasis <== backCostBasis;
    backRange.entryFunding <== backEntryFunding;
    backRange.collateral <== backCollateral;
    component fundingRange[N];
    for (var i = 0; i < N; i++) {
        fundingRange[i] = SignedRange(FUND_BITS());
        fundingRange[i].in <== fundingIndex[i];
    }

    // ================================================================ the frozen book at mark
    // TypeScript twin: prover/takeover.ts
    signal markValue[N];        // s_i P_i                |.| < 2^88
    signal fundingOwed[N];      // s_i (F_i - f_i)        |.| < 2^104
    signal absSize[N];          // |s_i|
    signal notional[N];         // |s_i| P_i              < 2^88
    var pnl = 0;                // U = sum_i (s_i P_i - c~_i)
    var gross = 0;              // G < N * 2^88
    for (var i = 0; i < N; i++) {
        markValue[i] <== sizes[i] * markPrice[i];
        fundingOwed[i] <== sizes[i] * (fundingIndex[i] - entryFunding[i]);
        absSize[i] <== sizes[i] * (2 * frozenRange.sizeNonNeg[i] - 1);
        notional[i] <== absSize[i] * markPrice[i];
        pnl += markValue[i] - costBasis[i] - fundingOwed[i];
        gross += notional[i];
    }
    component pnlSign = SignedRange(FLOW);
    pnlSign.in <== pnl;
    signal claim <== pnlSign.nonNeg * pnl;                  // max(U, 0)
    signal settled <== claim - pnl;                         // max(-U, 0)
    settledPub === settled;

    // ================================================================ conversion
    // v_j = floor(a_j * priceE18_j * (10000 - haircut_j) / 1e22) for j >= 1, EXACT (the owner
    // is paid the floor): v_j < 2^133 and the remainder in [0, 1e22) on both sides (74 bits
    // each); |v_j * 1e22| < 2^207 and the product < 2^206, so no wrap-around. A haircut above
    // 10000 makes the product negative and leaves no witness.
    signal priced[M];
    signal value[M];
    component valueRange[M];
    component remLow[M];
    component remHigh[M];
    var converted = 0;          // V < 3 * 2^133
    for (var j = 1; j < M; j++) {
        priced[j] <== collateral[j] * collateralPriceE18[j];
        value[j] <-- (priced[j] * (BPS_ONE() - haircutBps[j])) \ (VALUE_DIVISOR());
        valueRange[j] = Num2Bits(VALUE_BITS());
        valueRange[j].in <== value[j];
        remLow[j] = Num2Bits(REM_BITS());
        remLow[j].in <== priced[j] * (BPS_ONE() - haircutBps[j]) - value[j] * VALUE_DIVISOR();
        remHigh[j] = Num2Bits(REM_BITS());
        remHigh[j].in <== VALUE_DIVISOR() - 1 - priced[j] * (BPS_ONE() - haircutBps[j]) + value[j] * VALUE_DIVISOR();
        converted += value[j];
    }

    // ================================================================ cash, bad debt, penalty
    signal cash <== collateral[0] + converted - settled;
    component cashSign = SignedRange(TAKEOVER_CASH_BITS());
    cashSign.in <== cash;
    signal positive <== cashSign.nonNeg * cash;             // max(cash, 0)
    signal badDebt <== positive - cash;                     // max(-cash, 0)
    badDebtPub === badDebt;

    // pen = ceil(penaltyBps * G / 10000): 10000 pen - penaltyBps G in [0, 10000) (14 bits on both
    // sides); penaltyBps G < 2^105 and pen < 2^92, so no wrap-around
    signal penaltyBase <== penaltyBps * gross;
    signal pen;
    pen <-- (penaltyBase + BPS_ONE() - 1) \ BPS_ONE();
    component penRange = Num2Bits(AMOUNT_BITS());
    penRange.in <== pen;
    component penLow = Num2Bits(BPS_BITS());
    penLow.in <== BPS_ONE() * pen - penaltyBase;
    component penHigh = Num2Bits(BPS_BITS());
    penHigh.in <== BPS_ONE() - 1 - (BPS_ONE() * pen - penaltyBase);
    // fits = [pen <= positive]: positive - pen + 2^136 in (0, 2^137), bit 136 set iff fits
    component fits = Num2Bits(TAKEOVER_CASH_BITS() + 1);
    fits.in <== positive - pen + 2 ** TAKEOVER_CASH_BITS();
    signal penaltyShift <== fits.out[TAKEOVER_CASH_BITS()] * (pen - positive);
    signal penalty <== positive + penaltyShift;             // min(pen, positive)
    penaltyPub === penalty;
    signal residual <== positive - penalty;

    // ================================================================ the residual portfolio
    // no position; the claim as cost basis -claim on market 0; collateral [residual, 0, ..]
    component residualRange = Num2Bits(AMOUNT_BITS());
    residualRange.in <== residual;
    component claimRange = Num2Bits(COST_BITS());
    claimRange.in <== claim;
    component claimOpen = IsNonZeroStrict();
    claimOpen.in <== claim;
    residualFlat === 1 - claimOpen.out;

    component residualSalt = Poseidon(2);
    residualSalt.inputs <== [salt, 2];
    component residualCommit = PortfolioCommitment(N, M);
    for (var i = 0; i < N; i++) {
        residualCommit.sizes[i] <== 0;
        residualCommit.costBasis[i] <== i == 0 ? -claim : 0;
        residualCommit.entryFunding[i] <== fundingIndex[i];
    }
    residualCommit.collateral[0] <== residual;
    for (var j = 1; j < M; j++) { residualCommit.collateral[j] <== 0; }
    residualCommit.salt <== residualSalt.out;
    residualCommitment === residualCommit.out;

    // ================================================================ the backstop takes the book
    signal backOwed[N];         // s^B_i (F_i - f^B_i)
    signal newBackSizes[N];
    signal newBackCost[N];
    signal newBackMark[N];      // s'_i P_i
    signal newBackCollateral[M];
    var cashSum = 0;            // a'_0 + sum_i (s'_i P_i - c'_i)
    for (var i = 0; i < N; i++) {
        backOwed[i] <== backSizes[i] * (fundingIndex[i] - backEntryFunding[i]);
        newBackSizes[i] <== backSizes[i] + sizes[i];
        newBackCost[i] <== backCostBasis[i] + backOwed[i] + markValue[i];
        newBackMark[i] <== newBackSizes[i] * markPrice[i];
        cashSum += newBackMark[i] - newBackCost[i];
    }
    newBackCollateral[0] <== backCollateral[0] - converted - vaultCover;
    for (var j = 1; j < M; j++) { newBackCollateral[j] <== backCollateral[j] + collateral[j]; }
    cashSum += newBackCollateral[0];

    // the new backstop at its widths: a'_0 >= 0 (it pays V and its cover), |s'_i| < 2^40, ...
    component newBackRange = PortfolioRange(N, M);
    newBackRange.sizes <== newBackSizes;
    newBackRange.costBasis <== newBackCost;
    newBackRange.entryFunding <== fundingIndex;
    newBackRange.collateral <== newBackCollateral;

    // healthy at the initial level
    component check = MarginCheck(N, M, S);
    check.level <== 1;
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
    check.sizes <== newBackSizes;
    check.costBasis <== newBackCost;
    check.entryFunding <== fundingIndex;
    check.collateral <== newBackCollateral;
    check.sizeNonNeg <== newBackRange.sizeNonNeg;

    // CASH: a'_0 + sum_i (s'_i P_i - c'_i) >= 0. |s' P| < 2^88, |c'| < 2^100, a'_0 < 2^96, so the
    // sum is below 2^104 in absolute value and a negative one has no CASH_BITS decomposition
    component backCash = Num2Bits(COST_BITS() + 2 + ceilLog2(N));
    backCash.in <== cashSum;

    // backstopFlat = [every s'_i and c'_i is 0]
    component sizeOpen[N];
    component costOpen[N];
    var openCount = 0;
    for (var i = 0; i < N; i++) {
        sizeOpen[i] = IsNonZeroStrict();
        sizeOpen[i].in <== newBackSizes[i];
        costOpen[i] = IsNonZeroStrict();
        costOpen[i].in <== newBackCost[i];
        openCount += sizeOpen[i].out + costOpen[i].out;
    }
    component anyOpen = IsNonZeroStrict();
    anyOpen.in <== openCount;
    backstopFlat === 1 - anyOpen.out;

    // ================================================================ commitments and epoch
    component frozenCommit = PortfolioCommitment(N, M);
    frozenCommit.sizes <== sizes;
    frozenCommit.costBasis <== costBasis;
    frozenCommit.entryFunding <== entryFunding;
    frozenCommit.collateral <== collateral;
    frozenCommit.salt <== salt;
    frozenCommitment === frozenCommit.out;

    component backCommit = PortfolioCommitment(N, M);
    backCommit.sizes <== backSizes;
    backCommit.costBasis <== backCostBasis;
    backCommit.entryFunding <== backEntryFunding;
    backCommit.collateral <== backCollateral;
    backCommit.salt <== backSalt;
    backstopCommitment === backCommit.out;

    component backSaltNext = Poseidon(2);
    backSaltNext.inputs <== [backSalt, 3];
    component backNewCommit = PortfolioCommitment(N, M);
    backNewCommit.sizes <== newBackSizes;
    backNewCommit.costBasis <== newBackCost;
    backNewCommit.entryFunding <== fundingIndex;
    backNewCommit.collateral <== newBackCollateral;
    backNewCommit.salt <== backSaltNext.out;
    backstopNewCommitment === backNewCommit.out;

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
    paramsHash === params.out;
}
