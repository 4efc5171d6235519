// The instruments behind the market and asset indices of the shipped epochs (examples/params.json
// and the demo): names, lot sizes and token decimals. Amounts on-chain and in circuits are
// integers: sizes in lots, prices and money in quote units (1 quote unit = 1e-6 USD = one unit
// of asset 0), collateral in each token's smallest unit. This module converts human units
// (2 BTC at 97,250 USD) into those integers exactly, or names the field that does not convert.
import { M_ASSETS, N_MARKETS } from "./constants.ts";
import { ValidationError } from "./validate.ts";

/** decimals of the quote unit: 1 quote unit = 10^-6 USD */
export const QUOTE_DECIMALS = 6;

export interface MarketInfo {
  index: number;
  symbol: string;
  /** one lot in the base asset, as a decimal string (0.001 BTC) */
  lot: string;
}

export interface AssetInfo {
  index: number;
  symbol: string;
  /** the ERC-20 token's decimals (the test tokens' on a local deployment) */
  decimals: number;
  /** the test token deployed for this slot when no tokens are given */
  token: { name: string; symbol: string };
}

/** markets 0..5; 6 and 7 are unused slots (all-zero parameters) */
export const MARKETS: readonly MarketInfo[] = [
  { index: 0, symbol: "BTC", lot: "0.001" },
  { index: 1, symbol: "ETH", lot: "0.001" },
  { index: 2, symbol: "SOL", lot: "1" },
  { index: 3, symbol: "BNB", lot: "1" },
  { index: 4, symbol: "XRP", lot: "1" },
  { index: 5, symbol: "DOGE", lot: "1" },
];

/** collateral assets; asset 0 is the settlement asset (1 unit = 1 quote unit) */
export const ASSETS: readonly AssetInfo[] = [
  { index: 0, symbol: "USD", decimals: 6, token: { name: "zkmargin test USD", symbol: "zUSD" } },
  { index: 1, symbol: "ETH", decimals: 18, token: { name: "zkmargin test ETH", symbol: "zETH" } },
  { index: 2, symbol: "BTC", decimals: 8, token: { name: "zkmargin test BTC", symbol: "zBTC" } },
  { index: 3, symbol: "SOL", decimals: 9, token: { name: "zkmargin test SOL", symbol: "zSOL" } },
];
if (MARKETS.length > N_MARKETS || ASSETS.length !== M_ASSETS) throw new Error("prover/markets.ts does not fit the dimensions");

/** A market by symbol (case-insensitive) or index. */
export function marketOf(x: string, field = "--market"): MarketInfo {
  const m = /^[0-9]+$/.test(x) ? MARKETS[Number(x)] : MARKETS.find((k) => k.symbol === x.toUpperCase());
  if (!m) throw new ValidationError(field, `unknown market '${x}' (${MARKETS.map((k) => `${k.index} ${k.symbol}`).join(", ")})`);
  return m;
}

/** An asset by symbol (case-insensitive) or index. */
export function assetOf(x: string, field = "--asset"): AssetInfo {
  const a = /^[0-9]+$/.test(x) ? ASSETS[Number(x)] : ASSETS.find((k) => k.symbol === x.toUpperCase());
  if (!a) throw new ValidationError(field, `unknown asset '${x}' (${ASSETS.map((k) => `${k.index} ${k.symbol}`).join(", ")})`);
  return a;
}

/** A non-negative decimal string as an exact fraction n / 10^d. */
export function parseDecimal(x: string, field: string): { n: bigint; d: number } {
  const m = /^([0-9]{1,30})(?:\.([0-9]{1,30}))?$/.exec(x.replace(/_/g, ""));
  if (!m) throw new ValidationError(field, `must be a non-negative decimal number (got '${x}')`);
  const frac = m[2] ?? "";
  return { n: BigInt(m[1] + frac), d: frac.length };
}

/** x * 10^k / (a * 10^-b), exactly, or a ValidationError saying why not. */
function exactDiv(num: bigint, den: bigint, field: string, what: string): bigint {
  if (den === 0n) throw new ValidationError(field, "division by zero");
  if (num % den !== 0n) throw new ValidationError(field, what);
  return num / den;
}

/** Human size (base asset, e.g. 2 BTC) -> lots; must be a whole, positive number of lots. */
export function sizeToLots(market: MarketInfo, size: string, field = "--size"): bigint {
  const s = parseDecimal(size, field);
  const lot = parseDecimal(market.lot, "lot");
  // lots = (s.n / 10^s.d) / (lot.n / 10^lot.d) = s.n * 10^lot.d / (lot.n * 10^s.d)
  const lots = exactDiv(
    s.n * 10n ** BigInt(lot.d),
    lot.n * 10n ** BigInt(s.d),
    field,
    `${size} ${market.symbol} is not a whole number of lots (1 lot = ${market.lot} ${market.symbol})`,
  );
  if (lots <= 0n) throw new ValidationError(field, "must be positive");
  return lots;
}

/** Human price (USD per base unit, e.g. 97250) -> quote units per lot, exactly. */
export function priceToQuote(market: MarketInfo, price: string, field = "--price"): bigint {
  const p = parseDecimal(price, field);
  const lot = parseDecimal(market.lot, "lot");
  // quote per lot = p * lot * 10^QUOTE_DECIMALS
  return exactDiv(
    p.n * lot.n * 10n ** BigInt(QUOTE_DECIMALS),
    10n ** BigInt(p.d + lot.d),
    field,
    `${price} USD per ${market.symbol} is not a whole number of quote units (1e-6 USD) per lot of ${market.lot} ${market.symbol}`,
  );
}

/** Human amount of an asset (e.g. 200000 USD, 1.5 ETH) -> the token's smallest units, exactly. */
export function amountToUnits(asset: AssetInfo, amount: string, field = "--amount"): bigint {
  const a = parseDecimal(amount, field);
  if (a.d > asset.decimals) throw new ValidationError(field, `${asset.symbol} has ${asset.decimals} decimals; ${amount} has more`);
  return a.n * 10n ** BigInt(asset.decimals - a.d);
}

/** Quote units -> a USD string with 2 decimals, rounded toward zero (for display only). */
export function formatUsd(quote: bigint): string {
  const neg = quote < 0n;
  const cents = (neg ? -quote : quote) / 10n ** BigInt(QUOTE_DECIMALS - 2);
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${whole}.${(cents % 100n).toString().padStart(2, "0")} USD`;
}

/** The table shown in `zkmargin fill new --help` and the README. */
export function marketsTable(): string {
  return [
    "Markets (size in the base asset, price in USD per base unit; 1 quote unit = 1e-6 USD):",
    ...MARKETS.map((m) => `  ${m.index} ${m.symbol.padEnd(5)} 1 lot = ${m.lot} ${m.symbol}`),
    "Collateral assets (amounts in the token's smallest unit):",
    ...ASSETS.map((a) => `  ${a.index} ${a.symbol.padEnd(5)} ${a.decimals} decimals (test token ${a.token.symbol})`),
  ].join("\n");
}
