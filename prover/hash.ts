// ChainHash: Poseidon (circomlib parameters, BN254) over any number of field elements.
//   H(x) = Poseidon_n(x)                                  if n <= 16
//   H(x) = H([Poseidon_16(x[0..15])] ++ x[16..n-1])       otherwise
// The circom twin is circuits/lib/hash.circom.
import {
  poseidon1,
  poseidon2,
  poseidon3,
  poseidon4,
  poseidon5,
  poseidon6,
  poseidon7,
  poseidon8,
  poseidon9,
  poseidon10,
  poseidon11,
  poseidon12,
  poseidon13,
  poseidon14,
  poseidon15,
  poseidon16,
} from "poseidon-lite";
import { FIELD_MODULUS } from "./field.ts";

type PoseidonFn = (inputs: bigint[]) => bigint;
const POSEIDON: PoseidonFn[] = [
  poseidon1,
  poseidon2,
  poseidon3,
  poseidon4,
  poseidon5,
  poseidon6,
  poseidon7,
  poseidon8,
  poseidon9,
  poseidon10,
  poseidon11,
  poseidon12,
  poseidon13,
  poseidon14,
  poseidon15,
  poseidon16,
] as unknown as PoseidonFn[];

/** Poseidon with 1..16 inputs; every input must already be a field element. */
export function poseidon(inputs: bigint[]): bigint {
  if (inputs.length < 1 || inputs.length > 16) throw new RangeError(`poseidon takes 1..16 inputs, got ${inputs.length}`);
  for (const x of inputs) {
    if (x < 0n || x >= FIELD_MODULUS) throw new RangeError("poseidon input is not a canonical field element");
  }
  return POSEIDON[inputs.length - 1](inputs);
}

export function chainHash(inputs: bigint[]): bigint {
  if (inputs.length <= 16) return poseidon(inputs);
  return chainHash([poseidon(inputs.slice(0, 16)), ...inputs.slice(16)]);
}
