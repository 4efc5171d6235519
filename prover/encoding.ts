// Field encodings, packed words, the portfolio commitment and the epoch paramsHash
// (docs/SPEC.md, "Encodings and hashes"). The circom twin is in circuits/margin.circom and
// circuits/lib/pack.circom.
import { toField, pow2 } from "./field.ts";
import { chainHash } from "./hash.ts";
import type { Dims, Params, Portfolio } from "./types.ts";
import {
  AMOUNT_BITS,
  COST_BITS,
  EPOCH_BITS,
  FUND_BITS,
  LEVERAGE_BITS,
  MARK_BITS,
  PRICE_E18_BITS,
  BPS_BITS,
  SHOCK_BITS,
  SIZE_BITS,
  WORD_BITS,
} from "./widths.ts";

export interface PackedValue {
  value: bigint; // non-negative, < 2^width
  width: number;
}

/** Greedy packing: values fill words of at most 253 bits in order; a value is never split. */
export function packWords(values: PackedValue[]): bigint[] {
  const words: bigint[] = [];
  let word = 0n;
  let shift = 0;
  let open = false;
  for (const { value, width } of values) {
    if (value < 0n || value >= pow2(width)) throw new RangeError(`packed value ${value} does not fit ${width} bits`);
    if (open && shift + width > WORD_BITS) {
      words.push(word);
      word = 0n;
      shift = 0;
    }
    word += value << BigInt(shift);
    shift += width;
    open = true;
  }
  if (open) words.push(word);
  return words;
}

/** [epochId, markPrice..., collateralPriceE18...] */
export function priceValues(p: Params): PackedValue[] {
  return [
    { value: p.epochId, width: EPOCH_BITS },
    ...p.markets.map((m) => ({ value: m.markPrice, width: MARK_BITS })),
    ...p.collateral.map((c) => ({ value: c.priceE18, width: PRICE_E18_BITS })),
  ];
}

/** [maxLeverageBps, (maint, initial, impact) per market, haircut per asset, shock + 2^14 row by row] */
export function riskValues(p: Params): PackedValue[] {
  return [
    { value: p.maxLeverageBps, width: LEVERAGE_BITS },
    ...p.markets.flatMap((m) => [
      { value: m.maintenanceRateBps, width: BPS_BITS },
      { value: m.initialRateBps, width: BPS_BITS },
      { value: m.impactBps, width: BPS_BITS },
    ]),
    ...p.collateral.map((c) => ({ value: c.haircutBps, width: BPS_BITS })),
    ...p.scenarios.flatMap((row) => row.map((x) => ({ value: x + pow2(SHOCK_BITS), width: SHOCK_BITS + 1 }))),
  ];
}

export const priceWords = (p: Params): bigint[] => packWords(priceValues(p));
export const riskWords = (p: Params): bigint[] => packWords(riskValues(p));

/** fundingHash = H(fundingIndex_0 mod r, ..., fundingIndex_{N-1} mod r) */
export const fundingHash = (p: Params): bigint => chainHash(p.markets.map((m) => toField(m.fundingIndex)));

/** riskHash = H(depth[], positionCap[], riskWords[]) */
export const riskHash = (p: Params): bigint =>
  chainHash([...p.markets.map((m) => m.depth), ...p.markets.map((m) => m.positionCap), ...riskWords(p)]);

/** slowHash = H(fundingHash, riskHash): what a price-only epoch post reuses */
export const slowHash = (p: Params): bigint => chainHash([fundingHash(p), riskHash(p)]);

/** paramsHash = H(priceWords[], slowHash) */
export function paramsHash(p: Params): bigint {
  return chainHash([...priceWords(p), slowHash(p)]);
}

export interface ParamsHashParts {
  priceWords: bigint[];
  fundingHash: bigint;
  riskHash: bigint;
  slowHash: bigint;
  paramsHash: bigint;
}

export function paramsHashParts(p: Params): ParamsHashParts {
  const pw = priceWords(p);
  const fh = fundingHash(p);
  const rh = riskHash(p);
  const sh = chainHash([fh, rh]);
  return { priceWords: pw, fundingHash: fh, riskHash: rh, slowHash: sh, paramsHash: chainHash([...pw, sh]) };
}

/** word_i = (s_i + 2^40) + (c_i + 2^100) * 2^41 + (f_i + 2^63) * 2^142 */
export function positionWord(size: bigint, costBasis: bigint, entryFunding: bigint): bigint {
  return (
    size +
    pow2(SIZE_BITS) +
    ((costBasis + pow2(COST_BITS)) << BigInt(SIZE_BITS + 1)) +
    ((entryFunding + pow2(FUND_BITS)) << BigInt(SIZE_BITS + COST_BITS + 2))
  );
}

/** amount words: a_2j + a_2j+1 * 2^96 */
export function amountWords(amounts: bigint[]): bigint[] {
  const words: bigint[] = [];
  for (let j = 0; j < amounts.length; j += 2) {
    words.push(amounts[j] + (j + 1 < amounts.length ? amounts[j + 1] << BigInt(AMOUNT_BITS) : 0n));
  }
  return words;
}

/** commitment = H(positionWord_0..positionWord_{N-1}, amountWords..., salt) */
export function commitment(q: Portfolio): bigint {
  const words = q.sizes.map((s, i) => positionWord(s, q.costBasis[i], q.entryFunding[i]));
  return chainHash([...words, ...amountWords(q.collateral), q.salt]);
}

export function dimsOf(p: Params): Dims {
  return { N: p.markets.length, M: p.collateral.length, S: p.scenarios.length };
}
