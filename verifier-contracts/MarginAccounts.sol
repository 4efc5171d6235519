// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {
    FIELD_MODULUS,
    M_ASSETS,
    AMOUNT_BITS,
    OP_ASSET_SHIFT,
    OP_FLAT_SHIFT,
    OP_AMOUNT_SHIFT,
    OP_BITS,
    BINDING_BITS,
    BINDING_SHIFT,
    BPS_BITS,
    KIND_DEPOSIT,
    KIND_WITHDRAW,
    KIND_BUY,
    KIND_SELL,
    KIND_REALIZE,
    KIND_SETTLE
} from "./generated/Constants.sol";
import {IMarginAccounts} from "./interfaces/IMarginAccounts.sol";
import {IRiskEpochRegistry} from "./interfaces/IRiskEpochRegistry.sol";
import {IMarginGroth16} from "./interfaces/IMarginGroth16.sol";
import {ITransitionGroth16} from "./interfaces/ITransitionGroth16.sol";
import {ILiquidationGroth16} from "./interfaces/ILiquidationGroth16.sol";
import {ITakeoverGroth16} from "./interfaces/ITakeoverGroth16.sol";
import {IMarginBatchVerifier} from "./interfaces/IMarginBatchVerifier.sol";

/// @title MarginAccounts
/// @author zkmargin
/// @notice Private margin accounts (docs/PROTOCOL.md). An account is its owner's address with a
/// hidden portfolio commitment, a nonce and a status. The commitment changes only through a proof
/// of the Transition circuit (deposit, withdraw, trade legs, PnL realisation); margin is attested
/// with a maintenance-level MarginProof for the latest epoch. After a margin call, an account
/// with open exposure that does not attest within the grace period of fresh-oracle time can be
/// liquidated by anyone: it is frozen, its bond pays the keeper, and its encrypted transition log
/// lets the holder of the liquidation key (the insurance process) reconstruct the portfolio
/// without publishing it. Deadlines are per call and sticky (docs/PROTOCOL.md, "Deadlines").
/// Every trade leg pays the flat tradeFee from its hidden settlement balance into the public
/// insurance fund. A flat account can be closed and its bond recovered.
/// @dev The generated snarkjs verifiers (verifier-contracts/generated/*.sol, untouched) are
/// called through IMarginGroth16 and ITransitionGroth16. The counterparty of a trade authorises
/// its leg with EIP-712 typed data (domain "zkmargin MarginAccounts", version "1", this chain
/// id, this contract): see tradeDigest.
/// Custody invariant: for every token, balanceOf(this) equals what active, closed and frozen
/// accounts hold (hidden, proven collateral balances), plus insuranceFund and pnlPool for token
/// 0; ETH held equals the bonds of active accounts. Profit is paid only from pnlPool, which only
/// settled losses fill, so a loss is collected before the profit it pays is withdrawable.
contract MarginAccounts is EIP712, IMarginAccounts {
    using SafeERC20 for IERC20;

    /// @inheritdoc IMarginAccounts
    uint256 public constant M = M_ASSETS;
    /// @inheritdoc IMarginAccounts
    uint256 public constant EMPTY_COMMITMENT =
        2279903754341370458733878433213099345166535131364473703583845910262677570720;
    // the EIP-712 type string is hashed at compile time: no long string at run time
    // solhint-disable gas-small-strings
    /// @inheritdoc IMarginAccounts
    bytes32 public constant TRADE_LEG_TYPEHASH = keccak256(
        "TradeLeg(uint256 fill,address account,uint64 nonce,address counterparty,bool buy,uint64 epochId,bytes32 leg)"
    );
    // solhint-enable gas-small-strings

    /// @dev Storage of an account: two slots (the linter counts the Status enum as a full slot).
    // solhint-disable-next-line gas-struct-packing
    struct Account {
        uint256 commitment;
        uint64 nonce;
        uint64 lastAttestedEpoch;
        Status status;
        bool isFlat;
    }

    /// @dev A margin call: the epoch every account must answer and the fresh-oracle clock at the
    /// call (one slot).
    struct MarginCallRecord {
        uint64 epochId;
        uint64 calledAt;
        uint64 freshClockAtCall;
    }

    /// @inheritdoc IMarginAccounts
    IRiskEpochRegistry public immutable registry;
    /// @inheritdoc IMarginAccounts
    IMarginGroth16 public immutable marginVerifier;
    /// @inheritdoc IMarginAccounts
    ITransitionGroth16 public immutable transitionVerifier;
    /// @inheritdoc IMarginAccounts
    uint256 public immutable bond;
    /// @inheritdoc IMarginAccounts
    uint64 public immutable gracePeriod;
    /// @inheritdoc IMarginAccounts
    uint256 public immutable liquidationKeyX;
    /// @inheritdoc IMarginAccounts
    uint256 public immutable liquidationKeyY;
    /// @inheritdoc IMarginAccounts
    uint256 public immutable liquidationKeyHash;
    /// @inheritdoc IMarginAccounts
    uint256 public immutable tradeFee;
    /// @inheritdoc IMarginAccounts
    uint64 public immutable inFlightWindow;
    /// @inheritdoc IMarginAccounts
    uint16 public immutable inFlightMoveBps;
    /// @inheritdoc IMarginAccounts
    ILiquidationGroth16 public immutable liquidationVerifier;
    /// @inheritdoc IMarginAccounts
    IMarginBatchVerifier public immutable batchVerifier;
    /// @inheritdoc IMarginAccounts
    ITakeoverGroth16 public immutable takeoverVerifier;
    /// @inheritdoc IMarginAccounts
    address public immutable backstop;
    /// @inheritdoc IMarginAccounts
    uint16 public immutable liquidationPenaltyBps;
    IERC20 internal immutable token0;
    IERC20 internal immutable token1;
    IERC20 internal immutable token2;
    IERC20 internal immutable token3;

    /// @inheritdoc IMarginAccounts
    mapping(address => Account) public accounts;
    /// @inheritdoc IMarginAccounts
    mapping(address => address) public watchtower;
    /// @inheritdoc IMarginAccounts
    mapping(uint256 => bool) public fillSettled;
    /// @dev insuranceFund + 1: the slot is non-zero from deployment, so the first fee ever costs
    /// a 2.9k storage update instead of a 22.1k zero-to-non-zero write (one trade would otherwise
    /// exceed the 300k-per-leg budget)
    uint256 internal insuranceFundPlusOne = 1;
    /// @dev every margin call, oldest first (epoch ids non-decreasing)
    MarginCallRecord[] internal calls;
    /// @dev pnlPool + 1 (non-zero from deployment, like insuranceFundPlusOne): losses settled
    /// minus profits realised
    uint256 internal pnlPoolPlusOne = 1;

    constructor(
        IRiskEpochRegistry registry_,
        IMarginGroth16 marginVerifier_,
        ITransitionGroth16 transitionVerifier_,
        ILiquidationGroth16 liquidationVerifier_,
        IMarginBatchVerifier batchVerifier_,
        IERC20[M_ASSETS] memory tokens_,
        uint256 bond_,
        uint64 gracePeriod_,
        uint256[2] memory liquidationKey_,
        Settings memory settings_
    ) EIP712("zkmargin MarginAccounts", "1") {
        if (settings_.tradeFee >> AMOUNT_BITS != 0) revert InvalidAmount(settings_.tradeFee);
        tradeFee = settings_.tradeFee;
        // a recorded move saturates at 255 bps: a bound of 255 would accept any move
        if (settings_.inFlightMoveBps >= 255) revert InvalidAmount(settings_.inFlightMoveBps);
        inFlightWindow = settings_.inFlightWindow;
        inFlightMoveBps = settings_.inFlightMoveBps;
        if (settings_.liquidationPenaltyBps >> BPS_BITS != 0) revert InvalidAmount(settings_.liquidationPenaltyBps);
        takeoverVerifier = settings_.takeoverVerifier;
        backstop = settings_.backstop;
        liquidationPenaltyBps = settings_.liquidationPenaltyBps;
        registry = registry_;
        marginVerifier = marginVerifier_;
        transitionVerifier = transitionVerifier_;
        liquidationVerifier = liquidationVerifier_;
        batchVerifier = batchVerifier_;
        token0 = tokens_[0];
        token1 = tokens_[1];
        token2 = tokens_[2];
        token3 = tokens_[3];
        bond = bond_;
        gracePeriod = gracePeriod_;
        // on Baby Jubjub (168700 x^2 + y^2 = 1 + 168696 x^2 y^2 mod r) with x != 0; the prime-order
        // subgroup membership is checked off-chain by the deployer (checkLiquidationKey)
        uint256 x2 = mulmod(liquidationKey_[0], liquidationKey_[0], FIELD_MODULUS);
        uint256 y2 = mulmod(liquidationKey_[1], liquidationKey_[1], FIELD_MODULUS);
        if (
            liquidationKey_[0] == 0 ||
            liquidationKey_[0] >= FIELD_MODULUS ||
            liquidationKey_[1] >= FIELD_MODULUS ||
            addmod(mulmod(168700, x2, FIELD_MODULUS), y2, FIELD_MODULUS) !=
                addmod(1, mulmod(168696, mulmod(x2, y2, FIELD_MODULUS), FIELD_MODULUS), FIELD_MODULUS)
        ) revert InvalidLiquidationKey();
        liquidationKeyX = liquidationKey_[0];
        liquidationKeyY = liquidationKey_[1];
        liquidationKeyHash = PoseidonT3.hash([liquidationKey_[0], liquidationKey_[1]]);
    }

    /// @inheritdoc IMarginAccounts
    function token(uint256 asset) public view returns (IERC20) {
        if (asset == 0) return token0;
        if (asset == 1) return token1;
        if (asset == 2) return token2;
        if (asset == 3) return token3;
        revert InvalidAsset(asset);
    }

    // ------------------------------------------------------------------ accounts

    /// @inheritdoc IMarginAccounts
    function open() external payable {
        Account storage acc = accounts[msg.sender];
        Status status = acc.status;
        if (status != Status.None && status != Status.Closed) revert AlreadyOpen(msg.sender);
        if (msg.value != bond) revert WrongBond(msg.value, bond);
        // a closed account reopens with its commitment (its remaining collateral) unchanged
        if (status == Status.None) {
            acc.commitment = EMPTY_COMMITMENT;
            acc.isFlat = true;
        } else {
            // a closed account holds no position (closed flat, or a takeover's residual and claim):
            // it answers every margin call made while it was closed
            uint256 n = calls.length;
            if (n != 0 && calls[n - 1].epochId > acc.lastAttestedEpoch) acc.lastAttestedEpoch = calls[n - 1].epochId;
        }
        acc.status = Status.Active;
        emit AccountOpened(msg.sender, msg.value);
    }

    /// @inheritdoc IMarginAccounts
    function close() external {
        Account storage acc = _active(msg.sender);
        if (!acc.isFlat) revert AccountNotFlat(msg.sender);
        acc.status = Status.Closed;
        delete watchtower[msg.sender];
        emit AccountClosed(msg.sender, bond);
        (bool ok, ) = msg.sender.call{value: bond}("");
        if (!ok) revert BondTransferFailed();
    }

    /// @inheritdoc IMarginAccounts
    function setWatchtower(address watchtower_) external {
        _active(msg.sender);
        watchtower[msg.sender] = watchtower_;
        emit WatchtowerSet(msg.sender, watchtower_);
    }

    /// @inheritdoc IMarginAccounts
    function bindingOf(bytes32 domain, address account, uint64 nonce) public view returns (uint256) {
        return uint256(keccak256(abi.encode(domain, block.chainid, address(this), account, nonce))) % FIELD_MODULUS;
    }

    /// @inheritdoc IMarginAccounts
    function liquidationBindingOf(address account, uint64 nonce, address liquidator) public view returns (uint256) {
        return
            uint256(
                keccak256(abi.encode(LIQUIDATION_DOMAIN, block.chainid, address(this), account, nonce, liquidator))
            ) % FIELD_MODULUS;
    }

    /// @inheritdoc IMarginAccounts
    function contextOf(uint256 op, address account, uint64 nonce) public view returns (uint256) {
        uint256 tag =
            uint256(keccak256(abi.encode(TRANSITION_DOMAIN, block.chainid, address(this), account, nonce))) >>
                BINDING_SHIFT;
        return op | (tag << OP_BITS);
    }

    /// @inheritdoc IMarginAccounts
    bytes32 public constant TRANSITION_DOMAIN = keccak256("zkmargin.transition.v1");
    /// @inheritdoc IMarginAccounts
    bytes32 public constant MARGIN_DOMAIN = keccak256("zkmargin.margin.v1");
    /// @inheritdoc IMarginAccounts
    bytes32 public constant LIQUIDATION_DOMAIN = keccak256("zkmargin.liquidation.v1");
    /// @inheritdoc IMarginAccounts
    bytes32 public constant TAKEOVER_DOMAIN = keccak256("zkmargin.takeover.v1");

    /// @dev flows = settled + 2^TAKEOVER_FLOW_SHIFT * penalty, cover = badDebt + 2^.. * vaultCover
    /// (circuits/takeover.circom: TAKEOVER_PNL_BITS(N) = 105 + log2 N = 108 at N = 8)
    uint256 internal constant TAKEOVER_FLOW_SHIFT = 108;

    // ------------------------------------------------------------------ transitions

    /// @inheritdoc IMarginAccounts
    function deposit(uint256 asset, uint256 amount, uint64 epochId, TransitionData calldata t) external {
        IERC20 tok = token(asset);
        if (amount == 0 || amount >> AMOUNT_BITS != 0) revert InvalidAmount(amount);
        uint256 paramsHash = registry.paramsHashOf(epochId);
        _transition(msg.sender, _op(KIND_DEPOSIT, asset, amount, t.flat), 0, epochId, paramsHash, t, false, false);
        uint256 before = tok.balanceOf(address(this));
        tok.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = tok.balanceOf(address(this)) - before;
        if (received != amount) revert TransferMismatch(amount, received);
    }

    /// @inheritdoc IMarginAccounts
    function withdraw(uint256 asset, uint256 amount, uint64 epochId, TransitionData calldata t) external {
        IERC20 tok = token(asset);
        if (amount == 0 || amount >> AMOUNT_BITS != 0) revert InvalidAmount(amount);
        // a closed account may still withdraw what it holds (it is flat, so it stays flat)
        _transition(msg.sender, _op(KIND_WITHDRAW, asset, amount, t.flat), 0, epochId, _recent(epochId), t, true, true);
        tok.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IMarginAccounts
    function realize(uint256 amount, uint64 epochId, TransitionData calldata t) external {
        if (amount >> AMOUNT_BITS != 0) revert InvalidAmount(amount);
        uint256 pool = pnlPoolPlusOne - 1;
        if (amount > pool) revert PnlPoolInsufficient(amount, pool);
        pnlPoolPlusOne = pool - amount + 1;
        // a closed account may realise: an account taken over keeps its unrealised profit as a claim
        _transition(msg.sender, _op(KIND_REALIZE, 0, amount, t.flat), 0, epochId, _recent(epochId), t, true, true);
        emit PnlRealized(msg.sender, amount, pool - amount);
    }

    /// @inheritdoc IMarginAccounts
    function settle(uint256 amount, uint64 epochId, TransitionData calldata t) external {
        // 0 would be a free nonce bump (it never needs margin) that front-runs liquidateByProof
        if (amount == 0 || amount >> AMOUNT_BITS != 0) revert InvalidAmount(amount);
        uint256 paramsHash = registry.paramsHashOf(epochId);
        _transition(msg.sender, _op(KIND_SETTLE, 0, amount, t.flat), 0, epochId, paramsHash, t, false, false);
        uint256 pool = pnlPoolPlusOne - 1 + amount;
        pnlPoolPlusOne = pool + 1;
        emit PnlSettled(msg.sender, amount, pool);
    }

    /// @inheritdoc IMarginAccounts
    function pnlPool() external view returns (uint256) {
        return pnlPoolPlusOne - 1;
    }

    /// @inheritdoc IMarginAccounts
    function trade(
        TradeLeg calldata buyer,
        TradeLeg calldata seller,
        uint256 fill,
        uint64 epochId,
        bytes calldata signature
    ) external {
        if (buyer.account == seller.account) revert SameAccount();
        if (fill == 0 || fill >= FIELD_MODULUS) revert InvalidFill();
        if (fillSettled[fill]) revert FillAlreadySettled(fill);
        TradeLeg calldata signed;
        if (msg.sender == buyer.account) signed = seller;
        else if (msg.sender == seller.account) signed = buyer;
        else revert NotAuthorized(msg.sender);
        address other = signed.account;
        bytes32 digest = tradeDigest(
            fill,
            other,
            accounts[other].nonce,
            msg.sender,
            other == buyer.account,
            epochId,
            legHash(signed.t)
        );
        if (_recover(digest, signature) != other) revert InvalidSignature();
        fillSettled[fill] = true;
        _settleLegs(buyer, seller, fill, epochId);
    }

    /// @inheritdoc IMarginAccounts
    function tradeDigest(
        uint256 fill,
        address account,
        uint64 nonce,
        address counterparty,
        bool buy,
        uint64 epochId,
        bytes32 leg
    ) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(TRADE_LEG_TYPEHASH, fill, account, nonce, counterparty, buy, epochId, leg))
            );
    }

    /// @inheritdoc IMarginAccounts
    function legHash(TransitionData calldata t) public pure returns (bytes32) {
        return
            keccak256(abi.encode(t.newCommitment, t.ephemeralKey, t.cipher, t.flat, t.proof.a, t.proof.b, t.proof.c));
    }

    // ------------------------------------------------------------------ margin and liveness

    /// @inheritdoc IMarginAccounts
    /// @dev Any fresh epoch, not only the latest, so that a price post racing the transaction
    /// does not void an honest attestation.
    function proveMargin(address account, uint64 epochId, Proof calldata p) external {
        Account storage acc = _active(account);
        if (msg.sender != account && msg.sender != watchtower[account]) revert NotAuthorized(msg.sender);
        uint256 paramsHash = registry.freshParamsHash(epochId);
        uint256[4] memory pub = [acc.commitment, paramsHash, uint256(0), bindingOf(MARGIN_DOMAIN, account, acc.nonce)];
        if (!marginVerifier.verifyProof(p.a, p.b, p.c, pub)) revert InvalidProof();
        if (epochId > acc.lastAttestedEpoch) acc.lastAttestedEpoch = epochId;
        emit MarginAttested(account, epochId);
    }

    /// @inheritdoc IMarginAccounts
    function proveMarginBatch(
        address[] calldata accounts_,
        uint64[] calldata epochIds,
        uint256[8][] calldata proofs
    ) external {
        uint256 n = accounts_.length;
        if (epochIds.length != n || proofs.length != n) revert BatchLengthMismatch(n, epochIds.length, proofs.length);
        uint256[4][] memory pub = new uint256[4][](n);
        uint64 lastEpoch;
        uint256 lastHash;
        address previous;
        for (uint256 i = 0; i < n; ++i) {
            address account = accounts_[i];
            // strictly increasing addresses: no account twice in one batch, checked in O(n)
            if (uint160(account) <= uint160(previous)) revert BatchNotSorted(i);
            previous = account;
            Account storage acc = _active(account);
            if (msg.sender != account && msg.sender != watchtower[account]) revert NotAuthorized(msg.sender);
            uint64 epochId = epochIds[i];
            if (i == 0 || epochId != lastEpoch) (lastEpoch, lastHash) = (epochId, registry.freshParamsHash(epochId));
            pub[i] = [acc.commitment, lastHash, uint256(0), bindingOf(MARGIN_DOMAIN, account, acc.nonce)];
        }
        if (!batchVerifier.verifyBatch(proofs, pub)) revert InvalidProof();
        for (uint256 i = 0; i < n; ++i) {
            Account storage acc = accounts[accounts_[i]];
            uint64 epochId = epochIds[i];
            if (epochId > acc.lastAttestedEpoch) acc.lastAttestedEpoch = epochId;
            emit MarginAttested(accounts_[i], epochId);
        }
    }

    /// @inheritdoc IMarginAccounts
    function marginCall() external {
        if (!registry.isPublisher(msg.sender)) revert NotPublisher(msg.sender);
        (uint64 epochId, ) = registry.latestFresh(); // a stale oracle cannot call margin
        uint64 freshNow = registry.freshClock();
        calls.push(MarginCallRecord(epochId, uint64(block.timestamp), freshNow));
        emit MarginCall(epochId, block.timestamp + gracePeriod);
    }

    /// @inheritdoc IMarginAccounts
    function liquidate(address account) external {
        if (account == backstop) revert BackstopNotLiquidatable();
        Account storage acc = _active(account);
        if (acc.isFlat) revert AccountFlat(account);
        uint256 n = calls.length;
        if (n == 0) revert NoMarginCall();
        (bool pending, , , uint64 remaining) = _pending(acc.lastAttestedEpoch, n);
        if (!pending) revert AlreadyAttested(account, acc.lastAttestedEpoch);
        if (remaining != 0) revert GracePeriodRunning(remaining);
        // traders can only attest while the oracle is fresh: no liquidation while it is stale
        registry.latestFresh();
        _freeze(acc, account);
    }

    /// @inheritdoc IMarginAccounts
    function liquidateByProof(address account, uint64 epochId, Proof calldata p) external {
        if (account == backstop) revert BackstopNotLiquidatable();
        Account storage acc = _active(account);
        if (acc.isFlat) revert AccountFlat(account);
        // only the latest fresh epoch: an old crash epoch cannot liquidate after prices recovered
        uint256 paramsHash = _latest(epochId);
        uint64 nonce = acc.nonce;
        uint256[3] memory pub = [acc.commitment, paramsHash, liquidationBindingOf(account, nonce, msg.sender)];
        if (!liquidationVerifier.verifyProof(p.a, p.b, p.c, pub)) revert InvalidProof();
        emit LiquidatedByProof(account, epochId);
        _freeze(acc, account);
    }

    /// @inheritdoc IMarginAccounts
    function takeover(address account, uint64 epochId, TakeoverData calldata t) external {
        Account storage acc = accounts[account];
        if (acc.status != Status.Frozen) revert NotFrozen(account);
        Account storage bs = accounts[backstop];
        if (bs.status != Status.Active || backstop == account) revert BackstopUnavailable(backstop);
        // the waterfall: the insurance fund pays the bad debt first, the backstop the rest. The
        // backstop's cover is fixed in the proof (it is debited from its hidden balance) and the
        // fund only grows between proving and inclusion (fees), so the fund pays badDebt -
        // vaultCover <= min(badDebt, fund): the backstop may pay more than its share, never less
        uint256 fund = insuranceFundPlusOne - 1;
        if (
            t.settled >> TAKEOVER_FLOW_SHIFT != 0 ||
            t.badDebt >> TAKEOVER_FLOW_SHIFT != 0 ||
            t.penalty >> AMOUNT_BITS != 0 ||
            t.vaultCover > t.badDebt ||
            t.badDebt - t.vaultCover > fund
        ) revert InvalidTakeover(t.badDebt - (t.badDebt < fund ? t.badDebt : fund), t.vaultCover);
        uint256 insuranceCover = t.badDebt - t.vaultCover;
        uint256[8] memory pub = _takeoverSignals(account, acc, bs, _latest(epochId), t);
        if (!takeoverVerifier.verifyProof(t.proof.a, t.proof.b, t.proof.c, pub)) revert InvalidProof();

        // the account is Closed with its residual (its bond paid the liquidator when it froze)
        uint64 nonce = acc.nonce;
        acc.commitment = t.residualCommitment;
        acc.nonce = nonce + 1;
        acc.isFlat = t.residualFlat;
        acc.status = Status.Closed;
        bs.commitment = t.backstopNewCommitment;
        bs.nonce += 1;
        bs.isFlat = t.backstopFlat;
        // the proof shows the backstop healthy at the initial level at the latest epoch: an
        // attestation (a margin call it has not answered must not freeze it after the takeover)
        if (epochId > bs.lastAttestedEpoch) bs.lastAttestedEpoch = epochId;
        pnlPoolPlusOne += t.settled;
        insuranceFundPlusOne = fund - insuranceCover + t.penalty + 1;
        emit TakenOver(account, epochId, nonce, t.settled, t.penalty, t.residualCommitment, t.backstopNewCommitment);
        if (t.badDebt != 0) emit BadDebt(account, t.badDebt, insuranceCover, t.vaultCover);
    }

    /// @inheritdoc IMarginAccounts
    function takeoverBindingOf(
        address account,
        uint64 nonce,
        uint64 backstopNonce,
        address sender
    ) public view returns (uint256) {
        return
            uint256(
                keccak256(
                    abi.encode(TAKEOVER_DOMAIN, block.chainid, address(this), account, nonce, backstopNonce, sender)
                )
            ) >> BINDING_SHIFT;
    }

    /// @inheritdoc IMarginAccounts
    function isLiquidatable(address account) external view returns (bool) {
        Account storage acc = accounts[account];
        uint256 n = calls.length;
        if (acc.status != Status.Active || acc.isFlat || n == 0 || account == backstop) return false;
        (bool pending, , , uint64 remaining) = _pending(acc.lastAttestedEpoch, n);
        if (!pending || remaining != 0) return false;
        try registry.latestFresh() returns (uint64, uint256) {
            return true;
        } catch {
            return false;
        }
    }

    /// @inheritdoc IMarginAccounts
    function insuranceFund() external view returns (uint256) {
        return insuranceFundPlusOne - 1;
    }

    /// @inheritdoc IMarginAccounts
    function pendingMarginCall(
        address account
    ) external view returns (bool pending, uint256 index, uint64 epochId, uint64 freshSecondsLeft) {
        Account storage acc = accounts[account];
        uint256 n = calls.length;
        if (acc.status != Status.Active || acc.isFlat || n == 0) return (false, 0, 0, 0);
        return _pending(acc.lastAttestedEpoch, n);
    }

    /// @inheritdoc IMarginAccounts
    function marginCallCount() external view returns (uint256) {
        return calls.length;
    }

    /// @inheritdoc IMarginAccounts
    function marginCallAt(
        uint256 index
    ) external view returns (uint64 epochId, uint64 calledAt, uint64 freshClockAtCall) {
        MarginCallRecord storage c = calls[index];
        return (c.epochId, c.calledAt, c.freshClockAtCall);
    }

    /// @inheritdoc IMarginAccounts
    function marginCallEpoch() external view returns (uint64) {
        uint256 n = calls.length;
        return n == 0 ? 0 : calls[n - 1].epochId;
    }

    /// @inheritdoc IMarginAccounts
    function marginCallDeadline() external view returns (uint64) {
        uint256 n = calls.length;
        return n == 0 ? 0 : calls[n - 1].calledAt + gracePeriod;
    }

    // ------------------------------------------------------------------ internals

    function _active(address account) internal view returns (Account storage acc) {
        acc = accounts[account];
        if (acc.status != Status.Active) revert NotActive(account);
    }

    /// Freezes the account (its commitment and custody stay for the hand-over) and pays its bond
    /// to the caller; state first, then the transfer.
    function _freeze(Account storage acc, address account) internal {
        acc.status = Status.Frozen;
        emit Liquidated(account, msg.sender, acc.commitment, acc.nonce, bond);
        (bool ok, ) = msg.sender.call{value: bond}("");
        if (!ok) revert BondTransferFailed();
    }

    /// The oldest margin call the account has not answered (epochId > lastAttested; calls are
    /// sorted by epoch, so a binary search) and the fresh-oracle seconds left of its grace period.
    /// A later call never replaces a deadline already running or missed: the oldest one counts.
    function _pending(
        uint64 lastAttested,
        uint256 n
    ) internal view returns (bool pending, uint256 index, uint64 epochId, uint64 freshSecondsLeft) {
        uint256 lo = 0;
        uint256 hi = n;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (calls[mid].epochId > lastAttested) hi = mid;
            else lo = mid + 1;
        }
        if (lo == n) return (false, 0, 0, 0);
        MarginCallRecord storage c = calls[lo];
        uint64 elapsed = registry.freshClock() - c.freshClockAtCall;
        uint64 grace = gracePeriod;
        return (true, lo, c.epochId, elapsed >= grace ? 0 : grace - elapsed);
    }

    /// The paramsHash a withdrawal, trade or realisation is checked against: the latest fresh
    /// epoch's, or the one before it while the registry says a proof made against it is still in
    /// flight (a newer post at most inFlightWindow seconds ago, every price within
    /// inFlightMoveBps, the same risk parameters and funding: docs/PROTOCOL.md, "In-flight
    /// transitions"). Reverts NotLatestEpoch otherwise (StaleEpoch, CircuitBreakerTripped from
    /// the registry when the latest epoch cannot be used at all).
    function _recent(uint64 epochId) internal view returns (uint256) {
        (uint64 latest, uint256 paramsHash) = registry.latestFresh();
        if (epochId == latest) return paramsHash;
        if (inFlightWindow == 0 || !registry.inFlight(epochId, inFlightWindow, inFlightMoveBps))
            revert NotLatestEpoch(epochId, latest);
        return registry.paramsHashOf(epochId);
    }

    function _latest(uint64 epochId) internal view returns (uint256) {
        (uint64 latest, uint256 paramsHash) = registry.latestFresh();
        if (epochId != latest) revert NotLatestEpoch(epochId, latest);
        return paramsHash;
    }

    /// op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount
    function _op(uint256 kind, uint256 asset, uint256 amount, bool flat) internal pure returns (uint256) {
        return
            kind | (asset << OP_ASSET_SHIFT) | ((flat ? uint256(1) : 0) << OP_FLAT_SHIFT) | (amount << OP_AMOUNT_SHIFT);
    }

    /// Verify a Transition proof against storage and apply it. Callers check who may send it.
    function _transition(
        address account,
        uint256 op,
        uint256 fill,
        uint64 epochId,
        uint256 paramsHash,
        TransitionData calldata t,
        bool attests,
        bool closedMay
    ) internal {
        Account storage acc = accounts[account];
        Status status = acc.status;
        if (status != Status.Active && !(closedMay && status == Status.Closed)) revert NotActive(account);
        if (t.newCommitment >= FIELD_MODULUS) revert PublicInputNotInField(1, t.newCommitment);
        if (t.ephemeralKey >= FIELD_MODULUS) revert PublicInputNotInField(6, t.ephemeralKey);
        if (t.cipher >= FIELD_MODULUS) revert PublicInputNotInField(7, t.cipher);
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

    /// Applies both legs of a trade; each pays the flat fee from its hidden settlement balance
    /// (the op word's amount) into the insurance fund.
    function _settleLegs(TradeLeg calldata buyer, TradeLeg calldata seller, uint256 fill, uint64 epochId) internal {
        uint256 paramsHash = _recent(epochId);
        uint256 fee = tradeFee;
        _transition(
            buyer.account,
            _op(KIND_BUY, 0, fee, buyer.t.flat),
            fill,
            epochId,
            paramsHash,
            buyer.t,
            true,
            false
        );
        _transition(
            seller.account,
            _op(KIND_SELL, 0, fee, seller.t.flat),
            fill,
            epochId,
            paramsHash,
            seller.t,
            true,
            false
        );
        if (fee != 0) {
            uint256 plusOne = insuranceFundPlusOne + 2 * fee;
            insuranceFundPlusOne = plusOne;
            uint256 balance = plusOne - 1;
            emit InsuranceFunded(fill, 2 * fee, balance);
        }
    }

    /// The takeover circuit's public signals, in order (circuits/takeover.circom).
    function _takeoverSignals(
        address account,
        Account storage acc,
        Account storage bs,
        uint256 paramsHash,
        TakeoverData calldata t
    ) internal view returns (uint256[8] memory pub) {
        if (t.residualCommitment >= FIELD_MODULUS) revert PublicInputNotInField(1, t.residualCommitment);
        if (t.backstopNewCommitment >= FIELD_MODULUS) revert PublicInputNotInField(3, t.backstopNewCommitment);
        uint256 flags =
            uint256(liquidationPenaltyBps) |
                ((t.residualFlat ? uint256(1) : 0) << BPS_BITS) |
                ((t.backstopFlat ? uint256(1) : 0) << (BPS_BITS + 1));
        pub[0] = acc.commitment;
        pub[1] = t.residualCommitment;
        pub[2] = bs.commitment;
        pub[3] = t.backstopNewCommitment;
        pub[4] = paramsHash;
        pub[5] = takeoverBindingOf(account, acc.nonce, bs.nonce, msg.sender) | (flags << BINDING_BITS);
        pub[6] = t.settled | (t.penalty << TAKEOVER_FLOW_SHIFT);
        pub[7] = t.badDebt | (t.vaultCover << TAKEOVER_FLOW_SHIFT);
    }

    /// The signer of an EIP-712 digest; a malformed or malleable (high-s) signature reverts.
    function _recover(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, sig);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        return signer;
    }
}
