// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonWideT9, PoseidonWideT12, PoseidonWideT17} from "./generated/PoseidonWide.sol";
import {PoseidonT6Opt} from "./generated/PoseidonT6Opt.sol";
import {
    FIELD_MODULUS,
    N_MARKETS,
    M_ASSETS,
    S_SCENARIOS,
    BPS_ONE,
    MAX_SHOCK_BPS,
    SHOCK_BITS,
    BPS_BITS,
    LEVERAGE_BITS,
    EPOCH_BITS,
    MARK_BITS,
    PRICE_E18_BITS,
    WORD_BITS
} from "./generated/Constants.sol";
import {IRiskEpochRegistry} from "./interfaces/IRiskEpochRegistry.sol";

/// @title RiskEpochRegistry
/// @author zkmargin
/// @notice Risk epochs for the margin circuit MarginProof(8, 4, 16): a publisher posts risk
/// parameters (rarely), funding indices (periodically) and prices (often). The registry validates
/// every bound of the model (docs/SPEC.md §1) — the circuit relies on it (its NOTE) — and computes
/// the circuit's paramsHash on-chain (docs/SPEC.md §3).
/// @dev
///   riskHash    = H(depth[8], positionCap[8], riskWords[10])     (PoseidonWideT17 then T12)
///   fundingHash = H(fundingIndex[8] mod r)                         (PoseidonWideT9)
///   slowHash    = Poseidon2(fundingHash, riskHash)                 (PoseidonT3)
///   paramsHash  = Poseidon5(priceWords[4], slowHash)               (PoseidonT6Opt, per price post)
/// Risk and funding posts take effect with the next price post, which opens a new epoch.
/// Epochs live in a ring of RING slots; a proof for an epoch older than maxAge is rejected.
contract RiskEpochRegistry is IRiskEpochRegistry {
    /// @inheritdoc IRiskEpochRegistry
    uint256 public constant N = N_MARKETS;
    /// @inheritdoc IRiskEpochRegistry
    uint256 public constant M = M_ASSETS;
    /// @inheritdoc IRiskEpochRegistry
    uint256 public constant S = S_SCENARIOS;
    /// @inheritdoc IRiskEpochRegistry
    uint256 public constant RING = 256;
    /// @dev |shock| <= MAX_SHOCK_BPS, as a signed bound
    int256 internal constant MAX_SHOCK = int256(MAX_SHOCK_BPS);
    /// @dev the first epoch id is below 2^FIRST_EPOCH_BITS; later ids advance by exactly one
    uint256 internal constant FIRST_EPOCH_BITS = 32;
    /// @dev riskWords encode each shock as shock + 2^SHOCK_BITS in SHOCK_BITS + 1 bits
    int256 internal constant SHOCK_OFFSET = int256(1 << SHOCK_BITS);

    /// @dev Block numbers are stored in 40 bits (10^12 blocks), which packs the second word.
    struct EpochSlot {
        uint256 paramsHash;
        uint64 epochId;
        uint64 postedAt;
        uint40 pricesBlock;
        uint40 riskBlock;
        uint40 fundingBlock;
    }

    /// @inheritdoc IRiskEpochRegistry
    address public immutable admin;
    /// @inheritdoc IRiskEpochRegistry
    PoseidonT6Opt public immutable poseidon5;
    /// @inheritdoc IRiskEpochRegistry
    PoseidonWideT9 public immutable poseidon8;
    /// @inheritdoc IRiskEpochRegistry
    PoseidonWideT12 public immutable poseidon11;
    /// @inheritdoc IRiskEpochRegistry
    PoseidonWideT17 public immutable poseidon16;

    /// @inheritdoc IRiskEpochRegistry
    mapping(address => bool) public isPublisher;
    /// @inheritdoc IRiskEpochRegistry
    uint256 public riskHash;
    /// @inheritdoc IRiskEpochRegistry
    uint256 public fundingHash;
    /// @inheritdoc IRiskEpochRegistry
    uint256 public slowHash;
    /// @inheritdoc IRiskEpochRegistry
    uint64 public latestEpochId;
    /// @dev maxAge (< 2^32 seconds), in latestEpochId's slot
    uint32 internal maxAgeSeconds;
    /// @dev block of the latest risk post (shares latestEpochId's slot, read by every price post)
    uint40 internal riskBlock;
    /// @dev block of the latest funding post (same slot)
    uint40 internal fundingBlock;
    /// @dev the fresh-oracle clock (freshClock): the latest epoch stays fresh until freshUntil
    /// (unix seconds), when the clock reads clockAtUntil; before that it reads clockAtUntil minus
    /// the seconds left. Same slot; set by every price post and every maxAge change, so the clock
    /// is monotone and never counts stale time.
    uint40 internal freshUntil;
    uint40 internal clockAtUntil;
    EpochSlot[RING] internal ring;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlyPublisher() {
        if (!isPublisher[msg.sender]) revert NotPublisher(msg.sender);
        _;
    }

    /// The hashers are checked against known answers (Poseidon of 1..n) so a misordered or wrong
    /// deployment cannot go live; each hasher pins its own constant data by code hash.
    constructor(
        address admin_,
        address publisher,
        uint64 maxAge_,
        PoseidonT6Opt poseidon5_,
        PoseidonWideT9 poseidon8_,
        PoseidonWideT12 poseidon11_,
        PoseidonWideT17 poseidon16_
    ) {
        admin = admin_;
        (poseidon5, poseidon8, poseidon11, poseidon16) = (poseidon5_, poseidon8_, poseidon11_, poseidon16_);
        if (
            poseidon5_.hash([uint256(1), 2, 3, 4, 5]) !=
            0xdab9449e4a1398a15224c0b15a49d598b2174d305a316c918125f8feeb123c0
        ) {
            revert PoseidonSelfTest(5);
        }
        if (
            poseidon8_.hash([uint256(1), 2, 3, 4, 5, 6, 7, 8]) !=
            0x2921ab9bd0140cbc98e40395c0fefb40337a4d54fbbecd9a4d43b3d8d0c4d8d1
        ) {
            revert PoseidonSelfTest(8);
        }
        if (
            poseidon11_.hash([uint256(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) !=
            0x07e5b070aa2dba008f30a6b785b6c5ae2429e211f71cacdbdae0e07fc05b47a8
        ) revert PoseidonSelfTest(11);
        if (
            poseidon16_.hash([uint256(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) !=
            0x16159a551cbb66108281a48099fff949ae08afd7f1f2ec06de2ffb96b919b765
        ) revert PoseidonSelfTest(16);
        isPublisher[publisher] = true;
        if (maxAge_ >> 32 != 0) revert MaxAgeTooLarge(maxAge_);
        maxAgeSeconds = uint32(maxAge_);
        emit PublisherSet(publisher, true);
        emit MaxAgeSet(maxAge_);
    }

    // ------------------------------------------------------------------ administration

    /// @inheritdoc IRiskEpochRegistry
    function setPublisher(address publisher, bool allowed) external onlyAdmin {
        isPublisher[publisher] = allowed;
        emit PublisherSet(publisher, allowed);
    }

    /// @inheritdoc IRiskEpochRegistry
    function setMaxAge(uint64 maxAge_) external onlyAdmin {
        if (maxAge_ >> 32 != 0) revert MaxAgeTooLarge(maxAge_);
        // the clock counts the past under the old bound and the future under the new one
        uint64 latest = latestEpochId;
        if (latest != 0) _setFreshUntil(ring[latest % RING].postedAt + maxAge_);
        maxAgeSeconds = uint32(maxAge_);
        emit MaxAgeSet(maxAge_);
    }

    // ------------------------------------------------------------------ posting

    /// @inheritdoc IRiskEpochRegistry
    function postRisk(RiskParams calldata p) external onlyPublisher returns (uint256 h) {
        uint256[2 * N_MARKETS] memory wide; // depth[N], positionCap[N]
        for (uint256 i = 0; i < N; i++) {
            MarketRisk calldata m = p.markets[i];
            if (m.maintenanceRateBps > m.initialRateBps) revert InvalidParameter(Field.MaintenanceRateBps, i);
            if (m.initialRateBps > BPS_ONE) revert InvalidParameter(Field.InitialRateBps, i);
            if (m.impactBps > BPS_ONE) revert InvalidParameter(Field.ImpactBps, i);
            if (m.depth == 0) revert InvalidParameter(Field.Depth, i);
            wide[i] = m.depth;
            wide[N + i] = m.positionCap;
        }
        for (uint256 j = 0; j < M; j++) {
            if (p.haircutBps[j] > BPS_ONE) revert InvalidParameter(Field.HaircutBps, j);
        }
        // asset 0 is the settlement asset: realised PnL is credited in its units at par
        if (p.haircutBps[0] != 0) revert InvalidParameter(Field.HaircutBps, 0);
        for (uint256 k = 0; k < S; k++) {
            for (uint256 i = 0; i < N; i++) {
                int16 x = p.shocks[k][i];
                // constant bounds and indices below N * S: nothing to check at runtime
                unchecked {
                    if (x > MAX_SHOCK || x < -MAX_SHOCK) revert InvalidParameter(Field.Shock, k * N + i);
                }
            }
        }
        uint256[11] memory tail;
        tail[0] = poseidon16.hash(wide);
        uint256[10] memory words = _riskWords(p);
        for (uint256 w = 0; w < 10; w++) tail[1 + w] = words[w];
        h = poseidon11.hash(tail);
        riskHash = h;
        riskBlock = uint40(block.number);
        _updateSlow();
        emit RiskPosted(h, slowHash, wide, words);
    }

    /// @inheritdoc IRiskEpochRegistry
    function postFunding(int64[N_MARKETS] calldata fundingIndex) external onlyPublisher returns (uint256 h) {
        uint256[N_MARKETS] memory f;
        for (uint256 i = 0; i < N; i++) {
            int64 x = fundingIndex[i];
            if (x == type(int64).min) revert InvalidParameter(Field.FundingIndex, i);
            f[i] = x >= 0 ? uint256(uint64(x)) : FIELD_MODULUS - uint256(uint64(-x));
        }
        h = poseidon8.hash(f);
        fundingHash = h;
        fundingBlock = uint40(block.number);
        _updateSlow();
        emit FundingPosted(h, slowHash, fundingIndex);
    }

    /// @inheritdoc IRiskEpochRegistry
    function postPrices(
        uint64 epochId,
        uint48[N_MARKETS] calldata markPrice,
        uint96[M_ASSETS] calldata priceE18
    ) external onlyPublisher returns (uint256 paramsHash) {
        uint256 slow = slowHash;
        // slowHash is set once both risk and funding were posted: the two cold reads of
        // riskHash and fundingHash happen on the error path only
        if (slow == 0) {
            if (riskHash == 0) revert RiskNotPosted();
            revert FundingNotPosted();
        }
        _checkNextEpoch(epochId, latestEpochId);
        // asset 0 is the settlement asset: 1 unit = 1 quote unit
        if (priceE18[0] != 1e18) revert InvalidParameter(Field.PriceE18, 0);
        // priceWords: greedy 253-bit packing of [epochId:64, markPrice:48 x 8, priceE18:96 x 4]
        uint256 w0;
        uint256 w1;
        uint256 w2;
        uint256 w3;
        // shift amounts are constant sums of widths: nothing to check at runtime
        unchecked {
            w0 =
                uint256(epochId) |
                (uint256(markPrice[0]) << EPOCH_BITS) |
                (uint256(markPrice[1]) << (EPOCH_BITS + MARK_BITS)) |
                (uint256(markPrice[2]) << (EPOCH_BITS + 2 * MARK_BITS));
            w1 =
                uint256(markPrice[3]) |
                (uint256(markPrice[4]) << MARK_BITS) |
                (uint256(markPrice[5]) << (2 * MARK_BITS)) |
                (uint256(markPrice[6]) << (3 * MARK_BITS)) |
                (uint256(markPrice[7]) << (4 * MARK_BITS));
            w2 = uint256(priceE18[0]) | (uint256(priceE18[1]) << PRICE_E18_BITS);
            w3 = uint256(priceE18[2]) | (uint256(priceE18[3]) << PRICE_E18_BITS);
        }
        paramsHash = poseidon5.hash([w0, w1, w2, w3, slow]);
        ring[epochId % RING] = EpochSlot(
            paramsHash,
            epochId,
            uint64(block.timestamp),
            uint40(block.number),
            riskBlock,
            fundingBlock
        );
        latestEpochId = epochId;
        _setFreshUntil(block.timestamp + maxAgeSeconds);
        emit EpochPosted(epochId, paramsHash, [w0, w1, w2, w3]);
    }

    // ------------------------------------------------------------------ reading

    /// @inheritdoc IRiskEpochRegistry
    function paramsHashOf(uint64 epochId) public view returns (uint256) {
        EpochSlot storage s = ring[epochId % RING];
        if (s.epochId != epochId || s.paramsHash == 0) revert UnknownEpoch(epochId);
        return s.paramsHash;
    }

    /// @inheritdoc IRiskEpochRegistry
    function freshParamsHash(uint64 epochId) external view returns (uint256) {
        uint256 h = paramsHashOf(epochId);
        uint256 age = block.timestamp - ring[epochId % RING].postedAt;
        if (age > maxAgeSeconds) revert StaleEpoch(epochId, age, maxAgeSeconds);
        return h;
    }

    /// @inheritdoc IRiskEpochRegistry
    function latestFresh() external view returns (uint64 epochId, uint256 paramsHash) {
        epochId = latestEpochId;
        EpochSlot storage s = ring[epochId % RING];
        paramsHash = s.paramsHash;
        if (s.epochId != epochId || paramsHash == 0) revert UnknownEpoch(epochId);
        uint256 age = block.timestamp - s.postedAt;
        if (age > maxAgeSeconds) revert StaleEpoch(epochId, age, maxAgeSeconds);
    }

    /// @inheritdoc IRiskEpochRegistry
    function freshClock() public view returns (uint64) {
        uint256 until = freshUntil;
        uint256 left = until > block.timestamp ? until - block.timestamp : 0;
        return uint64(clockAtUntil - left);
    }

    /// @inheritdoc IRiskEpochRegistry
    function maxAge() public view returns (uint64) {
        return maxAgeSeconds;
    }

    /// @inheritdoc IRiskEpochRegistry
    function postedAt(uint64 epochId) external view returns (uint64) {
        paramsHashOf(epochId);
        return ring[epochId % RING].postedAt;
    }

    /// @inheritdoc IRiskEpochRegistry
    function epochBlocks(
        uint64 epochId
    ) external view returns (uint256 pricesBlock, uint256 riskBlock_, uint256 fundingBlock_) {
        paramsHashOf(epochId);
        EpochSlot storage s = ring[epochId % RING];
        return (s.pricesBlock, s.riskBlock, s.fundingBlock);
    }

    // ------------------------------------------------------------------ internals

    /// The latest epoch now stays fresh until `until`: the clock keeps its current reading and
    /// runs on until then (an `until` already past stops it now).
    function _setFreshUntil(uint256 until) internal {
        uint256 clock = freshClock();
        if (until < block.timestamp) until = block.timestamp;
        // timestamps and the clock stay below 2^40 seconds (year 36812)
        (freshUntil, clockAtUntil) = (uint40(until), uint40(clock + (until - block.timestamp)));
    }

    /// Ids advance by exactly one; the first is below 2^32, so no id ever nears 2^64 and no post
    /// can skip over live ring slots.
    function _checkNextEpoch(uint64 epochId, uint64 latest) internal pure {
        if (epochId <= latest) revert EpochNotIncreasing(epochId, latest);
        if (latest == 0) {
            if (epochId >> FIRST_EPOCH_BITS != 0) revert InvalidParameter(Field.EpochId, 0);
        } else if (epochId != latest + 1) {
            revert EpochNotNext(epochId, latest + 1);
        }
    }

    function _updateSlow() internal {
        if (riskHash != 0 && fundingHash != 0) slowHash = PoseidonT3.hash([fundingHash, riskHash]);
    }

    /// riskWords: greedy 253-bit packing of [maxLeverageBps:32, (maint, initial, impact):14 per
    /// market, haircut:14 per asset, shock + 2^14:15 row by row] (docs/SPEC.md §3).
    function _riskWords(RiskParams calldata p) internal pure returns (uint256[10] memory words) {
        uint256 w;
        uint256 shift;
        (words, w, shift) = _push(words, w, shift, p.maxLeverageBps, LEVERAGE_BITS);
        for (uint256 i = 0; i < N; i++) {
            (words, w, shift) = _push(words, w, shift, p.markets[i].maintenanceRateBps, BPS_BITS);
            (words, w, shift) = _push(words, w, shift, p.markets[i].initialRateBps, BPS_BITS);
            (words, w, shift) = _push(words, w, shift, p.markets[i].impactBps, BPS_BITS);
        }
        for (uint256 j = 0; j < M; j++) (words, w, shift) = _push(words, w, shift, p.haircutBps[j], BPS_BITS);
        for (uint256 k = 0; k < S; k++) {
            for (uint256 i = 0; i < N; i++) {
                // |shock| <= MAX_SHOCK_BPS was validated: the offset value and the width cannot overflow
                unchecked {
                    (words, w, shift) = _push(
                        words,
                        w,
                        shift,
                        uint256(int256(p.shocks[k][i]) + SHOCK_OFFSET),
                        SHOCK_BITS + 1
                    );
                }
            }
        }
    }

    function _push(
        uint256[10] memory words,
        uint256 w,
        uint256 shift,
        uint256 value,
        uint256 width
    ) internal pure returns (uint256[10] memory, uint256, uint256) {
        if (shift + width > WORD_BITS) {
            w++;
            shift = 0;
        }
        words[w] |= value << shift;
        return (words, w, shift + width);
    }
}
