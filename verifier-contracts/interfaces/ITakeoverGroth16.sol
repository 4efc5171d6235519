// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITakeoverGroth16
/// @author zkmargin
/// @notice The generated snarkjs Groth16 verifier of the takeover circuit
/// (verifier-contracts/generated/TakeoverVerifier.sol, untouched) as the clearinghouse calls it: a
/// proof that a frozen account's committed book moved into the backstop's at the epoch's mark,
/// with the loss, penalty, bad debt and residual it states (docs/SPEC.md, "Takeover").
interface ITakeoverGroth16 {
    /// @notice Checks a Groth16 proof of the takeover circuit against its eight public signals.
    /// @param a proof element A (G1 point)
    /// @param b proof element B (G2 point)
    /// @param c proof element C (G1 point)
    /// @param pub public signals [frozenCommitment, residualCommitment, backstopCommitment,
    /// backstopNewCommitment, paramsHash, context, flows, cover] (docs/SPEC.md)
    /// @return true iff the proof verifies; false for a wrong proof or a signal outside the field
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[8] calldata pub
    ) external view returns (bool);
}
