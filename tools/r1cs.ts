// Minimal reader of circom's binary .r1cs format and an in-process constraint checker.
// Used to test that edited witnesses are rejected (each constraint A·w * B·w = C·w mod r),
// without shelling out per check. Format: https://github.com/iden3/r1csfile (sections 1 header,
// 2 constraints, 3 wire-to-label map).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { FIELD_MODULUS } from "../prover/field.ts";

/** sha256 of a file, hex. */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export type LinearCombination = Map<number, bigint>;
export type Constraint = [LinearCombination, LinearCombination, LinearCombination];

export interface R1cs {
  prime: bigint;
  nWires: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nLabels: number;
  constraints: Constraint[];
  wireToLabel: number[];
  /** constraints that mention each wire (with a non-zero coefficient) */
  wireConstraints: number[][];
}

function readLE(buf: Uint8Array, offset: number, n: number): bigint {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[offset + i]);
  return x;
}

export function readR1cs(path: string): R1cs {
  const buf = readFileSync(path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.subarray(0, 4).toString("latin1") !== "r1cs") throw new Error(`${path}: not an r1cs file`);
  const nSections = view.getUint32(8, true);
  let pos = 12;
  const sections = new Map<number, { start: number; size: number }>();
  for (let i = 0; i < nSections; i++) {
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    sections.set(type, { start: pos + 12, size });
    pos += 12 + size;
  }
  const h = sections.get(1);
  const c = sections.get(2);
  const m = sections.get(3);
  if (!h || !c || !m) throw new Error(`${path}: missing r1cs sections`);
  let p = h.start;
  const n8 = view.getUint32(p, true);
  p += 4;
  const prime = readLE(buf, p, n8);
  p += n8;
  if (prime !== FIELD_MODULUS) throw new Error(`${path}: not a BN254 r1cs`);
  const nWires = view.getUint32(p, true);
  const nOutputs = view.getUint32(p + 4, true);
  const nPubInputs = view.getUint32(p + 8, true);
  const nPrvInputs = view.getUint32(p + 12, true);
  const nLabels = Number(view.getBigUint64(p + 16, true));
  const nConstraints = view.getUint32(p + 24, true);

  const constraints: Constraint[] = [];
  const wireConstraints: number[][] = Array.from({ length: nWires }, () => []);
  p = c.start;
  for (let k = 0; k < nConstraints; k++) {
    const lcs: LinearCombination[] = [];
    for (let part = 0; part < 3; part++) {
      const nTerms = view.getUint32(p, true);
      p += 4;
      const lc: LinearCombination = new Map();
      for (let t = 0; t < nTerms; t++) {
        const wire = view.getUint32(p, true);
        const coef = readLE(buf, p + 4, n8);
        p += 4 + n8;
        if (coef !== 0n) {
          lc.set(wire, coef);
          const list = wireConstraints[wire];
          if (list[list.length - 1] !== k) list.push(k);
        }
      }
      lcs.push(lc);
    }
    constraints.push(lcs as Constraint);
  }
  const wireToLabel: number[] = [];
  p = m.start;
  for (let w = 0; w < nWires; w++) {
    wireToLabel.push(Number(view.getBigUint64(p, true)));
    p += 8;
  }
  return { prime, nWires, nOutputs, nPubInputs, nPrvInputs, nLabels, constraints, wireToLabel, wireConstraints };
}

function evalLc(lc: LinearCombination, w: readonly bigint[]): bigint {
  let acc = 0n;
  for (const [wire, coef] of lc) acc += coef * w[wire];
  return acc % FIELD_MODULUS;
}

export function constraintHolds(c: Constraint, w: readonly bigint[]): boolean {
  return (evalLc(c[0], w) * evalLc(c[1], w) - evalLc(c[2], w)) % FIELD_MODULUS === 0n;
}

/** Index of the first failing constraint, or -1 when the witness satisfies the system. */
export function firstFailingConstraint(r1cs: R1cs, w: readonly bigint[], only?: Iterable<number>): number {
  if (w.length !== r1cs.nWires) throw new Error(`witness has ${w.length} wires, r1cs has ${r1cs.nWires}`);
  if (w[0] !== 1n) return -2;
  for (const k of only ?? r1cs.constraints.keys()) {
    if (!constraintHolds(r1cs.constraints[k], w)) return k;
  }
  return -1;
}

/**
 * Does the system still hold after setting one wire to a new value? Only the constraints that
 * mention the wire can change, so only those are evaluated.
 */
export function acceptsMutation(r1cs: R1cs, w: bigint[], wire: number, value: bigint): boolean {
  const old = w[wire];
  w[wire] = ((value % FIELD_MODULUS) + FIELD_MODULUS) % FIELD_MODULUS;
  try {
    return firstFailingConstraint(r1cs, w, r1cs.wireConstraints[wire]) === -1 && !(wire === 0 && w[0] !== 1n);
  } finally {
    w[wire] = old;
  }
}

export interface SymEntry {
  label: number;
  wire: number;
  name: string;
}

/** Every line of a circom .sym file: label, wire (-1 for eliminated signals), signal name. */
export function readSym(path: string): SymEntry[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [label, wire, , name] = line.split(",");
      return { label: Number(label), wire: Number(wire), name };
    });
}

/** Signal names by wire index (the first name of each surviving wire). */
export function readSymWires(path: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of readSym(path)) if (s.wire >= 0 && !out.has(s.wire)) out.set(s.wire, s.name);
  return out;
}
