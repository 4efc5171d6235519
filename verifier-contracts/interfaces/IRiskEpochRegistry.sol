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
        PriceE18
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
    /// @notice A Poseidon hasher failed its known-answer test at construction.
    /// @param inputs the hasher's arity
    error PoseidonSelfTest(uint256 inputs);

    /// @notice A publisher was allowed or removed.
    /// @param publisher the publisher
    /// @param allowed whether it may post
    event PublisherSet(address indexed publisher, bool allowed);
    /// @notice The freshness bound changed.
    /// @param maxAge the new bound (seconds)
    event MaxAgeSet(uint256 maxAge);
    /// @notice Risk parameters were posted. The event carries exactly what was hashed,
    /// riskHash = Poseidon11(Poseidon16(depthAndCap), riskWords), so an epoch can be rebuilt from
    /// the chain's logs alone (client/epochs.ts).
    /// @param riskHash their hash
    /// @param slowHash the new Poseidon2(fundingHash, riskHash) (0 until funding is posted)
    /// @param depthAndCap depth per market, then positionCap per market
    /// @param riskWords the greedy 253-bit packing of [maxLeverageBps:32, (maintenance, initial,
    /// impact):14 per market, haircut:14 per asset, shock + 2^14:15 row by row] (docs/SPEC.md §3)
    event RiskPosted(uint256 riskHash, uint256 slowHash, uint256[2 * N_MARKETS] depthAndCap, uint256[10] riskWords);
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

    /// @notice The admin, who manages publishers and maxAge.
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

    /// @notice The freshness bound (seconds).
    /// @return the bound
    function maxAge() external view returns (uint64);

    /// @notice Allows or removes a publisher (admin only).
    /// @param publisher the address
    /// @param allowed whether it may post
    function setPublisher(address publisher, bool allowed) external;

    /// @notice Sets the freshness bound (admin only).
    /// @param maxAge_ the new bound (seconds)
    function setMaxAge(uint64 maxAge_) external;

    /// @notice Validates and hashes the slow risk parameters (publisher only); they apply from
    /// the next price post.
    /// @param p the risk parameters
    /// @return h the new riskHash
    function postRisk(RiskParams calldata p) external returns (uint256 h);

    /// @notice Validates and hashes the cumulative funding indices, |x| < 2^63 (publisher only);
    /// they apply from the next price post.
    /// @param fundingIndex per market
    /// @return h the new fundingHash
    function postFunding(int64[N_MARKETS] calldata fundingIndex) external returns (uint256 h);

    /// @notice Opens a new epoch with fresh prices (publisher only): the cheap, frequent post.
    /// Epoch ids advance by exactly one: the first post may choose any id in [1, 2^32)
    /// (InvalidParameter(EpochId, 0) otherwise), every later one must be latestEpochId + 1
    /// (EpochNotIncreasing below, EpochNotNext above). So ids stay far below 2^64 (2^32 more
    /// posts take 136 years at one per second), and the ring always holds exactly the latest
    /// min(RING, posts) epochs: a slot is only ever overwritten by the epoch RING ids later.
    /// @param epochId the new epoch: any id in [1, 2^32) for the first post, then latestEpochId + 1
    /// @param markPrice mark price per market (< 2^48)
    /// @param priceE18 collateral price per asset, 1e18 = par (asset 0 must be at par)
    /// @return paramsHash the epoch's paramsHash
    function postPrices(
        uint64 epochId,
        uint48[N_MARKETS] calldata markPrice,
        uint96[M_ASSETS] calldata priceE18
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

    /// @notice paramsHash of an epoch no older than maxAge (reverts UnknownEpoch or StaleEpoch).
    /// @param epochId the epoch
    /// @return the paramsHash
    function freshParamsHash(uint64 epochId) external view returns (uint256);

    /// @notice The latest epoch and its paramsHash, if no older than maxAge (reverts StaleEpoch,
    /// or UnknownEpoch before the first post): one call for verifiers that accept only the latest.
    /// @return epochId the latest epoch
    /// @return paramsHash its paramsHash
    function latestFresh() external view returns (uint64 epochId, uint256 paramsHash);

    /// @notice When an epoch still in the ring was posted (reverts UnknownEpoch otherwise).
    /// @param epochId the epoch
    /// @return unix seconds
    function postedAt(uint64 epochId) external view returns (uint64);

    /// @notice Where the logs that define an epoch still in the ring are (reverts UnknownEpoch
    /// otherwise): the block of its price post (EpochPosted) and the blocks of the risk and
    /// funding posts in effect at that moment (the last RiskPosted and FundingPosted before it).
    /// Block numbers are the chain's block.number.
    /// @param epochId the epoch
    /// @return pricesBlock block of the epoch's EpochPosted log
    /// @return riskBlock block of the RiskPosted log the epoch uses
    /// @return fundingBlock block of the FundingPosted log the epoch uses
    function epochBlocks(
        uint64 epochId
    ) external view returns (uint256 pricesBlock, uint256 riskBlock, uint256 fundingBlock);
}
