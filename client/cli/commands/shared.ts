// What several commands need: provers, a signer on a node, a deployment file.
import type { JsonRpcProvider, Signer } from "ethers";
import type { MarginProver } from "../../../prover/prover.ts";
import type { TransitionProver } from "../../../prover/transition/index.ts";
import type { LiquidationProver } from "../../../prover/liquidation.ts";
import { DEFAULT_RPC } from "../../../prover/constants.ts";
import { ValidationError } from "../../../prover/validate.ts";
import { CliError, EXIT, readJsonFile, str, type Values } from "../io.ts";

export async function loadMarginProver(): Promise<MarginProver> {
  const { MarginProver } = await import("../../../prover/prover.ts");
  try {
    return await MarginProver.load();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup'`);
  }
}

export async function loadLiquidationProver(): Promise<LiquidationProver> {
  const { LiquidationProver } = await import("../../../prover/liquidation.ts");
  try {
    return await LiquidationProver.load();
  } catch (e) {
    throw new CliError(
      EXIT.INTERNAL,
      `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup -- --circuit liquidation'`,
    );
  }
}

/** The takeover prover (artifacts/takeover), or exit 3 naming the missing artifacts. */
export async function loadTakeoverProver(): Promise<import("../../../prover/takeover.ts").TakeoverProver> {
  const { TakeoverProver } = await import("../../../prover/takeover.ts");
  try {
    return await TakeoverProver.load();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup -- --circuit takeover'`);
  }
}

export async function loadTransitionProver(): Promise<TransitionProver> {
  const { TransitionProver } = await import("../../../prover/transition/prover.ts");
  try {
    return await TransitionProver.load();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup'`);
  }
}

/** A signer on the node at `rpc`; exit 3 with one line when the node cannot be reached. */
export async function chainSigner(rpc: string, index = 0): Promise<{ signer: Signer; provider: JsonRpcProvider }> {
  if (!/^https?:\/\/[^\s]+$/.test(rpc)) throw new ValidationError("--rpc", "must be an http(s) URL");
  const { signerFor } = await import("../../chain.ts");
  try {
    return await signerFor(rpc, index);
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot reach the node at ${rpc} (${(e as Error).message.split("\n")[0]})`);
  }
}

export interface DeploymentFile {
  rpc?: string;
  contracts?: Record<string, string>;
}

export function deploymentFile(path: string): DeploymentFile {
  const d = readJsonFile(path, "--deployment");
  if (d === null || typeof d !== "object" || Array.isArray(d))
    throw new ValidationError("--deployment", "must be a JSON object (zkmargin deploy --out)");
  return d as DeploymentFile;
}

/** The address of a deployed contract, named in the message when the deployment lacks it. */
export function deployedAddress(d: DeploymentFile, name: string, hint = ""): string {
  const a = d.contracts?.[name];
  if (typeof a !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(a))
    throw new ValidationError("--deployment", `contracts.${name} must be an address${hint}`);
  return a;
}

/** --deployment, defaulting to ZKMARGIN_DEPLOYMENT */
export const DEPLOYMENT_OPTION = {
  deployment: { type: "string", value: "D", help: "the deployment file (zkmargin deploy)", env: "ZKMARGIN_DEPLOYMENT" },
} as const;

/** --rpc, defaulting to ZKMARGIN_RPC, else the deployment's */
export const RPC_OPTION = {
  rpc: {
    type: "string",
    value: "URL",
    help: `JSON-RPC endpoint (default: the deployment's, else ${DEFAULT_RPC})`,
    env: "ZKMARGIN_RPC",
  },
} as const;

/** The node to talk to: --rpc (or ZKMARGIN_RPC), else the deployment file's, else a local node. */
export function rpcOf(values: Values, deployment?: DeploymentFile): string {
  return str(values, "rpc") ?? deployment?.rpc ?? DEFAULT_RPC;
}
