// Risk epochs from the chain alone: every RiskEpochRegistry post carries its hashed data in an
// event, so a client rebuilds an epoch's full Params from three logs and checks them against the
// registry's paramsHash (docs/PROTOCOL.md, "Epochs from the chain").
//   EpochPosted(epochId indexed, paramsHash, priceWords[4])           the price post
//   RiskPosted(riskHash indexed, eta, depthAndCap[2N], riskWords[10])  the risk post in effect
//   FundingPosted(fundingHash, slowHash, fundingIndex[N])              the funding post in effect
// The registry records, per epoch, the block of each of the three posts (epochBlocks), so each
// log is one single-block query however long the chain. Risk parameters posted after the first
// epoch are queued behind a timelock, so the risk in effect need not be the last RiskPosted: in
// the recorded block the last one before the price post whose parameters hash to the epoch's
// paramsHash is taken; when scanning, the one named by the last RiskActivated(riskHash) before the
// price post. Where a recorded block holds no such log (a chain whose block.number is not its own
// block height), the logs are found by scanning backwards in bounded block ranges.
//   fetchEpoch          the Params of an epoch still in the registry's ring
//   latestFreshEpoch    the newest epoch, if no older than maxAge, with its freshness window
import type { Contract, EventLog, Log } from "ethers";
import { M_ASSETS, N_MARKETS, S_SCENARIOS } from "../prover/constants.ts";
import { paramsHash, priceWords, riskWords } from "../prover/encoding.ts";
import { pow2, toField } from "../prover/field.ts";
import type { Params } from "../prover/types.ts";
import { paramsToJson, validateParams } from "../prover/validate.ts";
import { BPS_BITS, EPOCH_BITS, LEVERAGE_BITS, MARK_BITS, PRICE_E18_BITS, SHOCK_BITS, WORD_BITS } from "../prover/widths.ts";
import { decodeRevert } from "./revert.ts";

/** An epoch cannot be rebuilt from the chain, or what was rebuilt does not hash to the registry's paramsHash. */
export class EpochError extends Error {
  /** the epoch concerned (undefined when no epoch was posted yet) */
  readonly epochId: bigint | undefined;
  constructor(epochId: bigint | undefined, message: string) {
    super(message);
    this.name = "EpochError";
    this.epochId = epochId;
  }
}

export interface FetchEpochOptions {
  /** read the registry at this block (default: the latest block) */
  blockTag?: number;
  /** block range of one eth_getLogs query when scanning (default 10,000) */
  blockRange?: number;
  /** lowest block to scan, e.g. the registry's deployment block (default 0) */
  fromBlock?: number;
  /** ignore the registry's recorded blocks and scan (default false; for chains where they are not log blocks) */
  scan?: boolean;
}

export interface FreshEpoch {
  params: Params;
  /** unix seconds of the price post */
  postedAt: bigint;
  /** last unix second at which the epoch is fresh: postedAt + maxAge */
  freshUntil: bigint;
}

const DEFAULT_BLOCK_RANGE = 10_000;

/** Values of the given widths from words packed greedily into WORD_BITS (the inverse of packWords). */
export function unpackWords(words: readonly bigint[], widths: readonly number[]): bigint[] {
  const out: bigint[] = [];
  let w = 0;
  let shift = 0;
  for (const width of widths) {
    if (shift > 0 && shift + width > WORD_BITS) {
      w++;
      shift = 0;
    }
    if (w >= words.length) throw new RangeError(`${words.length} packed words are too few for ${widths.length} values`);
    out.push((words[w] >> BigInt(shift)) & (pow2(width) - 1n));
    shift += width;
  }
  if (widths.length > 0 && w !== words.length - 1)
    throw new RangeError(`${words.length} packed words are too many for ${widths.length} values`);
  return out;
}

/** The price words of an EpochPosted log: epochId, markPrice per market, priceE18 per asset. */
export function decodePriceWords(words: readonly bigint[]): { epochId: bigint; markPrice: bigint[]; priceE18: bigint[] } {
  const v = unpackWords(words, [EPOCH_BITS, ...Array(N_MARKETS).fill(MARK_BITS), ...Array(M_ASSETS).fill(PRICE_E18_BITS)]);
  return { epochId: v[0], markPrice: v.slice(1, 1 + N_MARKETS), priceE18: v.slice(1 + N_MARKETS) };
}

