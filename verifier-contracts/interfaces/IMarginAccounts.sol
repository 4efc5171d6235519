// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {IRiskEpochRegistry} from "./IRiskEpochRegistry.sol";
import {IMarginGroth16} from "./IMarginGroth16.sol";
import {ITransitionGroth16} from "./ITransitionGroth16.sol";
import {ILiquidationGroth16} from "./ILiquidationGroth16.sol";
import {ITakeoverGroth16} from "./ITakeoverGroth16.sol";
import {IMarginBatchVerifier} from "./IMarginBatchVerifier.sol";

/// @title IMarginAccounts
/// @author zkmargin
/// @notice Private margin accounts (docs/PROTOCOL.md): the clearinghouse. An account is its
/// owner's address with a hidden portfolio commitment, a nonce and a status. The commitment
/// changes only through a proof of the Transition circuit (deposit, withdraw, trade legs, PnL
/// realisation); margin is attested with a maintenance-level MarginProof for a fresh epoch.
/// After a margin call, an account with open exposure that does not attest within the grace
/// period of fresh-oracle time (IRiskEpochRegistry.freshClock) can be liquidated by anyone; each
/// call's deadline is sticky. Every trade leg pays the flat tradeFee into the public insurance
/// fund; a flat account can be closed and its bond recovered.
/// @dev Op word of a transition: op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount
/// (OP_* in generated/Constants.sol); context = op + 2^105 * binding.
/// Trade signatures are EIP-712 typed data; eip712Domain() (ERC-5267) returns the domain:
/// name "zkmargin MarginAccounts", version "1", this chain id, this contract.
interface IMarginAccounts is IERC5267 {
    /// @notice Lifecycle of an account: never opened, open, frozen by a liquidation, or closed by
    /// its owner (bond refunded; it may still withdraw, and open() reactivates it).
    enum Status {
        None,
        Active,
        Frozen,
        Closed
    }

    /// @notice A Groth16 proof as snarkjs exports it for Solidity.
    /// @param a proof element A (G1 point)
    /// @param b proof element B (G2 point)
    /// @param c proof element C (G1 point)
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice What a transition publishes besides the values the contract derives itself.
    /// @param newCommitment commitment of the portfolio after the transition (< r)
    /// @param ephemeralKey the transition log's ephemeral public key x-coordinate (< r)
    /// @param cipher the transition log's ciphertext element (< r)
    /// @param flat whether the new portfolio has no size and no cost basis in any market
    /// @param proof the Transition proof
    struct TransitionData {
        uint256 newCommitment;
        uint256 ephemeralKey;
        uint256 cipher;
        bool flat;
        Proof proof;
    }

    /// @notice What a takeover publishes besides the values the contract derives itself
    /// (docs/SPEC.md, "Takeover").
    /// @param residualCommitment the frozen account's portfolio after: no position, its residual
    /// settlement balance, its unrealised profit (if any) as a claim (< r)
    /// @param backstopNewCommitment the backstop's portfolio after it took the book (< r)
    /// @param settled the frozen book's net loss at mark, collected into the PnL pool (< 2^108)
    /// @param penalty the liquidation penalty paid into the insurance fund (< 2^96)
    /// @param badDebt the loss the account's collateral could not pay (< 2^108)
    /// @param vaultCover the part of badDebt the backstop pays: at least badDebt - min(badDebt,
    /// insuranceFund); the insurance fund pays badDebt - vaultCover
    /// @param residualFlat whether the residual portfolio carries no claim
    /// @param backstopFlat whether the backstop is flat after the takeover
    /// @param proof the Takeover proof
    struct TakeoverData {
        uint256 residualCommitment;
        uint256 backstopNewCommitment;
        uint256 settled;
        uint256 penalty;
        uint256 badDebt;
        uint256 vaultCover;
        bool residualFlat;
        bool backstopFlat;
        Proof proof;
    }

