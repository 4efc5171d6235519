// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {RiskEpochRegistry} from "./RiskEpochRegistry.sol";

/// The generated snarkjs verifiers (verifier-contracts/generated/*.sol, untouched) behind the
/// two interfaces the clearinghouse needs.
interface IMarginGroth16 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[4] calldata pub)
        external view returns (bool);
}

interface ITransitionGroth16 {
    function verifyProof(uint256[2] calldata a, uint256[2][2] calldata b, uint256[2] calldata c, uint256[8] calldata pub)
        external view returns (bool);
}

/// Private margin accounts (docs/PROTOCOL.md). An account is its owner's address with a hidden
/// portfolio commitment, a nonce and a status. The commitment changes only through a proof of
/// the Transition circuit (deposit, withdraw, trade legs, PnL realisation); margin is attested
/// with a maintenance-level MarginProof for the latest epoch. After a margin call, an account
/// with open exposure that does not attest within the grace period can be liquidated by anyone:
/// it is frozen, its bond pays the keeper, and its encrypted transition log lets the holder of
/// the liquidation key (the insurance process) reconstruct the portfolio without publishing it.
///
/// Custody invariant: for every token, balanceOf(this) equals what active and frozen accounts
/// can claim (hidden, proven collateral plus realised PnL); ETH held equals the bonds of
/// accounts that were not liquidated.
contract MarginAccounts {
    using SafeERC20 for IERC20;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 public constant M = 4;
    /// commitment of the empty portfolio with salt 0 (prover/transition.ts emptyPortfolio)
    uint256 public constant EMPTY_COMMITMENT =
        2279903754341370458733878433213099345166535131364473703583845910262677570720;

    uint256 internal constant KIND_DEPOSIT = 0;
    uint256 internal constant KIND_WITHDRAW = 1;
    uint256 internal constant KIND_BUY = 2;
    uint256 internal constant KIND_SELL = 3;
    uint256 internal constant KIND_REALIZE = 4;

    enum Status { None, Active, Frozen }

    struct Account {
        uint256 commitment;
        uint64 nonce;
        uint64 lastAttestedEpoch;
        Status status;
        bool isFlat;
    }

    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// What a transition publishes besides its proof.
    struct TransitionData {
        uint256 newCommitment;
        uint256 ephemeralKey;
        uint256 cipher;
        bool flat;
        Proof proof;
    }

    struct TradeLeg {
        address account;
        TransitionData t;
    }

    error NotOwner(address caller);
    error NotActive(address account);
    error AlreadyOpen(address account);
    error WrongBond(uint256 sent, uint256 required);
    error InvalidAsset(uint256 asset);
    error InvalidAmount(uint256 amount);
    error NotLatestEpoch(uint64 epochId, uint64 latestEpochId);
    error PublicInputNotInField(uint256 index, uint256 value);
    error InvalidProof();
    error FillAlreadySettled(uint256 fill);
    error InvalidFill();
    error SameAccount();
    error NotAuthorized(address caller);
    error InvalidSignature();
    error NotPublisher(address caller);
    error NoMarginCall();
    error GracePeriodRunning(uint256 deadline);
    error AlreadyAttested(address account, uint64 epochId);
    error AccountFlat(address account);
    error TransferMismatch(uint256 expected, uint256 received);
    error BondTransferFailed();
    error InvalidLiquidationKey();

    event AccountOpened(address indexed account, uint256 bond);
    event WatchtowerSet(address indexed account, address watchtower);
    /// op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount; fill = 0 unless a trade leg
    event Transition(
        address indexed account, uint64 nonce, uint64 epochId, uint256 op, uint256 fill,
        uint256 newCommitment, uint256 ephemeralKey, uint256 cipher
    );
    event MarginAttested(address indexed account, uint64 epochId);
    event MarginCall(uint64 indexed epochId, uint256 deadline);
    event Liquidated(address indexed account, address indexed keeper, uint256 commitment, uint64 nonce, uint256 bond);

    RiskEpochRegistry public immutable registry;
    IMarginGroth16 public immutable marginVerifier;
    ITransitionGroth16 public immutable transitionVerifier;
    uint256 public immutable bond;
    uint64 public immutable gracePeriod;
    uint256 public immutable liquidationKeyX;
    uint256 public immutable liquidationKeyY;
    /// Poseidon(K.x, K.y): the Transition circuit's keyHash public input
    uint256 public immutable liquidationKeyHash;
    IERC20 internal immutable token0;
    IERC20 internal immutable token1;
    IERC20 internal immutable token2;
    IERC20 internal immutable token3;

    mapping(address => Account) public accounts;
    mapping(address => address) public watchtower;
    mapping(uint256 => bool) public fillSettled;
    uint64 public marginCallEpoch;
    uint64 public marginCallDeadline;

    constructor(
        RiskEpochRegistry registry_,
        IMarginGroth16 marginVerifier_,
        ITransitionGroth16 transitionVerifier_,
        IERC20[4] memory tokens_,
        uint256 bond_,
        uint64 gracePeriod_,
        uint256[2] memory liquidationKey_
    ) {
        registry = registry_;
        marginVerifier = marginVerifier_;
        transitionVerifier = transitionVerifier_;
        token0 = tokens_[0];
        token1 = tokens_[1];
        token2 = tokens_[2];
        token3 = tokens_[3];
        bond = bond_;
        gracePeriod = gracePeriod_;
        // on Baby Jubjub (168700 x^2 + y^2 = 1 + 168696 x^2 y^2 mod r) with x != 0; the prime-order
        // subgroup membership is checked off-chain by the deployer (checkLiquidationKey)
        uint256 x2 = mulmod(liquidationKey_[0], liquidationKey_[0], R);
        uint256 y2 = mulmod(liquidationKey_[1], liquidationKey_[1], R);
        if (
            liquidationKey_[0] == 0 || liquidationKey_[0] >= R || liquidationKey_[1] >= R
                || addmod(mulmod(168700, x2, R), y2, R) != addmod(1, mulmod(168696, mulmod(x2, y2, R), R), R)
        ) revert InvalidLiquidationKey();
        liquidationKeyX = liquidationKey_[0];
        liquidationKeyY = liquidationKey_[1];
        liquidationKeyHash = PoseidonT3.hash([liquidationKey_[0], liquidationKey_[1]]);
    }

    function token(uint256 asset) public view returns (IERC20) {
        if (asset == 0) return token0;
        if (asset == 1) return token1;
        if (asset == 2) return token2;
        if (asset == 3) return token3;
        revert InvalidAsset(asset);
    }

    // ------------------------------------------------------------------ accounts

    /// Opens msg.sender's account with the empty portfolio; msg.value must equal the bond.
    function open() external payable {
        Account storage acc = accounts[msg.sender];
        if (acc.status != Status.None) revert AlreadyOpen(msg.sender);
        if (msg.value != bond) revert WrongBond(msg.value, bond);
        acc.commitment = EMPTY_COMMITMENT;
        acc.status = Status.Active;
        acc.isFlat = true;
        emit AccountOpened(msg.sender, msg.value);
    }

    /// A watchtower may submit margin attestations for the account, never transitions.
    function setWatchtower(address watchtower_) external {
        _active(msg.sender);
        watchtower[msg.sender] = watchtower_;
        emit WatchtowerSet(msg.sender, watchtower_);
    }

    /// The binding every proof for (account, nonce) must carry: chain, contract, account, nonce.
    /// Margin proofs carry it mod r; transition proofs carry its top 106 bits inside `context`.
    function bindingOf(bytes32 domain, address account, uint64 nonce) public view returns (uint256) {
        return uint256(keccak256(abi.encode(domain, block.chainid, address(this), account, nonce))) % R;
    }

    /// context = op + 2^105 * (keccak256(abi.encode(TRANSITION_DOMAIN, chainId, this, account, nonce)) >> 150)
    function contextOf(uint256 op, address account, uint64 nonce) public view returns (uint256) {
        uint256 tag = uint256(keccak256(abi.encode(TRANSITION_DOMAIN, block.chainid, address(this), account, nonce))) >> 150;
        return op | (tag << 105);
    }

    bytes32 public constant TRANSITION_DOMAIN = keccak256("zkmargin.transition.v1");
    bytes32 public constant MARGIN_DOMAIN = keccak256("zkmargin.margin.v1");

    // ------------------------------------------------------------------ transitions

    /// Deposit `amount` of `asset` (pulled from msg.sender). Any known epoch: no margin check.
    function deposit(uint256 asset, uint256 amount, uint64 epochId, TransitionData calldata t) external {
        IERC20 tok = token(asset);
        if (amount == 0 || amount >> 96 != 0) revert InvalidAmount(amount);
        uint256 paramsHash = registry.paramsHashOf(epochId);
        _transition(msg.sender, _op(KIND_DEPOSIT, asset, amount, t.flat), 0, epochId, paramsHash, t, false);
        uint256 before = tok.balanceOf(address(this));
        tok.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = tok.balanceOf(address(this)) - before;
        if (received != amount) revert TransferMismatch(amount, received);
    }

    /// Withdraw `amount` of `asset` to msg.sender; the proof shows the rest healthy at the
    /// initial level for the latest epoch.
    function withdraw(uint256 asset, uint256 amount, uint64 epochId, TransitionData calldata t) external {
        IERC20 tok = token(asset);
        if (amount == 0 || amount >> 96 != 0) revert InvalidAmount(amount);
        _transition(msg.sender, _op(KIND_WITHDRAW, asset, amount, t.flat), 0, epochId, _latest(epochId), t, true);
        tok.safeTransfer(msg.sender, amount);
    }

    /// Realise the PnL of one hidden market into asset 0 (initial level, latest epoch).
    function realize(uint64 epochId, TransitionData calldata t) external {
        _transition(msg.sender, _op(KIND_REALIZE, 0, 0, t.flat), 0, epochId, _latest(epochId), t, true);
    }

    /// Settle a privately agreed fill: both legs in one call. msg.sender is one leg's owner; the
    /// other owner authorises its own leg with a signature over tradeDigest(fill, account, nonce,
    /// msg.sender, side, epochId, legHash(leg)).
    function trade(TradeLeg calldata buyer, TradeLeg calldata seller, uint256 fill, uint64 epochId, bytes calldata signature)
        external
    {
        if (buyer.account == seller.account) revert SameAccount();
        if (fill == 0 || fill >= R) revert InvalidFill();
        if (fillSettled[fill]) revert FillAlreadySettled(fill);
        TradeLeg calldata signed;
        if (msg.sender == buyer.account) signed = seller;
        else if (msg.sender == seller.account) signed = buyer;
        else revert NotAuthorized(msg.sender);
        address other = signed.account;
        bytes32 digest = tradeDigest(
            fill, other, accounts[other].nonce, msg.sender, other == buyer.account, epochId, legHash(signed.t)
        );
        if (_recover(digest, signature) != other) revert InvalidSignature();
        fillSettled[fill] = true;
        uint256 paramsHash = _latest(epochId);
        _transition(buyer.account, _op(KIND_BUY, 0, 0, buyer.t.flat), fill, epochId, paramsHash, buyer.t, true);
        _transition(seller.account, _op(KIND_SELL, 0, 0, seller.t.flat), fill, epochId, paramsHash, seller.t, true);
    }

    /// What the leg that does not send the call signs (EIP-191 personal message of this digest):
    /// the fill, its own account and nonce, the counterparty that may submit, its side, the epoch
    /// and its own leg (so nobody can pair the signature with another leg or counterparty).
    function tradeDigest(
        uint256 fill,
        address account,
        uint64 nonce,
        address counterparty,
        bool isBuyer,
        uint64 epochId,
        bytes32 leg
    ) public view returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("zkmargin.trade.v1"), block.chainid, address(this), fill, account, nonce, counterparty, isBuyer, epochId, leg
            )
        );
    }

    /// keccak256 of what a leg publishes (its proof included).
    function legHash(TransitionData calldata t) public pure returns (bytes32) {
        return keccak256(abi.encode(t.newCommitment, t.ephemeralKey, t.cipher, t.flat, t.proof.a, t.proof.b, t.proof.c));
    }

    // ------------------------------------------------------------------ margin and liveness

    /// Record a maintenance-level margin proof of the account's current commitment for a fresh
    /// epoch (normally the latest; any epoch within maxAge, so that a price post racing the
    /// transaction does not void an honest attestation). Only attestations for the margin call's
    /// epoch or later count against liquidation. The owner or its watchtower may submit it.
    function proveMargin(address account, uint64 epochId, Proof calldata p) external {
        Account storage acc = _active(account);
        if (msg.sender != account && msg.sender != watchtower[account]) revert NotAuthorized(msg.sender);
        uint256 paramsHash = registry.freshParamsHash(epochId);
        uint256[4] memory pub =
            [acc.commitment, paramsHash, uint256(0), bindingOf(MARGIN_DOMAIN, account, acc.nonce)];
        if (!marginVerifier.verifyProof(p.a, p.b, p.c, pub)) revert InvalidProof();
        if (epochId > acc.lastAttestedEpoch) acc.lastAttestedEpoch = epochId;
        emit MarginAttested(account, epochId);
    }

    /// A risk publisher calls margin: every account with open exposure must attest for the
    /// latest epoch (or later) within the grace period.
    function marginCall() external {
        if (!registry.isPublisher(msg.sender)) revert NotPublisher(msg.sender);
        (uint64 epochId,) = registry.latestFresh(); // a stale oracle cannot call margin
        uint64 deadline = uint64(block.timestamp) + gracePeriod;
        marginCallEpoch = epochId;
        marginCallDeadline = deadline;
        emit MarginCall(epochId, deadline);
    }

    /// Anyone may liquidate an account that has open exposure and did not attest for the
    /// margin call's epoch before its deadline: the account is frozen (its commitment and
    /// custody stay for the insurance hand-over) and its bond pays the caller.
    function liquidate(address account) external {
        Account storage acc = _active(account);
        uint64 deadline = marginCallDeadline;
        if (deadline == 0) revert NoMarginCall();
        if (block.timestamp <= deadline) revert GracePeriodRunning(deadline);
        if (acc.isFlat) revert AccountFlat(account);
        if (acc.lastAttestedEpoch >= marginCallEpoch) revert AlreadyAttested(account, acc.lastAttestedEpoch);
        // traders can only attest while the oracle is fresh: no liquidation while it is stale
        registry.latestFresh();
        acc.status = Status.Frozen;
        emit Liquidated(account, msg.sender, acc.commitment, acc.nonce, bond);
        (bool ok,) = msg.sender.call{value: bond}("");
        if (!ok) revert BondTransferFailed();
    }

    /// True iff liquidate(account) would succeed now.
    function isLiquidatable(address account) external view returns (bool) {
        Account storage acc = accounts[account];
        if (
            acc.status != Status.Active || marginCallDeadline == 0 || block.timestamp <= marginCallDeadline || acc.isFlat
                || acc.lastAttestedEpoch >= marginCallEpoch
        ) return false;
        try registry.latestFresh() returns (uint64, uint256) {
            return true;
        } catch {
            return false;
        }
    }


    // ------------------------------------------------------------------ internals

    function _active(address account) internal view returns (Account storage acc) {
        acc = accounts[account];
        if (acc.status != Status.Active) revert NotActive(account);
    }

    function _latest(uint64 epochId) internal view returns (uint256) {
        (uint64 latest, uint256 paramsHash) = registry.latestFresh();
        if (epochId != latest) revert NotLatestEpoch(epochId, latest);
        return paramsHash;
    }

    /// op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount
    function _op(uint256 kind, uint256 asset, uint256 amount, bool flat) internal pure returns (uint256) {
        return kind | (asset << 3) | ((flat ? uint256(1) : 0) << 8) | (amount << 9);
    }

    /// Verify a Transition proof against storage and apply it. Callers check who may send it.
    function _transition(address account, uint256 op, uint256 fill, uint64 epochId, uint256 paramsHash, TransitionData calldata t, bool attests)
        internal
    {
        Account storage acc = _active(account);
        if (t.newCommitment >= R) revert PublicInputNotInField(1, t.newCommitment);
        if (t.ephemeralKey >= R) revert PublicInputNotInField(6, t.ephemeralKey);
        if (t.cipher >= R) revert PublicInputNotInField(7, t.cipher);
        uint64 nonce = acc.nonce;
        uint256[8] memory pub;
        pub[0] = acc.commitment;
        pub[1] = t.newCommitment;
        pub[2] = paramsHash;
        pub[3] = contextOf(op, account, nonce);
        pub[4] = fill;
        pub[5] = liquidationKeyHash;
        pub[6] = t.ephemeralKey;
        pub[7] = t.cipher;
        if (!transitionVerifier.verifyProof(t.proof.a, t.proof.b, t.proof.c, pub)) revert InvalidProof();
        acc.commitment = t.newCommitment;
        acc.nonce = nonce + 1;
        acc.isFlat = t.flat;
        if (attests && epochId > acc.lastAttestedEpoch) acc.lastAttestedEpoch = epochId;
        emit Transition(account, nonce, epochId, op, fill, t.newCommitment, t.ephemeralKey, t.cipher);
    }

    function _recover(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(MessageHashUtils.toEthSignedMessageHash(digest), sig);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        return signer;
    }
}
