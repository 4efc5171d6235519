// The embedded local chain: Hardhat 3's in-process EVM (EDR), loaded through
// client/contracts.ts (the only place that imports Hardhat); the demo, the audit's on-chain
// checks and the tests start chains here.
import { DEFAULT_BOND_WEI, DEFAULT_GRACE_SECONDS, DEFAULT_TRADE_FEE, DEFAULT_MAX_AGE_SECONDS } from "../prover/constants.ts";
import type { LiquidationKeyPair } from "../prover/transition/encryption.ts";
import { deployProtocol, type Deployment } from "./chain.ts";
import { compileContracts, loadHardhat } from "./contracts.ts";

export interface LocalChain {
  ethers: any;
  /** the untouched snarkjs Groth16 verifier */
  verifier: any;
  /** MarginProofVerifier: field checks and custom-error reverts */
  wrapper: any;
  chainId: bigint;
  close: () => Promise<void>;
}

/** Compile the contracts (cached), start an in-process chain and deploy the margin verifier. */
export async function startLocalChain(): Promise<LocalChain> {
  await compileContracts();
  const connection = await (await loadHardhat()).network.connect();
  const { ethers } = connection as unknown as { ethers: any };
  const verifier = await ethers.deployContract("verifier-contracts/generated/MarginVerifier.sol:Groth16Verifier");
  await verifier.waitForDeployment();
  const wrapper = await ethers.deployContract("MarginProofVerifier", [await verifier.getAddress()]);
  await wrapper.waitForDeployment();
  const chainId = (await ethers.provider.getNetwork()).chainId as bigint;
  return { ethers, verifier, wrapper, chainId, close: () => connection.close() };
}

export interface LocalProtocol {
  ethers: any;
  chainId: bigint;
  deployment: Deployment;
  accounts: any;
  registry: any;
  tokens: any[];
  /** the liquidation key pair (the holder is the insurance process; here: this process) */
  liquidation: LiquidationKeyPair;
  close: () => Promise<void>;
}

/**
 * An in-process chain with the whole protocol: verifiers, registry, M test tokens and the
 * MarginAccounts clearinghouse (deployed by the first account, which is also the publisher).
 */
export async function startLocalProtocol(
  opts: {
    maxAge?: bigint;
    bondWei?: bigint;
    gracePeriod?: bigint;
    tradeFee?: bigint;
    inFlightWindow?: bigint;
    inFlightMoveBps?: bigint;
    /** the backstop account: an address or a signer index (default: the deployer, signer 0) */
    backstop?: string | number;
    liquidationPenaltyBps?: bigint;
  } = {},
): Promise<LocalProtocol> {
  await compileContracts();
  const connection = await (await loadHardhat()).network.connect();
  const { ethers } = connection as unknown as { ethers: any };
  const { liquidationKeyPair } = await import("../prover/transition/encryption.ts");
  const signers = await ethers.getSigners();
  const [admin] = signers;
  const liquidation = liquidationKeyPair();
  const deployment = await deployProtocol(admin, {
    maxAge: opts.maxAge ?? DEFAULT_MAX_AGE_SECONDS,
    accounts: {
      bondWei: opts.bondWei ?? DEFAULT_BOND_WEI,
      gracePeriod: opts.gracePeriod ?? DEFAULT_GRACE_SECONDS,
      liquidationKey: liquidation.publicKey,
      tradeFee: opts.tradeFee ?? DEFAULT_TRADE_FEE,
      inFlightWindow: opts.inFlightWindow,
      inFlightMoveBps: opts.inFlightMoveBps,
      backstop: typeof opts.backstop === "number" ? await signers[opts.backstop].getAddress() : opts.backstop,
      liquidationPenaltyBps: opts.liquidationPenaltyBps,
    },
  });
  const c = deployment.contracts;
  const accounts = await ethers.getContractAt("MarginAccounts", c.MarginAccounts);
  const registry = await ethers.getContractAt("RiskEpochRegistry", c.RiskEpochRegistry);
  const tokens = await Promise.all(deployment.accounts!.tokens.map((t: string) => ethers.getContractAt("TestToken", t)));
  const chainId = (await ethers.provider.getNetwork()).chainId as bigint;
  return { ethers, chainId, deployment, accounts, registry, tokens, liquidation, close: () => connection.close() };
}
