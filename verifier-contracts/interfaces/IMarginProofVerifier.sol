// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Groth16Verifier} from "../generated/MarginVerifier.sol";

/// @title IMarginProofVerifier
/// @author zkmargin
/// @notice The margin circuit's verifier behind field checks and custom errors, for off-chain
/// style verification of a margin proof. Public signals: [commitment, paramsHash, level,
/// binding] (docs/SPEC.md §3).
interface IMarginProofVerifier {
    /// @notice A public signal is not below the BN254 scalar field modulus r.
    /// @param index position of the signal
    /// @param value the signal
    error PublicInputNotInField(uint256 index, uint256 value);
    /// @notice The proof does not verify for these public signals.
    error InvalidProof();

    /// @notice The generated snarkjs verifier of the margin circuit.
    /// @return the verifier
    function verifier() external view returns (Groth16Verifier);

    /// @notice Reverts unless the proof verifies for exactly these public signals.
    /// @param a proof element A (G1 point)
    /// @param b proof element B (G2 point)
    /// @param c proof element C (G1 point)
    /// @param publicSignals [commitment, paramsHash, level, binding], each < r
    function verify(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[4] calldata publicSignals
    ) external view;
}