    /// @notice The clearinghouse's settings, fixed at deployment.
    /// @param tradeFee the flat fee per trade leg, quote units (< 2^96)
    /// @param takeoverVerifier the takeover circuit's generated verifier
    /// @param inFlightWindow seconds a transition proven against the previous epoch survives the
    /// next post (0: off)
    /// @param inFlightMoveBps the largest price move of that post (< 255)
    /// @param liquidationPenaltyBps the liquidation penalty, bps of a taken-over book's gross
    /// notional at mark (< 2^14)
    /// @param backstop the account that takes frozen books over (it must be open)
    struct Settings {
        uint256 tradeFee;
        ITakeoverGroth16 takeoverVerifier;
        uint64 inFlightWindow;
        uint16 inFlightMoveBps;
        uint16 liquidationPenaltyBps;
        address backstop;
    }

    /// @notice One side of a trade: the account and its transition.
    /// @param account owner of the leg
    /// @param t the leg's transition
    struct TradeLeg {
        address account;
        TransitionData t;
    }

    /// @notice The caller does not own the account.
    /// @param caller msg.sender
    error NotOwner(address caller);
    /// @notice The account is not Active (never opened, or frozen).
    /// @param account the account
    error NotActive(address account);
    /// @notice open() was called for an account that already exists.
    /// @param account the account
    error AlreadyOpen(address account);
    /// @notice open() was sent a value other than the bond.
    /// @param sent msg.value
    /// @param required the bond
    error WrongBond(uint256 sent, uint256 required);
    /// @notice The asset index is not one of the M collateral assets.
    /// @param asset the asset index
    error InvalidAsset(uint256 asset);
    /// @notice The amount is 0 or does not fit the op word (>= 2^96).
    /// @param amount the amount
    error InvalidAmount(uint256 amount);
    /// @notice The call needs the latest epoch.
    /// @param epochId the epoch given
    /// @param latestEpochId the registry's latest epoch
    error NotLatestEpoch(uint64 epochId, uint64 latestEpochId);
    /// @notice A caller-supplied public input is not below the field modulus r.
    /// @param index position of the input among the circuit's public signals
    /// @param value the input
    error PublicInputNotInField(uint256 index, uint256 value);
    /// @notice The proof does not verify against the stored and derived public inputs.
    error InvalidProof();
    /// @notice The fill was settled before (fills are nullifiers).
    /// @param fill the fill commitment
    error FillAlreadySettled(uint256 fill);
    /// @notice The fill commitment is 0 or not below r.
    error InvalidFill();
    /// @notice Both legs of a trade name the same account.
    error SameAccount();
    /// @notice The caller may not submit this call for the account.
    /// @param caller msg.sender
    error NotAuthorized(address caller);
    /// @notice The counterparty's signature is malformed or not by the other leg's owner.
    error InvalidSignature();
    /// @notice Only a risk publisher of the registry may call margin.
    /// @param caller msg.sender
    error NotPublisher(address caller);
    /// @notice No margin call is in force.
    error NoMarginCall();

    /// @notice proveMarginBatch got arrays of different lengths.
    /// @param accounts number of accounts
    /// @param epochIds number of epoch ids
    /// @param proofs number of proofs
    error BatchLengthMismatch(uint256 accounts, uint256 epochIds, uint256 proofs);

    /// @notice proveMarginBatch's accounts are not in strictly increasing order (or repeat).
    /// @param index the first position out of order
    error BatchNotSorted(uint256 index);
    /// @notice The grace period of the oldest margin call the account has not answered has not
    /// ended.
    /// @param freshSecondsLeft seconds of fresh-oracle time left (a stale oracle pauses them)
    error GracePeriodRunning(uint256 freshSecondsLeft);
    /// @notice close() needs a flat account (no size, no cost basis in any market).
    /// @param account the account
    error AccountNotFlat(address account);
    /// @notice The account attested for the margin call's epoch or later.
    /// @param account the account
    /// @param epochId its latest attested epoch
    error AlreadyAttested(address account, uint64 epochId);
    /// @notice A flat account has no exposure and cannot be liquidated.
    /// @param account the account
    error AccountFlat(address account);
    /// @notice The token did not move exactly the amount (fee-on-transfer tokens are refused).
    /// @param expected the amount
    /// @param received the balance change of the contract
    error TransferMismatch(uint256 expected, uint256 received);
    /// @notice The bond could not be paid to the keeper.
    error BondTransferFailed();
    /// @notice The liquidation key is not a point of Baby Jubjub with x != 0.
    error InvalidLiquidationKey();

