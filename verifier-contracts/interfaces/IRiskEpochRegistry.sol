// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {N_MARKETS, M_ASSETS, S_SCENARIOS} from "../generated/Constants.sol";
import {PoseidonWideT9, PoseidonWideT12, PoseidonWideT17} from "../generated/PoseidonWide.sol";
import {PoseidonT6Opt} from "../generated/PoseidonT6Opt.sol";

/// @title IRiskEpochRegistry
/// @author zkmargin
/// @notice Risk epochs for the margin circuit MarginProof(N_MARKETS, M_ASSETS, S_SCENARIOS): a
/// publisher posts risk parameters (rarely), funding indices (periodically) and prices (often).
/// The registry validates every bound of the model (docs/SPEC.md §1) and computes the circuit's
/// paramsHash on-chain (docs/SPEC.md §3). Risk and funding posts take effect with the next price
/// post, which opens a new epoch. Epochs live in a ring of RING slots; an epoch older than maxAge
/// is refused where freshness is required.
///
/// No single key moves the model at once (issue #10, docs/PROTOCOL.md "Oracle and risk
/// parameters"): epoch ids advance by exactly one; risk parameters posted after the first epoch
/// are queued and take effect at the first price post at or after `timelock` seconds; a price
/// (or funding) post moving a market beyond its per-post bound is refused unless the same prices
/// were held (holdPrices) for `breakerDelay` seconds, during which no epoch is fresh (the circuit
/// breaker); the bounds and both delays change only through the same timelock, and so do a new
/// publisher and the freshness bound maxAge (removing a publisher is immediate: revoking a key
/// must not wait).
interface IRiskEpochRegistry {
    /// @notice The parameter an InvalidParameter error refers to.
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
        PriceE18,
        MarkPrice
    }

    /// @notice The oracle's guard rails, changed only through queueConfig / applyConfig.
    /// @param markMoveBps per market: the largest move of markPrice from one epoch to the next,
    /// in bps of the previous price (1..65535); a move from or to 0 is beyond any bound. A funding
    /// post may move fundingIndex by at most markMoveBps of the latest markPrice.
    /// @param priceMoveBps per collateral asset: the same bound on priceE18 (index 0, the
    /// settlement asset at par, is not checked)
    /// @param breakerDelay seconds that prices beyond the bounds must be held before they can be
    /// posted (<= 1 day)
    /// @param timelock seconds between queueing risk parameters (or a config, an oracle set, a new
    /// publisher or a maxAge) and their effect (<= 30 days)
    /// @param quorum k: with k > 0 prices come only as EIP-712 reports signed by k distinct
    /// oracles (postSignedPrices, median per price); 0 keeps the single-publisher postPrices
    /// @param breakerQuorum with at least this many reports a move beyond the bounds needs no hold
    /// (0: never; otherwise >= quorum); both at most the oracle set's size
    struct OracleConfig {
        uint16[N_MARKETS] markMoveBps;
        uint16[M_ASSETS] priceMoveBps;
        uint32 breakerDelay;
        uint32 timelock;
        uint8 quorum;
        uint8 breakerQuorum;
    }

    /// @notice One oracle's prices for an epoch, signed as the EIP-712 struct
    /// PriceReport(uint64 epochId,uint48[8] markPrice,uint96[4] priceE18) under the domain
    /// ("zkmargin RiskEpochRegistry", "1", chain id, this registry).
    /// @param markPrice mark price per market
    /// @param priceE18 collateral price per asset
    struct PriceReport {
        uint48[N_MARKETS] markPrice;
        uint96[M_ASSETS] priceE18;
    }

    /// @notice Risk parameters of one market.
    /// @param maintenanceRateBps maintenance margin rate (<= initialRateBps)
    /// @param initialRateBps initial margin rate (<= 10000)
    /// @param impactBps size-dependent margin multiplier (<= 10000)
    /// @param depth liquidity depth in quote units (1 <= depth < 2^96)
    /// @param positionCap largest |size| in lots (< 2^40)
    struct MarketRisk {
        uint16 maintenanceRateBps;
        uint16 initialRateBps;
        uint16 impactBps;
        uint96 depth;
        uint40 positionCap;
    }

    /// @notice The slow risk parameters of an epoch.
    /// @param maxLeverageBps leverage bound: 10000 * gross notional <= maxLeverageBps * equity (< 2^32)
    /// @param markets per-market risk
    /// @param haircutBps collateral haircut per asset (<= 10000; asset 0 settles at 0)
    /// @param shocks stress scenarios: shocks[k][i] for scenario k and market i (|x| <= 10000)
    struct RiskParams {
        uint32 maxLeverageBps;
        MarketRisk[N_MARKETS] markets;
        uint16[M_ASSETS] haircutBps;
        int16[N_MARKETS][S_SCENARIOS] shocks;
    }

    /// @notice A posted value is out of the model's bounds.
    /// @param field which parameter
    /// @param index its market, asset or (scenario * N + market) index
    error InvalidParameter(Field field, uint256 index);
    /// @notice Only the admin may call.
    /// @param caller msg.sender
    error NotAdmin(address caller);
    /// @notice Only a publisher may call.
    /// @param caller msg.sender
    error NotPublisher(address caller);
    /// @notice Prices cannot be posted before risk parameters.
    error RiskNotPosted();
    /// @notice Prices cannot be posted before funding indices.
    error FundingNotPosted();
    /// @notice Epoch ids must increase.
    /// @param epochId the epoch given
    /// @param latestEpochId the latest posted epoch
    error EpochNotIncreasing(uint64 epochId, uint64 latestEpochId);
    /// @notice After the first epoch, ids advance by exactly one: no id can be skipped.
    /// @param epochId the epoch given
    /// @param nextEpochId the only id accepted, latestEpochId + 1
    error EpochNotNext(uint64 epochId, uint64 nextEpochId);
    /// @notice The epoch was never posted or has left the ring.
    /// @param epochId the epoch
    error UnknownEpoch(uint64 epochId);
    /// @notice maxAge must be below 2^32 seconds.
    /// @param maxAge the value given
    error MaxAgeTooLarge(uint64 maxAge);
    /// @notice The epoch is older than maxAge.
    /// @param epochId the epoch
    /// @param age seconds since it was posted
    /// @param maxAge the freshness bound
    error StaleEpoch(uint64 epochId, uint256 age, uint256 maxAge);
    /// @notice A price or funding post moves a value beyond its per-post bound (hold the prices
    /// with holdPrices and post them after breakerDelay; funding has no breaker).
    /// @param field MarkPrice, PriceE18 or FundingIndex
    /// @param index its market or asset
    /// @param moveBps the move in bps of the previous value, rounded up (2^256-1 from or to 0)
    /// @param boundBps the bound
    error MoveTooLarge(Field field, uint256 index, uint256 moveBps, uint256 boundBps);
    /// @notice The held prices cannot be posted before their hold ends.
    /// @param epochId the held epoch
    /// @param eta when the hold ends (unix seconds)
    error HoldRunning(uint64 epochId, uint256 eta);
    /// @notice Prices beyond the bounds are held: no epoch is fresh until they are posted or the
    /// hold is cleared.
    /// @param epochId the held epoch
    /// @param eta when the hold ends (unix seconds)
    error CircuitBreakerTripped(uint64 epochId, uint256 eta);
    /// @notice Prices can only be held once an epoch exists (the first post has no bound).
    error NoPriorEpoch();
    /// @notice Nothing is queued or held to apply, cancel or clear.
    error NothingQueued();
    /// @notice The queued change cannot be applied before its timelock ends.
    /// @param eta when it ends (unix seconds)
    error TimelockRunning(uint256 eta);
    /// @notice A config value is out of range.
    /// @param index 0..N-1 markMoveBps, N..N+M-1 priceMoveBps, N+M breakerDelay, N+M+1 timelock,
    /// N+M+2 quorum, N+M+3 breakerQuorum (each quorum at most the oracle set's size)
    error InvalidConfig(uint256 index);
    /// @notice With a quorum configured, prices come only through postSignedPrices.
    error QuorumRequired();
    /// @notice Fewer signed reports than the quorum (quorum 0: signed reports are not enabled).
    /// @param reports the reports given
    /// @param quorum the quorum
    error QuorumNotMet(uint256 reports, uint256 quorum);
    /// @notice Reports and signatures differ in number.
    /// @param reports the reports given
    /// @param signatures the signatures given
    error LengthMismatch(uint256 reports, uint256 signatures);
    /// @notice A report's signer is not an oracle, or not above the previous signer (each oracle
    /// counts once: reports are sorted by signer address).
    /// @param signer the recovered signer
    /// @param index the report
    error InvalidSigner(address signer, uint256 index);
    /// @notice An oracle set must be ascending (distinct, non-zero) and at most 32 addresses.
    /// @param index the first bad entry (32: too many)
    error InvalidOracleSet(uint256 index);
    /// @notice Only the admin or a publisher may call.
    /// @param caller msg.sender
    error NotAdminOrPublisher(address caller);
    /// @notice A Poseidon hasher failed its known-answer test at construction.
    /// @param inputs the hasher's arity
    error PoseidonSelfTest(uint256 inputs);

    /// @notice A publisher was allowed (at construction or by applyPublisher) or removed
    /// (removePublisher).
    /// @param publisher the publisher
    /// @param allowed whether it may post
    event PublisherSet(address indexed publisher, bool allowed);
    /// @notice A new publisher was queued.
    /// @param publisher the publisher
    /// @param eta when applyPublisher may add it (unix seconds)
    event PublisherQueued(address indexed publisher, uint256 eta);
    /// @notice A queued publisher was withdrawn (cancelPublisher, or removePublisher of it).
    /// @param publisher the publisher
    event PublisherCancelled(address indexed publisher);
    /// @notice The freshness bound is in force (at construction or by applyMaxAge).
    /// @param maxAge the new bound (seconds)
    event MaxAgeSet(uint256 maxAge);
    /// @notice A freshness bound change was queued.
    /// @param maxAge the new bound (seconds)
    /// @param eta when applyMaxAge may apply it (unix seconds)
    event MaxAgeQueued(uint256 maxAge, uint256 eta);
    /// @notice The queued freshness bound change was withdrawn.
    event MaxAgeCancelled();
    /// @notice Risk parameters were posted (queued, or in effect at once before the first
    /// epoch). The event carries exactly what was hashed,
    /// riskHash = Poseidon11(Poseidon16(depthAndCap), riskWords), so an epoch can be rebuilt from
    /// the chain's logs alone (client/epochs.ts).
    /// @param riskHash their hash
    /// @param eta the first second at which a price post takes them up (the post's own
    /// timestamp when in effect at once)
    /// @param depthAndCap depth per market, then positionCap per market
    /// @param riskWords the greedy 253-bit packing of [maxLeverageBps:32, (maintenance, initial,
    /// impact):14 per market, haircut:14 per asset, shock + 2^14:15 row by row] (docs/SPEC.md §3)
    event RiskPosted(uint256 indexed riskHash, uint256 eta, uint256[2 * N_MARKETS] depthAndCap, uint256[10] riskWords);
    /// @notice Posted risk parameters took effect: epochs from the next price post on use them.
    /// @param riskHash their hash
    /// @param slowHash the new Poseidon2(fundingHash, riskHash) (0 until funding is posted)
    event RiskActivated(uint256 indexed riskHash, uint256 slowHash);
    /// @notice Queued risk parameters were withdrawn before taking effect.
    /// @param riskHash their hash
    event RiskCancelled(uint256 indexed riskHash);
    /// @notice A config change was queued.
    /// @param config the new config
    /// @param eta when applyConfig may apply it (unix seconds)
    event ConfigQueued(OracleConfig config, uint256 eta);
    /// @notice A config is in force (at construction or by applyConfig).
    /// @param config the config
    event ConfigApplied(OracleConfig config);
    /// @notice The queued config change was withdrawn.
    event ConfigCancelled();
    /// @notice Prices beyond the bounds are held: the circuit breaker trips (no epoch is fresh
    /// and the fresh-oracle clock stops) until they are posted, at or after eta, or cleared.
    /// @param epochId the epoch they will open
    /// @param eta when postPrices accepts them (unix seconds)
    /// @param markPrice the held mark prices
    /// @param priceE18 the held collateral prices
    event PricesHeld(uint64 indexed epochId, uint256 eta, uint48[N_MARKETS] markPrice, uint96[M_ASSETS] priceE18);
    /// @notice A new oracle set was queued.
    /// @param oracles the set
    /// @param eta when applyOracles may apply it (unix seconds)
    event OraclesQueued(address[] oracles, uint256 eta);
    /// @notice The oracle set changed.
    /// @param oracles the set
    event OraclesApplied(address[] oracles);
    /// @notice A hold was cleared without posting its prices.
    /// @param epochId the held epoch
    event HoldCleared(uint64 indexed epochId);
    /// @notice Funding indices were posted.
    /// @param fundingHash their hash
    /// @param slowHash the new Poseidon2(fundingHash, riskHash) (0 until risk is posted)
    /// @param fundingIndex the cumulative funding index per market, exactly as posted and hashed
    event FundingPosted(uint256 fundingHash, uint256 slowHash, int64[N_MARKETS] fundingIndex);
    /// @notice An epoch was opened by a price post.
    /// @param epochId the epoch
    /// @param paramsHash the margin circuit's paramsHash for the epoch
    /// @param priceWords the hashed price words: the greedy 253-bit packing of [epochId:64,
    /// markPrice:48 x N, priceE18:96 x M] (docs/SPEC.md §3), paramsHash = Poseidon5(priceWords, slowHash)
    event EpochPosted(uint64 indexed epochId, uint256 paramsHash, uint256[4] priceWords);

    /// @notice Number of markets.
    /// @return N_MARKETS
    function N() external view returns (uint256);

    /// @notice Number of collateral assets.
    /// @return M_ASSETS
    function M() external view returns (uint256);

    /// @notice Number of stress scenarios.
    /// @return S_SCENARIOS
    function S() external view returns (uint256);

    /// @notice Number of epoch slots in the ring.
    /// @return the ring size
    function RING() external view returns (uint256);

    /// @notice The admin, who manages publishers, maxAge, the config and the oracle set (all
    /// behind the timelock except removing a publisher).
    /// @return the admin
    function admin() external view returns (address);

    /// @notice The Poseidon hasher of 5 inputs (paramsHash).
    /// @return the hasher
    function poseidon5() external view returns (PoseidonT6Opt);

    /// @notice The Poseidon hasher of 8 inputs (fundingHash).
    /// @return the hasher
    function poseidon8() external view returns (PoseidonWideT9);

    /// @notice The Poseidon hasher of 11 inputs (riskHash, second step).
    /// @return the hasher
    function poseidon11() external view returns (PoseidonWideT12);

    /// @notice The Poseidon hasher of 16 inputs (riskHash, first step).
    /// @return the hasher
    function poseidon16() external view returns (PoseidonWideT17);

    /// @notice Whether an address may post.
    /// @param publisher the address
    /// @return true for a publisher
    function isPublisher(address publisher) external view returns (bool);

    /// @notice Hash of the latest risk parameters (0 before the first post).
    /// @return the hash
    function riskHash() external view returns (uint256);

    /// @notice Hash of the latest funding indices (0 before the first post).
    /// @return the hash
    function fundingHash() external view returns (uint256);

    /// @notice Poseidon2(fundingHash, riskHash), used by the next price post.
    /// @return the hash
    function slowHash() external view returns (uint256);

    /// @notice The latest posted epoch (0 before the first post).
    /// @return the epoch
    function latestEpochId() external view returns (uint64);

    /// @notice The oracle config in force.
    /// @return the config
    function config() external view returns (OracleConfig memory);

    /// @notice The queued config change, if any.
    /// @return config_ the queued config (zero when none)
    /// @return eta when it may be applied (0 when none)
    function queuedConfig() external view returns (OracleConfig memory config_, uint256 eta);

    /// @notice The queued risk parameters, if any.
    /// @return riskHash_ their hash (0 when none)
    /// @return eta the first second at which a price post takes them up
    /// @return riskBlock_ the block of their RiskPosted log
    function queuedRisk() external view returns (uint256 riskHash_, uint256 eta, uint256 riskBlock_);

    /// @notice The EIP-712 type hash of a PriceReport.
    /// @return keccak256("PriceReport(uint64 epochId,uint48[8] markPrice,uint96[4] priceE18)")
    function REPORT_TYPEHASH() external view returns (bytes32);

    /// @notice Whether an address is in the oracle set.
    /// @param oracle the address
    /// @return true for an oracle
    function isOracle(address oracle) external view returns (bool);

    /// @notice The oracle set (ascending).
    /// @return the oracles
    function oracles() external view returns (address[] memory);

    /// @notice The queued oracle set, if any.
    /// @return oracles_ the queued set
    /// @return eta when it may be applied (0 when none)
    function queuedOracles() external view returns (address[] memory oracles_, uint256 eta);

    /// @notice The EIP-712 digest an oracle signs for a report (for tests and tooling: clients
    /// compute it locally).
    /// @param epochId the epoch
    /// @param report the report
    /// @return the digest
    function reportDigest(uint64 epochId, PriceReport calldata report) external view returns (bytes32);

    /// @notice The held prices, if any.
    /// @return epochId the epoch they will open (0 when none)
    /// @return eta when postPrices accepts them
    function heldPrices() external view returns (uint64 epochId, uint256 eta);

    /// @notice The freshness bound (seconds).
    /// @return the bound
    function maxAge() external view returns (uint64);

    /// @notice When a queued publisher may be added.
    /// @param publisher the address
    /// @return eta when applyPublisher may add it (0 when not queued)
    function queuedPublisher(address publisher) external view returns (uint256 eta);

    /// @notice The queued freshness bound change, if any.
    /// @return maxAge_ the queued bound (0 when none)
    /// @return eta when it may be applied (0 when none)
    function queuedMaxAge() external view returns (uint64 maxAge_, uint256 eta);

    /// @notice Queues a new publisher (admin only): applyPublisher adds it `timelock` seconds from
    /// now (the timelock in force now). Replaces an earlier queueing of the same address.
    /// @param publisher the address
    /// @return eta when it may be added
    function queuePublisher(address publisher) external returns (uint256 eta);

    /// @notice Adds a queued publisher once its timelock has passed (anyone).
    /// @param publisher the queued address
    function applyPublisher(address publisher) external;

    /// @notice Withdraws a queued publisher (admin only).
    /// @param publisher the queued address
    function cancelPublisher(address publisher) external;

    /// @notice Removes a publisher at once (admin only): revoking a compromised key does not wait.
    /// Also withdraws a queued addition of the address. Risk parameters it queued and prices it
    /// held stay until cancelRisk or clearHold.
    /// @param publisher the address
    function removePublisher(address publisher) external;

    /// @notice Queues a new freshness bound, below 2^32 seconds (admin only, MaxAgeTooLarge
    /// otherwise): applyMaxAge applies it `timelock` seconds from now (the timelock in force
    /// now). Replaces any queued bound. Until then the bound in force governs freshness.
    /// @param maxAge_ the new bound (seconds)
    /// @return eta when it may be applied
    function queueMaxAge(uint64 maxAge_) external returns (uint256 eta);

    /// @notice Applies the queued freshness bound once its timelock has passed (anyone). The
    /// latest epoch is then fresh until postedAt + the new bound (at once stale when that has
    /// passed): the fresh-oracle clock keeps the seconds it counted under the old bound and counts
    /// on under the new one, never the stale seconds between (it stays stopped while prices are
    /// held).
    function applyMaxAge() external;

    /// @notice Withdraws the queued freshness bound change (admin only).
    function cancelMaxAge() external;

    /// @notice Queues a new oracle config (admin only): applyConfig applies it `timelock`
    /// seconds from now (the timelock in force now, so shortening it also waits). Replaces any
    /// queued config.
    /// @param config_ the new config
    /// @return eta when it may be applied
    function queueConfig(OracleConfig calldata config_) external returns (uint256 eta);

    /// @notice Applies the queued config once its timelock has passed (anyone); its quorums must
    /// fit the oracle set then.
    function applyConfig() external;

    /// @notice Queues a new oracle set (admin only), ascending addresses, at most 32: applyOracles
    /// applies it `timelock` seconds from now. Replaces any queued set.
    /// @param oracles_ the new set
    /// @return eta when it may be applied
    function queueOracles(address[] calldata oracles_) external returns (uint256 eta);

    /// @notice Applies the queued oracle set once its timelock has passed (anyone); the quorums
    /// in force must fit it.
    function applyOracles() external;

    /// @notice Withdraws the queued config (admin only).
    function cancelConfig() external;

    /// @notice Validates and hashes the slow risk parameters (publisher only). Before the first
    /// epoch they are in effect at once; afterwards they are queued (replacing any queued ones)
    /// and the first price post at or after now + timelock takes them up, so every epoch's
    /// paramsHash is still Poseidon5(priceWords, Poseidon2(fundingHash, riskHash)).
    /// @param p the risk parameters
    /// @return h their riskHash
    function postRisk(RiskParams calldata p) external returns (uint256 h);

    /// @notice Withdraws the queued risk parameters (admin or publisher).
    function cancelRisk() external;

    /// @notice Validates and hashes the cumulative funding indices, |x| < 2^63 (publisher only);
    /// they apply from the next price post. Once an epoch exists, each index may move by at most
    /// markMoveBps of the latest markPrice (MoveTooLarge otherwise; no breaker).
    /// @param fundingIndex per market
    /// @return h the new fundingHash
    function postFunding(int64[N_MARKETS] calldata fundingIndex) external returns (uint256 h);

    /// @notice Holds prices that move beyond the bounds (publisher only): the circuit breaker
    /// trips at once (no epoch is fresh, the fresh-oracle clock stops) and postPrices accepts
    /// exactly these prices for exactly this epoch from now + breakerDelay on. A hold replaces any
    /// earlier one; an epoch posted within the bounds also ends it.
    /// @param epochId the epoch they will open: latestEpochId + 1
    /// @param markPrice mark price per market
    /// @param priceE18 collateral price per asset (asset 0 at par)
    /// @return eta when postPrices accepts them
    function holdPrices(
        uint64 epochId,
        uint48[N_MARKETS] calldata markPrice,
        uint96[M_ASSETS] calldata priceE18
    ) external returns (uint256 eta);

    /// @notice Clears a hold without posting (admin or publisher): the latest epoch is fresh
    /// again until postedAt + maxAge (the held seconds never count on the fresh-oracle clock).
    function clearHold() external;

    /// @notice Opens a new epoch with fresh prices (publisher only, and only while the quorum is
    /// 0: QuorumRequired otherwise): the cheap, frequent post.
    /// Epoch ids advance by exactly one: the first post may choose any id in [1, 2^32)
    /// (InvalidParameter(EpochId, 0) otherwise), every later one must be latestEpochId + 1
    /// (EpochNotIncreasing below, EpochNotNext above). So ids stay far below 2^64 (2^32 more
    /// posts take 136 years at one per second), and the ring always holds exactly the latest
    /// min(RING, posts) epochs: a slot is only ever overwritten by the epoch RING ids later.
    /// @param epochId the new epoch: any id in [1, 2^32) for the first post, then latestEpochId + 1
    /// Takes up queued risk parameters whose eta has come. Each markPrice and priceE18 may move by
    /// at most its bound from the latest epoch's (truncated to 16 significant bits, < 0.31 bps
    /// off): MoveTooLarge otherwise, unless these exact prices were held for this epoch and the
    /// hold has ended (HoldRunning before). The first epoch has no bound.
    /// @param markPrice mark price per market (< 2^48)
    /// @param priceE18 collateral price per asset, 1e18 = par (asset 0 must be at par)
    /// @return paramsHash the epoch's paramsHash
    function postPrices(
        uint64 epochId,
        uint48[N_MARKETS] calldata markPrice,
        uint96[M_ASSETS] calldata priceE18
    ) external returns (uint256 paramsHash);

    /// @notice Opens a new epoch from oracle reports (anyone may submit; requires quorum > 0):
    /// at least `quorum` reports for this epoch, each signed by a distinct oracle, sorted by
    /// signer address. Each price is the median over the reports (lower middle for an even
    /// count), so fewer than half the reports cannot move it beyond the honest ones. Then the
    /// checks of postPrices apply; with at least breakerQuorum reports a move beyond the bounds
    /// needs no hold.
    /// @param epochId the new epoch (latestEpochId + 1 after the first)
    /// @param reports the reports
    /// @param signatures each report's 65-byte signature of its EIP-712 digest
    /// @return paramsHash the epoch's paramsHash
    function postSignedPrices(
        uint64 epochId,
        PriceReport[] calldata reports,
        bytes[] calldata signatures
    ) external returns (uint256 paramsHash);

    /// @notice paramsHash of an epoch still in the ring (reverts UnknownEpoch otherwise).
    /// @param epochId the epoch
    /// @return the paramsHash
    function paramsHashOf(uint64 epochId) external view returns (uint256);

    /// @notice The fresh-oracle clock: seconds, since the first price post, during which the
    /// latest epoch was no older than maxAge (each gap between posts counts min(gap, maxAge) under
    /// the maxAge in force at the time). Monotone. Margin-call grace periods run on this clock, so
    /// a stale oracle (when nobody can attest) pauses every deadline.
    /// @return seconds of fresh-oracle time
    function freshClock() external view returns (uint64);

    /// @notice paramsHash of an epoch no older than maxAge (reverts UnknownEpoch or StaleEpoch,
    /// or CircuitBreakerTripped while prices are held).
    /// @param epochId the epoch
    /// @return the paramsHash
    function freshParamsHash(uint64 epochId) external view returns (uint256);

    /// @notice The latest epoch and its paramsHash, if no older than maxAge (reverts StaleEpoch,
    /// UnknownEpoch before the first post, CircuitBreakerTripped while prices are held): one call
    /// for verifiers that accept only the latest.
    /// @return epochId the latest epoch
    /// @return paramsHash its paramsHash
    function latestFresh() external view returns (uint64 epochId, uint256 paramsHash);

    /// @notice The largest price move of an epoch's post from the previous epoch, in bps rounded
    /// up, saturating at 255 (the first epoch records 255). Reverts UnknownEpoch.
    /// @param epochId a known epoch
    /// @return the move in bps (<= 255)
    function maxMoveBps(uint64 epochId) external view returns (uint256);

    /// @notice Whether a transition proven against `epochId` may still settle although a newer
    /// epoch was posted (docs/PROTOCOL.md, "In-flight transitions"): `epochId` is the epoch just
    /// before the latest, the latest was posted at most `window` seconds ago, moved no price by
    /// more than `maxMoveBps_`, and changed neither the risk parameters nor the funding indices,
    /// and `epochId` was still fresh when the latest replaced it. The caller checks that the
    /// latest epoch is fresh and not held (latestFresh).
    /// @param epochId the epoch the proof was made against
    /// @param window seconds after the next post during which the proof stays valid
    /// @param maxMoveBps_ the largest price move (bps) the next post may have made
    /// @return true when the proof may settle
    function inFlight(uint64 epochId, uint64 window, uint256 maxMoveBps_) external view returns (bool);

    /// @notice When an epoch still in the ring was posted (reverts UnknownEpoch otherwise).
    /// @param epochId the epoch
    /// @return unix seconds
    function postedAt(uint64 epochId) external view returns (uint64);

    /// @notice Where the logs that define an epoch still in the ring are (reverts UnknownEpoch
    /// otherwise): the block of its price post (EpochPosted) and the blocks of the risk and
    /// funding posts in effect at that moment (the last FundingPosted before it; the RiskPosted
    /// of the risk parameters in effect, which need not be the last one when later ones are
    /// queued: the last RiskActivated before the price post names its riskHash).
    /// Block numbers are the chain's block.number.
    /// @param epochId the epoch
    /// @return pricesBlock block of the epoch's EpochPosted log
    /// @return riskBlock block of the RiskPosted log the epoch uses
    /// @return fundingBlock block of the FundingPosted log the epoch uses
    function epochBlocks(
        uint64 epochId
    ) external view returns (uint256 pricesBlock, uint256 riskBlock, uint256 fundingBlock);
}