/** The risk data of a RiskPosted log: depth and positionCap per market, then the packed risk words. */
export function decodeRisk(depthAndCap: readonly bigint[], words: readonly bigint[]) {
  if (depthAndCap.length !== 2 * N_MARKETS) throw new RangeError(`depthAndCap must have ${2 * N_MARKETS} entries`);
  const widths = [LEVERAGE_BITS, ...Array(3 * N_MARKETS + M_ASSETS).fill(BPS_BITS), ...Array(S_SCENARIOS * N_MARKETS).fill(SHOCK_BITS + 1)];
  const v = unpackWords(words, widths);
  let k = 0;
  const maxLeverageBps = v[k++];
  const markets = Array.from({ length: N_MARKETS }, (_, i) => ({
    maintenanceRateBps: v[k++],
    initialRateBps: v[k++],
    impactBps: v[k++],
    depth: depthAndCap[i],
    positionCap: depthAndCap[N_MARKETS + i],
  }));
  const haircutBps = Array.from({ length: M_ASSETS }, () => v[k++]);
  const shocks = Array.from({ length: S_SCENARIOS }, () => Array.from({ length: N_MARKETS }, () => v[k++] - pow2(SHOCK_BITS)));
  return { maxLeverageBps, markets, haircutBps, shocks };
}

const bigints = (x: unknown): bigint[] => Array.from(x as ArrayLike<unknown>, (v) => BigInt(v as bigint));
const before = (a: Log, b: Log) => a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.index < b.index);
const registryError = (registry: Contract, e: unknown) => decodeRevert(e, [registry]);

/**
 * The last log of `event` (with `args` as its indexed topics) ordered before `limit` (all logs when
 * undefined): first in the block `hint`, else scanning backwards from `toBlock` in ranges.
 */
async function lastLog(
  registry: Contract,
  event: string,
  args: unknown[],
  hint: number | undefined,
  toBlock: number,
  limit: Log | undefined,
  opts: FetchEpochOptions,
): Promise<EventLog | undefined> {
  const filter = registry.filters[event](...args);
  const pick = (logs: Array<EventLog | Log>) =>
    (logs.filter((l) => "args" in l && (!limit || before(l, limit))) as EventLog[]).sort((a, b) => (before(a, b) ? -1 : 1)).at(-1);
  if (hint !== undefined && !opts.scan && hint <= toBlock) {
    const hit = pick(await registry.queryFilter(filter, hint, hint));
    if (hit) return hit;
  }
  const range = opts.blockRange ?? DEFAULT_BLOCK_RANGE;
  if (!(range >= 1)) throw new RangeError("blockRange must be at least 1");
  const lowest = opts.fromBlock ?? 0;
  for (let to = toBlock; to >= lowest; to -= range) {
    const hit = pick(await registry.queryFilter(filter, Math.max(lowest, to - range + 1), to));
    if (hit) return hit;
  }
  return undefined;
}

/** The logs of `event` in block `block` ordered before `limit`, newest first. */
async function logsInBlock(registry: Contract, event: string, block: number, limit: Log): Promise<EventLog[]> {
  const logs = await registry.queryFilter(registry.filters[event](), block, block);
  return (logs.filter((l) => "args" in l && before(l, limit)) as EventLog[]).sort((a, b) => (before(a, b) ? 1 : -1));
}

/**
 * Rebuild the Params of an epoch still in the registry's ring from its EpochPosted log and the
 * RiskPosted and FundingPosted logs in effect before it, validate them against every bound of the
 * model, and check that they hash to the registry's paramsHashOf(epochId). Throws EpochError when
 * the epoch is unknown, a log is missing or the hashes differ.
 */
export async function fetchEpoch(registry: Contract, epochId: bigint, opts: FetchEpochOptions = {}): Promise<Params> {
  const blockTag = opts.blockTag ?? (await registry.runner!.provider!.getBlockNumber());
  const at = { blockTag };
  const address = await registry.getAddress();
  let onChain: bigint;
  let blocks: [bigint, bigint, bigint];
  try {
    onChain = BigInt(await registry.paramsHashOf(epochId, at));
    blocks = (await registry.epochBlocks(epochId, at)) as unknown as [bigint, bigint, bigint];
  } catch (e) {
    const d = registryError(registry, e);
    if (d?.name === "UnknownEpoch") {
      throw new EpochError(
        epochId,
        `epoch ${epochId} is not in the registry at ${address} (never posted, or overwritten in its ring of 256 epochs)`,
      );
    }
    throw e;
  }
  const [pricesBlock, riskBlock, fundingBlock] = blocks.map(Number);
  const missing = (what: string) =>
    new EpochError(epochId, `epoch ${epochId}: no ${what} log found for it on the registry at ${address} (is the RPC node pruning logs?)`);

  const prices = await lastLog(registry, "EpochPosted", [epochId], pricesBlock, blockTag, undefined, opts);
  if (!prices) throw missing("EpochPosted");
  const funding = await lastLog(registry, "FundingPosted", [], fundingBlock, prices.blockNumber, prices, opts);
  if (!funding) throw missing("FundingPosted");
  // the risk in effect: candidates in the recorded block (newest first), else the activated one
  let candidates: EventLog[] = [];
  if (!opts.scan && riskBlock <= prices.blockNumber) candidates = await logsInBlock(registry, "RiskPosted", riskBlock, prices);
  if (candidates.length === 0) {
    const activated = await lastLog(registry, "RiskActivated", [], undefined, prices.blockNumber, prices, opts);
    if (!activated) throw missing("RiskActivated");
    const risk = await lastLog(registry, "RiskPosted", [activated.args.riskHash], undefined, activated.blockNumber, activated, opts);
    if (!risk) throw missing("RiskPosted");
    candidates = [risk];
  }

  const logged = BigInt(prices.args.paramsHash);
  if (logged !== onChain)
    throw new EpochError(epochId, `epoch ${epochId}: its EpochPosted log has paramsHash ${logged}, the registry ${onChain}`);

  let mismatch: EpochError | undefined;
  for (const risk of candidates) {
    try {
      return build(epochId, onChain, prices, risk, funding);
    } catch (e) {
      if (!(e instanceof EpochError) || candidates.length === 1) throw e;
      mismatch ??= e;
    }
  }
  throw mismatch!;
}

