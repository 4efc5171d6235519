// The zkmargin contracts over JSON-RPC (ethers v6): a signer on a node, deployment, posting risk
// epochs and verifying margin proofs on-chain. Used by the CLI, the demo and the tests; the
// embedded chain (Hardhat's in-process EVM) is client/local.ts. One name per concept:
//   signerFor          a signer on the node at an RPC URL
//   deployProtocol     verifiers, wrapper, Poseidon hashers, registry (and the clearinghouse)
//   deployRegistry     the registry and its hashers alone
//   postEpoch          risk, funding and prices of a validated epoch (or prices alone); risk
//                      parameters that differ from the registry's are queued behind its timelock
//   holdPrices         hold an epoch's prices beyond the per-post bounds (the circuit breaker)
//   verifyOnChain      a proof through the deployed MarginProofVerifier wrapper
//   verifyForEpoch     verifyOnChain, and the proof's paramsHash is the registry's fresh one
import {
  ContractFactory,
  FetchRequest,
  JsonRpcProvider,
  Network,
  TypedDataEncoder,
  verifyTypedData,
  Wallet,
  type Contract,
  type Signer,
} from "ethers";
import {
  DEFAULT_BOND_WEI,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_LIQUIDATION_PENALTY_BPS,
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_RPC,
  N_MARKETS,
} from "../prover/constants.ts";
import { ASSETS } from "../prover/markets.ts";
import { paramsHash, riskHash } from "../prover/encoding.ts";
import { toField } from "../prover/field.ts";
import type { SolidityCalldata } from "../prover/prover.ts";
import type { Params } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { checkLiquidationKey } from "../prover/transition/encryption.ts";
import { contractArtifact, contractAt, linkBytecode } from "./contracts.ts";
import {
  DEFAULT_BREAKER_DELAY_SECONDS,
  DEFAULT_IN_FLIGHT_MOVE_BPS,
  DEFAULT_IN_FLIGHT_SECONDS,
  DEFAULT_MOVE_BPS,
  DEFAULT_TIMELOCK_SECONDS,
} from "./oracle-defaults.ts";
import { decodeRevert, revertMessage } from "./revert.ts";

export { DEFAULT_BOND_WEI, DEFAULT_GRACE_SECONDS, DEFAULT_MAX_AGE_SECONDS, DEFAULT_RPC };

/**
 * The registry's guard rails (IRiskEpochRegistry.OracleConfig, docs/PROTOCOL.md "Oracle and risk
 * parameters"): the largest move per price post of each market's markPrice and each collateral's
 * priceE18 (bps of the previous epoch's; asset 0 is at par and unchecked), the seconds prices beyond
 * them must be held, and the timelock of risk parameters and of config changes.
 */
export interface OracleConfig {
  markMoveBps: bigint[];
  priceMoveBps: bigint[];
  breakerDelay: bigint;
  timelock: bigint;
  /** k: with k > 0 prices come only as reports signed by k oracles (postSignedPrices); 0: one publisher */
  quorum: bigint;
  /** with at least this many reports a move beyond the bounds needs no hold (0: never) */
  breakerQuorum: bigint;
}

export { DEFAULT_BREAKER_DELAY_SECONDS, DEFAULT_MOVE_BPS, DEFAULT_TIMELOCK_SECONDS };

/** An OracleConfig with the defaults, any field overridden (moveBps sets every market and asset). */
export function oracleConfig(
  o: { moveBps?: bigint; breakerDelay?: bigint; timelock?: bigint; quorum?: bigint; breakerQuorum?: bigint } = {},
): OracleConfig {
  const bps = o.moveBps ?? DEFAULT_MOVE_BPS;
  return {
    markMoveBps: Array(N_MARKETS).fill(bps),
    priceMoveBps: ASSETS.map((_, j) => (j === 0 ? 0n : bps)),
    breakerDelay: o.breakerDelay ?? DEFAULT_BREAKER_DELAY_SECONDS,
    timelock: o.timelock ?? DEFAULT_TIMELOCK_SECONDS,
    quorum: o.quorum ?? 0n,
    breakerQuorum: o.breakerQuorum ?? 0n,
  };
}

const configJson = (c: OracleConfig) => ({
  markMoveBps: c.markMoveBps.map(String),
  priceMoveBps: c.priceMoveBps.map(String),
  breakerDelay: String(c.breakerDelay),
  timelock: String(c.timelock),
  quorum: String(c.quorum),
  breakerQuorum: String(c.breakerQuorum),
});

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

// ------------------------------------------------------------------------------- deployment

