// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @author zkmargin
/// @notice Collateral token for tests and the demo: an OpenZeppelin ERC-20 anyone can mint.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice Decimals of the token, set at construction.
    /// @return the decimals
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mints `amount` to `to`; anyone may call.
    /// @param to the recipient
    /// @param amount the amount
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
