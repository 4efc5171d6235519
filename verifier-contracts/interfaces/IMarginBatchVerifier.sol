// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMarginBatchVerifier
/// @author zkmargin
/// @notice Verifies many Groth16 proofs of the margin circuit together, by one random linear
/// combination of their pairing equations (docs/PROTOCOL.md, "Batched attestations"): n + 3
/// pairings and two scalar multiplications per proof instead of four pairings and four scalar
/// multiplications per proof. The coefficients are derived from a hash of the whole batch.
/// A proof is [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]: the generated snarkjs verifier's
/// (a, b, c) flattened, G2 coordinates imaginary part first as snarkjs exports them
/// (`snarkjs zkey export soliditycalldata`). Public signals: [commitment, paramsHash, level,
/// binding] (docs/SPEC.md §3).
/// @dev The logic is the library MarginBatchVerification (libraries/MarginBatchVerification.sol):
/// a contract that already holds the batch in memory calls its verifyMemory instead.
interface IMarginBatchVerifier {
    /// @notice The batch holds no proof.
    error EmptyBatch();

    /// @notice proofs and publicSignals have different lengths.
    /// @param proofs number of proofs
    /// @param publicSignals number of public-signal rows
    error BatchLengthMismatch(uint256 proofs, uint256 publicSignals);

    /// @notice A proof coordinate is not below the BN254 base field modulus p.
    /// @param proof position of the proof in the batch
    /// @param index position of the coordinate in the proof (0..7)
    /// @param value the coordinate
    error BatchCoordinateNotInField(uint256 proof, uint256 index, uint256 value);

    /// @notice A public signal is not below the BN254 scalar field modulus r (x and x + r would
    /// pass the same pairing check).
    /// @param proof position of the proof in the batch
    /// @param index position of the signal (0..3)
    /// @param value the signal
    error BatchPublicInputNotInField(uint256 proof, uint256 index, uint256 value);

    /// @notice Checks every proof of the batch against its public signals, at once.
    /// @dev Reverts EmptyBatch or BatchLengthMismatch for a malformed batch (a length mismatch is
    /// reported before emptiness), then BatchCoordinateNotInField or BatchPublicInputNotInField
    /// for the first proof (lowest index) holding a value outside its field, coordinates before
    /// signals. Returns false (never reverts) when the batch does not verify: a wrong proof, a
    /// point not on the curve or a G2 point outside the subgroup. True means every proof would
    /// pass the generated single verifier, except with probability about 2^-128.
    /// A and C are checked on the curve before any precompile call; a B off the curve or outside
    /// the G2 subgroup makes the final pairing call fail, which consumes the gas forwarded to it
    /// (63/64 of what is left, as with the generated verifier) before false is returned.
    /// @param proofs n proofs, each [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]
    /// @param publicSignals n rows [commitment, paramsHash, level, binding], row i for proof i
    /// @return true iff the batch verifies
    function verifyBatch(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) external view returns (bool);

    /// @notice The random coefficients verifyBatch gives the proofs of this batch, for audits
    /// and tests: r_i = uint128(keccak256(abi.encode(seed, i))), or 1 if that is 0, where
    /// seed = keccak256(abi.encode(proofs, publicSignals)).
    /// @dev Computed by verifyBatch's own loop (in a mode that skips the curve arithmetic).
    /// Reverts like verifyBatch for a malformed batch; does not look at the fields.
    /// @param proofs the batch's proofs
    /// @param publicSignals the batch's public signals
    /// @return coefficients r_0 .. r_{n-1}, each in [1, 2^128)
    function batchCoefficients(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) external view returns (uint256[] memory coefficients);
}
