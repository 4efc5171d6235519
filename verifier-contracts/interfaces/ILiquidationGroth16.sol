// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILiquidationGroth16
/// @author zkmargin
/// @notice The generated snarkjs Groth16 verifier of the liquidation circuit
/// (verifier-contracts/generated/LiquidationVerifier.sol, untouched) as the clearinghouse calls it:
/// a proof that a committed portfolio is below maintenance at an epoch (docs/SPEC.md, "Liquidation
/// proof"). No proof exists for a portfolio that is healthy at maintenance.
interface ILiquidationGroth16 {
    /// @notice Checks a Groth16 proof of the liquidation circuit against its three public signals.
    /// @param a proof element A (G1 point)
    /// @param b proof element B (G2 point)
    /// @param c proof element C (G1 point)
    /// @param pub public signals [commitment, paramsHash, binding] (docs/SPEC.md)
    /// @return true iff the proof verifies; false for a wrong proof or a signal outside the field
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[3] calldata pub
    ) external view returns (bool);
}