export interface Deployment {
  schema: "zkmargin/deployment/v1";
  chainId: string;
  admin: string;
  publisher: string;
  maxAge: string;
  /** the registry's OracleConfig at deployment */
  oracle?: ReturnType<typeof configJson>;
  contracts: Record<string, string>;
  gas: Record<string, string>;
  /** present when the MarginAccounts clearinghouse was deployed */
  accounts?: {
    tokens: string[];
    bondWei: string;
    gracePeriod: string;
    tradeFee?: string;
    inFlightWindow?: string;
    inFlightMoveBps?: string;
    backstop?: string;
    liquidationPenaltyBps?: string;
    liquidationKey: [string, string];
  };
}

export interface AccountsOptions {
  /** ERC-20 addresses of the M collateral assets; test tokens are deployed when omitted */
  tokens?: string[];
  bondWei: bigint;
  gracePeriod: bigint;
  /** Baby Jubjub public key of the liquidation key holder */
  liquidationKey: [bigint, bigint];
  /** the flat fee per trade leg (quote units), paid into the insurance fund */
  tradeFee: bigint;
  /** seconds an in-flight transition survives the next post (default DEFAULT_IN_FLIGHT_SECONDS; 0: off) */
  inFlightWindow?: bigint;
  /** the largest move (bps) of that post (default DEFAULT_IN_FLIGHT_MOVE_BPS) */
  inFlightMoveBps?: bigint;
  /** the account that takes frozen books over (default: the deployer) */
  backstop?: string;
  /** the takeover penalty, bps of the book's gross notional (default DEFAULT_LIQUIDATION_PENALTY_BPS) */
  liquidationPenaltyBps?: bigint;
}

/** The test tokens deployed for the M collateral assets when none are given: name, symbol, decimals. */
export const TEST_TOKENS = ASSETS.map((a) => [a.token.name, a.token.symbol, a.decimals] as const);

type Deploy = (name: string, args?: unknown[], libraries?: Record<string, string>) => Promise<string>;

