// The one place where untrusted input becomes typed model values. Every error names the
// offending field with the path syntax of the JSON files: `sizes[3]`, `markets[2].depth`,
// `scenarios[4][1]`, `collateral[0].haircutBps`.

import { FIELD_MODULUS, pow2 } from "./field.ts";
import type { CollateralAsset, Dims, Level, Market, Params, Portfolio } from "./types.ts";
import { DEFAULT_DIMS, LEVELS } from "./types.ts";
import {
  AMOUNT_BITS,
  BPS_ONE,
  CAP_BITS,
  COST_BITS,
  DEPTH_BITS,
  EPOCH_BITS,
  FUND_BITS,
  LEVERAGE_BITS,
  MARK_BITS,
  MAX_SHOCK_BPS,
  PRICE_E18_BITS,
  SIZE_BITS,
} from "./widths.ts";

export class ValidationError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "ValidationError";
    this.field = field;
  }
}

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const MAX_DIGITS = 80; // > 254 bits; longer strings are rejected before BigInt parsing

function describe(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v.length > 60 ? v.slice(0, 60) : v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Array.isArray(v) ? "an array" : typeof v; // e.g. nesting too deep to print
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Parse an integer given as a decimal string (or a JSON safe integer). */
export function parseInteger(v: unknown, field: string): bigint {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return BigInt(v);
    throw new ValidationError(field, `must be an integer as a decimal string (got ${describe(v)})`);
  }
  if (typeof v !== "string") {
    throw new ValidationError(field, `must be an integer as a decimal string (got ${describe(v)})`);
  }
  if (v.length > MAX_DIGITS || !DECIMAL.test(v) || v === "-0") {
    throw new ValidationError(field, `must be an integer as a decimal string (got ${describe(v)})`);
  }
  return BigInt(v);
}

/** lo <= x < hi */
function inRange(v: unknown, field: string, lo: bigint, hi: bigint, hiText: string): bigint {
  const x = parseInteger(v, field);
  if (x < lo || x >= hi) {
    throw new ValidationError(field, `must satisfy ${lo} <= x < ${hiText} (got ${describe(v)})`);
  }
  return x;
}

const unsigned = (v: unknown, field: string, bits: number) => inRange(v, field, 0n, pow2(bits), `2^${bits}`);

function signedAbs(v: unknown, field: string, bits: number): bigint {
  const x = parseInteger(v, field);
  const bound = pow2(bits);
  if (x <= -bound || x >= bound) throw new ValidationError(field, `must satisfy |x| < 2^${bits} (got ${describe(v)})`);
  return x;
}

function bps(v: unknown, field: string): bigint {
  const x = parseInteger(v, field);
  if (x < 0n || x > BPS_ONE) throw new ValidationError(field, `must satisfy 0 <= x <= 10000 (got ${describe(v)})`);
  return x;
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ValidationError(field, `must be a JSON object (got ${describe(v)})`);
  }
  return v as Record<string, unknown>;
}

function exactKeys(o: Record<string, unknown>, keys: readonly string[], prefix: string): void {
  for (const k of keys) {
    if (!(k in o)) throw new ValidationError(join(prefix, k), "missing");
  }
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new ValidationError(join(prefix, k), "unknown field");
  }
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

function array(v: unknown, field: string, length: number): unknown[] {
  if (!Array.isArray(v)) throw new ValidationError(field, `must be an array of ${length} entries (got ${describe(v)})`);
  if (v.length !== length) {
    throw new ValidationError(field, `must have exactly ${length} entries (got ${v.length})`);
  }
  return v;
}

const PARAMS_KEYS = ["epochId", "maxLeverageBps", "markets", "collateral", "scenarios"] as const;
const MARKET_KEYS = ["markPrice", "fundingIndex", "maintenanceRateBps", "initialRateBps", "impactBps", "depth", "positionCap"] as const;
const ASSET_KEYS = ["priceE18", "haircutBps"] as const;
const PORTFOLIO_KEYS = ["sizes", "costBasis", "entryFunding", "collateral", "salt"] as const;

