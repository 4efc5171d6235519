// Bit widths of the zkmargin v1 model: the TypeScript twin of circuits/lib/widths.circom.
// docs/SPEC.md derives each one.

export const SIZE_BITS = 40; // |size| < 2^40 lots
export const COST_BITS = 100; // |costBasis| < 2^100
export const FUND_BITS = 63; // |entryFunding|, |fundingIndex| < 2^63
export const AMOUNT_BITS = 96; // collateral amount < 2^96
export const MARK_BITS = 48; // markPrice < 2^48
export const PRICE_E18_BITS = 96; // collateral priceE18 < 2^96
export const EPOCH_BITS = 64; // epochId < 2^64
export const LEVERAGE_BITS = 32; // maxLeverageBps < 2^32
export const DEPTH_BITS = 96; // 1 <= depth < 2^96
export const CAP_BITS = 40; // positionCap < 2^40
export const BPS_BITS = 14; // in-circuit bound of each bps field when packed
export const SHOCK_BITS = 14; // in-circuit bound: shock + 2^14 packed in 15 bits
export const BPS_ONE = 10000n;
export const MAX_SHOCK_BPS = 10000n; // model bound |shock| <= 10000
export const VALUE_DIVISOR = 10n ** 22n; // 1e18 (price scale) * 1e4 (bps)
export const WORD_BITS = 253;

export function ceilLog2(n: number): number {
  let r = 0;
  while (1 << r < n) r++;
  return r;
}

export const NOTIONAL_BITS = SIZE_BITS + MARK_BITS;
export const VALUE_BITS = 133;
export const REM_BITS = 74;
export const SLACK_BITS = 110;
export const valueSumBits = (M: number) => VALUE_BITS + ceilLog2(M);
export const equityBits = (M: number) => valueSumBits(M) + 1;
export const stressCapBits = (N: number) => NOTIONAL_BITS + SHOCK_BITS + ceilLog2(N) - 13;
export const stressBits = (N: number) => stressCapBits(N) + 15;
export const levCapBits = (N: number) => NOTIONAL_BITS + ceilLog2(N) + 14;
export const levCheckBits = (N: number) => levCapBits(N) + 1 + LEVERAGE_BITS;