    /// @notice A realisation claims more than the PnL pool holds.
    /// @param amount the profit claimed
    /// @param pool the pool's balance
    error PnlPoolInsufficient(uint256 amount, uint256 pool);

    /// @notice The account is not Frozen (only a frozen account can be taken over).
    /// @param account the account
    error NotFrozen(address account);
    /// @notice The backstop account is not open, or is the account being taken over.
    /// @param backstop the backstop
    error BackstopUnavailable(address backstop);
    /// @notice A takeover's amounts do not fit their widths, or its vault cover is less than the
    /// bad debt the insurance fund leaves (the waterfall: the insurance fund pays first, at most
    /// min(badDebt, insuranceFund); the backstop pays the rest, and may pay more).
    /// @param minVaultCover badDebt - min(badDebt, insuranceFund)
    /// @param vaultCover the cover given
    error InvalidTakeover(uint256 minVaultCover, uint256 vaultCover);
    /// @notice The backstop is never liquidated: it has nowhere to go (its operator recapitalises
    /// or hedges it; docs/PROTOCOL.md, "Takeover and the loss waterfall").
    error BackstopNotLiquidatable();

    /// @notice An account was opened with the empty portfolio.
    /// @param account the owner
    /// @param bond the bond paid (wei)
    event AccountOpened(address indexed account, uint256 bond);
    /// @notice The account's watchtower changed.
    /// @param account the owner
    /// @param watchtower the new watchtower (address(0): none)
    event WatchtowerSet(address indexed account, address watchtower);
    /// @notice A transition was applied to the account.
    /// @param account the owner
    /// @param nonce the account's nonce before the transition
    /// @param epochId the epoch the proof used
    /// @param op the op word: kind + 2^3 * asset + 2^8 * flat + 2^9 * amount
    /// @param fill the fill commitment of a trade leg, 0 otherwise
    /// @param newCommitment the account's new commitment
    /// @param ephemeralKey the transition log's ephemeral public key x-coordinate
    /// @param cipher the transition log's ciphertext element
    event Transition(
        address indexed account,
        uint64 nonce,
        uint64 epochId,
        uint256 op,
        uint256 fill,
        uint256 newCommitment,
        uint256 ephemeralKey,
        uint256 cipher
    );
    /// @notice The account proved maintenance margin for the epoch.
    /// @param account the owner
    /// @param epochId the epoch
    event MarginAttested(address indexed account, uint64 epochId);
    /// @notice A risk publisher called margin for the epoch.
    /// @param epochId the latest fresh epoch at the call
    /// @param deadline the earliest end of the grace period (unix seconds): later by every second
    /// the oracle is stale before it
    event MarginCall(uint64 indexed epochId, uint256 deadline);
    /// @notice The owner closed its flat account and recovered its bond.
    /// @param account the owner
    /// @param bond the bond refunded (wei)
    event AccountClosed(address indexed account, uint256 bond);
    /// @notice A trade's fees were paid into the insurance fund (settlement-asset units).
    /// @param fill the fill commitment of the trade
    /// @param amount the fees of both legs (2 * tradeFee)
    /// @param balance the insurance fund after the payment
    event InsuranceFunded(uint256 indexed fill, uint256 amount, uint256 balance);
    /// @notice The account was frozen and its bond paid to the keeper.
    /// @param account the owner
    /// @param keeper the caller, who receives the bond
    /// @param commitment the frozen commitment
    /// @param nonce the frozen nonce
    /// @param bond the bond paid (wei)
    event Liquidated(address indexed account, address indexed keeper, uint256 commitment, uint64 nonce, uint256 bond);

