// Derived bit widths of the zkmargin v1 model: the TypeScript twin of circuits/lib/widths.circom
// (test/gadgets.test.ts compiles the circom functions and compares every value). Input widths
// are shared constants (prover/constants.ts, generated into circom and Solidity); docs/SPEC.md
// derives each width.
import { LEVERAGE_BITS, MARK_BITS, SHOCK_BITS, SIZE_BITS } from "./constants.ts";

export {
  SIZE_BITS,
  COST_BITS,
  FUND_BITS,
  AMOUNT_BITS,
  MARK_BITS,
  PRICE_E18_BITS,
  EPOCH_BITS,
  LEVERAGE_BITS,
  DEPTH_BITS,
  CAP_BITS,
  BPS_BITS,
  SHOCK_BITS,
  WORD_BITS,
  EPHEMERAL_BITS,
  BINDING_BITS,
  BPS_ONE,
  MAX_SHOCK_BPS,
  VALUE_DIVISOR,
} from "./constants.ts";

export function ceilLog2(n: number): number {
  let r = 0;
  while (1 << r < n) r++;
  return r;
}

/** |s * P| < 2^(40+48) */
export const NOTIONAL_BITS = SIZE_BITS + MARK_BITS;
/** collateral value floor(a * p * (10000 - h) / 1e22) < 2^206 / 1e22 < 2^133 */
export const VALUE_BITS = 133;
/** remainder of the collateral floor division: [0, 1e22) inside [0, 2^74) */
export const REM_BITS = 74;
/** ceil slack t in [0, 10000 * depth) inside [0, 2^110) */
export const SLACK_BITS = 110;
export const valueSumBits = (M: number) => VALUE_BITS + ceilLog2(M);
export const equityBits = (M: number) => valueSumBits(M) + 1;
export const stressCapBits = (N: number) => NOTIONAL_BITS + SHOCK_BITS + ceilLog2(N) - 13;
export const stressBits = (N: number) => stressCapBits(N) + 15;
export const levCapBits = (N: number) => NOTIONAL_BITS + ceilLog2(N) + 14;
export const levCheckBits = (N: number) => levCapBits(N) + 1 + LEVERAGE_BITS;
