// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonWideT9, PoseidonWideT12, PoseidonWideT17} from "./generated/PoseidonWide.sol";
import {PoseidonT6Opt} from "./generated/PoseidonT6Opt.sol";

/// Risk epochs for the margin circuit MarginProof(8, 4, 16): a publisher posts risk parameters
/// (rarely), funding indices (periodically) and prices (often). The registry validates every
/// bound of the model (docs/SPEC.md §1) — the circuit relies on it (its NOTE) — and computes
/// the circuit's paramsHash on-chain (docs/SPEC.md §3):
///   riskHash    = H(depth[8], positionCap[8], riskWords[10])     (PoseidonWideT17 then T12)
///   fundingHash = H(fundingIndex[8] mod r)                         (PoseidonWideT9)
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
        EpochId,
        PriceE18
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
    error PoseidonSelfTest(uint256 inputs);

    event PublisherSet(address indexed publisher, bool allowed);
    event MaxAgeSet(uint256 maxAge);
    event RiskPosted(uint256 riskHash, uint256 slowHash);
    event FundingPosted(uint256 fundingHash, uint256 slowHash);
    event EpochPosted(uint64 indexed epochId, uint256 paramsHash);

    address public immutable admin;
    PoseidonT6Opt public immutable poseidon5;
    PoseidonWideT9 public immutable poseidon8;
    PoseidonWideT12 public immutable poseidon11;
    PoseidonWideT17 public immutable poseidon16;

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
        if (poseidon5_.hash([uint256(1), 2, 3, 4, 5]) != 0xdab9449e4a1398a15224c0b15a49d598b2174d305a316c918125f8feeb123c0) {
            revert PoseidonSelfTest(5);
        }
        if (poseidon8_.hash([uint256(1), 2, 3, 4, 5, 6, 7, 8]) != 0x2921ab9bd0140cbc98e40395c0fefb40337a4d54fbbecd9a4d43b3d8d0c4d8d1) {
            revert PoseidonSelfTest(8);
        }
        if (
            poseidon11_.hash([uint256(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
                != 0x07e5b070aa2dba008f30a6b785b6c5ae2429e211f71cacdbdae0e07fc05b47a8
        ) revert PoseidonSelfTest(11);
        if (
            poseidon16_.hash([uint256(1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
                != 0x16159a551cbb66108281a48099fff949ae08afd7f1f2ec06de2ffb96b919b765
        ) revert PoseidonSelfTest(16);
        isPublisher[publisher] = true;
        maxAge = maxAge_;
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
        uint256[16] memory wide;
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
        // asset 0 is the settlement asset: realised PnL is credited in its units at par
        if (p.haircutBps[0] != 0) revert InvalidParameter(Field.HaircutBps, 0);
        for (uint256 k = 0; k < S; k++) {
            for (uint256 i = 0; i < N; i++) {
                int16 x = p.shocks[k][i];
                if (x > 10000 || x < -10000) revert InvalidParameter(Field.Shock, k * N + i);
            }
        }
        uint256[11] memory tail;
        tail[0] = poseidon16.hash(wide);
        uint256[10] memory words = _riskWords(p);
        for (uint256 w = 0; w < 10; w++) tail[1 + w] = words[w];
        h = poseidon11.hash(tail);
        riskHash = h;
        _updateSlow();
        emit RiskPosted(h, slowHash);
    }

    /// Validate and hash the cumulative funding indices (|x| < 2^63).
    function postFunding(int64[8] calldata fundingIndex) external onlyPublisher returns (uint256 h) {
        uint256[8] memory f;
        for (uint256 i = 0; i < N; i++) {
            int64 x = fundingIndex[i];
            if (x == type(int64).min) revert InvalidParameter(Field.FundingIndex, i);
            f[i] = x >= 0 ? uint256(uint64(x)) : R - uint256(uint64(-x));
        }
        h = poseidon8.hash(f);
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
        // asset 0 is the settlement asset: 1 unit = 1 quote unit
        if (priceE18[0] != 1e18) revert InvalidParameter(Field.PriceE18, 0);
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

    /// The latest epoch and its paramsHash, if no older than maxAge (reverts StaleEpoch, or
    /// UnknownEpoch before the first post). One call for verifiers that accept only the latest.
    function latestFresh() external view returns (uint64 epochId, uint256 paramsHash) {
        epochId = latestEpochId;
        EpochSlot storage s = ring[epochId % RING];
        paramsHash = s.paramsHash;
        if (s.epochId != epochId || paramsHash == 0) revert UnknownEpoch(epochId);
        uint256 age = block.timestamp - s.postedAt;
        if (age > maxAge) revert StaleEpoch(epochId, age, maxAge);
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
}
