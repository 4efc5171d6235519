pragma circom 2.2.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "circomlib/circuits/poseidon.circom";
include "margin.circom";

// Transition(N, M, S): one proven change of a private account, old commitment -> new
// commitment. The TypeScript reference is prover/transition/, one file per section below (each
// section header names its twin; applyTransition is in rule.ts); docs/SPEC.md ("Transitions")
// and docs/PROTOCOL.md state the same rules.
//
// Public signals, in order (8; each costs ~6.3k gas to verify, so context data is packed):
//   [oldCommitment, newCommitment, paramsHash, context, fill, keyHash, ephemeralKey, cipher]
//
// context = op + 2^105 * binding       (binding < 2^106: the verifier's (chain, contract,
//                                        account, nonce) tag; op < 2^105)
// op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount    (kind < 8, asset < 32, amount < 2^96)
//   amount: DEPOSIT/WITHDRAW the amount moved, BUY/SELL the flat trade fee paid from a[0],
//   REALIZE the profit claimed from the PnL pool, SETTLE the loss paid into it; asset:
//   DEPOSIT/WITHDRAW only (0 otherwise)
// keyHash = Poseidon(K.x, K.y) of the liquidation key K (a private input)
//   kind 0 DEPOSIT   a'[asset] = a[asset] + amount                     (no margin check)
//   kind 1 WITHDRAW  a'[asset] = a[asset] - amount >= 0, and no unpaid loss: the net
//                    unrealised PnL sum_i (s_i P_i - c'_i) >= 0            (initial margin)
//   kind 2 BUY       hidden fill (m, q, px): s'[m] = s[m] + q, c'[m] += q * px,
//                    public flat fee: a'[0] = a[0] - amount >= 0 (asset 0; amount = the fee)
//                                                                      (initial margin, or
//                                                                      maintenance if reduce-only)
//   kind 3 SELL      the same with -q                                   (the same)
//   kind 4 REALIZE   public amount X, hidden market m: a'[0] += X, c'[m] += X, and the net
//                    unrealised PnL sum_i (s_i P_i - c'_i) stays >= 0     (initial margin)
//   kind 5 SETTLE    public amount X, hidden market m: a'[0] -= X >= 0, c'[m] -= X
//                                                                      (never refused)
// Settlement cash (CASH): every transition at the initial level leaves a'[0] + sum_i U'_i >= 0
// (asset 0 covers the net unrealised loss, so it can always be settled); a reduce-only trade may
// not deepen a deficit except by its fee. DEPOSIT and SETTLE are exempt.
// REALIZE and SETTLE leave equity unchanged (U_m moves by -+X, a[0] by +-X); the clearinghouse
// pays a REALIZE only from its public PnL pool, which SETTLEs fill (docs/PROTOCOL.md,
// "Settlement"), so a profit is withdrawable only once a loss has been collected.
// Reduce-only de-risking: a BUY/SELL on market m that moves s[m] toward zero without flipping it
// (s[m] != 0, side opposite to sign(s[m]), q <= |s[m]|) needs only the maintenance level;
// level = 1 - reduceOnly, reduceOnly = [BUY and s[m] < 0 or SELL and s[m] > 0] * [q <= |s[m]|]
// (q >= 1 for a trade, so q <= |s[m]| implies s[m] != 0). Every other non-deposit transition
// needs the initial level. The level is private: only its consequence (a proof) is public.
// Every transition first settles funding on every market: c_i += s_i * (F_i - f_i), f_i = F_i
// (this leaves every U_i unchanged). flat = 1 iff every new size and every new cost basis is 0
// (no position and no unrealised PnL: U_i = s_i P_i - c_i = 0, so equity is the collateral).
// fill = Poseidon(m, q, px, fillSalt) for BUY/SELL (both legs of a trade share it), else 0.
//
// Verifiable encryption to the liquidation key K (Baby Jubjub, prime-order subgroup):
//   E = e * Base8 (ephemeralKey = E.y), Z = e * K, z = Z.y (also = y of sk * (+-E))
//   newSalt = Poseidon(z, 0)        -- the new commitment's salt, known to trader and key holder
//   cipher  = payload + Poseidon(z, 1),  payload = m + 2^8 * q + 2^48 * px
// The key holder replays an account's transitions from the empty portfolio (salt 0) and
// recomputes every commitment; the new portfolio is a function of the old one, op, the
// epoch's public data and the decrypted payload.
//
// NOTE (caller obligations):
//  - the verifier supplies oldCommitment from storage, paramsHash from a validated epoch
//    (MarginProof's NOTE), the binding in context from its own state, and keyHash from its
//    configuration;
//  - K must be in the prime-order subgroup (the circuit checks only that it is on the curve
//    and not of order 1 or 2);
//  - asset 0 is the settlement asset: realised PnL is credited in its units (quote units).
//
// FIELD ELEMENTS BY DESIGN: fillSalt liquidationKey fillMarket
//   fillSalt is hashed into fill (any field element); liquidationKey is curve-checked and hashed
//   into keyHash; fillMarket is pinned to 0..N-1 by the one-hot selector (marketCount === 1).
//
// Audit tags (read by `zkmargin audit`; grammar in docs/AUDIT.md, "Audit tags"); the epoch
// parameters carry MarginProof's caller obligations (the bound after the dash is validated with
// the epoch, outside the circuit):
// @audit by-design: fillSalt — hashed into fill; any field element is fine
// @audit by-design: liquidationKey — on the curve (BabyCheck), K.x != 0, hashed into keyHash
// @audit by-design: fillMarket — pinned to 0..N-1 by the one-hot selector (marketCount === 1)
// @audit caller-obligation: depth — 1 <= depth_i < 2^96; hashed into paramsHash, never checked
// @audit caller-obligation: fundingIndex — |fundingIndex_i| < 2^63; hashed, never checked
// @audit caller-obligation: positionCap — positionCap_i < 2^40; checked only against |s_i|
// @audit caller-obligation: maintenanceRateBps — <= initialRateBps; checked to < 2^14 only
// @audit caller-obligation: initialRateBps — <= 10000; checked to < 2^14 only
// @audit caller-obligation: impactBps, haircutBps — <= 10000; checked to < 2^14 only
// @audit caller-obligation: shocks — |shock| <= 10000; checked to -2^14 <= x < 2^14 only
template Transition(N, M, S) {
    // the inputs, in the order of their TypeScript twin prover/transition/inputs.ts
    // ---------------------------------------------------------------- public
    signal input oldCommitment;
    signal input newCommitment;
    signal input paramsHash;
    signal input context;
    signal input fill;
    signal input keyHash;
    signal input ephemeralKey;
    signal input cipher;

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

    // ---------------------------------------------------------------- old portfolio (private)
    signal input sizes[N];
    signal input costBasis[N];
    signal input entryFunding[N];
    signal input collateral[M];
    signal input salt;

    // ---------------------------------------------------------------- fill and key (private)
    signal input fillMarket;
    signal input fillSize;
    signal input fillPrice;
    signal input fillSalt;
    signal input ephemeralSecret;
    signal input liquidationKey[2];

    // ================================================================ context = op + 2^105 * binding
    // TypeScript twin: prover/transition/op.ts
    component opBits = Num2Bits(OP_BITS() + BINDING_BITS());
    opBits.in <== context;
    var kind = 0;
    for (var b = 0; b < OP_KIND_BITS(); b++) { kind += opBits.out[b] * 2 ** b; }
    var asset = 0;
    for (var b = 0; b < OP_ASSET_BITS(); b++) { asset += opBits.out[OP_ASSET_SHIFT() + b] * 2 ** b; }
    signal flat <== opBits.out[OP_FLAT_SHIFT()];
    var amount = 0;
    for (var b = 0; b < AMOUNT_BITS(); b++) { amount += opBits.out[OP_AMOUNT_SHIFT() + b] * 2 ** b; }

    component isKind[KIND_COUNT()];
    for (var k = 0; k < KIND_COUNT(); k++) {
        isKind[k] = IsEqualStrict();
        isKind[k].a <== kind;
        isKind[k].b <== k;
    }
    signal isDeposit <== isKind[KIND_DEPOSIT()].out;
    signal isWithdraw <== isKind[KIND_WITHDRAW()].out;
    signal isBuy <== isKind[KIND_BUY()].out;
    signal isSell <== isKind[KIND_SELL()].out;
    signal isRealize <== isKind[KIND_REALIZE()].out;
    signal isSettle <== isKind[KIND_SETTLE()].out;
    isDeposit + isWithdraw + isBuy + isSell + isRealize + isSettle === 1;     // kind <= 5
    signal isTrade <== isBuy + isSell;
    signal isTransfer <== isDeposit + isWithdraw;
    signal isPnl <== isRealize + isSettle;
    signal side <== isBuy - isSell;

    // asset belongs to DEPOSIT/WITHDRAW only; asset < M. amount is the amount moved
    // (DEPOSIT/WITHDRAW), the flat fee (BUY/SELL, paid from asset 0 since asset = 0 for a trade),
    // the profit claimed (REALIZE) or the loss paid (SETTLE): every kind uses it
    (1 - isTransfer) * asset === 0;
    component assetSel[M];
    var assetCount = 0;
    for (var j = 0; j < M; j++) {
        assetSel[j] = IsEqualStrict();
        assetSel[j].a <== asset;
        assetSel[j].b <== j;
        assetCount += assetSel[j].out;
    }
    assetCount === 1;
    // + amount (DEPOSIT), - amount (WITHDRAW), - fee (BUY/SELL, on asset 0), 0 (REALIZE/SETTLE)
    signal transferDelta <== (isDeposit - isWithdraw - isTrade) * amount;
    // + X (REALIZE: claimed from the pool), - X (SETTLE: paid into it), 0 otherwise
    signal pnlDelta <== (isRealize - isSettle) * amount;

    // ================================================================ fill
    // TypeScript twin: prover/transition/op.ts
    // market m < N (exactly one selector) for BUY/SELL/REALIZE/SETTLE, m = 0 otherwise;
    // 0 < q < 2^40 and px < 2^48 for BUY/SELL, q = px = fillSalt = 0 otherwise
    component marketSel[N];
    var marketCount = 0;
    for (var i = 0; i < N; i++) {
        marketSel[i] = IsEqualStrict();
        marketSel[i].a <== fillMarket;
        marketSel[i].b <== i;
        marketCount += marketSel[i].out;
    }
    marketCount === 1;
    (1 - isTrade - isPnl) * fillMarket === 0;
    component sizeBits = Num2Bits(SIZE_BITS());
    sizeBits.in <== fillSize;
    component sizeNonZero = IsNonZeroStrict();
    sizeNonZero.in <== fillSize;
    sizeNonZero.out === isTrade;
    component priceBits = Num2Bits(MARK_BITS());
    priceBits.in <== fillPrice;
    (1 - isTrade) * fillPrice === 0;
    (1 - isTrade) * fillSalt === 0;
    component fillHash = Poseidon(4);
    fillHash.inputs <== [fillMarket, fillSize, fillPrice, fillSalt];
    fill === isTrade * fillHash.out;

    // ================================================================ new portfolio
    // TypeScript twin: prover/transition/rule.ts
    signal settleFunding[N];    // s_i * (F_i - f_i)
    signal settled[N];          // c_i after funding settlement
    signal selectedSize[N];     // sel_i * q
    signal sizeDelta[N];        // sel_i * side * q
    signal tradeCost[N];        // sizeDelta_i * px
    signal realizeSel[N];       // sel_i * (isRealize + isSettle)
    signal markValue[N];        // s_i * P_i
    signal realized[N];         // realizeSel_i * pnlDelta: the cost-basis shift of the selected market
    signal newSizes[N];
    signal newCostBasis[N];
    signal newEntryFunding[N];
    var netPnl = 0;             // sum_i (s_i * P_i - c'_i): the net unrealised PnL after a REALIZE
    for (var i = 0; i < N; i++) {
        settleFunding[i] <== sizes[i] * (fundingIndex[i] - entryFunding[i]);
        settled[i] <== costBasis[i] + settleFunding[i];
        selectedSize[i] <== marketSel[i].out * fillSize;
        sizeDelta[i] <== selectedSize[i] * side;
        tradeCost[i] <== sizeDelta[i] * fillPrice;
        realizeSel[i] <== marketSel[i].out * isPnl;
        markValue[i] <== sizes[i] * markPrice[i];
        realized[i] <== realizeSel[i] * pnlDelta;
        newSizes[i] <== sizes[i] + sizeDelta[i];
        newCostBasis[i] <== settled[i] + tradeCost[i] + realized[i];
        newEntryFunding[i] <== fundingIndex[i];
        netPnl += markValue[i] - newCostBasis[i];
    }
    signal newCollateral[M];
    signal transferIn[M];
    for (var j = 0; j < M; j++) {
        transferIn[j] <== assetSel[j].out * transferDelta;
        if (j == 0) {
            newCollateral[j] <== collateral[j] + transferIn[j] + pnlDelta;
        } else {
            newCollateral[j] <== collateral[j] + transferIn[j];
        }
    }

    // both portfolios at their stated widths: the old one makes oldCommitment's opening
    // unique; the new one bounds every arithmetic result above (a'_j >= 0 is the balance check,
    // which also refuses a trade whose fee exceeds a_0)
    component oldRange = PortfolioRange(N, M);
    oldRange.sizes <== sizes;
    oldRange.costBasis <== costBasis;
    oldRange.entryFunding <== entryFunding;
    oldRange.collateral <== collateral;
    component newRange = PortfolioRange(N, M);
    newRange.sizes <== newSizes;
    newRange.costBasis <== newCostBasis;
    newRange.entryFunding <== newEntryFunding;
    newRange.collateral <== newCollateral;

    // REALIZE claims net profit only, and WITHDRAW needs no unpaid loss (a loser settles into the
    // PnL pool before it takes any collateral out): sum_i (s_i P_i - c'_i) >= 0 (sizes do not
    // change for either, and the new entry funding is F_i, so this is the new portfolio's sum U_i). |s_i P_i| < 2^88 and
    // |c'_i| < 2^100 (newRange), so |netPnl| < N * 2^100.01 < 2^(COST_BITS + 1 + log2 N) < (r - 1) / 2:
    // a negative value is a field element above 2^(COST_BITS + 1 + log2 N) and has no decomposition.
    signal claimedNet <== (isRealize + isWithdraw) * netPnl;
    component claimRange = Num2Bits(COST_BITS() + 1 + ceilLog2(N));
    claimRange.in <== claimedNet;

    // flat = 1 iff every new size and every new cost basis is 0. A zero size alone is not
    // enough: a closed position with c != 0 still carries PnL (U_i = -c_i) that must be realised.
    component sizeOpen[N];
    component costOpen[N];
    var openCount = 0;
    for (var i = 0; i < N; i++) {
        sizeOpen[i] = IsNonZeroStrict();
        sizeOpen[i].in <== newSizes[i];
        costOpen[i] = IsNonZeroStrict();
        costOpen[i].in <== newCostBasis[i];
        openCount += sizeOpen[i].out + costOpen[i].out;
    }
    component anyOpen = IsNonZeroStrict();
    anyOpen.in <== openCount;
    flat === 1 - anyOpen.out;

    // ================================================================ reduce-only level
    // TypeScript twin: prover/transition/rule.ts (marginLevel)
    // s_m = sum_i sel_i * s_i and its sign bit nonNeg_m = sum_i sel_i * nonNeg_i (the old sizes'
    // SignedRange bits, exactly one selector set); |s_m| = s_m * (2 * nonNeg_m - 1) < 2^40.
    // opposite = [BUY and s_m < 0] + [SELL and s_m >= 0] = isBuy - side * nonNeg_m (a bit; 0
    // unless a trade). fits = [q <= |s_m|]: bit 40 of |s_m| - q + 2^40 in (0, 2^41) (both are
    // below 2^40), so the 41-bit decomposition always exists and is unique. A SELL with s_m = 0
    // has opposite = 1 but fits = 0 (q >= 1). level = 1 - opposite * fits is a bit.
    signal selectedOld[N];      // sel_i * s_i
    signal selectedNonNeg[N];   // sel_i * nonNeg_i
    var oldSize = 0;
    var oldNonNeg = 0;
    for (var i = 0; i < N; i++) {
        selectedOld[i] <== marketSel[i].out * sizes[i];
        selectedNonNeg[i] <== marketSel[i].out * oldRange.sizeNonNeg[i];
        oldSize += selectedOld[i];
        oldNonNeg += selectedNonNeg[i];
    }
    signal oldAbsSize <== oldSize * (2 * oldNonNeg - 1);
    signal sideNonNeg <== side * oldNonNeg;
    signal opposite <== isBuy - sideNonNeg;
    component fitsBits = Num2Bits(SIZE_BITS() + 1);
    fitsBits.in <== oldAbsSize - fillSize + 2 ** SIZE_BITS();
    signal reduceOnly <== opposite * fitsBits.out[SIZE_BITS()];
    signal level <== 1 - reduceOnly;

    // ================================================================ margin
    // TypeScript twin: prover/transition/rule.ts
    // WITHDRAW, BUY, SELL and REALIZE leave the account healthy at `level` (initial, or
    // maintenance for a reduce-only trade). DEPOSIT and SETTLE are never refused (a deposit adds
    // collateral, a settlement pays a loss it already carries: equity is unchanged): they check
    // the empty portfolio instead (always healthy).
    signal enforce <== 1 - isDeposit - isSettle;
    signal checkedSizes[N];
    signal checkedCost[N];
    signal checkedFunding[N];
    signal checkedNonNeg[N];
    signal checkedCollateral[M];
    for (var i = 0; i < N; i++) {
        checkedSizes[i] <== enforce * newSizes[i];
        checkedCost[i] <== enforce * newCostBasis[i];
        checkedFunding[i] <== enforce * newEntryFunding[i];
        checkedNonNeg[i] <== enforce * (newRange.sizeNonNeg[i] - 1) + 1;
    }
    for (var j = 0; j < M; j++) { checkedCollateral[j] <== enforce * newCollateral[j]; }
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
    check.sizes <== checkedSizes;
    check.costBasis <== checkedCost;
    check.entryFunding <== checkedFunding;
    check.collateral <== checkedCollateral;
    check.sizeNonNeg <== checkedNonNeg;

    // ================================================================ settlement cash
    // TypeScript twin: prover/transition/rule.ts (settlementCash, cashRule)
    // d = a_0 + sum_i (s_i P_i - c_i): the balance of asset 0 plus the net unrealised PnL, of the
    // funding-settled old portfolio (dOld) and of the new one (dNew; its entry funding is F).
    // CASH: a transition at the initial level (enforce = 1, level = 1) leaves dNew >= 0; a
    // reduce-only trade (level = 0) leaves dNew + fee >= min(0, dOld). DEPOSIT and SETTLE are
    // exempt. Widths: |s_i P_i| < 2^88; |c'_i| < 2^100 (newRange) and settled_i = c'_i - tradeCost_i
    // - realized_i with |tradeCost_i| < 2^88, |realized_i| < 2^96, so each term is below 2^100.2
    // and |d| < 2^96 + N * 2^100.2 < 2^(CASH_BITS - 1) with CASH_BITS = COST_BITS + 2 + log2 N
    // (105 at N = 8), far below (r - 1) / 2: a negative d is a field element with no
    // CASH_BITS-bit decomposition, and dOld + 2^CASH_BITS lies in (0, 2^(CASH_BITS + 1)) with
    // bit CASH_BITS set iff dOld >= 0.
    var CASH_BITS = COST_BITS() + 2 + ceilLog2(N);
    signal newMarkValue[N];
    var dOldSum = collateral[0];
    var dNewSum = newCollateral[0];
    for (var i = 0; i < N; i++) {
        newMarkValue[i] <== newSizes[i] * markPrice[i];
        dOldSum += markValue[i] - settled[i];
        dNewSum += newMarkValue[i] - newCostBasis[i];
    }
    signal dOld <== dOldSum;
    signal dNew <== dNewSum;
    component dOldSign = Num2Bits(CASH_BITS + 1);
    dOldSign.in <== dOld + 2 ** CASH_BITS;
    signal dOldMin <== (1 - dOldSign.out[CASH_BITS]) * dOld;     // min(0, dOld)
    signal cashInitial <== enforce * level;
    signal cashReduce <== enforce - cashInitial;
    component cashInitialRange = Num2Bits(CASH_BITS);            // dNew >= 0
    cashInitialRange.in <== cashInitial * dNew;
    component cashReduceRange = Num2Bits(CASH_BITS + 1);         // dNew + fee - min(0, dOld) >= 0
    cashReduceRange.in <== cashReduce * (dNew + amount - dOldMin);

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

    // ================================================================ encryption
    // TypeScript twin: prover/transition/encryption.ts (replay: prover/transition/replay.ts)
    component keyHasher = Poseidon(2);
    keyHasher.inputs <== liquidationKey;
    keyHash === keyHasher.out;
    component keyOnCurve = BabyCheck();
    keyOnCurve.x <== liquidationKey[0];
    keyOnCurve.y <== liquidationKey[1];
    component keyXNonZero = NonZero();       // K.x != 0: K is neither (0, 1) nor (0, -1)
    keyXNonZero.in <== liquidationKey[0];

    component eBits = Num2Bits(EPHEMERAL_BITS());
    eBits.in <== ephemeralSecret;
    var BASE8[2] = [BABYJUB_BASE8_X(), BABYJUB_BASE8_Y()];
    component ephemeral = EscalarMulFix(EPHEMERAL_BITS(), BASE8);
    ephemeral.e <== eBits.out;
    ephemeralKey === ephemeral.out[1];
    component shared = EscalarMulAny(EPHEMERAL_BITS());
    shared.e <== eBits.out;
    shared.p <== liquidationKey;

    component saltHash = Poseidon(2);
    saltHash.inputs <== [shared.out[1], 0];
    component padHash = Poseidon(2);
    padHash.inputs <== [shared.out[1], 1];
    cipher === fillMarket + fillSize * 2 ** PAYLOAD_SIZE_SHIFT() + fillPrice * 2 ** PAYLOAD_PRICE_SHIFT() + padHash.out;

    // ================================================================ commitments
    // TypeScript twin: prover/transition/inputs.ts
    component oldCommit = PortfolioCommitment(N, M);
    oldCommit.sizes <== sizes;
    oldCommit.costBasis <== costBasis;
    oldCommit.entryFunding <== entryFunding;
    oldCommit.collateral <== collateral;
    oldCommit.salt <== salt;
    oldCommitment === oldCommit.out;
    component newCommit = PortfolioCommitment(N, M);
    newCommit.sizes <== newSizes;
    newCommit.costBasis <== newCostBasis;
    newCommit.entryFunding <== newEntryFunding;
    newCommit.collateral <== newCollateral;
    newCommit.salt <== saltHash.out;
    newCommitment === newCommit.out;
}
