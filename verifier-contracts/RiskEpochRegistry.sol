// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonWide} from "./generated/PoseidonWide.sol";
import {PoseidonT6Opt} from "./generated/PoseidonT6Opt.sol";

/// Risk epochs for the margin circuit MarginProof(8, 4, 16): a publisher posts risk parameters
/// (rarely), funding indices (periodically) and prices (often). The registry validates every
/// bound of the model (docs/SPEC.md §1) — the circuit relies on it (its NOTE) — and computes
/// the circuit's paramsHash on-chain (docs/SPEC.md §3):
///   riskHash    = H(depth[8], positionCap[8], riskWords[10])     (PoseidonWide 16 then 11)
///   fundingHash = H(fundingIndex[8] mod r)                         (PoseidonWide 8)
///   slowHash    = Poseidon2(fundingHash, riskHash)                 (PoseidonT3)
///   paramsHash  = Poseidon5(priceWords[4], slowHash)               (PoseidonT6Opt, per price post)
/// Risk and funding posts take effect with the next price post, which opens a new epoch.
/// Epochs live in a ring of RING slots; a proof for an epoch older than maxAge is rejected.
contract RiskEpochRegistry {
    uint256 public constant N = 8;
    uint256 public constant M = 4;
    uint256 public constant S = 16;
    uint256 public constant RING = 256;
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant BPS = 10000;

    enum Field {
        MaxLeverageBps,
        MaintenanceRateBps,
        InitialRateBps,
        ImpactBps,
        Depth,
        PositionCap,
        HaircutBps,
        Shock,
        FundingIndex,
        EpochId
    }

    struct MarketRisk {
        uint16 maintenanceRateBps; // 0 <= maintenance <= initial <= 10000
        uint16 initialRateBps;
        uint16 impactBps; // <= 10000
        uint96 depth; // 1 <= depth < 2^96
        uint40 positionCap; // < 2^40
    }

    struct RiskParams {
        uint32 maxLeverageBps; // < 2^32
        MarketRisk[8] markets;
        uint16[4] haircutBps; // <= 10000
        int16[8][16] shocks; // shocks[k][i], |x| <= 10000
    }

    struct EpochSlot {
        uint256 paramsHash;
        uint64 epochId;
        uint64 postedAt;
    }

    error InvalidParameter(Field field, uint256 index);
    error NotAdmin(address caller);
    error NotPublisher(address caller);
    error RiskNotPosted();
    error FundingNotPosted();
    error EpochNotIncreasing(uint64 epochId, uint64 latestEpochId);
    error UnknownEpoch(uint64 epochId);
    error StaleEpoch(uint64 epochId, uint256 age, uint256 maxAge);

    event PublisherSet(address indexed publisher, bool allowed);
    event MaxAgeSet(uint256 maxAge);
    event RiskPosted(uint256 riskHash, uint256 slowHash);
    event FundingPosted(uint256 fundingHash, uint256 slowHash);
    event EpochPosted(uint64 indexed epochId, uint256 paramsHash);

    address public immutable admin;
    PoseidonT6Opt public immutable poseidon5;
    address internal immutable t9;
    address internal immutable t12a;
    address internal immutable t12b;
    address internal immutable t17a;
    address internal immutable t17b;
    address internal immutable t17c;

    mapping(address => bool) public isPublisher;
    uint256 public riskHash;
    uint256 public fundingHash;
    uint256 public slowHash;
    uint64 public latestEpochId;
    uint64 public maxAge;
    EpochSlot[RING] internal ring;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlyPublisher() {
        if (!isPublisher[msg.sender]) revert NotPublisher(msg.sender);
        _;
    }

    /// @param poseidon5_ the optimized Poseidon over 5 inputs (hash of every price post)
    /// @param poseidonT9 PoseidonDataT9Part0; poseidonT12 and poseidonT17 their parts in order
    constructor(
        address admin_,
        address publisher,
        uint64 maxAge_,
        PoseidonT6Opt poseidon5_,
        address poseidonT9,
        address[2] memory poseidonT12,
        address[3] memory poseidonT17
    ) {
        admin = admin_;
        poseidon5 = poseidon5_;
        isPublisher[publisher] = true;
        maxAge = maxAge_;
        t9 = poseidonT9;
        (t12a, t12b) = (poseidonT12[0], poseidonT12[1]);
        (t17a, t17b, t17c) = (poseidonT17[0], poseidonT17[1], poseidonT17[2]);
        PoseidonWide.checkData(_parts9(), 9);
        PoseidonWide.checkData(_parts12(), 12);
        PoseidonWide.checkData(_parts17(), 17);
        emit PublisherSet(publisher, true);
        emit MaxAgeSet(maxAge_);
    }

    // ------------------------------------------------------------------ administration

    function setPublisher(address publisher, bool allowed) external onlyAdmin {
        isPublisher[publisher] = allowed;
        emit PublisherSet(publisher, allowed);
    }

    function setMaxAge(uint64 maxAge_) external onlyAdmin {
        maxAge = maxAge_;
        emit MaxAgeSet(maxAge_);
    }

    // ------------------------------------------------------------------ posting

    /// Validate and hash the slow risk parameters.
    function postRisk(RiskParams calldata p) external onlyPublisher returns (uint256 h) {
        uint256[] memory wide = new uint256[](16);
        for (uint256 i = 0; i < N; i++) {
            MarketRisk calldata m = p.markets[i];
            if (m.maintenanceRateBps > m.initialRateBps) revert InvalidParameter(Field.MaintenanceRateBps, i);
            if (m.initialRateBps > BPS) revert InvalidParameter(Field.InitialRateBps, i);
            if (m.impactBps > BPS) revert InvalidParameter(Field.ImpactBps, i);
            if (m.depth == 0) revert InvalidParameter(Field.Depth, i);
            wide[i] = m.depth;
            wide[N + i] = m.positionCap;
        }
        for (uint256 j = 0; j < M; j++) {
            if (p.haircutBps[j] > BPS) revert InvalidParameter(Field.HaircutBps, j);
        }
        for (uint256 k = 0; k < S; k++) {
            for (uint256 i = 0; i < N; i++) {
                int16 x = p.shocks[k][i];
                if (x > 10000 || x < -10000) revert InvalidParameter(Field.Shock, k * N + i);
            }
        }
        uint256[] memory tail = new uint256[](11);
        tail[0] = PoseidonWide.hash(_parts17(), wide);
        uint256[10] memory words = _riskWords(p);
        for (uint256 w = 0; w < 10; w++) tail[1 + w] = words[w];
        h = PoseidonWide.hash(_parts12(), tail);
        riskHash = h;
        _updateSlow();
        emit RiskPosted(h, slowHash);
    }

    /// Validate and hash the cumulative funding indices (|x| < 2^63).
    function postFunding(int64[8] calldata fundingIndex) external onlyPublisher returns (uint256 h) {
        uint256[] memory f = new uint256[](8);
        for (uint256 i = 0; i < N; i++) {
            int64 x = fundingIndex[i];
            if (x == type(int64).min) revert InvalidParameter(Field.FundingIndex, i);
            f[i] = x >= 0 ? uint256(uint64(x)) : R - uint256(uint64(-x));
        }
        h = PoseidonWide.hash(_parts9(), f);
        fundingHash = h;
        _updateSlow();
        emit FundingPosted(h, slowHash);
    }

    /// Open a new epoch with fresh prices (the cheap, frequent post).
    function postPrices(uint64 epochId, uint48[8] calldata markPrice, uint96[4] calldata priceE18)
        external
        onlyPublisher
        returns (uint256 paramsHash)
    {
        uint256 slow = slowHash;
        if (riskHash == 0) revert RiskNotPosted();
        if (fundingHash == 0) revert FundingNotPosted();
        uint64 latest = latestEpochId;
        if (epochId <= latest) revert EpochNotIncreasing(epochId, latest);
        // priceWords: greedy 253-bit packing of [epochId:64, markPrice:48 x 8, priceE18:96 x 4]
        uint256 w0 = uint256(epochId) | (uint256(markPrice[0]) << 64) | (uint256(markPrice[1]) << 112)
            | (uint256(markPrice[2]) << 160);
        uint256 w1 = uint256(markPrice[3]) | (uint256(markPrice[4]) << 48) | (uint256(markPrice[5]) << 96)
            | (uint256(markPrice[6]) << 144) | (uint256(markPrice[7]) << 192);
        uint256 w2 = uint256(priceE18[0]) | (uint256(priceE18[1]) << 96);
        uint256 w3 = uint256(priceE18[2]) | (uint256(priceE18[3]) << 96);
        paramsHash = poseidon5.hash([w0, w1, w2, w3, slow]);
        EpochSlot storage s = ring[epochId % RING];
        s.paramsHash = paramsHash;
        s.epochId = epochId;
        s.postedAt = uint64(block.timestamp);
        latestEpochId = epochId;
        emit EpochPosted(epochId, paramsHash);
    }

    // ------------------------------------------------------------------ reading

    /// paramsHash of an epoch still in the ring (reverts UnknownEpoch otherwise).
    function paramsHashOf(uint64 epochId) public view returns (uint256) {
        EpochSlot storage s = ring[epochId % RING];
        if (s.epochId != epochId || s.paramsHash == 0) revert UnknownEpoch(epochId);
        return s.paramsHash;
    }

    /// paramsHash of an epoch no older than maxAge (reverts UnknownEpoch or StaleEpoch).
    function freshParamsHash(uint64 epochId) external view returns (uint256) {
        uint256 h = paramsHashOf(epochId);
        uint256 age = block.timestamp - ring[epochId % RING].postedAt;
        if (age > maxAge) revert StaleEpoch(epochId, age, maxAge);
        return h;
    }

    function postedAt(uint64 epochId) external view returns (uint64) {
        paramsHashOf(epochId);
        return ring[epochId % RING].postedAt;
    }

    // ------------------------------------------------------------------ internals

    function _updateSlow() internal {
        if (riskHash != 0 && fundingHash != 0) slowHash = PoseidonT3.hash([fundingHash, riskHash]);
    }

    /// riskWords: greedy 253-bit packing of [maxLeverageBps:32, (maint, initial, impact):14 per
    /// market, haircut:14 per asset, shock + 2^14:15 row by row] (docs/SPEC.md §3).
    function _riskWords(RiskParams calldata p) internal pure returns (uint256[10] memory words) {
        uint256 w;
        uint256 shift;
        (words, w, shift) = _push(words, w, shift, p.maxLeverageBps, 32);
        for (uint256 i = 0; i < N; i++) {
            (words, w, shift) = _push(words, w, shift, p.markets[i].maintenanceRateBps, 14);
            (words, w, shift) = _push(words, w, shift, p.markets[i].initialRateBps, 14);
            (words, w, shift) = _push(words, w, shift, p.markets[i].impactBps, 14);
        }
        for (uint256 j = 0; j < M; j++) (words, w, shift) = _push(words, w, shift, p.haircutBps[j], 14);
        for (uint256 k = 0; k < S; k++) {
            for (uint256 i = 0; i < N; i++) {
                (words, w, shift) = _push(words, w, shift, uint256(int256(p.shocks[k][i]) + 16384), 15);
            }
        }
    }

    function _push(uint256[10] memory words, uint256 w, uint256 shift, uint256 value, uint256 width)
        internal
        pure
        returns (uint256[10] memory, uint256, uint256)
    {
        if (shift + width > 253) {
            w++;
            shift = 0;
        }
        words[w] |= value << shift;
        return (words, w, shift + width);
    }

    function _parts9() internal view returns (address[] memory a) {
        a = new address[](1);
        a[0] = t9;
    }

    function _parts12() internal view returns (address[] memory a) {
        a = new address[](2);
        (a[0], a[1]) = (t12a, t12b);
    }

    function _parts17() internal view returns (address[] memory a) {
        a = new address[](3);
        (a[0], a[1], a[2]) = (t17a, t17b, t17c);
    }
}