/** Validate a parsed params.json against every bound of the model (docs/SPEC.md). */
export function validateParams(raw: unknown, dims: Dims = DEFAULT_DIMS): Params {
  const o = object(raw, "params");
  exactKeys(o, PARAMS_KEYS, "");
  const epochId = unsigned(o.epochId, "epochId", EPOCH_BITS);
  const maxLeverageBps = unsigned(o.maxLeverageBps, "maxLeverageBps", LEVERAGE_BITS);
  const markets: Market[] = array(o.markets, "markets", dims.N).map((m, i) => {
    const p = `markets[${i}]`;
    const mo = object(m, p);
    exactKeys(mo, MARKET_KEYS, p);
    const maintenanceRateBps = bps(mo.maintenanceRateBps, `${p}.maintenanceRateBps`);
    const initialRateBps = bps(mo.initialRateBps, `${p}.initialRateBps`);
    if (maintenanceRateBps > initialRateBps) {
      throw new ValidationError(
        `${p}.maintenanceRateBps`,
        `must be <= ${p}.initialRateBps (got ${maintenanceRateBps} > ${initialRateBps})`,
      );
    }
    return {
      markPrice: unsigned(mo.markPrice, `${p}.markPrice`, MARK_BITS),
      fundingIndex: signedAbs(mo.fundingIndex, `${p}.fundingIndex`, FUND_BITS),
      maintenanceRateBps,
      initialRateBps,
      impactBps: bps(mo.impactBps, `${p}.impactBps`),
      depth: inRange(mo.depth, `${p}.depth`, 1n, pow2(DEPTH_BITS), `2^${DEPTH_BITS}`),
      positionCap: unsigned(mo.positionCap, `${p}.positionCap`, CAP_BITS),
    };
  });
  const collateral: CollateralAsset[] = array(o.collateral, "collateral", dims.M).map((a, j) => {
    const p = `collateral[${j}]`;
    const ao = object(a, p);
    exactKeys(ao, ASSET_KEYS, p);
    return {
      priceE18: unsigned(ao.priceE18, `${p}.priceE18`, PRICE_E18_BITS),
      haircutBps: bps(ao.haircutBps, `${p}.haircutBps`),
    };
  });
  const scenarios = array(o.scenarios, "scenarios", dims.S).map((row, k) =>
    array(row, `scenarios[${k}]`, dims.N).map((x, i) => {
      const f = `scenarios[${k}][${i}]`;
      const v = parseInteger(x, f);
      if (v < -MAX_SHOCK_BPS || v > MAX_SHOCK_BPS) {
        throw new ValidationError(f, `must satisfy |x| <= 10000 (got ${describe(x)})`);
      }
      return v;
    }),
  );
  return { epochId, maxLeverageBps, markets, collateral, scenarios };
}

/** Validate a parsed portfolio.json against every bound of the model. */
export function validatePortfolio(raw: unknown, dims: Dims = DEFAULT_DIMS): Portfolio {
  const o = object(raw, "portfolio");
  exactKeys(o, PORTFOLIO_KEYS, "");
  return {
    sizes: array(o.sizes, "sizes", dims.N).map((x, i) => signedAbs(x, `sizes[${i}]`, SIZE_BITS)),
    costBasis: array(o.costBasis, "costBasis", dims.N).map((x, i) => signedAbs(x, `costBasis[${i}]`, COST_BITS)),
    entryFunding: array(o.entryFunding, "entryFunding", dims.N).map((x, i) => signedAbs(x, `entryFunding[${i}]`, FUND_BITS)),
    collateral: array(o.collateral, "collateral", dims.M).map((x, j) => unsigned(x, `collateral[${j}]`, AMOUNT_BITS)),
    salt: inRange(o.salt, "salt", 0n, FIELD_MODULUS, "r (the BN254 scalar field modulus)"),
  };
}

export function parseLevel(v: unknown, field = "level"): Level {
  if (typeof v === "string" && (LEVELS as readonly string[]).includes(v)) return v as Level;
  throw new ValidationError(field, `must be one of ${LEVELS.join(", ")} (got ${describe(v)})`);
}

/** A verifier-chosen binding: decimal or 0x-hex, 0 <= x < r. */
export function parseBinding(v: unknown, field = "binding"): bigint {
  if (typeof v === "string" && /^0[xX][0-9a-fA-F]{1,64}$/.test(v)) {
    const x = BigInt(v);
    if (x >= FIELD_MODULUS) throw new ValidationError(field, `must be < r (the BN254 scalar field modulus)`);
    return x;
  }
  if (typeof v === "string" && /^[0-9]{1,78}$/.test(v) && /^(0|[1-9][0-9]*)$/.test(v)) {
    const x = BigInt(v);
    if (x >= FIELD_MODULUS) throw new ValidationError(field, `must be < r (the BN254 scalar field modulus)`);
    return x;
  }
  throw new ValidationError(field, `must be a decimal or 0x-hex integer with 0 <= x < r (got ${describe(v)})`);
}

/** Parse JSON text, reporting syntax errors against the file's role. */
export function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(field, `not valid JSON (${(e as Error).message})`);
  }
}

// The inverse of validation: typed values back to the JSON shapes of params.json / portfolio.json.
export function paramsToJson(p: Params): unknown {
  return {
    epochId: String(p.epochId),
    maxLeverageBps: String(p.maxLeverageBps),
    markets: p.markets.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]))),
    collateral: p.collateral.map((c) => ({ priceE18: String(c.priceE18), haircutBps: String(c.haircutBps) })),
    scenarios: p.scenarios.map((row) => row.map(String)),
  };
}

export function portfolioToJson(q: Portfolio): unknown {
  return {
    sizes: q.sizes.map(String),
    costBasis: q.costBasis.map(String),
    entryFunding: q.entryFunding.map(String),
    collateral: q.collateral.map(String),
    salt: String(q.salt),
  };
}
