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
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IRiskEpochRegistry} from "./interfaces/IRiskEpochRegistry.sol";

// the latest-epoch word's fields are separate variables so that the compiler packs them into one slot
// solhint-disable max-states-count

/// @title RiskEpochRegistry
/// @author zkmargin
/// @notice Risk epochs for the margin circuit MarginProof(8, 4, 16): a publisher posts risk
/// parameters (rarely), funding indices (periodically) and prices (often). The registry validates
/// every bound of the model (docs/SPEC.md §1) — the circuit relies on it (its NOTE) — and computes
/// the circuit's paramsHash on-chain (docs/SPEC.md §3). No single post moves the model at once
/// (issue #10): ids advance by one, risk parameters wait out a timelock, prices and funding move
/// within per-market bounds or through a held, delayed post, and a new publisher or freshness
/// bound waits out the same timelock (docs/PROTOCOL.md, "Oracle and risk parameters").
/// @dev
///   riskHash    = H(depth[8], positionCap[8], riskWords[10])     (PoseidonWideT17 then T12)
///   fundingHash = H(fundingIndex[8] mod r)                         (PoseidonWideT9)
///   slowHash    = Poseidon2(fundingHash, riskHash)                 (PoseidonT3)
///   paramsHash  = Poseidon5(priceWords[4], slowHash)               (PoseidonT6Opt, per price post)
/// Risk and funding posts take effect with the next price post, which opens a new epoch (queued
/// risk with the first price post at or after its eta). Epochs live in a ring of RING slots; a
/// proof for an epoch older than maxAge is rejected. Every ring slot is written non-zero at
/// construction, so no price post pays for a fresh storage slot.
contract RiskEpochRegistry is IRiskEpochRegistry, EIP712 {
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
    /// @dev riskWords encode each shock as shock + 2^SHOCK_BITS in SHOCK_BITS + 1 bits
    int256 internal constant SHOCK_OFFSET = int256(1 << SHOCK_BITS);
    /// @dev the first epoch id is below 2^FIRST_EPOCH_BITS; later ids advance by exactly one
    uint256 internal constant FIRST_EPOCH_BITS = 32;
    /// @dev an epoch records its largest price move up to this many bps (a uint8 in its slot)
    uint256 internal constant MAX_MOVE_RECORDED = 255;
    /// @dev maxAge is below 2^MAX_AGE_BITS seconds (it is stored in 32 bits)
    uint256 internal constant MAX_AGE_BITS = 32;
    /// @dev longest timelock and breaker delay a config may set
    uint256 internal constant MAX_TIMELOCK = 30 days;
    uint256 internal constant MAX_BREAKER_DELAY = 1 days;
    /// @dev reference prices: each price as (exponent:7, mantissa:16), 23 bits, 11 per word
    uint256 internal constant REF_BITS = 23;
    uint256 internal constant REF_MANTISSA_BITS = 16;
    uint256 internal constant REF_MASK = (1 << REF_BITS) - 1;
    uint256 internal constant MANTISSA_MASK = (1 << REF_MANTISSA_BITS) - 1;
    /// @dev config word: 16 bits per market then per asset, breakerDelay and timelock 32 bits each
    uint256 internal constant BREAKER_SHIFT = 16 * (N_MARKETS + M_ASSETS);
    uint256 internal constant TIMELOCK_SHIFT = BREAKER_SHIFT + 32;
    /// @dev config word: quorum and breakerQuorum in the unused bound of asset 0
    uint256 internal constant QUORUM_SHIFT = 16 * N_MARKETS;
    /// @dev the largest oracle set
    uint256 internal constant MAX_ORACLES = 32;
    // solhint-disable gas-small-strings
    /// @inheritdoc IRiskEpochRegistry
    bytes32 public constant REPORT_TYPEHASH = keccak256(
        "PriceReport(uint64 epochId,uint48[8] markPrice,uint96[4] priceE18)"
    );
    // solhint-enable gas-small-strings
    /// @dev the sentinel epochId of a ring slot never posted
    uint64 internal constant NEVER = type(uint64).max;

    /// @dev risk parameters waiting out the timelock: their hash, eta and the block of their RiskPosted log
    struct RiskQueue {
        uint256 riskHash;
        uint40 eta;
        uint40 blockNumber;
    }

    /// @dev a config waiting out the timelock
    struct ConfigQueue {
        uint256 word;
        uint40 eta;
    }

    /// @dev a maxAge waiting out the timelock
    struct MaxAgeQueue {
        uint32 maxAge;
        uint40 eta;
    }

    /// @dev held prices: key = keccak256(abi.encode(epochId, markPrice, priceE18))
    struct Hold {
        bytes32 key;
        uint64 epochId;
        uint40 eta;
    }

    /// @dev Block numbers are stored in 40 bits (10^12 blocks), which packs the second word;
    /// maxMoveBps (the post's largest price move from the previous epoch, saturating at 255 bps;
    /// 255 for the first epoch) fills its last byte.
    struct EpochSlot {
        uint256 paramsHash;
        uint64 epochId;
        uint64 postedAt;
        uint40 pricesBlock;
        uint40 riskBlock;
        uint40 fundingBlock;
        uint8 maxMoveBps;
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
    /// @dev the latest epoch: ids start below 2^32 and advance by one, so 48 bits never overflow
    uint48 internal latest;
    /// @dev maxAge (< 2^32 seconds), in latest's slot
    uint32 internal maxAgeSeconds;
    /// @dev block of the RiskPosted log of the risk in effect (shares latest's slot, read by every price post)
    uint40 internal riskBlock;
    /// @dev block of the latest funding post (same slot)
    uint40 internal fundingBlock;
    /// @dev the fresh-oracle clock (freshClock): the latest epoch stays fresh until freshUntil
    /// (unix seconds), when the clock reads clockAtUntil; before that it reads clockAtUntil minus
    /// the seconds left. Same slot; set by every price post and every applied maxAge change, so the
    /// clock is monotone and never counts stale time.
    uint40 internal freshUntil;
    uint40 internal clockAtUntil;
    /// @dev risk parameters are queued (same slot: a price post checks it for free)
    bool internal riskQueued;
    /// @dev prices are held: the circuit breaker is tripped (same slot)
    bool internal held;
    /// @dev the packed OracleConfig in force (read by every price post)
    uint256 internal configWord;
    /// @dev the latest epoch's prices, truncated to 16 significant bits (read and written by every price post)
    uint256 internal refWord;
    /// @dev the queued risk parameters (valid while riskQueued)
    RiskQueue internal riskQueue;
    /// @dev the queued config (eta 0: none)
    ConfigQueue internal configQueue;
    /// @dev the queued maxAge (eta 0: none)
    MaxAgeQueue internal maxAgeQueue;
    /// @dev when each queued publisher may be added (0: not queued); never read by a post
    mapping(address => uint256) internal publisherEta;
    /// @dev the held prices (valid while held)
    Hold internal hold;
    /// @dev the oracle set (ascending addresses) and a queued replacement
    address[] internal oracleSet;
    /// @inheritdoc IRiskEpochRegistry
    mapping(address => bool) public isOracle;
    address[] internal queuedOracleSet;
    uint40 internal queuedOraclesEta;
    /// @dev the latest funding indices posted (the reference of the next funding post)
    int64[N_MARKETS] internal lastFunding;
    EpochSlot[RING] internal ring;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlyPublisher() {
        if (!isPublisher[msg.sender]) revert NotPublisher(msg.sender);
        _;
    }

    modifier onlyAdminOrPublisher() {
        if (msg.sender != admin && !isPublisher[msg.sender]) revert NotAdminOrPublisher(msg.sender);
        _;
    }

    /// The hashers are checked against known answers (Poseidon of 1..n) so a misordered or wrong
    /// deployment cannot go live; each hasher pins its own constant data by code hash.
    constructor(
        address admin_,
        address publisher,
        uint64 maxAge_,
        OracleConfig memory config_,
        PoseidonT6Opt poseidon5_,
        PoseidonWideT9 poseidon8_,
        PoseidonWideT12 poseidon11_,
        PoseidonWideT17 poseidon16_
    ) EIP712("zkmargin RiskEpochRegistry", "1") {
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
        // the initial publisher and maxAge are in effect at once: nothing depends on them yet
        isPublisher[publisher] = true;
        maxAgeSeconds = _checkMaxAge(maxAge_);
        configWord = _packConfig(config_);
        _checkQuorum(configWord, 0);
        // every ring slot's second word is non-zero from the start (paramsHash 0: unknown), so a
        // price post rewrites a non-zero word (5k gas) instead of creating one (22.1k)
        for (uint256 i = 0; i < RING; i++) ring[i].epochId = NEVER;
        emit PublisherSet(publisher, true);
        emit MaxAgeSet(maxAge_);
        emit ConfigApplied(config_);
    }

    // ------------------------------------------------------------------ administration

    /// @inheritdoc IRiskEpochRegistry
    function queuePublisher(address publisher) external onlyAdmin returns (uint256 eta) {
        eta = _timelockEta();
        publisherEta[publisher] = eta;
        emit PublisherQueued(publisher, eta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function applyPublisher(address publisher) external {
        uint256 eta = publisherEta[publisher];
        if (eta == 0) revert NothingQueued();
        if (block.timestamp < eta) revert TimelockRunning(eta);
        delete publisherEta[publisher];
        isPublisher[publisher] = true;
        emit PublisherSet(publisher, true);
    }

    /// @inheritdoc IRiskEpochRegistry
    function cancelPublisher(address publisher) external onlyAdmin {
        if (publisherEta[publisher] == 0) revert NothingQueued();
        delete publisherEta[publisher];
        emit PublisherCancelled(publisher);
    }

    /// @inheritdoc IRiskEpochRegistry
    function removePublisher(address publisher) external onlyAdmin {
        // revoking a key is immediate, and also withdraws a queued addition of it
        if (publisherEta[publisher] != 0) {
            delete publisherEta[publisher];
            emit PublisherCancelled(publisher);
        }
        isPublisher[publisher] = false;
        emit PublisherSet(publisher, false);
    }

    /// @inheritdoc IRiskEpochRegistry
    function queueMaxAge(uint64 maxAge_) external onlyAdmin returns (uint256 eta) {
        uint32 seconds_ = _checkMaxAge(maxAge_);
        eta = _timelockEta();
        maxAgeQueue = MaxAgeQueue(seconds_, uint40(eta));
        emit MaxAgeQueued(maxAge_, eta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function applyMaxAge() external {
        MaxAgeQueue memory q = maxAgeQueue;
        if (q.eta == 0) revert NothingQueued();
        if (block.timestamp < q.eta) revert TimelockRunning(q.eta);
        delete maxAgeQueue;
        // the clock counts the past under the old bound and the future under the new one (a
        // tripped breaker keeps it stopped)
        uint64 latest_ = latest;
        if (latest_ != 0 && !held) _setFreshUntil(ring[latest_ % RING].postedAt + uint256(q.maxAge));
        maxAgeSeconds = q.maxAge;
        emit MaxAgeSet(q.maxAge);
    }

    /// @inheritdoc IRiskEpochRegistry
    function cancelMaxAge() external onlyAdmin {
        if (maxAgeQueue.eta == 0) revert NothingQueued();
        delete maxAgeQueue;
        emit MaxAgeCancelled();
    }

    /// @inheritdoc IRiskEpochRegistry
    function queueConfig(OracleConfig calldata config_) external onlyAdmin returns (uint256 eta) {
        uint256 word = _packConfig(config_);
        eta = _timelockEta();
        configQueue = ConfigQueue(word, uint40(eta));
        emit ConfigQueued(config_, eta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function applyConfig() external {
        ConfigQueue memory q = configQueue;
        if (q.eta == 0) revert NothingQueued();
        if (block.timestamp < q.eta) revert TimelockRunning(q.eta);
        uint256 word = q.word;
        _checkQuorum(word, oracleSet.length);
        configWord = word;
        delete configQueue;
        emit ConfigApplied(_unpackConfig(word));
    }

    /// @inheritdoc IRiskEpochRegistry
    function cancelConfig() external onlyAdmin {
        if (configQueue.eta == 0) revert NothingQueued();
        delete configQueue;
        emit ConfigCancelled();
    }

    /// @inheritdoc IRiskEpochRegistry
    function queueOracles(address[] calldata oracles_) external onlyAdmin returns (uint256 eta) {
        if (oracles_.length > MAX_ORACLES) revert InvalidOracleSet(MAX_ORACLES);
        for (uint256 i = 0; i < oracles_.length; i++) {
            // ascending: distinct and non-zero
            if (oracles_[i] <= (i == 0 ? address(0) : oracles_[i - 1])) revert InvalidOracleSet(i);
        }
        eta = _timelockEta();
        (queuedOracleSet, queuedOraclesEta) = (oracles_, uint40(eta));
        emit OraclesQueued(oracles_, eta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function applyOracles() external {
        uint256 eta = queuedOraclesEta;
        if (eta == 0) revert NothingQueued();
        if (block.timestamp < eta) revert TimelockRunning(eta);
        address[] memory next = queuedOracleSet;
        _checkQuorum(configWord, next.length);
        for (uint256 i = 0; i < oracleSet.length; i++) isOracle[oracleSet[i]] = false;
        for (uint256 i = 0; i < next.length; i++) isOracle[next[i]] = true;
        oracleSet = next;
        delete queuedOracleSet;
        queuedOraclesEta = 0;
        emit OraclesApplied(next);
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
        if (latest == 0) {
            // before the first epoch nothing depends on risk parameters: in effect at once
            emit RiskPosted(h, block.timestamp, wide, words);
            _activateRisk(h, block.number);
        } else {
            uint256 eta = _timelockEta();
            riskQueue = RiskQueue(h, uint40(eta), uint40(block.number));
            riskQueued = true;
            emit RiskPosted(h, eta, wide, words);
        }
    }

    /// @inheritdoc IRiskEpochRegistry
    function cancelRisk() external onlyAdminOrPublisher {
        if (!riskQueued) revert NothingQueued();
        riskQueued = false;
        emit RiskCancelled(riskQueue.riskHash);
    }

    /// @inheritdoc IRiskEpochRegistry
    function postFunding(int64[N_MARKETS] calldata fundingIndex) external onlyPublisher returns (uint256 h) {
        uint256[N_MARKETS] memory f;
        bool bounded = latest != 0;
        uint256 ref = refWord;
        uint256 cfg = configWord;
        for (uint256 i = 0; i < N; i++) {
            int64 x = fundingIndex[i];
            if (x == type(int64).min) revert InvalidParameter(Field.FundingIndex, i);
            f[i] = x >= 0 ? uint256(uint64(x)) : FIELD_MODULUS - uint256(uint64(-x));
            if (bounded) {
                // a funding move shifts PnL per lot like a mark move: the same bound, in bps of the mark
                int256 d = int256(x) - int256(lastFunding[i]);
                uint256 move = uint256(d >= 0 ? d : -d);
                uint256 bound = (cfg >> (16 * i)) & 0xffff;
                uint256 mark = _refPrice(ref, i);
                if (move * BPS_ONE > bound * mark)
                    revert MoveTooLarge(Field.FundingIndex, i, _moveBps(move, mark), bound);
            }
            lastFunding[i] = x;
        }
        h = poseidon8.hash(f);
        fundingHash = h;
        fundingBlock = uint40(block.number);
        _updateSlow();
        emit FundingPosted(h, slowHash, fundingIndex);
    }

    /// @inheritdoc IRiskEpochRegistry
    function holdPrices(
        uint64 epochId,
        uint48[N_MARKETS] calldata markPrice,
        uint96[M_ASSETS] calldata priceE18
    ) external onlyPublisher returns (uint256 eta) {
        uint64 latest_ = latest;
        if (latest_ == 0) revert NoPriorEpoch();
        _checkNextEpoch(epochId, latest_);
        if (priceE18[0] != 1e18) revert InvalidParameter(Field.PriceE18, 0);
        eta = block.timestamp + ((configWord >> BREAKER_SHIFT) & type(uint32).max);
        hold = Hold(keccak256(abi.encode(epochId, markPrice, priceE18)), epochId, uint40(eta));
        // trip the breaker: no epoch is fresh and the fresh-oracle clock stops until the hold ends
        _setFreshUntil(block.timestamp);
        held = true;
        emit PricesHeld(epochId, eta, markPrice, priceE18);
    }

    /// @inheritdoc IRiskEpochRegistry
    function clearHold() external onlyAdminOrPublisher {
        if (!held) revert NothingQueued();
        held = false;
        _setFreshUntil(ring[latest % RING].postedAt + maxAgeSeconds);
        emit HoldCleared(hold.epochId);
    }

    /// @inheritdoc IRiskEpochRegistry
    function postPrices(
        uint64 epochId,
        uint48[N_MARKETS] calldata markPrice,
        uint96[M_ASSETS] calldata priceE18
    ) external onlyPublisher returns (uint256 paramsHash) {
        // with a quorum, prices come only as signed reports
        if ((configWord >> QUORUM_SHIFT) & 0xff != 0) revert QuorumRequired();
        return _postPrices(epochId, markPrice, priceE18, false);
    }

    /// @inheritdoc IRiskEpochRegistry
    function postSignedPrices(
        uint64 epochId,
        PriceReport[] calldata reports,
        bytes[] calldata signatures
    ) external returns (uint256 paramsHash) {
        uint256 cfg = configWord;
        uint256 k = (cfg >> QUORUM_SHIFT) & 0xff;
        uint256 r = reports.length;
        if (k == 0) revert QuorumNotMet(r, 0);
        if (signatures.length != r) revert LengthMismatch(r, signatures.length);
        if (r < k) revert QuorumNotMet(r, k);
        address last;
        for (uint256 i = 0; i < r; i++) {
            address signer = ECDSA.recover(_hashTypedDataV4(_reportHash(epochId, reports[i])), signatures[i]);
            // ascending signers: each oracle counts once
            if (!isOracle[signer] || signer <= last) revert InvalidSigner(signer, i);
            last = signer;
        }
        (uint48[N_MARKETS] memory markPrice, uint96[M_ASSETS] memory priceE18) = _medians(reports);
        uint256 kHigh = (cfg >> (QUORUM_SHIFT + 8)) & 0xff;
        return _postPrices(epochId, markPrice, priceE18, kHigh != 0 && r >= kHigh);
    }

    /// @inheritdoc IRiskEpochRegistry
    function reportDigest(uint64 epochId, PriceReport calldata report) external view returns (bytes32) {
        return _hashTypedDataV4(_reportHash(epochId, report));
    }

    /// Opens epoch `epochId` with these prices (the checks of postPrices); `breakerQuorum`: a move
    /// beyond the bounds is accepted without a hold.
    function _postPrices(
        uint64 epochId,
        uint48[N_MARKETS] memory markPrice,
        uint96[M_ASSETS] memory priceE18,
        bool breakerQuorum
    ) internal returns (uint256 paramsHash) {
        uint64 latest_ = latest;
        _checkNextEpoch(epochId, latest_);
        // asset 0 is the settlement asset: 1 unit = 1 quote unit
        if (priceE18[0] != 1e18) revert InvalidParameter(Field.PriceE18, 0);
        if (riskQueued && block.timestamp >= riskQueue.eta) {
            riskQueued = false;
            _activateRisk(riskQueue.riskHash, riskQueue.blockNumber);
        }
        uint256 slow = slowHash;
        // slowHash is set once both risk and funding were posted: the two cold reads of
        // riskHash and fundingHash happen on the error path only
        if (slow == 0) {
            if (riskHash == 0) revert RiskNotPosted();
            revert FundingNotPosted();
        }
        uint256 maxMove;
        (refWord, maxMove) = _checkMoves(epochId, latest_, markPrice, priceE18, breakerQuorum);
        if (held) held = false;
        (uint256 w0, uint256 w1, uint256 w2, uint256 w3) = _priceWords(epochId, markPrice, priceE18);
        paramsHash = poseidon5.hash([w0, w1, w2, w3, slow]);
        ring[epochId % RING] = EpochSlot(
            paramsHash,
            epochId,
            uint64(block.timestamp),
            uint40(block.number),
            riskBlock,
            fundingBlock,
            uint8(maxMove)
        );
        latest = uint48(epochId);
        _setFreshUntil(block.timestamp + maxAgeSeconds);
        emit EpochPosted(epochId, paramsHash, [w0, w1, w2, w3]);
    }

    // ------------------------------------------------------------------ reading

    /// @inheritdoc IRiskEpochRegistry
    function latestEpochId() external view returns (uint64) {
        return latest;
    }

    /// @inheritdoc IRiskEpochRegistry
    function config() external view returns (OracleConfig memory) {
        return _unpackConfig(configWord);
    }

    /// @inheritdoc IRiskEpochRegistry
    function queuedConfig() external view returns (OracleConfig memory config_, uint256 eta) {
        eta = configQueue.eta;
        if (eta != 0) config_ = _unpackConfig(configQueue.word);
    }

    /// @inheritdoc IRiskEpochRegistry
    function queuedRisk() external view returns (uint256 riskHash_, uint256 eta, uint256 riskBlock_) {
        if (riskQueued) return (riskQueue.riskHash, riskQueue.eta, riskQueue.blockNumber);
    }

    /// @inheritdoc IRiskEpochRegistry
    function oracles() external view returns (address[] memory) {
        return oracleSet;
    }

    /// @inheritdoc IRiskEpochRegistry
    function queuedOracles() external view returns (address[] memory oracles_, uint256 eta) {
        return (queuedOracleSet, queuedOraclesEta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function queuedPublisher(address publisher) external view returns (uint256 eta) {
        return publisherEta[publisher];
    }

    /// @inheritdoc IRiskEpochRegistry
    function queuedMaxAge() external view returns (uint64 maxAge_, uint256 eta) {
        return (maxAgeQueue.maxAge, maxAgeQueue.eta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function heldPrices() external view returns (uint64 epochId, uint256 eta) {
        if (held) return (hold.epochId, hold.eta);
    }

    /// @inheritdoc IRiskEpochRegistry
    function paramsHashOf(uint64 epochId) public view returns (uint256) {
        EpochSlot storage s = ring[epochId % RING];
        if (s.epochId != epochId || s.paramsHash == 0) revert UnknownEpoch(epochId);
        return s.paramsHash;
    }

    /// @inheritdoc IRiskEpochRegistry
    function freshParamsHash(uint64 epochId) external view returns (uint256) {
        uint256 h = paramsHashOf(epochId);
        if (held) revert CircuitBreakerTripped(hold.epochId, hold.eta);
        uint256 age = block.timestamp - ring[epochId % RING].postedAt;
        if (age > maxAgeSeconds) revert StaleEpoch(epochId, age, maxAgeSeconds);
        return h;
    }

    /// @inheritdoc IRiskEpochRegistry
    function maxMoveBps(uint64 epochId) external view returns (uint256) {
        paramsHashOf(epochId);
        return ring[epochId % RING].maxMoveBps;
    }

    /// @inheritdoc IRiskEpochRegistry
    function inFlight(uint64 epochId, uint64 window, uint256 maxMoveBps_) external view returns (bool) {
        uint64 latest_ = latest;
        if (epochId + 1 != latest_) return false;
        EpochSlot storage e = ring[epochId % RING];
        EpochSlot storage next = ring[latest_ % RING];
        if (e.epochId != epochId || e.paramsHash == 0 || next.epochId != latest_) return false;
        return
            uint256(next.postedAt) + window >= block.timestamp &&
            next.maxMoveBps <= maxMoveBps_ &&
            next.riskBlock == e.riskBlock &&
            next.fundingBlock == e.fundingBlock &&
            // block numbers, not versions: a risk or funding change in the block of e's own post
            // could hide behind an equal number, so it counts as a change
            next.riskBlock < e.pricesBlock &&
            next.fundingBlock < e.pricesBlock &&
            uint256(e.postedAt) + maxAgeSeconds >= next.postedAt;
    }

    /// @inheritdoc IRiskEpochRegistry
    function latestFresh() external view returns (uint64 epochId, uint256 paramsHash) {
        epochId = latest;
        EpochSlot storage s = ring[epochId % RING];
        paramsHash = s.paramsHash;
        if (s.epochId != epochId || paramsHash == 0) revert UnknownEpoch(epochId);
        if (held) revert CircuitBreakerTripped(hold.epochId, hold.eta);
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

    /// When a change queued now may be applied: now + the timelock in force.
    function _timelockEta() internal view returns (uint256) {
        return block.timestamp + (configWord >> TIMELOCK_SHIFT);
    }

    /// maxAge fits its 32-bit field (MaxAgeTooLarge otherwise).
    function _checkMaxAge(uint64 maxAge_) internal pure returns (uint32) {
        if (maxAge_ >> MAX_AGE_BITS != 0) revert MaxAgeTooLarge(maxAge_);
        return uint32(maxAge_);
    }

    /// Ids advance by exactly one; the first is below 2^32, so no id ever nears 2^64 and no post
    /// can skip over live ring slots.
    function _checkNextEpoch(uint64 epochId, uint64 latest_) internal pure {
        if (epochId <= latest_) revert EpochNotIncreasing(epochId, latest_);
        if (latest_ == 0) {
            if (epochId >> FIRST_EPOCH_BITS != 0) revert InvalidParameter(Field.EpochId, 0);
        } else if (epochId != latest_ + 1) {
            revert EpochNotNext(epochId, latest_ + 1);
        }
    }

    function _activateRisk(uint256 h, uint256 block_) internal {
        riskHash = h;
        riskBlock = uint40(block_);
        _updateSlow();
        emit RiskActivated(h, slowHash);
    }

    function _updateSlow() internal {
        if (riskHash != 0 && fundingHash != 0) slowHash = PoseidonT3.hash([fundingHash, riskHash]);
    }

    /// The new reference word of these prices and the largest move from the latest epoch's in
    /// bps (rounded up, saturating at MAX_MOVE_RECORDED; the first epoch records the maximum);
    /// reverts MoveTooLarge when one moves beyond its bound from the latest epoch's, unless
    /// exactly these prices were held for this epoch and the hold has ended. The first epoch is
    /// not bounded.
    function _checkMoves(
        uint64 epochId,
        uint64 latest_,
        uint48[N_MARKETS] memory markPrice,
        uint96[M_ASSETS] memory priceE18,
        bool breakerQuorum
    ) internal view returns (uint256 ref, uint256 maxMove) {
        uint256 old = refWord;
        uint256 cfg = configWord;
        // first breach: k (market k, or asset k - N + 1) + 1, 0 when none
        uint256 breach;
        // the largest d * 10000 / r seen, as the pair (d, r) compared by cross-multiplication
        uint256 maxD;
        uint256 maxR = 1;
        // values below 2^96 and bounds below 2^16: no product overflows; shifts are constant
        unchecked {
            for (uint256 k = 0; k < N + M - 1; k++) {
                // markets 0..N-1, then assets 1..M-1 (asset 0 is at par); config: 16 bits each,
                // markets then assets 0..M-1
                uint256 x = k < N ? uint256(markPrice[k]) : uint256(priceE18[k - N + 1]);
                ref |= _truncate(x) << (REF_BITS * k);
                uint256 r = _refPrice(old, k);
                uint256 d = x > r ? x - r : r - x;
                if (d * maxR > maxD * r) (maxD, maxR) = (d, r);
                if (breach == 0 && d * BPS_ONE > ((cfg >> (16 * (k < N ? k : k + 1))) & 0xffff) * r) breach = k + 1;
            }
        }
        maxMove = latest_ == 0 || maxR == 0 ? MAX_MOVE_RECORDED : _moveBps(maxD, maxR);
        if (maxMove > MAX_MOVE_RECORDED) maxMove = MAX_MOVE_RECORDED;
        if (breach == 0 || latest_ == 0 || breakerQuorum) return (ref, maxMove);
        if (!held || hold.key != keccak256(abi.encode(epochId, markPrice, priceE18)))
            _revertMove(old, cfg, breach - 1, markPrice, priceE18);
        if (block.timestamp < hold.eta) revert HoldRunning(epochId, hold.eta);
    }

    /// MoveTooLarge for item k of the reference words (market k, or asset k - N + 1)
    function _revertMove(
        uint256 old,
        uint256 cfg,
        uint256 k,
        uint48[N_MARKETS] memory markPrice,
        uint96[M_ASSETS] memory priceE18
    ) internal pure {
        uint256 r = _refPrice(old, k);
        uint256 x = k < N ? uint256(markPrice[k]) : uint256(priceE18[k - N + 1]);
        uint256 move = _moveBps(x > r ? x - r : r - x, r);
        uint256 bound = (cfg >> (16 * (k < N ? k : k + 1))) & 0xffff;
        if (k < N) revert MoveTooLarge(Field.MarkPrice, k, move, bound);
        revert MoveTooLarge(Field.PriceE18, k - N + 1, move, bound);
    }

    /// priceWords: greedy 253-bit packing of [epochId:64, markPrice:48 x 8, priceE18:96 x 4]
    function _priceWords(
        uint64 epochId,
        uint48[N_MARKETS] memory markPrice,
        uint96[M_ASSETS] memory priceE18
    ) internal pure returns (uint256 w0, uint256 w1, uint256 w2, uint256 w3) {
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
    }

    /// EIP-712 struct hash of a PriceReport for an epoch
    function _reportHash(uint64 epochId, PriceReport calldata report) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    REPORT_TYPEHASH,
                    epochId,
                    keccak256(abi.encodePacked(report.markPrice)),
                    keccak256(abi.encodePacked(report.priceE18))
                )
            );
    }

    /// The median of each price over the reports (the lower middle for an even count).
    function _medians(
        PriceReport[] calldata reports
    ) internal pure returns (uint48[N_MARKETS] memory markPrice, uint96[M_ASSETS] memory priceE18) {
        uint256 r = reports.length;
        uint256[] memory v = new uint256[](r);
        for (uint256 k = 0; k < N + M; k++) {
            uint256 m;
            if (r == 3) {
                // the common 3-report case without sorting
                (uint256 a, uint256 b, uint256 c) = k < N
                    ? (
                        uint256(reports[0].markPrice[k]),
                        uint256(reports[1].markPrice[k]),
                        uint256(reports[2].markPrice[k])
                    )
                    : (
                        uint256(reports[0].priceE18[k - N]),
                        uint256(reports[1].priceE18[k - N]),
                        uint256(reports[2].priceE18[k - N])
                    );
                if (a > b) (a, b) = (b, a);
                m = c <= a ? a : (c >= b ? b : c);
            } else {
                for (uint256 i = 0; i < r; i++) v[i] = k < N ? reports[i].markPrice[k] : reports[i].priceE18[k - N];
                // insertion sort: r <= 32 oracles
                for (uint256 i = 1; i < r; i++) {
                    uint256 x = v[i];
                    uint256 j = i;
                    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
                    v[j] = x;
                }
                m = v[(r - 1) / 2];
            }
            // medians of uint48 and uint96 values fit their types
            if (k < N) markPrice[k] = uint48(m);
            else priceE18[k - N] = uint96(m);
        }
    }

    /// quorum <= breakerQuorum (or breakerQuorum 0) and both within the oracle set
    function _checkQuorum(uint256 word, uint256 oracleCount) internal pure {
        uint256 k = (word >> QUORUM_SHIFT) & 0xff;
        uint256 kHigh = (word >> (QUORUM_SHIFT + 8)) & 0xff;
        if (k > oracleCount || (k == 0 && kHigh != 0)) revert InvalidConfig(N + M + 2);
        if (kHigh > oracleCount || (kHigh != 0 && kHigh < k)) revert InvalidConfig(N + M + 3);
    }

    /// x (< 2^96) truncated to its 16 most significant bits, as (exponent:7, mantissa:16)
    function _truncate(uint256 x) internal pure returns (uint256) {
        unchecked {
            uint256 e = 0;
            uint256 y = x >> REF_MANTISSA_BITS;
            if (y == 0) return x;
            if (y >> 64 != 0) {
                y >>= 64;
                e = 64;
            }
            if (y >> 32 != 0) {
                y >>= 32;
                e += 32;
            }
            if (y >> 16 != 0) {
                y >>= 16;
                e += 16;
            }
            if (y >> 8 != 0) {
                y >>= 8;
                e += 8;
            }
            if (y >> 4 != 0) {
                y >>= 4;
                e += 4;
            }
            if (y >> 2 != 0) {
                y >>= 2;
                e += 2;
            }
            e += y >> 1 != 0 ? 2 : 1;
            return (e << REF_MANTISSA_BITS) | (x >> e);
        }
    }

    /// the k-th reference price of a reference word
    function _refPrice(uint256 word, uint256 k) internal pure returns (uint256) {
        unchecked {
            uint256 c = (word >> (REF_BITS * k)) & REF_MASK;
            return (c & MANTISSA_MASK) << (c >> REF_MANTISSA_BITS);
        }
    }

    /// |move| in bps of `from`, rounded up (2^256-1 from 0)
    function _moveBps(uint256 move, uint256 from) internal pure returns (uint256) {
        return from == 0 ? type(uint256).max : (move * BPS_ONE + from - 1) / from;
    }

    function _packConfig(OracleConfig memory c) internal pure returns (uint256 word) {
        for (uint256 i = 0; i < N; i++) {
            if (c.markMoveBps[i] == 0) revert InvalidConfig(i);
            word |= uint256(c.markMoveBps[i]) << (16 * i);
        }
        for (uint256 j = 1; j < M; j++) {
            if (c.priceMoveBps[j] == 0) revert InvalidConfig(N + j);
            word |= uint256(c.priceMoveBps[j]) << (16 * (N + j));
        }
        word |= (uint256(c.quorum) << QUORUM_SHIFT) | (uint256(c.breakerQuorum) << (QUORUM_SHIFT + 8));
        if (c.breakerDelay > MAX_BREAKER_DELAY) revert InvalidConfig(N + M);
        if (c.timelock > MAX_TIMELOCK) revert InvalidConfig(N + M + 1);
        word |= (uint256(c.breakerDelay) << BREAKER_SHIFT) | (uint256(c.timelock) << TIMELOCK_SHIFT);
    }

    function _unpackConfig(uint256 word) internal pure returns (OracleConfig memory c) {
        for (uint256 i = 0; i < N; i++) c.markMoveBps[i] = uint16(word >> (16 * i));
        for (uint256 j = 1; j < M; j++) c.priceMoveBps[j] = uint16(word >> (16 * (N + j)));
        c.quorum = uint8(word >> QUORUM_SHIFT);
        c.breakerQuorum = uint8(word >> (QUORUM_SHIFT + 8));
        c.breakerDelay = uint32(word >> BREAKER_SHIFT);
        c.timelock = uint32(word >> TIMELOCK_SHIFT);
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