    /// @notice The liquidation was proven: the account's portfolio is below maintenance at the
    /// epoch (emitted just before Liquidated; nothing about the portfolio is revealed).
    /// @param account the owner
    /// @param epochId the epoch of the proof (the latest fresh epoch)
    event LiquidatedByProof(address indexed account, uint64 epochId);

    /// @notice A frozen account's book moved into the backstop at the epoch's mark (no position is
    /// published). The account is Closed: its owner withdraws the residual and realises any claim.
    /// @param account the frozen account
    /// @param epochId the epoch whose marks priced the book (the latest fresh epoch)
    /// @param nonce the account's nonce before the takeover (the new one is nonce + 1)
    /// @param settled the net loss collected into the PnL pool
    /// @param penalty the penalty paid into the insurance fund
    /// @param residualCommitment the account's new commitment
    /// @param backstopNewCommitment the backstop's new commitment
    event TakenOver(
        address indexed account,
        uint64 indexed epochId,
        uint64 nonce,
        uint256 settled,
        uint256 penalty,
        uint256 residualCommitment,
        uint256 backstopNewCommitment
    );

    /// @notice A loss the account's collateral could not pay, and who paid it (the waterfall:
    /// the insurance fund, then the backstop).
    /// @param account the account
    /// @param amount the bad debt
    /// @param insuranceCover paid from the insurance fund
    /// @param vaultCover paid by the backstop
    event BadDebt(address indexed account, uint256 amount, uint256 insuranceCover, uint256 vaultCover);

    /// @notice Profit paid from the PnL pool into an account's hidden settlement balance.
    /// @param account the account
    /// @param amount the profit claimed
    /// @param pool the pool's balance after the claim
    event PnlRealized(address indexed account, uint256 amount, uint256 pool);

    /// @notice Loss paid from an account's hidden settlement balance into the PnL pool.
    /// @param account the account
    /// @param amount the loss paid
    /// @param pool the pool's balance after the payment
    event PnlSettled(address indexed account, uint256 amount, uint256 pool);

    /// @notice Number of collateral assets.
    /// @return M_ASSETS
    function M() external view returns (uint256);

    /// @notice Commitment of the empty portfolio with salt 0 (prover/transition/rule.ts emptyPortfolio).
    /// @return the commitment every account starts from
    function EMPTY_COMMITMENT() external view returns (uint256);

    /// @notice EIP-712 type hash of what the counterparty signs for its trade leg.
    /// @return keccak256("TradeLeg(uint256 fill,address account,uint64 nonce,address counterparty,bool buy,uint64 epochId,bytes32 leg)")
    function TRADE_LEG_TYPEHASH() external view returns (bytes32);

    /// @notice Domain of the binding carried by transition proofs.
    /// @return keccak256("zkmargin.transition.v1")
    function TRANSITION_DOMAIN() external view returns (bytes32);

    /// @notice Domain of the binding carried by margin proofs.
    /// @return keccak256("zkmargin.margin.v1")
    function MARGIN_DOMAIN() external view returns (bytes32);

    /// @notice Domain of the binding carried by liquidation proofs.
    /// @return keccak256("zkmargin.liquidation.v1")
    function LIQUIDATION_DOMAIN() external view returns (bytes32);

    /// @notice The risk epoch registry whose paramsHash every proof uses.
    /// @return the registry
    function registry() external view returns (IRiskEpochRegistry);

    /// @notice The generated margin circuit verifier.
    /// @return the verifier
    function marginVerifier() external view returns (IMarginGroth16);

    /// @notice The generated Transition circuit verifier.
    /// @return the verifier
    function transitionVerifier() external view returns (ITransitionGroth16);

    /// @notice The generated liquidation circuit verifier (a portfolio below maintenance).
    /// @return the verifier
    function liquidationVerifier() external view returns (ILiquidationGroth16);

    /// @notice The batch verifier of margin proofs (one random linear combination per batch).
    /// @return the verifier
    function batchVerifier() external view returns (IMarginBatchVerifier);

