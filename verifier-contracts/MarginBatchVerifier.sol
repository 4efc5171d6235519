// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarginBatchVerifier} from "./interfaces/IMarginBatchVerifier.sol";
import {MarginBatchVerification} from "./libraries/MarginBatchVerification.sol";

/// @title MarginBatchVerifier
/// @author zkmargin
/// @notice Batched verification of margin proofs (Groth16 over BN254) under the margin circuit's
/// verification key, for attestations submitted together after a margin call. One random
/// linear combination of the n pairing equations: n + 3 pairings instead of 4n.
/// Stateless and permissionless; the key is compiled in (generated/MarginBatchKey.sol).
/// @dev A thin external face of the library MarginBatchVerification, which contracts holding the
/// batch in memory can call directly (verifyMemory) instead of calling this contract.
contract MarginBatchVerifier is IMarginBatchVerifier {
    /// @inheritdoc IMarginBatchVerifier
    function verifyBatch(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) external view returns (bool) {
        return MarginBatchVerification.verifyCalldata(proofs, publicSignals);
    }

    /// @inheritdoc IMarginBatchVerifier
    function batchCoefficients(
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) external view returns (uint256[] memory coefficients) {
        return MarginBatchVerification.coefficientsCalldata(proofs, publicSignals);
    }
}
