// Deploy the zkmargin contracts and post epochs over JSON-RPC (ethers v6), for `zkmargin deploy`
// and `zkmargin epoch post`. Bytecode comes from the Hardhat build (compiled on demand).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import { Contract, ContractFactory, FetchRequest, JsonRpcProvider, Network, Wallet, type Signer } from "ethers";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { paramsHash } from "../prover/encoding.ts";
import { ValidationError } from "../prover/validate.ts";
import { checkLiquidationKey } from "../prover/transition.ts";
import type { Params } from "../prover/types.ts";
import { fundingArg, pricesArgs, riskParamsArg } from "./chain.ts";

export const DEFAULT_RPC = "http://127.0.0.1:8545";

interface Artifact {
  abi: unknown[];
  bytecode: string;
  linkReferences: Record<string, Record<string, Array<{ start: number; length: number }>>>;
}

const ARTIFACT_PATHS: Record<string, string> = {
  Groth16Verifier: "verifier-contracts/generated/MarginVerifier.sol/Groth16Verifier.json",
  MarginProofVerifier: "verifier-contracts/MarginProofVerifier.sol/MarginProofVerifier.json",
  RiskEpochRegistry: "verifier-contracts/RiskEpochRegistry.sol/RiskEpochRegistry.json",
  PoseidonT3: "poseidon-solidity/PoseidonT3.sol/PoseidonT3.json",
  TransitionVerifier: "verifier-contracts/generated/TransitionVerifier.sol/Groth16Verifier.json",
  MarginAccounts: "verifier-contracts/MarginAccounts.sol/MarginAccounts.json",
  TestToken: "verifier-contracts/test/TestToken.sol/TestToken.json",
};
const artifactPath = (name: string) =>
  ARTIFACT_PATHS[name] ??
  (name.startsWith("PoseidonT6Opt")
    ? `verifier-contracts/generated/PoseidonT6Opt.sol/${name}.json`
    : `verifier-contracts/generated/PoseidonWide.sol/${name}.json`);

let built = false;
async function artifact(name: string): Promise<Artifact> {
  if (!built) {
    await hre.tasks.getTask("build").run({ quiet: true });
    built = true;
  }
  return JSON.parse(readFileSync(join(REPO_ROOT, "build", "hardhat", "artifacts", artifactPath(name)), "utf8")) as Artifact;
}