    /// @notice The bond (wei) each account deposits at open() and a liquidation pays the keeper.
    /// @return the bond
    function bond() external view returns (uint256);

    /// @notice Seconds between a margin call and the first possible liquidation.
    /// @return the grace period
    function gracePeriod() external view returns (uint64);

    /// @notice Seconds after a newer epoch's post during which a withdrawal, trade or
    /// realisation proven against the epoch before it still settles (0: only the latest epoch).
    function inFlightWindow() external view returns (uint64);

    /// @notice The largest price move (bps) a newer post may have made for such an in-flight
    /// transition to settle (docs/PROTOCOL.md, "In-flight transitions"); below 255, the value at
    /// which a recorded move saturates.
    function inFlightMoveBps() external view returns (uint16);

    /// @notice The flat fee each trade leg pays from its hidden settlement balance (asset 0
    /// units) into the insurance fund; it is the amount field of the leg's op word, the same for
    /// every fill, so it reveals nothing about market, size, side or price.
    /// @return the fee per leg (< 2^96)
    function tradeFee() external view returns (uint256);

    /// @notice The insurance fund: settlement-asset units held by this contract for the loss
    /// waterfall (public).
    /// @return the balance
    function insuranceFund() external view returns (uint256);

    /// @notice x-coordinate of the liquidation key K (Baby Jubjub).
    /// @return K.x
    function liquidationKeyX() external view returns (uint256);

    /// @notice y-coordinate of the liquidation key K (Baby Jubjub).
    /// @return K.y
    function liquidationKeyY() external view returns (uint256);

    /// @notice Poseidon(K.x, K.y): the Transition circuit's keyHash public input.
    /// @return the key hash
    function liquidationKeyHash() external view returns (uint256);

    /// @notice The public state of an account.
    /// @param account the owner
    /// @return commitment the portfolio commitment
    /// @return nonce the number of transitions so far
    /// @return lastAttestedEpoch the latest epoch for which health was proven
    /// @return status None, Active, Frozen or Closed
    /// @return isFlat whether the last transition proved every size and cost basis 0
    function accounts(
        address account
    ) external view returns (uint256 commitment, uint64 nonce, uint64 lastAttestedEpoch, Status status, bool isFlat);

    /// @notice The address allowed to attest margin for the account (never to transition it).
    /// @param account the owner
    /// @return the watchtower, or address(0)
    function watchtower(address account) external view returns (address);

    /// @notice Whether a fill commitment has been settled.
    /// @param fill the fill commitment
    /// @return true once the fill settled
    function fillSettled(uint256 fill) external view returns (bool);

    /// @notice Epoch of the latest margin call (0 before the first).
    /// @return the epoch
    function marginCallEpoch() external view returns (uint64);

    /// @notice Earliest end of the latest margin call's grace period: its time plus gracePeriod
    /// (0 before the first). Each second the oracle is stale pushes the real deadline back.
    /// @return unix seconds
    function marginCallDeadline() external view returns (uint64);

    /// @notice Number of margin calls made so far.
    /// @return the count
    function marginCallCount() external view returns (uint256);

    /// @notice A margin call.
    /// @param index 0 .. marginCallCount() - 1, oldest first
    /// @return epochId the epoch every account with exposure must attest for (or later)
    /// @return calledAt unix seconds of the call
    /// @return freshClockAtCall the registry's freshClock() at the call
    function marginCallAt(
        uint256 index
    ) external view returns (uint64 epochId, uint64 calledAt, uint64 freshClockAtCall);

    /// @notice The oldest margin call an active account with exposure has not answered: its
    /// deadline is the account's deadline, and no later call moves it.
    /// @param account the owner
    /// @return pending whether such a call exists
    /// @return index the call's index
    /// @return epochId the call's epoch
    /// @return freshSecondsLeft fresh-oracle seconds left before the account can be liquidated
    /// (0: liquidatable while the oracle is fresh)
    function pendingMarginCall(
        address account
    ) external view returns (bool pending, uint256 index, uint64 epochId, uint64 freshSecondsLeft);

