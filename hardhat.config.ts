import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig } from "hardhat/config";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";

// No compiler download is possible here: use the solc-js build shipped in the `solc` package.
const require = createRequire(import.meta.url);
const solcDir = dirname(require.resolve("solc/package.json"));
const solcVersion: string = require("solc/package.json").version;

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: solcVersion,
    path: join(solcDir, "soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 } },
    // external library linked into RiskEpochRegistry (slowHash = Poseidon2)
    npmFilesToBuild: ["poseidon-solidity/PoseidonT3.sol"],
  },
  paths: {
    sources: "verifier-contracts",
    tests: { mocha: "test/contracts" },
    artifacts: "build/hardhat/artifacts",
    cache: "build/hardhat/cache",
  },
});