/** Replace library placeholders in creation bytecode with deployed addresses. */
function link(a: Artifact, libraries: Record<string, string>): string {
  let code = a.bytecode.slice(2);
  for (const refs of Object.values(a.linkReferences)) {
    for (const [lib, places] of Object.entries(refs)) {
      const address = libraries[lib];
      if (!address) throw new Error(`library ${lib} is not deployed`);
      for (const { start, length } of places) {
        code = code.slice(0, start * 2) + address.slice(2).toLowerCase().padStart(length * 2, "0") + code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

/** A signer on the node at `rpc`: ZKMARGIN_PRIVATE_KEY if set, else the node's account `index`. */
export async function signerFor(rpc: string, index = 0): Promise<{ signer: Signer; provider: JsonRpcProvider }> {
  // ask the chain id once with a plain request, so an unreachable node fails fast (no retry loop)
  const probe = new FetchRequest(rpc);
  probe.body = { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] };
  probe.timeout = 5000;
  const reply = await probe.send();
  reply.assertOk();
  const chainId = BigInt(reply.bodyJson.result);
  const provider = new JsonRpcProvider(rpc, Network.from(chainId), { staticNetwork: true, pollingInterval: 50 });
  try {
    const key = process.env.ZKMARGIN_PRIVATE_KEY;
    const signer = key ? new Wallet(key, provider) : await provider.getSigner(index);
    return { signer, provider };
  } catch (e) {
    provider.destroy();
    throw e;
  }
}

export interface Deployment {
  schema: "zkmargin/deployment/v1";
  chainId: string;
  admin: string;
  publisher: string;
  maxAge: string;
  contracts: Record<string, string>;
  gas: Record<string, string>;
  /** present when the MarginAccounts clearinghouse was deployed */
  accounts?: { tokens: string[]; bondWei: string; gracePeriod: string; liquidationKey: [string, string] };
}

export interface AccountsOptions {
  /** ERC-20 addresses of the M collateral assets; test tokens are deployed when omitted */
  tokens?: string[];
  bondWei: bigint;
  gracePeriod: bigint;
  /** Baby Jubjub public key of the liquidation key holder */
  liquidationKey: [bigint, bigint];
}

type Deployer = (name: string, args?: unknown[], libraries?: Record<string, string>) => Promise<string>;

function deployer(signer: Signer, contracts: Record<string, string>, gas: Record<string, string>, log: (s: string) => void): Deployer {
  return async (name, args = [], libraries = {}) => {
    const a = await artifact(name);
    const factory = new ContractFactory(a.abi as never, link(a, libraries), signer);
    const c = await factory.deploy(...args);
    const receipt = await c.deploymentTransaction()!.wait();
    const address = await c.getAddress();
    contracts[name] = address;
    gas[name] = String(receipt?.gasUsed ?? 0n);
    log(`deployed ${name} at ${address}`);
    return address;
  };
}

/** The Poseidon hashers (with their pinned data parts), PoseidonT3 and the RiskEpochRegistry. */
async function deployRegistryWith(deploy: Deployer, admin: string, publisher: string, maxAge: bigint): Promise<string> {
  const parts = async (name: string, n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await deploy(`${name}Data${i}`));
    return out;
  };
  const p5 = await deploy("PoseidonT6Opt", await parts("PoseidonT6Opt", 2));
  const p8 = await deploy("PoseidonWideT9", await parts("PoseidonWideT9", 2));
  const p11 = await deploy("PoseidonWideT12", await parts("PoseidonWideT12", 3));
  const p16 = await deploy("PoseidonWideT17", await parts("PoseidonWideT17", 5));
  const t3 = await deploy("PoseidonT3");
  return deploy("RiskEpochRegistry", [admin, publisher, maxAge, p5, p8, p11, p16], { PoseidonT3: t3 });
}

/** Deploy the RiskEpochRegistry and its hashers; returns the registry's address. */
export async function deployRegistryOnly(signer: Signer, opts: { admin: string; publisher: string; maxAge: bigint }): Promise<string> {
  return deployRegistryWith(deployer(signer, {}, {}, () => {}), opts.admin, opts.publisher, opts.maxAge);
}

export const TEST_TOKENS = [
  ["zkmargin test USD", "zUSD", 6],
  ["zkmargin test ETH", "zETH", 18],
  ["zkmargin test BTC", "zBTC", 8],
  ["zkmargin test SOL", "zSOL", 9],
] as const;

export async function deployAll(
  signer: Signer,
  opts: { publisher?: string; maxAge: bigint; accounts?: AccountsOptions; log?: (s: string) => void },
): Promise<Deployment> {
  const contracts: Record<string, string> = {};
  const gas: Record<string, string> = {};
  const deploy = deployer(signer, contracts, gas, opts.log ?? (() => {}));
  const verifier = await deploy("Groth16Verifier");
  await deploy("MarginProofVerifier", [verifier]);
  const admin = await signer.getAddress();
  const publisher = opts.publisher ?? admin;
  const registry = await deployRegistryWith(deploy, admin, publisher, opts.maxAge);
  const chainId = (await signer.provider!.getNetwork()).chainId;
  const out: Deployment = { schema: "zkmargin/deployment/v1", chainId: String(chainId), admin, publisher, maxAge: String(opts.maxAge), contracts, gas };
  if (opts.accounts) {
    const a = opts.accounts;
    checkLiquidationKey(a.liquidationKey); // on the curve, x != 0, prime-order subgroup
    const tokens: string[] = [];
    if (a.tokens) tokens.push(...a.tokens);
    else for (const [name, symbol, decimals] of TEST_TOKENS) tokens.push(await deploy("TestToken", [name, symbol, decimals]).then((x) => ((contracts[`TestToken${symbol}`] = x), x)));
    delete contracts.TestToken;
    const transition = await deploy("TransitionVerifier");
    await deploy("MarginAccounts", [registry, verifier, transition, tokens, a.bondWei, a.gracePeriod, a.liquidationKey], { PoseidonT3: contracts.PoseidonT3 });
    out.accounts = { tokens, bondWei: String(a.bondWei), gracePeriod: String(a.gracePeriod), liquidationKey: [String(a.liquidationKey[0]), String(a.liquidationKey[1])] };
  }
  return out;
}

/** A deployed contract by name with the Hardhat build's ABI. */
export async function contractAt(name: string, address: string, runner: Signer | JsonRpcProvider): Promise<Contract> {
  return new Contract(address, (await artifact(name)).abi as never, runner);
}

const FIELD_PATHS = ["maxLeverageBps", "maintenanceRateBps", "initialRateBps", "impactBps", "depth", "positionCap", "haircutBps", "shock", "fundingIndex", "epochId", "priceE18"];

/** Map a registry revert to the params.json field it is about, e.g. markets[2].depth. */
export function revertField(name: string, args: readonly unknown[]): string {
  if (name === "EpochNotIncreasing") return "epochId";
  if (name !== "InvalidParameter") return name;
  const field = FIELD_PATHS[Number(args[0])];
  const index = Number(args[1]);
  if (field === "maxLeverageBps" || field === "epochId") return field;
  if (field === "haircutBps") return `collateral[${index}].haircutBps`;
  if (field === "priceE18") return `collateral[${index}].priceE18`;
  if (field === "shock") return `scenarios[${Math.floor(index / 8)}][${index % 8}]`;
  return `markets[${index}].${field}`;
}

export interface EpochPostResult {
  epochId: string;
  paramsHash: string;
  steps: Array<{ step: string; tx: string; gasUsed: string }>;
}

export async function postEpochOver(signer: Signer, registryAddress: string, p: Params, pricesOnly: boolean): Promise<EpochPostResult> {
  const a = await artifact("RiskEpochRegistry");
  const { Contract } = await import("ethers");
  const registry = new Contract(registryAddress, a.abi as never, signer);
  const steps: EpochPostResult["steps"] = [];
  const send = async (step: string, f: () => Promise<any>) => {
    const tx = await f();
    const r = await tx.wait();
    steps.push({ step, tx: tx.hash as string, gasUsed: String(r.gasUsed) });
  };
  if (!pricesOnly) {
    await send("risk", () => registry.postRisk(riskParamsArg(p)));
    await send("funding", () => registry.postFunding(fundingArg(p)));
  }
  await send("prices", () => registry.postPrices(...pricesArgs(p)));
  const onChain = BigInt(await registry.paramsHashOf(p.epochId));
  const local = paramsHash(p);
  if (onChain !== local) throw new Error(`on-chain paramsHash ${onChain} differs from the local ${local}`);
  return { epochId: String(p.epochId), paramsHash: String(onChain), steps };
}

export async function registryInterface() {
  const { Interface } = await import("ethers");
  return new Interface((await artifact("RiskEpochRegistry")).abi as never);
}

/**
 * Verify a proof on-chain: the deployed MarginProofVerifier must accept it and its paramsHash
 * must be the registry's fresh paramsHash of `epochId` (eth_call only; nothing is sent).
 */
export async function onChainVerify(
  provider: JsonRpcProvider,
  contracts: Record<string, string>,
  proof: { proof: unknown; publicSignals: string[] },
  epochId: bigint,
): Promise<{ valid: boolean; reason?: string; epochId: string; paramsHash: string }> {
  const { Contract } = await import("ethers");
  const { solidityCalldata } = await import("../prover/prover.ts");
  const wrapperAt = contracts.MarginProofVerifier;
  const registryAt = contracts.RiskEpochRegistry;
  const base = { epochId: String(epochId), paramsHash: proof.publicSignals[1] };
  if (!wrapperAt || !registryAt) throw new ValidationError("--deployment", "needs contracts.MarginProofVerifier and contracts.RiskEpochRegistry");
  const registry = new Contract(registryAt, (await artifact("RiskEpochRegistry")).abi as never, provider);
  const wrapper = new Contract(wrapperAt, (await artifact("MarginProofVerifier")).abi as never, provider);
  const decode = (c: any, e: unknown) => {
    const data = (e as { data?: string }).data;
    try {
      const p = c.interface.parseError(data);
      return p ? `${p.name}(${p.args.join(", ")})` : (e as Error).message;
    } catch {
      return (e as Error).message;
    }
  };
  let fresh: bigint;
  try {
    fresh = BigInt(await registry.freshParamsHash(epochId));
  } catch (e) {
    return { valid: false, reason: `epoch ${epochId}: ${decode(registry, e)}`, ...base };
  }
  if (String(fresh) !== proof.publicSignals[1]) return { valid: false, reason: `the proof's paramsHash is not epoch ${epochId}'s`, ...base };
  const cd = await solidityCalldata(proof as never);
  try {
    await wrapper.verify(cd.a, cd.b, cd.c, cd.publicSignals);
  } catch (e) {
    return { valid: false, reason: decode(wrapper, e), ...base };
  }
  return { valid: true, ...base };
}
