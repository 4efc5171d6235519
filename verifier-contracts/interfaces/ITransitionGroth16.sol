// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITransitionGroth16
/// @author zkmargin
/// @notice The generated snarkjs Groth16 verifier of the Transition circuit
/// (verifier-contracts/generated/TransitionVerifier.sol, untouched) as the clearinghouse calls it.
interface ITransitionGroth16 {
    /// @notice Checks a Groth16 proof of the Transition circuit against its eight public signals.
    /// @param a proof element A (G1 point)
    /// @param b proof element B (G2 point)
    /// @param c proof element C (G1 point)
    /// @param pub public signals [oldCommitment, newCommitment, paramsHash, context, fill, keyHash,
    /// ephemeralKey, cipher] (docs/PROTOCOL.md)
    /// @return true iff the proof verifies; false for a wrong proof or a signal outside the field
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[8] calldata pub
    ) external view returns (bool);
}
