// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMarginGroth16
/// @author zkmargin
/// @notice The generated snarkjs Groth16 verifier of the margin circuit
/// (verifier-contracts/generated/MarginVerifier.sol, untouched) as the clearinghouse and the
/// MarginProofVerifier wrapper call it.
interface IMarginGroth16 {
    /// @notice Checks a Groth16 proof of the margin circuit against its four public signals.
    /// @param a proof element A (G1 point)
    /// @param b proof element B (G2 point)
    /// @param c proof element C (G1 point)
    /// @param pub public signals [commitment, paramsHash, level, binding] (docs/SPEC.md §3)
    /// @return true iff the proof verifies; false for a wrong proof or a signal outside the field
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[4] calldata pub
    ) external view returns (bool);
}