    /// @notice The ERC-20 token of a collateral asset.
    /// @param asset the asset index (< M)
    /// @return the token (reverts InvalidAsset otherwise)
    function token(uint256 asset) external view returns (IERC20);

    /// @notice Opens msg.sender's account with the empty portfolio (a closed account reopens with
    /// its commitment unchanged); msg.value must equal the bond.
    function open() external payable;

    /// @notice Closes msg.sender's flat account and refunds its bond. The account keeps its
    /// commitment: it may still withdraw what it holds, and open() reactivates it.
    function close() external;

    /// @notice Sets msg.sender's watchtower: it may submit margin attestations, never transitions.
    /// @param watchtower_ the watchtower (address(0) removes it)
    function setWatchtower(address watchtower_) external;

    /// @notice The binding every proof for (account, nonce) must carry: keccak256(abi.encode(
    /// domain, chainId, this, account, nonce)). Margin proofs carry it mod r; transition proofs
    /// carry its top 106 bits inside `context`.
    /// @param domain MARGIN_DOMAIN, TRANSITION_DOMAIN or LIQUIDATION_DOMAIN
    /// @param account the owner
    /// @param nonce the account's nonce
    /// @return the hash mod r
    function bindingOf(bytes32 domain, address account, uint64 nonce) external view returns (uint256);

    /// @notice The Transition circuit's context input:
    /// op + 2^105 * (keccak256(abi.encode(TRANSITION_DOMAIN, chainId, this, account, nonce)) >> 150).
    /// @param op the op word
    /// @param account the owner
    /// @param nonce the account's nonce
    /// @return the context
    function contextOf(uint256 op, address account, uint64 nonce) external view returns (uint256);

    /// @notice Deposits `amount` of `asset`, pulled from msg.sender; any known epoch (no margin check).
    /// @param asset the asset index (< M)
    /// @param amount the amount (0 < amount < 2^96)
    /// @param epochId an epoch still in the registry's ring
    /// @param t the transition
    function deposit(uint256 asset, uint256 amount, uint64 epochId, TransitionData calldata t) external;

    /// @notice Withdraws `amount` of `asset` to msg.sender (an active or closed account); the
    /// proof shows the rest healthy at the initial level for the latest epoch.
    /// @param asset the asset index (< M)
    /// @param amount the amount (0 < amount < 2^96)
    /// @param epochId the latest fresh epoch
    /// @param t the transition
    function withdraw(uint256 asset, uint256 amount, uint64 epochId, TransitionData calldata t) external;

    /// @notice Claims `amount` of realised profit from the PnL pool into the account's hidden
    /// settlement balance (asset 0). The proof shows the account's net unrealised PnL covers the
    /// claim and the result healthy at the initial level for the latest epoch; the pool pays only
    /// what losing accounts have settled into it (docs/PROTOCOL.md, "Settlement"). A Closed
    /// account may realise too (an account taken over keeps its unrealised profit as a claim).
    /// @param amount the profit claimed (< 2^96; at most pnlPool)
    /// @param epochId the latest fresh epoch
    /// @param t the transition
    function realize(uint256 amount, uint64 epochId, TransitionData calldata t) external;

    /// @notice Pays `amount` of loss from the account's hidden settlement balance (asset 0) into
    /// the PnL pool. Never refused for lack of margin (equity does not change); the proof shows
    /// the balance covers it.
    /// @param amount the loss paid (0 < amount < 2^96)
    /// @param epochId any known epoch (its funding index settles funding, as for a deposit)
    /// @param t the transition
    function settle(uint256 amount, uint64 epochId, TransitionData calldata t) external;

    /// @notice The PnL pool: losses settled minus profits realised, in units of asset 0. Public,
    /// because realised profit is paid only from it.
    function pnlPool() external view returns (uint256);