/** The Params of an epoch from its three logs, validated and checked against the registry's paramsHash. */
function build(epochId: bigint, onChain: bigint, prices: EventLog, risk: EventLog, funding: EventLog): Params {
  let params: Params;
  const pw = bigints(prices.args.priceWords);
  const depthAndCap = bigints(risk.args.depthAndCap);
  const rw = bigints(risk.args.riskWords);
  try {
    const p = decodePriceWords(pw);
    if (p.epochId !== epochId) throw new Error(`its price words carry epoch ${p.epochId}`);
    const r = decodeRisk(depthAndCap, rw);
    const fundingIndex = bigints(funding.args.fundingIndex);
    params = validateParams(
      paramsToJson({
        epochId,
        maxLeverageBps: r.maxLeverageBps,
        markets: r.markets.map((m, i) => ({ markPrice: p.markPrice[i], fundingIndex: fundingIndex[i], ...m })),
        collateral: p.priceE18.map((priceE18, j) => ({ priceE18, haircutBps: r.haircutBps[j] })),
        scenarios: r.shocks,
      }),
    );
    // the packing is a bijection on valid values: the logged words are exactly these values' words
    const same = (a: bigint[], b: bigint[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(priceWords(params), pw)) throw new Error("its price words carry bits outside the packed values");
    if (!same(riskWords(params), rw)) throw new Error("its risk words carry bits outside the packed values");
  } catch (e) {
    throw new EpochError(epochId, `epoch ${epochId}: the logged data does not decode to valid params: ${(e as Error).message}`);
  }
  const local = paramsHash(params);
  if (local !== toField(onChain)) {
    throw new EpochError(
      epochId,
      `epoch ${epochId}: the params rebuilt from the logs hash to ${local}, the registry's paramsHash is ${onChain}` +
        ` (EpochPosted in block ${prices.blockNumber}, RiskPosted in block ${risk.blockNumber}, FundingPosted in block ${funding.blockNumber})`,
    );
  }
  return params;
}

/**
 * The newest epoch if it is fresh (no older than maxAge at the latest block), rebuilt and checked
 * by fetchEpoch. Older epochs are never fresher, so when the newest is stale none is: throws
 * EpochError, as it does before the first price post.
 */
export async function latestFreshEpoch(registry: Contract, opts: Omit<FetchEpochOptions, "blockTag"> = {}): Promise<FreshEpoch> {
  const provider = registry.runner!.provider!;
  const blockTag = await provider.getBlockNumber();
  const at = { blockTag };
  const address = await registry.getAddress();
  let epochId: bigint;
  try {
    [epochId] = (await registry.latestFresh(at)) as unknown as [bigint, bigint];
  } catch (e) {
    const d = registryError(registry, e);
    if (d?.name === "StaleEpoch") {
      const [id, age, maxAge] = d.args.map((x) => BigInt(x as bigint));
      throw new EpochError(
        id,
        `no fresh epoch on the registry at ${address}: the latest, epoch ${id}, was posted ${age} s ago (maxAge ${maxAge} s)`,
      );
    }
    if (d?.name === "UnknownEpoch")
      throw new EpochError(undefined, `no fresh epoch on the registry at ${address}: no epoch was posted yet`);
    if (d?.name === "CircuitBreakerTripped") {
      const [held, eta] = d.args.map((x) => BigInt(x as bigint));
      throw new EpochError(
        held - 1n,
        `no fresh epoch on the registry at ${address}: the circuit breaker is tripped (prices for epoch ${held} are held until unix ${eta})`,
      );
    }
    throw e;
  }
  epochId = BigInt(epochId);
  const [params, postedAt, maxAge] = await Promise.all([
    fetchEpoch(registry, epochId, { ...opts, blockTag }),
    registry.postedAt(epochId, at).then(BigInt),
    registry.maxAge(at).then(BigInt),
  ]);
  return { params, postedAt, freshUntil: postedAt + maxAge };
}
