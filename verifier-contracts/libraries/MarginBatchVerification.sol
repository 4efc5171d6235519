// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FIELD_MODULUS} from "../generated/Constants.sol";
// every MARGIN_VK_* constant, used in assembly (which solhint does not see)
// solhint-disable-next-line no-global-import
import "../generated/MarginBatchKey.sol";
import {IMarginBatchVerifier} from "../interfaces/IMarginBatchVerifier.sol";

// The precompile calls and the in-place pairing input need memory layouts Solidity cannot express
// without copying every point into a fresh array per call (more gas than the arithmetic around
// them): assembly is the point of this library.
// solhint-disable no-inline-assembly

/// @title MarginBatchVerification
/// @author zkmargin
/// @notice Batched Groth16 verification of margin proofs under the margin circuit's verification
/// key (generated/MarginBatchKey.sol, written from artifacts/margin/verification_key.json).
/// For coefficients r_i it checks
///     prod_i e(r_i·A_i, B_i) · e(-(Σ r_i)·α, β) · e(-Σ_i r_i·vk_x_i, γ) · e(-Σ_i r_i·C_i, δ) == 1
/// where Σ_i r_i·vk_x_i = (Σ r_i)·IC_0 + Σ_j (Σ_i r_i·x_ij mod r)·IC_j is computed with
/// scalar-field arithmetic first (one scalar multiplication per IC point for the whole batch).
/// Cost: n + 3 pairings, two ecMul and one ecAdd per proof, plus six ecMul and five ecAdd.
/// The coefficients are Fiat–Shamir challenges: seed = keccak256(abi.encode(proofs,
/// publicSignals)) over every proof and every public input of the batch, and
/// r_i = uint128(keccak256(abi.encode(seed, i))) (1 if that is 0). Nobody can choose them, and
/// changing any proof or signal changes all of them, so invalid proofs cannot be crafted to
/// cancel out: a batch holding an invalid proof passes with probability about 2^-128.
/// @dev Two entry points with one core: verifyCalldata for an external function's calldata
/// arrays, verifyMemory for arrays a contract built in memory (MarginAccounts). Both copy the
/// batch into memory as abi.encode(proofs, publicSignals) (hashed for the seed) and then build
/// the pairing input over that copy in place: pair i (6 words) is written over words already
/// read, below every word still to be read, so the memory used is about 12 words per proof. The precompile calls are in assembly: Solidity would copy every point into a new
/// memory array per call, which costs more than the arithmetic around the calls.
/// The free memory pointer is bumped past the work area while the core runs and restored after:
/// nothing stays allocated.
library MarginBatchVerification {
    /// @notice BN254 base field modulus p: proof coordinates must be below it.
    uint256 internal constant BASE_FIELD_MODULUS =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @notice The coefficients are the low 128 bits of a keccak256 output.
    uint256 internal constant COEFFICIENT_MASK = 0xffffffffffffffffffffffffffffffff;
    /// @notice Words of one proof: [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y].
    uint256 internal constant PROOF_WORDS = 8;
    /// @notice Public signals of a margin proof: [commitment, paramsHash, level, binding].
    uint256 internal constant SIGNAL_WORDS = 4;

    /// @dev Precompiles (EIP-196, EIP-197): G1 addition, G1 scalar multiplication, pairing check.
    uint256 private constant EC_ADD = 0x06;
    uint256 private constant EC_MUL = 0x07;
    uint256 private constant EC_PAIRING = 0x08;
    /// @dev Header words of abi.encode(proofs, publicSignals) before the proofs: two offsets and n.
    uint256 private constant HEADER_WORDS = 3;
    /// @dev Bytes of one pairing input pair: a G1 point (2 words) and a G2 point (4 words).
    uint256 private constant PAIR_BYTES = 0xc0;
    /// @dev Pairs after the n proofs' pairs: α·Σr with β, vk_x with γ, Σ r_i·C_i with δ.
    uint256 private constant KEY_PAIRS = 3;
    /// @dev Scratch bytes after the work area (see _verifyPacked for the layout).
    uint256 private constant SCRATCH_BYTES = 0x240;

    /// @notice Verifies a batch passed as calldata (an external function's arguments).
    /// @dev Reverts EmptyBatch, BatchLengthMismatch, BatchCoordinateNotInField,
    /// BatchPublicInputNotInField (IMarginBatchVerifier); returns false for a batch that does not verify.
    /// @param proofs n proofs, each [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]
    /// @param publicSignals n rows [commitment, paramsHash, level, binding]
    /// @return true iff every proof verifies (except with probability about 2^-128)
    function verifyCalldata(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) internal view returns (bool) {
        (uint256 buf, uint256 n) = _packCalldata(proofs, publicSignals);
        return _verifyPacked(buf, n, 0);
    }

    /// @notice Verifies a batch held in memory (arrays a contract built itself).
    /// @dev Same checks and result as verifyCalldata; the arrays are copied, never modified.
    /// @param proofs n proofs, each [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]
    /// @param publicSignals n rows [commitment, paramsHash, level, binding]
    /// @return true iff every proof verifies (except with probability about 2^-128)
    function verifyMemory(uint256[8][] memory proofs, uint256[4][] memory publicSignals) internal view returns (bool) {
        (uint256 buf, uint256 n) = _packMemory(proofs, publicSignals);
        return _verifyPacked(buf, n, 0);
    }

    /// @notice The coefficients verifyCalldata gives this batch (see IMarginBatchVerifier), computed
    /// by the same code (the core in coefficient mode: no field check, no curve arithmetic).
    /// @param proofs the batch's proofs
    /// @param publicSignals the batch's public signals
    /// @return coefficients r_0 .. r_{n-1}
    function coefficientsCalldata(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) internal view returns (uint256[] memory coefficients) {
        (uint256 buf, uint256 n) = _packCalldata(proofs, publicSignals);
        coefficients = new uint256[](n); // above the work area, which stays allocated
        uint256 out;
        assembly ("memory-safe") {
            out := coefficients
        }
        _verifyPacked(buf, n, out);
    }

    /// @dev Checks the lengths and copies the batch to free memory as abi.encode(proofs, publicSignals).
    function _packCalldata(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) private pure returns (uint256 buf, uint256 n) {
        n = _checkLengths(proofs.length, publicSignals.length);
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(buf, 0x40)
            mstore(add(buf, 0x20), add(0x60, shl(8, n)))
            mstore(add(buf, 0x40), n)
            calldatacopy(add(buf, 0x60), proofs.offset, shl(8, n))
            let s := add(buf, add(0x60, shl(8, n)))
            mstore(s, n)
            calldatacopy(add(s, 0x20), publicSignals.offset, shl(7, n))
        }
        _allocate(buf, n);
    }

    /// @dev Checks the lengths and copies the batch to free memory as abi.encode(proofs, publicSignals).
    function _packMemory(
        uint256[8][] memory proofs,
        uint256[4][] memory publicSignals
    ) private pure returns (uint256 buf, uint256 n) {
        n = _checkLengths(proofs.length, publicSignals.length);
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(buf, 0x40)
            mstore(add(buf, 0x20), add(0x60, shl(8, n)))
            mstore(add(buf, 0x40), n)
            // a memory array of static arrays is n pointers to 8-word (4-word) blocks
            let d := add(buf, 0x60)
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                mcopy(add(d, shl(8, i)), mload(add(proofs, shl(5, add(i, 1)))), 0x100)
            }
            d := add(d, shl(8, n))
            mstore(d, n)
            d := add(d, 0x20)
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                mcopy(add(d, shl(7, i)), mload(add(publicSignals, shl(5, add(i, 1)))), 0x80)
            }
        }
        _allocate(buf, n);
    }

    /// @dev Reverts for a length mismatch, then for an empty batch; returns n.
    function _checkLengths(uint256 proofs, uint256 signals) private pure returns (uint256) {
        if (proofs != signals) revert IMarginBatchVerifier.BatchLengthMismatch(proofs, signals);
        if (proofs == 0) revert IMarginBatchVerifier.EmptyBatch();
        return proofs;
    }

    /// @dev Bytes of abi.encode(proofs, publicSignals): the header, n proofs, n again, n signal rows.
    function _packedBytes(uint256 n) private pure returns (uint256) {
        return (HEADER_WORDS + 1 + (PROOF_WORDS + SIGNAL_WORDS) * n) * 0x20;
    }

    /// @dev Bumps the free memory pointer past the work area: the packed batch (12n + 4 words) or
    /// the pairing input ((n + 3) pairs of 6 words), whichever is longer, then the scratch bytes.
    function _allocate(uint256 buf, uint256 n) private pure {
        uint256 packed = _packedBytes(n);
        uint256 pairs = (n + KEY_PAIRS) * PAIR_BYTES;
        uint256 end = buf + (packed > pairs ? packed : pairs) + SCRATCH_BYTES;
        assembly ("memory-safe") {
            mstore(0x40, end)
        }
    }

    /// @dev keccak256 of the packed batch, i.e. keccak256(abi.encode(proofs, publicSignals)).
    function _seed(uint256 buf, uint256 n) private pure returns (bytes32 seed) {
        uint256 len = _packedBytes(n);
        assembly ("memory-safe") {
            seed := keccak256(buf, len)
        }
    }

    /// @dev The core, over the packed batch at buf (abi.encode layout: proof i at word 3 + 8i,
    /// signals i at word 4 + 8n + 4i). Pair i of the pairing input is written at buf + 0xc0·i,
    /// i.e. words 6i .. 6i + 5: below proof i's words (3 + 8i) once they are read, and below every
    /// later proof and every signal row, so the packed copy is overwritten only where it is spent.
    /// Scratch at `sc` (after the work area): 0x00 Σr, 0x20..0x80 S_j = Σ_i r_i·x_ij mod r,
    /// 0xa0 Σ r_i·C_i (2 words) with its ecMul input at 0xe0 (3 words), 0x140 ecMul input of
    /// A_i (3 words), 0x1a0 vk_x (2 words) with its ecMul input at 0x1e0 (3 words).
    /// Per proof, in one assembly loop (no internal call per proof): the coefficient
    /// r_i = uint128(keccak256(abi.encode(seed, i))) (1 if 0); in coefficient mode (coefficients
    /// != 0, a uint256[] of length n) it is stored there and nothing else is done. Otherwise the
    /// field checks (bad: bit 0 a coordinate >= p, bit 1 a signal >= r), A and C on the curve,
    /// Σr and S_j, Σ r_i·C_i, and pair i = (r_i·A_i, B_i).
    /// Restores the free memory pointer to buf, except in coefficient mode.
    // solhint-disable-next-line function-max-lines
    function _verifyPacked(uint256 buf, uint256 n, uint256 coefficients) private view returns (bool ok) {
        bytes32 seed = _seed(buf, n);
        uint256 sc;
        uint256 bad;
        uint256 at;
        assembly ("memory-safe") {
            // y² = x³ + 3, or the point at infinity (0, 0): A and C are checked before ecMul, so
            // ecMul and ecAdd cannot fail and a bad point fails the batch without a failing
            // precompile call (which would consume all the gas it was given)
            function onCurve(x, y) -> on {
                let m := BASE_FIELD_MODULUS
                on := or(and(iszero(x), iszero(y)), eq(mulmod(y, y, m), addmod(mulmod(x, mulmod(x, x, m), m), 3, m)))
            }
            sc := sub(mload(0x40), SCRATCH_BYTES)
            // Σr, S_1..S_4 and the Σ r_i·C_i accumulator (the point at infinity) start at zero
            mstore(sc, 0)
            mstore(add(sc, 0x20), 0)
            mstore(add(sc, 0x40), 0)
            mstore(add(sc, 0x60), 0)
            mstore(add(sc, 0x80), 0)
            mstore(add(sc, 0xa0), 0)
            mstore(add(sc, 0xc0), 0)
            ok := 1
            for {
                let i := 0
                let pr := add(buf, 0x60) // proof i
                let sg := add(buf, add(0x80, shl(8, n))) // signals i
            } lt(i, n) {
                i := add(i, 1)
                pr := add(pr, 0x100)
                sg := add(sg, 0x80)
            } {
                // the Fiat–Shamir coefficient, in scratch space 0x00-0x3f
                mstore(0x00, seed)
                mstore(0x20, i)
                let r := and(keccak256(0x00, 0x40), COEFFICIENT_MASK)
                if iszero(r) {
                    r := 1
                }
                if coefficients {
                    mstore(add(coefficients, shl(5, add(i, 1))), r)
                    continue
                }
                // every coordinate < p, every signal < r
                let p := BASE_FIELD_MODULUS
                bad := iszero(
                    and(
                        and(
                            and(lt(mload(pr), p), lt(mload(add(pr, 0x20)), p)),
                            and(lt(mload(add(pr, 0x40)), p), lt(mload(add(pr, 0x60)), p))
                        ),
                        and(
                            and(lt(mload(add(pr, 0x80)), p), lt(mload(add(pr, 0xa0)), p)),
                            and(lt(mload(add(pr, 0xc0)), p), lt(mload(add(pr, 0xe0)), p))
                        )
                    )
                )
                let q := FIELD_MODULUS
                let x0 := mload(sg)
                let x1 := mload(add(sg, 0x20))
                let x2 := mload(add(sg, 0x40))
                let x3 := mload(add(sg, 0x60))
                if iszero(and(and(lt(x0, q), lt(x1, q)), and(lt(x2, q), lt(x3, q)))) {
                    bad := or(bad, 2)
                }
                if bad {
                    at := i
                    break
                }
                ok := and(onCurve(mload(pr), mload(add(pr, 0x20))), onCurve(mload(add(pr, 0xc0)), mload(add(pr, 0xe0))))
                if iszero(ok) {
                    at := i
                    break
                }
                // Σr (no overflow: n·2^128 < 2^256) and S_j += r·x_j mod r
                mstore(sc, add(mload(sc), r))
                mstore(add(sc, 0x20), addmod(mload(add(sc, 0x20)), mulmod(r, x0, q), q))
                mstore(add(sc, 0x40), addmod(mload(add(sc, 0x40)), mulmod(r, x1, q), q))
                mstore(add(sc, 0x60), addmod(mload(add(sc, 0x60)), mulmod(r, x2, q), q))
                mstore(add(sc, 0x80), addmod(mload(add(sc, 0x80)), mulmod(r, x3, q), q))
                // Σ r_i·C_i: ecMul into the words after the accumulator, then ecAdd into it
                let acc := add(sc, 0xa0)
                mstore(add(acc, 0x40), mload(add(pr, 0xc0)))
                mstore(add(acc, 0x60), mload(add(pr, 0xe0)))
                mstore(add(acc, 0x80), r)
                ok := staticcall(gas(), EC_MUL, add(acc, 0x40), 0x60, add(acc, 0x40), 0x40)
                ok := and(ok, staticcall(gas(), EC_ADD, acc, 0x80, acc, 0x40))
                // pair i = (r_i·A_i, B_i): A is read before B moves down over it (pair 0 overlaps proof 0)
                let ain := add(sc, 0x140)
                mstore(ain, mload(pr))
                mstore(add(ain, 0x20), mload(add(pr, 0x20)))
                mstore(add(ain, 0x40), r)
                let out := add(buf, mul(i, PAIR_BYTES))
                mcopy(add(out, 0x40), add(pr, 0x40), 0x80)
                ok := and(ok, staticcall(gas(), EC_MUL, ain, 0x60, out, 0x40))
                if iszero(ok) {
                    at := i
                    break
                }
            }
        }
        if (coefficients != 0) return true;
        if (bad != 0) _revertOutOfField(buf, n, at, bad);
        // A point not on the curve fails the batch and stops the arithmetic, but a value outside
        // its field in a later proof still reverts: the outcome does not depend on where the bad
        // point is.
        if (!ok) _checkFieldsFrom(buf, n, at + 1);
        else ok = _finish(buf, n, sc);
        assembly ("memory-safe") {
            mstore(0x40, buf) // release the work area
        }
    }

    /// @dev vk_x = (Σr)·IC0 + Σ_j S_j·IC_j into scratch 0x1a0 (one ecMul per IC point for the batch).
    function _vkX(uint256 sc) private view returns (bool ok) {
        assembly ("memory-safe") {
            // v += s·(x, y), with the ecMul input right after the accumulator
            function mulAcc(v, x, y, s) -> success {
                mstore(add(v, 0x40), x)
                mstore(add(v, 0x60), y)
                mstore(add(v, 0x80), s)
                success := staticcall(gas(), EC_MUL, add(v, 0x40), 0x60, add(v, 0x40), 0x40)
                success := and(success, staticcall(gas(), EC_ADD, v, 0x80, v, 0x40))
            }
            let v := add(sc, 0x1a0)
            mstore(v, MARGIN_VK_IC0_X)
            mstore(add(v, 0x20), MARGIN_VK_IC0_Y)
            mstore(add(v, 0x40), mload(sc))
            ok := staticcall(gas(), EC_MUL, v, 0x60, v, 0x40)
            ok := and(ok, mulAcc(v, MARGIN_VK_IC1_X, MARGIN_VK_IC1_Y, mload(add(sc, 0x20))))
            ok := and(ok, mulAcc(v, MARGIN_VK_IC2_X, MARGIN_VK_IC2_Y, mload(add(sc, 0x40))))
            ok := and(ok, mulAcc(v, MARGIN_VK_IC3_X, MARGIN_VK_IC3_Y, mload(add(sc, 0x60))))
            ok := and(ok, mulAcc(v, MARGIN_VK_IC4_X, MARGIN_VK_IC4_Y, mload(add(sc, 0x80))))
        }
    }

    /// @dev Writes the three key pairs after the n proof pairs and runs the pairing check. The
    /// key-side G1 points are negated (three negations instead of one per A_i).
    function _finish(uint256 buf, uint256 n, uint256 sc) private view returns (bool ok) {
        ok = _vkX(sc);
        assembly ("memory-safe") {
            let p := BASE_FIELD_MODULUS
            let out := add(buf, mul(n, PAIR_BYTES))

            // (-(Σr)·α, β)
            let t := add(sc, 0x140)
            mstore(t, MARGIN_VK_ALPHA_X)
            mstore(add(t, 0x20), MARGIN_VK_ALPHA_Y)
            mstore(add(t, 0x40), mload(sc))
            ok := and(ok, staticcall(gas(), EC_MUL, t, 0x60, out, 0x40))
            mstore(add(out, 0x20), mod(sub(p, mload(add(out, 0x20))), p))
            mstore(add(out, 0x40), MARGIN_VK_BETA_X_IM)
            mstore(add(out, 0x60), MARGIN_VK_BETA_X_RE)
            mstore(add(out, 0x80), MARGIN_VK_BETA_Y_IM)
            mstore(add(out, 0xa0), MARGIN_VK_BETA_Y_RE)

            // (-vk_x, γ)
            mstore(add(out, 0xc0), mload(add(sc, 0x1a0)))
            mstore(add(out, 0xe0), mod(sub(p, mload(add(sc, 0x1c0))), p))
            mstore(add(out, 0x100), MARGIN_VK_GAMMA_X_IM)
            mstore(add(out, 0x120), MARGIN_VK_GAMMA_X_RE)
            mstore(add(out, 0x140), MARGIN_VK_GAMMA_Y_IM)
            mstore(add(out, 0x160), MARGIN_VK_GAMMA_Y_RE)

            // (-Σ r_i·C_i, δ)
            mstore(add(out, 0x180), mload(add(sc, 0xa0)))
            mstore(add(out, 0x1a0), mod(sub(p, mload(add(sc, 0xc0))), p))
            mstore(add(out, 0x1c0), MARGIN_VK_DELTA_X_IM)
            mstore(add(out, 0x1e0), MARGIN_VK_DELTA_X_RE)
            mstore(add(out, 0x200), MARGIN_VK_DELTA_Y_IM)
            mstore(add(out, 0x220), MARGIN_VK_DELTA_Y_RE)

            // one pairing check over n + 3 pairs; the result must be exactly one word equal to 1
            // (a chain without the precompile would "succeed" with no output)
            ok := and(ok, staticcall(gas(), EC_PAIRING, buf, mul(add(n, KEY_PAIRS), PAIR_BYTES), 0x00, 0x20))
            ok := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

    /// @dev Reverts for the first proof from `from` on holding a value outside its field (failure path only).
    function _checkFieldsFrom(uint256 buf, uint256 n, uint256 from) private pure {
        for (uint256 i = from; i < n; ++i) _revertOutOfField(buf, n, i, 1);
    }

    /// @dev Reverts with the first value of proof i outside its field (coordinates before signals).
    function _revertOutOfField(uint256 buf, uint256 n, uint256 i, uint256 bad) private pure {
        uint256 pr = buf + 0x60 + (i << 8);
        uint256 sg = buf + 0x80 + (n << 8) + (i << 7);
        uint256 v;
        if (bad & 1 != 0) {
            for (uint256 k = 0; k < PROOF_WORDS; ++k) {
                assembly ("memory-safe") {
                    v := mload(add(pr, shl(5, k)))
                }
                if (v >= BASE_FIELD_MODULUS) revert IMarginBatchVerifier.BatchCoordinateNotInField(i, k, v);
            }
        }
        for (uint256 k = 0; k < SIGNAL_WORDS; ++k) {
            assembly ("memory-safe") {
                v := mload(add(sg, shl(5, k)))
            }
            if (v >= FIELD_MODULUS) revert IMarginBatchVerifier.BatchPublicInputNotInField(i, k, v);
        }
    }
}