    /// @notice Settles a privately agreed fill: both legs in one call. msg.sender owns one leg;
    /// the other owner authorises its own leg with an EIP-712 signature of the typed data
    /// TradeLeg(fill, account, nonce, counterparty = msg.sender, buy, epochId, leg = legHash(its
    /// transition)) under this contract's domain (tradeDigest). A malformed, malleable (high-s)
    /// or foreign signature reverts with InvalidSignature.
    /// @param buyer the buying leg
    /// @param seller the selling leg
    /// @param fill the fill commitment Poseidon(market, size, price, salt) (0 < fill < r)
    /// @param epochId the latest fresh epoch
    /// @param signature the other leg owner's 65-byte signature (r, s, v)
    function trade(
        TradeLeg calldata buyer,
        TradeLeg calldata seller,
        uint256 fill,
        uint64 epochId,
        bytes calldata signature
    ) external;

    /// @notice The EIP-712 digest the leg that does not send the call signs: keccak256(0x1901 ||
    /// domainSeparator || keccak256(abi.encode(TRADE_LEG_TYPEHASH, fill, account, nonce,
    /// counterparty, buy, epochId, leg))), the domain being name "zkmargin MarginAccounts",
    /// version "1", this chain id and this contract. It covers the fill, the signer's own account
    /// and nonce, the counterparty that may submit, the side, the epoch and the signer's own leg
    /// (so nobody can pair the signature with another leg, counterparty, chain or deployment).
    /// For tools and cross-checks: clients compute it locally (client/typed-data.ts) and never
    /// sign a digest an RPC returned.
    /// @param fill the fill commitment
    /// @param account the signing leg's owner
    /// @param nonce the signing account's current nonce
    /// @param counterparty the account that submits the trade
    /// @param buy whether the signing leg buys
    /// @param epochId the epoch of the trade
    /// @param leg legHash of the signing leg's transition
    /// @return the digest
    function tradeDigest(
        uint256 fill,
        address account,
        uint64 nonce,
        address counterparty,
        bool buy,
        uint64 epochId,
        bytes32 leg
    ) external view returns (bytes32);

    /// @notice keccak256 of what a leg publishes (its proof included): keccak256(abi.encode(
    /// newCommitment, ephemeralKey, cipher, flat, proof.a, proof.b, proof.c)), the `leg` field
    /// of the signed TradeLeg. For tools and cross-checks (clients compute it locally).
    /// @param t the leg's transition
    /// @return the hash
    function legHash(TransitionData calldata t) external pure returns (bytes32);

    /// @notice Records a maintenance-level margin proof of the account's current commitment for
    /// a fresh epoch (normally the latest; any epoch within maxAge). Only attestations for the
    /// margin call's epoch or later count against liquidation. The owner or its watchtower may
    /// submit it.
    /// @param account the owner
    /// @param epochId a fresh epoch
    /// @param p the margin proof
    function proveMargin(address account, uint64 epochId, Proof calldata p) external;

    /// @notice Attests maintenance margin for many accounts in one call, as proveMargin does for
    /// each: the sender must be each account's owner or watchtower; accounts strictly increasing
    /// (so none twice); each proof for a fresh epoch of its own. The proofs are checked together
    /// by the batch verifier (docs/PROTOCOL.md, "Batched attestations"); one bad proof rejects the
    /// whole batch (InvalidProof).
    /// @param accounts_ the owners, in strictly increasing address order
    /// @param epochIds epoch of each proof (each fresh; the latest counts for a margin call)
    /// @param proofs each [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y] (snarkjs calldata order)
    function proveMarginBatch(
        address[] calldata accounts_,
        uint64[] calldata epochIds,
        uint256[8][] calldata proofs
    ) external;

    /// @notice A risk publisher calls margin: every account with open exposure must attest for
    /// the latest fresh epoch (or later) within gracePeriod seconds of fresh-oracle time. The
    /// call never changes the deadline of an earlier call.
    function marginCall() external;

