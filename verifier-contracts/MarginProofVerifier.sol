// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Groth16Verifier} from "./generated/MarginVerifier.sol";

/// The margin circuit's verifier behind a small interface. The generated snarkjs verifier stays
/// untouched; this wrapper rejects public inputs outside the BN254 scalar field explicitly and
/// turns a failed verification into a revert with a custom error.
/// Public signals: [commitment, paramsHash, level, binding] (docs/SPEC.md §3).
contract MarginProofVerifier {
    /// BN254 scalar field modulus r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    error PublicInputNotInField(uint256 index, uint256 value);
    error InvalidProof();

    Groth16Verifier public immutable verifier;

    constructor(Groth16Verifier verifier_) {
        verifier = verifier_;
    }

    /// Reverts unless the proof verifies for exactly these public signals.
    function verify(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[4] calldata publicSignals
    ) external view {
        for (uint256 i = 0; i < 4; i++) {
            if (publicSignals[i] >= R) revert PublicInputNotInField(i, publicSignals[i]);
        }
        if (!verifier.verifyProof(a, b, c, publicSignals)) revert InvalidProof();
    }
}
