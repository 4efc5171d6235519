// The embedded local chain: Hardhat 3's in-process EVM (EDR), with the generated verifier.
import hre from "hardhat";
import type { SolidityCalldata } from "../prover/prover.ts";

export interface LocalChain {
  ethers: any;
  verifier: any;
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
  const chainId = (await ethers.provider.getNetwork()).chainId as bigint;
  return { ethers, verifier, chainId, close: () => connection.close() };
}

export async function verifyOnChain(chain: LocalChain, cd: SolidityCalldata): Promise<{ valid: boolean; gas: bigint }> {
  const valid = (await chain.verifier.verifyProof(cd.a, cd.b, cd.c, cd.publicSignals)) as boolean;
  const gas = (await chain.verifier.verifyProof.estimateGas(cd.a, cd.b, cd.c, cd.publicSignals)) as bigint;
  return { valid, gas };
}