    /// @notice Liquidates an account that has open exposure and did not attest for the epoch of
    /// the oldest call it has not answered within that call's grace period of fresh-oracle time;
    /// only while the oracle is fresh. The account is frozen (its commitment and custody stay for
    /// the insurance hand-over) and its bond pays the caller.
    /// @param account the owner
    function liquidate(address account) external;

    /// @notice Liquidates an account below maintenance at the latest fresh epoch, with a proof of
    /// the liquidation circuit that its committed portfolio violates the maintenance rule (no
    /// margin call needed; docs/PROTOCOL.md, "Liquidation by proof"). Only whoever can open the
    /// commitment can prove it: the liquidation key holder, which replays every account from its
    /// encrypted log (or the owner). No proof exists for a healthy account. The proof is bound to
    /// (LIQUIDATION_DOMAIN, chain, this contract, account, nonce, msg.sender): see
    /// liquidationBindingOf; a copied call from another sender does not verify, so nobody can
    /// front-run the prover for its bond. The account is frozen and its bond pays the caller, as
    /// in `liquidate`.
    /// @param account the owner
    /// @param epochId the latest fresh epoch (NotLatestEpoch otherwise; StaleEpoch if stale)
    /// @param p the proof
    function liquidateByProof(address account, uint64 epochId, Proof calldata p) external;

    /// @notice The binding of a liquidation proof: keccak256(abi.encode(LIQUIDATION_DOMAIN,
    /// chainId, this, account, nonce, liquidator)) mod r. The liquidator is the address that will
    /// send liquidateByProof (and receive the bond).
    /// @param account the account to liquidate
    /// @param nonce its current nonce
    /// @param liquidator the sender of liquidateByProof
    /// @return the binding public input
    function liquidationBindingOf(address account, uint64 nonce, address liquidator) external view returns (uint256);

    /// @notice Unwinds a frozen account into the backstop at the latest fresh epoch's marks, with
    /// a proof of the takeover circuit (docs/PROTOCOL.md, "Liquidation and takeover"): the
    /// backstop takes every position and buys the account's other collateral at its haircut
    /// value, the net loss goes into the PnL pool, the penalty into the insurance fund, and a
    /// loss beyond the account's collateral is paid by the insurance fund and then the backstop
    /// (which must stay at initial margin: otherwise no proof exists). The account becomes Closed
    /// with its residual: its owner withdraws it (and realises any unrealised profit left as a
    /// claim). Bound to (TAKEOVER_DOMAIN, chain, this, account, its nonce, the backstop's nonce,
    /// msg.sender).
    /// @param account the frozen account
    /// @param epochId the latest fresh epoch (NotLatestEpoch otherwise)
    /// @param t the published values and the proof
    function takeover(address account, uint64 epochId, TakeoverData calldata t) external;

    /// @notice The binding of a takeover proof: keccak256(abi.encode(TAKEOVER_DOMAIN, chainId,
    /// this, account, nonce, backstopNonce, sender)) >> 150 (below 2^106).
    /// @param account the frozen account
    /// @param nonce its nonce
    /// @param backstopNonce the backstop's nonce
    /// @param sender the sender of takeover
    /// @return the binding tag inside the context public signal
    function takeoverBindingOf(
        address account,
        uint64 nonce,
        uint64 backstopNonce,
        address sender
    ) external view returns (uint256);

    /// @notice The takeover circuit's verifier.
    /// @return the verifier
    function takeoverVerifier() external view returns (ITakeoverGroth16);

    /// @notice The account that takes frozen books over.
    /// @return the backstop's address
    function backstop() external view returns (address);

    /// @notice The liquidation penalty, bps of a taken-over book's gross notional at mark.
    /// @return the penalty rate
    function liquidationPenaltyBps() external view returns (uint16);

    /// @notice Domain of the takeover binding.
    /// @return keccak256("zkmargin.takeover.v1")
    function TAKEOVER_DOMAIN() external view returns (bytes32);

    /// @notice Whether liquidate(account) would succeed now.
    /// @param account the owner
    /// @return true iff the account can be liquidated
    function isLiquidatable(address account) external view returns (bool);
}
