// BN254 scalar field (the field of every circom signal and snarkjs public signal).
import { FIELD_MODULUS } from "./constants.ts";

export { FIELD_MODULUS };

/** x mod r in [0, r): how signed integers are encoded as field elements. */
export function toField(x: bigint): bigint {
  const m = x % FIELD_MODULUS;
  return m < 0n ? m + FIELD_MODULUS : m;
}

export function pow2(k: number): bigint {
  return 1n << BigInt(k);
}

/** ceil(a / b) for a >= 0, b > 0 */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n || a < 0n) throw new RangeError("ceilDiv expects a >= 0 and b > 0");
  return (a + b - 1n) / b;
}

/** floor(a / b) for b > 0 (also for negative a) */
export function floorDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError("floorDiv expects b > 0");
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

export function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}
