// Compiled contract artifacts (ABI, bytecode, library links) by contract name. Read from the
// Hardhat build in a checkout (compiled on demand), or from dist/contracts/ in an installed
// package (written by `npm pack`). Nothing here imports Hardhat unless it must compile.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Contract, Interface, type ContractRunner } from "ethers";
import { PACKAGE_ROOT } from "../prover/artifacts.ts";

export interface ContractArtifact {
  abi: unknown[];
  bytecode: string;
  linkReferences: Record<string, Record<string, Array<{ start: number; length: number }>>>;
}

/** Where each deployable contract's artifact lives inside the Hardhat build. */
const BUILD_PATHS: Record<string, string> = {
  Groth16Verifier: "verifier-contracts/generated/MarginVerifier.sol/Groth16Verifier.json",
  TransitionVerifier: "verifier-contracts/generated/TransitionVerifier.sol/Groth16Verifier.json",
  LiquidationVerifier: "verifier-contracts/generated/LiquidationVerifier.sol/Groth16Verifier.json",
  TakeoverVerifier: "verifier-contracts/generated/TakeoverVerifier.sol/Groth16Verifier.json",
  MarginBatchVerifier: "verifier-contracts/MarginBatchVerifier.sol/MarginBatchVerifier.json",
  MarginProofVerifier: "verifier-contracts/MarginProofVerifier.sol/MarginProofVerifier.json",
  RiskEpochRegistry: "verifier-contracts/RiskEpochRegistry.sol/RiskEpochRegistry.json",
  MarginAccounts: "verifier-contracts/MarginAccounts.sol/MarginAccounts.json",
  TestToken: "verifier-contracts/test/TestToken.sol/TestToken.json",
  PoseidonT3: "poseidon-solidity/PoseidonT3.sol/PoseidonT3.json",
};

/** Every contract the project deploys, including the Poseidon hashers and their data parts. */
export const DEPLOYABLE = [
  ...Object.keys(BUILD_PATHS),
  "PoseidonT6Opt",
  "PoseidonT6OptData0",
  "PoseidonT6OptData1",
  "PoseidonWideT9",
  "PoseidonWideT9Data0",
  "PoseidonWideT9Data1",
  "PoseidonWideT12",
  "PoseidonWideT12Data0",
  "PoseidonWideT12Data1",
  "PoseidonWideT12Data2",
  "PoseidonWideT17",
  "PoseidonWideT17Data0",
  "PoseidonWideT17Data1",
  "PoseidonWideT17Data2",
  "PoseidonWideT17Data3",
  "PoseidonWideT17Data4",
] as const;

export function buildPath(name: string): string {
  return (
    BUILD_PATHS[name] ??
    (name.startsWith("PoseidonT6Opt")
      ? `verifier-contracts/generated/PoseidonT6Opt.sol/${name}.json`
      : `verifier-contracts/generated/PoseidonWide.sol/${name}.json`)
  );
}

const BUILD_DIR = join(PACKAGE_ROOT, "build", "hardhat", "artifacts");
const PACKED_DIR = join(PACKAGE_ROOT, "dist", "contracts");
/** written after every build: sources newer than this need a build */
const STAMP = join(PACKAGE_ROOT, "build", "hardhat", "zkmargin-built");
const cache = new Map<string, ContractArtifact>();
let compiled = false;

/**
 * Hardhat's runtime environment for the package's own config, whatever the working directory
 * (Hardhat reads the config of the folder it is imported from: import it from the package root,
 * then return to the caller's folder so relative paths keep their meaning).
 */
export async function loadHardhat(): Promise<typeof import("hardhat").default> {
  const cwd = process.cwd();
  try {
    process.chdir(PACKAGE_ROOT);
    return (await import("hardhat")).default;
  } catch (e) {
    throw new Error(`Hardhat is not available here (${(e as Error).message.split("\n")[0]}); it comes with a development checkout`);
  } finally {
    process.chdir(cwd);
  }
}

/** Compile the contracts with Hardhat (a checkout only; cached by Hardhat between runs). */
export async function compileContracts(): Promise<void> {
  if (compiled) return;
  const hre = await loadHardhat();
  await hre.tasks.getTask("build").run({ quiet: true });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`); // the build is current as of now
  compiled = true;
}

let newest: number | undefined;
/** The latest modification time of the contract sources (.sol) below `dir`. */
function newestSource(dir: string): number {
  if (newest !== undefined) return newest;
  const walk = (d: string): number =>
    Math.max(
      0,
      ...readdirSync(d, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".sol") ? statSync(join(d, e.name)).mtimeMs : 0,
      ),
    );
  newest = walk(dir);
  return newest;
}

/** The artifact of a deployable contract. */
export async function contractArtifact(name: string): Promise<ContractArtifact> {
  const hit = cache.get(name);
  if (hit) return hit;
  const packed = join(PACKED_DIR, `${name}.json`);
  const source = join(PACKAGE_ROOT, "verifier-contracts");
  let file: string;
  if (existsSync(packed) && !existsSync(join(PACKAGE_ROOT, "hardhat.config.ts"))) file = packed;
  else {
    // in a checkout, build first when a source is newer than the build (never serve a stale one)
    file = join(BUILD_DIR, buildPath(name));
    if (existsSync(source) && (!existsSync(file) || !existsSync(STAMP) || newestSource(source) > statSync(STAMP).mtimeMs))
      await compileContracts();
    if (!existsSync(file) && existsSync(packed)) file = packed;
  }
  const a = JSON.parse(readFileSync(file, "utf8")) as ContractArtifact;
  const artifact = { abi: a.abi, bytecode: a.bytecode, linkReferences: a.linkReferences ?? {} };
  cache.set(name, artifact);
  return artifact;
}

export async function contractInterface(name: string): Promise<Interface> {
  return new Interface((await contractArtifact(name)).abi as never);
}

/** A deployed contract by name with its ABI. */
export async function contractAt(name: string, address: string, runner: ContractRunner): Promise<Contract> {
  return new Contract(address, (await contractArtifact(name)).abi as never, runner);
}

/** Replace library placeholders in creation bytecode with deployed addresses. */
export function linkBytecode(a: ContractArtifact, libraries: Record<string, string>): string {
  let code = a.bytecode.slice(2);
  for (const refs of Object.values(a.linkReferences)) {
    for (const [lib, places] of Object.entries(refs)) {
      const address = libraries[lib];
      if (!address) throw new Error(`library ${lib} is not deployed`);
      for (const { start, length } of places) {
        code =
          code.slice(0, start * 2) +
          address
            .slice(2)
            .toLowerCase()
            .padStart(length * 2, "0") +
          code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

/** The interfaces of every contract the project deploys (their custom errors, OpenZeppelin's and the ERC-20 ones). */
export async function projectInterfaces(): Promise<Interface[]> {
  return Promise.all(["MarginAccounts", "RiskEpochRegistry", "MarginProofVerifier", "TestToken"].map(contractInterface));
}
