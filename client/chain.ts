// The embedded local chain: Hardhat 3's in-process EVM (EDR), with the generated verifier, its
// wrapper and (on request) the risk epoch registry.
import hre from "hardhat";
import type { SolidityCalldata } from "../prover/prover.ts";
import type { Params } from "../prover/types.ts";
import { toField } from "../prover/field.ts";

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
  await hre.tasks.getTask("build").run({ quiet: true });
  const connection = await hre.network.connect();
  const { ethers } = connection as unknown as { ethers: any };
  const verifier = await ethers.deployContract("verifier-contracts/generated/MarginVerifier.sol:Groth16Verifier");
  await verifier.waitForDeployment();
  const wrapper = await ethers.deployContract("MarginProofVerifier", [await verifier.getAddress()]);
  await wrapper.waitForDeployment();
  const chainId = (await ethers.provider.getNetwork()).chainId as bigint;
  return { ethers, verifier, wrapper, chainId, close: () => connection.close() };
}

/**
 * Verify through the wrapper: valid iff it does not revert (public inputs >= r and failed
 * pairings revert with custom errors); gas is the wrapper call's estimate.
 */
export async function verifyOnChain(chain: LocalChain, cd: SolidityCalldata): Promise<{ valid: boolean; gas: bigint; error?: string }> {
  try {
    await chain.wrapper.verify(cd.a, cd.b, cd.c, cd.publicSignals);
  } catch (e) {
    const data = (e as { data?: string }).data;
    let error = (e as Error).message;
    try {
      error = chain.wrapper.interface.parseError(data)?.name ?? error;
    } catch {
      /* keep the message */
    }
    return { valid: false, gas: 0n, error };
  }
  const gas = (await chain.wrapper.verify.estimateGas(cd.a, cd.b, cd.c, cd.publicSignals)) as bigint;
  return { valid: true, gas };
}

/** Deploy the RiskEpochRegistry and its Poseidon hashers on a connected chain (client/deploy.ts). */
export async function deployRegistry(ethers: any, opts: { admin: string; publisher: string; maxAge: bigint }): Promise<any> {
  const { deployRegistryOnly } = await import("./deploy.ts");
  const [signer] = await ethers.getSigners();
  return ethers.getContractAt("RiskEpochRegistry", await deployRegistryOnly(signer, opts));
}

/** The RiskParams struct of a validated epoch (as ethers encodes it). */
export function riskParamsArg(p: Params) {
  return {
    maxLeverageBps: p.maxLeverageBps,
    markets: p.markets.map((m) => ({
      maintenanceRateBps: m.maintenanceRateBps,
      initialRateBps: m.initialRateBps,
      impactBps: m.impactBps,
      depth: m.depth,
      positionCap: m.positionCap,
    })),
    haircutBps: p.collateral.map((c) => c.haircutBps),
    shocks: p.scenarios,
  };
}

export const fundingArg = (p: Params) => p.markets.map((m) => m.fundingIndex);
export const pricesArgs = (p: Params) => [p.epochId, p.markets.map((m) => m.markPrice), p.collateral.map((c) => c.priceE18)] as const;

/** Post a whole validated epoch (risk, funding, prices); returns the on-chain paramsHash. */
export async function postEpoch(registry: any, p: Params): Promise<bigint> {
  await (await registry.postRisk(riskParamsArg(p))).wait();
  await (await registry.postFunding(fundingArg(p))).wait();
  await (await registry.postPrices(...pricesArgs(p))).wait();
  return toField(BigInt(await registry.paramsHashOf(p.epochId)));
}

export interface LocalProtocol {
  ethers: any;
  chainId: bigint;
  deployment: import("./deploy.ts").Deployment;
  accounts: any;
  registry: any;
  tokens: any[];
  /** the liquidation key pair (the holder is the insurance process; here: this process) */
  liquidation: import("../prover/transition.ts").LiquidationKeyPair;
  close: () => Promise<void>;
}

/**
 * An in-process chain with the whole protocol: verifiers, registry, four test tokens and the
 * MarginAccounts clearinghouse (deployed by the first account, which is also the publisher).
 */
export async function startLocalProtocol(opts: { maxAge?: bigint; bondWei?: bigint; gracePeriod?: bigint } = {}): Promise<LocalProtocol> {
  await hre.tasks.getTask("build").run({ quiet: true });
  const connection = await hre.network.connect();
  const { ethers } = connection as unknown as { ethers: any };
  const { deployAll } = await import("./deploy.ts");
  const { liquidationKeyPair } = await import("../prover/transition.ts");
  const [admin] = await ethers.getSigners();
  const liquidation = liquidationKeyPair();
  const deployment = await deployAll(admin, {
    maxAge: opts.maxAge ?? 3600n,
    accounts: { bondWei: opts.bondWei ?? 10n ** 16n, gracePeriod: opts.gracePeriod ?? 600n, liquidationKey: liquidation.publicKey },
  });
  const c = deployment.contracts;
  const accounts = await ethers.getContractAt("MarginAccounts", c.MarginAccounts);
  const registry = await ethers.getContractAt("RiskEpochRegistry", c.RiskEpochRegistry);
  const tokens = await Promise.all(deployment.accounts!.tokens.map((t: string) => ethers.getContractAt("TestToken", t)));
  const chainId = (await ethers.provider.getNetwork()).chainId as bigint;
  return { ethers, chainId, deployment, accounts, registry, tokens, liquidation, close: () => connection.close() };
}