function deployer(signer: Signer, contracts: Record<string, string>, gas: Record<string, string>, log: (s: string) => void): Deploy {
  return async (name, args = [], libraries = {}) => {
    const a = await contractArtifact(name);
    const factory = new ContractFactory(a.abi as never, linkBytecode(a, libraries), signer);
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
async function deployRegistryWith(deploy: Deploy, admin: string, publisher: string, maxAge: bigint, config: OracleConfig): Promise<string> {
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
  return deploy("RiskEpochRegistry", [admin, publisher, maxAge, config, p5, p8, p11, p16], { PoseidonT3: t3 });
}

/** Deploy the RiskEpochRegistry and its hashers alone; returns the registry's address. */
export async function deployRegistry(
  signer: Signer,
  opts: { admin: string; publisher: string; maxAge: bigint; oracle?: OracleConfig },
): Promise<string> {
  return deployRegistryWith(
    deployer(signer, {}, {}, () => {}),
    opts.admin,
    opts.publisher,
    opts.maxAge,
    opts.oracle ?? oracleConfig(),
  );
}

/** Deploy the whole protocol: verifiers, wrapper, registry and (with `accounts`) the clearinghouse. */
export async function deployProtocol(
  signer: Signer,
  opts: { publisher?: string; maxAge: bigint; oracle?: OracleConfig; accounts?: AccountsOptions; log?: (s: string) => void },
): Promise<Deployment> {
  const contracts: Record<string, string> = {};
  const gas: Record<string, string> = {};
  const deploy = deployer(signer, contracts, gas, opts.log ?? (() => {}));
  const verifier = await deploy("Groth16Verifier");
  await deploy("MarginProofVerifier", [verifier]);
  const admin = await signer.getAddress();
  const publisher = opts.publisher ?? admin;
  const oracle = opts.oracle ?? oracleConfig();
  const registry = await deployRegistryWith(deploy, admin, publisher, opts.maxAge, oracle);
  const chainId = (await signer.provider!.getNetwork()).chainId;
  const out: Deployment = {
    schema: "zkmargin/deployment/v1",
    chainId: String(chainId),
    admin,
    publisher,
    maxAge: String(opts.maxAge),
    oracle: configJson(oracle),
    contracts,
    gas,
  };
  if (opts.accounts) {
    const a = opts.accounts;
    checkLiquidationKey(a.liquidationKey); // on the curve, x != 0, prime-order subgroup
    const tokens: string[] = [];
    if (a.tokens) tokens.push(...a.tokens);
    else
      for (const [name, symbol, decimals] of TEST_TOKENS)
        tokens.push(await deploy("TestToken", [name, symbol, decimals]).then((x) => ((contracts[`TestToken${symbol}`] = x), x)));
    delete contracts.TestToken;
    const transition = await deploy("TransitionVerifier");
    const liquidation = await deploy("LiquidationVerifier");
    const takeover = await deploy("TakeoverVerifier");
    const batch = await deploy("MarginBatchVerifier");
    const backstop = a.backstop ?? admin;
    const liquidationPenaltyBps = a.liquidationPenaltyBps ?? DEFAULT_LIQUIDATION_PENALTY_BPS;
    await deploy(
      "MarginAccounts",
      [
        registry,
        verifier,
        transition,
        liquidation,
        batch,
        tokens,
        a.bondWei,
        a.gracePeriod,
        a.liquidationKey,
        {
          tradeFee: a.tradeFee,
          inFlightWindow: a.inFlightWindow ?? DEFAULT_IN_FLIGHT_SECONDS,
          inFlightMoveBps: a.inFlightMoveBps ?? DEFAULT_IN_FLIGHT_MOVE_BPS,
          takeoverVerifier: takeover,
          backstop,
          liquidationPenaltyBps,
        },
      ],
      {
        PoseidonT3: contracts.PoseidonT3,
      },
    );
    out.accounts = {
      tokens,
      bondWei: String(a.bondWei),
      gracePeriod: String(a.gracePeriod),
      tradeFee: String(a.tradeFee),
      inFlightWindow: String(a.inFlightWindow ?? DEFAULT_IN_FLIGHT_SECONDS),
      inFlightMoveBps: String(a.inFlightMoveBps ?? DEFAULT_IN_FLIGHT_MOVE_BPS),
      backstop,
      liquidationPenaltyBps: String(liquidationPenaltyBps),
      liquidationKey: [String(a.liquidationKey[0]), String(a.liquidationKey[1])],
    };
  }
  return out;
}

// ------------------------------------------------------------------------------- risk epochs

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

export interface EpochPostResult {
  epochId: string;
  /** the epoch's paramsHash ("" when nothing was opened because risk parameters were queued) */
  paramsHash: string;
  steps: Array<{ step: string; tx: string; gasUsed: string }>;
  /** risk parameters queued behind the registry's timelock: post the epoch again at or after eta */
  queued?: { riskHash: string; eta: string };
}

/** Risk parameters differ from the registry's and cannot take effect yet (its timelock). */
export class RiskTimelockError extends Error {
  /** the riskHash of the parameters given */
  readonly riskHash: bigint;
  /** when they can take effect (unix seconds), or undefined when not queued yet */
  readonly eta: bigint | undefined;
  constructor(riskHash: bigint, eta: bigint | undefined, message: string) {
    super(message);
    this.name = "RiskTimelockError";
    this.riskHash = riskHash;
    this.eta = eta;
  }
}

const iso = (unix: bigint) => new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z");

/**
 * Post a validated epoch to a registry contract (risk, funding and prices, or with `pricesOnly`
 * prices alone, reusing the posted risk and funding). Checks that the on-chain paramsHash is the
 * locally computed one.
 *
 * Risk parameters equal to the registry's are not posted again. Before the first epoch they take
 * effect at once, so a fresh deployment is set up in one call. Afterwards different parameters
 * must wait out the registry's timelock: without `queue` this throws RiskTimelockError naming the
 * eta; with `queue` they are queued (postRisk) and, unless the timelock is already over (a
 * timelock of 0), the result carries `queued` and nothing else is posted — post the same epoch
 * again at or after eta (its epochId still latest + 1) and the price post takes them up. Queued
 * parameters equal to these and due are taken up by the price post without a new risk post.
 * With `reports` (oracles' signed reports of p's prices, for a registry with a quorum) the prices
 * are posted by postSignedPrices instead of the publisher's postPrices.
 */
export async function postEpoch(
  registry: Contract,
  p: Params,
  opts: { pricesOnly?: boolean; queue?: boolean; reports?: SignedReport[] } = {},
): Promise<EpochPostResult> {
  const steps: EpochPostResult["steps"] = [];
  const send = async (step: string, f: () => Promise<any>) => {
    const tx = await f();
    const r = await tx.wait();
    steps.push({ step, tx: tx.hash as string, gasUsed: String(r.gasUsed) });
    return r;
  };
  if (!opts.pricesOnly) {
    const want = riskHash(p);
    const active = BigInt(await registry.riskHash());
    if (active !== want) {
      if (BigInt(await registry.latestEpochId()) === 0n) await send("risk", () => registry.postRisk(riskParamsArg(p)));
      else {
        const provider = registry.runner!.provider!;
        const now = async () => BigInt((await provider.getBlock("latest"))!.timestamp);
        let [queuedHash, eta] = ((await registry.queuedRisk()) as unknown as bigint[]).map(BigInt);
        if (queuedHash !== want) {
          if (!opts.queue) {
            const timelock = BigInt((await registry.config()).timelock);
            throw new RiskTimelockError(
              want,
              undefined,
              `the risk parameters differ from the registry's (riskHash ${active}): they take effect only after its timelock of ${timelock} s; queue them (--queue) and post the epoch again then`,
            );
          }
          await send("risk (queued)", () => registry.postRisk(riskParamsArg(p)));
          [queuedHash, eta] = ((await registry.queuedRisk()) as unknown as bigint[]).map(BigInt);
          if (eta > (await now()))
            return { epochId: String(p.epochId), paramsHash: "", steps, queued: { riskHash: String(want), eta: String(eta) } };
        } else if (eta > (await now())) {
          throw new RiskTimelockError(
            want,
            eta,
            `these risk parameters are queued until ${iso(eta)} (unix ${eta}): post the epoch again at or after then, or post prices alone`,
          );
        }
      }
    }
    await send("funding", () => registry.postFunding(fundingArg(p)));
  }
  if (opts.reports) {
    const sorted = [...opts.reports].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
    await send("signed prices", () =>
      registry.postSignedPrices(
        p.epochId,
        sorted.map((r) => r.report),
        sorted.map((r) => r.signature),
      ),
    );
  } else await send("prices", () => registry.postPrices(...pricesArgs(p)));
  const onChain = toField(BigInt(await registry.paramsHashOf(p.epochId)));
  const local = paramsHash(p);
  if (onChain !== local) throw new Error(`on-chain paramsHash ${onChain} differs from the local ${local}`);
  return { epochId: String(p.epochId), paramsHash: String(onChain), steps };
}

/**
 * Hold an epoch's prices that move beyond the registry's per-post bounds (the circuit breaker: no
 * epoch is fresh until they are posted): postEpoch(..., { pricesOnly: true }) accepts exactly
 * these prices for this epoch from the returned eta (unix seconds) on.
 */
export async function holdPrices(registry: Contract, p: Params): Promise<{ epochId: string; eta: string; tx: string; gasUsed: string }> {
  const tx = await registry.holdPrices(...pricesArgs(p));
  const r = await tx.wait();
  const [, eta] = (await registry.heldPrices()) as unknown as [bigint, bigint];
  return { epochId: String(p.epochId), eta: String(eta), tx: tx.hash as string, gasUsed: String(r.gasUsed) };
}

// ------------------------------------------------------------------------------- oracle quorum

/** The EIP-712 type of an oracle's price report (IRiskEpochRegistry.PriceReport). */
export const PRICE_REPORT_TYPES = {
  PriceReport: [
    { name: "epochId", type: "uint64" },
    { name: "markPrice", type: `uint48[${N_MARKETS}]` },
    { name: "priceE18", type: `uint96[${ASSETS.length}]` },
  ],
};

/** The EIP-712 domain of a registry: computed locally from the chain id and the address, never asked of the RPC. */
export const reportDomain = (chainId: bigint, registry: string) => ({
  name: "zkmargin RiskEpochRegistry",
  version: "1",
  chainId,
  verifyingContract: registry,
});

const reportValue = (p: Params) => ({
  epochId: p.epochId,
  markPrice: p.markets.map((m) => m.markPrice),
  priceE18: p.collateral.map((c) => c.priceE18),
});

/** The digest an oracle signs for an epoch's prices. */
export const reportDigest = (chainId: bigint, registry: string, p: Params): string =>
  TypedDataEncoder.hash(reportDomain(chainId, registry), PRICE_REPORT_TYPES, reportValue(p));

export interface SignedReport {
  signer: string;
  report: { markPrice: bigint[]; priceE18: bigint[] };
  signature: string;
}

/** An oracle's signed report of an epoch's prices (EIP-712 typed data; the signature is checked to recover to the signer). */
export async function signPriceReport(signer: Signer, chainId: bigint, registry: string, p: Params): Promise<SignedReport> {
  const v = reportValue(p);
  const signature = await signer.signTypedData(reportDomain(chainId, registry), PRICE_REPORT_TYPES, v);
  const address = await signer.getAddress();
  if (verifyTypedData(reportDomain(chainId, registry), PRICE_REPORT_TYPES, v, signature).toLowerCase() !== address.toLowerCase())
    throw new Error(`the signature does not recover to the oracle ${address}`);
  return { signer: address, report: { markPrice: v.markPrice, priceE18: v.priceE18 }, signature };
}

/** Submit signed reports for an epoch (sorted by signer, as the registry requires); returns the tx receipt's gas. */
export async function postSignedPrices(
  registry: Contract,
  epochId: bigint,
  reports: SignedReport[],
): Promise<{ tx: string; gasUsed: bigint }> {
  const sorted = [...reports].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
  const tx = await registry.postSignedPrices(
    epochId,
    sorted.map((r) => r.report),
    sorted.map((r) => r.signature),
  );
  const r = await tx.wait();
  return { tx: tx.hash as string, gasUsed: BigInt(r.gasUsed) };
}

const FIELD_PATHS = [
  "maxLeverageBps",
  "maintenanceRateBps",
  "initialRateBps",
  "impactBps",
  "depth",
  "positionCap",
  "haircutBps",
  "shock",
  "fundingIndex",
  "epochId",
  "priceE18",
  "markPrice",
];

/** Map a registry revert to the params.json field it is about, e.g. markets[2].depth. */
export function revertField(name: string, args: readonly unknown[]): string {
  if (name === "EpochNotIncreasing" || name === "EpochNotNext") return "epochId";
  if (name !== "InvalidParameter" && name !== "MoveTooLarge") return name;
  const field = FIELD_PATHS[Number(args[0])];
  const index = Number(args[1]);
  if (field === "maxLeverageBps" || field === "epochId") return field;
  if (field === "haircutBps") return `collateral[${index}].haircutBps`;
  if (field === "priceE18") return `collateral[${index}].priceE18`;
  if (field === "shock") return `scenarios[${Math.floor(index / N_MARKETS)}][${index % N_MARKETS}]`;
  return `markets[${index}].${field}`;
}

// ------------------------------------------------------------------------------- verification

export interface OnChainVerdict {
  valid: boolean;
  /** the wrapper's estimated gas when valid */
  gas?: bigint;
  /** the decoded custom error (or message) when not valid */
  error?: string;
}

/**
 * Verify through a MarginProofVerifier wrapper: valid iff it does not revert (public inputs
 * >= r and failed pairings revert with custom errors); gas is the wrapper call's estimate.
 */
export async function verifyOnChain(target: { wrapper: Contract }, cd: SolidityCalldata): Promise<OnChainVerdict & { gas: bigint }> {
  const { wrapper } = target;
  try {
    await wrapper.verify(cd.a, cd.b, cd.c, cd.publicSignals);
  } catch (e) {
    return { valid: false, gas: 0n, error: decodeRevert(e, [wrapper])?.name ?? (e as Error).message };
  }
  const gas = (await wrapper.verify.estimateGas(cd.a, cd.b, cd.c, cd.publicSignals)) as bigint;
  return { valid: true, gas };
}

/**
 * Verify a proof on a deployment: the MarginProofVerifier must accept it and its paramsHash
 * must be the registry's fresh paramsHash of `epochId` (eth_call only; nothing is sent).
 */
export async function verifyForEpoch(
  provider: JsonRpcProvider,
  contracts: Record<string, string>,
  proof: { proof: unknown; publicSignals: string[] },
  epochId: bigint,
): Promise<{ valid: boolean; reason?: string; epochId: string; paramsHash: string }> {
  const { solidityCalldata } = await import("../prover/prover.ts");
  const wrapperAt = contracts.MarginProofVerifier;
  const registryAt = contracts.RiskEpochRegistry;
  const base = { epochId: String(epochId), paramsHash: proof.publicSignals[1] };
  if (!wrapperAt || !registryAt)
    throw new ValidationError("--deployment", "needs contracts.MarginProofVerifier and contracts.RiskEpochRegistry");
  const registry = await contractAt("RiskEpochRegistry", registryAt, provider);
  const wrapper = await contractAt("MarginProofVerifier", wrapperAt, provider);
  let fresh: bigint;
  try {
    fresh = BigInt(await registry.freshParamsHash(epochId));
  } catch (e) {
    return { valid: false, reason: `epoch ${epochId}: ${revertMessage(e, [registry])}`, ...base };
  }
  if (String(fresh) !== proof.publicSignals[1])
    return { valid: false, reason: `the proof's paramsHash is not epoch ${epochId}'s`, ...base };
  const cd = await solidityCalldata(proof as never);
  try {
    await wrapper.verify(cd.a, cd.b, cd.c, cd.publicSignals);
  } catch (e) {
    return { valid: false, reason: revertMessage(e, [wrapper]), ...base };
  }
  return { valid: true, ...base };
}
