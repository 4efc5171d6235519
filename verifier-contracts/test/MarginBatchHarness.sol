// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarginBatchVerification} from "../libraries/MarginBatchVerification.sol";

// memory arguments on purpose: they exercise the entry point for arrays already in memory
// solhint-disable gas-calldata-parameters

/// @title MarginBatchHarness
/// @author zkmargin
/// @notice Test harness of MarginBatchVerification.verifyMemory: the memory entry point a contract
/// (MarginAccounts) calls with arrays it built itself.
contract MarginBatchHarness {
    /// @notice verifyMemory over the decoded arguments, and what it left behind.
    /// @param proofs n proofs, each [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]
    /// @param publicSignals n rows [commitment, paramsHash, level, binding]
    /// @return result verifyMemory's result
    /// @return untouched the arrays hash the same before and after
    /// @return released the free memory pointer is where it was before the call
    function verifyMemoryChecked(
        uint256[8][] memory proofs,
        uint256[4][] memory publicSignals
    ) external view returns (bool result, bool untouched, bool released) {
        bytes32 before = keccak256(abi.encode(proofs, publicSignals));
        uint256 fmp;
        uint256 fmpAfter;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            fmp := mload(0x40)
        }
        result = MarginBatchVerification.verifyMemory(proofs, publicSignals);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            fmpAfter := mload(0x40)
        }
        released = fmpAfter == fmp;
        untouched = keccak256(abi.encode(proofs, publicSignals)) == before;
    }
}
