// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Groth16Verifier} from "./generated/MarginVerifier.sol";
import {FIELD_MODULUS} from "./generated/Constants.sol";
import {IMarginProofVerifier} from "./interfaces/IMarginProofVerifier.sol";

/// @title MarginProofVerifier
/// @author zkmargin
/// @notice The margin circuit's verifier behind a small interface. The generated snarkjs verifier
/// stays untouched; this wrapper rejects public inputs outside the BN254 scalar field explicitly
/// and turns a failed verification into a revert with a custom error.
/// Public signals: [commitment, paramsHash, level, binding] (docs/SPEC.md §3).
contract MarginProofVerifier is IMarginProofVerifier {
    /// @inheritdoc IMarginProofVerifier
    Groth16Verifier public immutable verifier;

    constructor(Groth16Verifier verifier_) {
        verifier = verifier_;
    }

    /// @inheritdoc IMarginProofVerifier
    function verify(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[4] calldata publicSignals
    ) external view {
        for (uint256 i = 0; i < publicSignals.length; ++i) {
            if (publicSignals[i] >= FIELD_MODULUS) revert PublicInputNotInField(i, publicSignals[i]);
        }
        if (!verifier.verifyProof(a, b, c, publicSignals)) revert InvalidProof();
    }
}
