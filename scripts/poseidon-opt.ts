// circomlib's optimized Poseidon (sparse partial rounds): constants parsed from
// circomlib/circuits/poseidon_constants.circom and the round structure of PoseidonEx in
// circomlib/circuits/poseidon.circom. Used by scripts/gen-poseidon.ts to generate the
// Solidity implementation, and checked there against poseidon-lite (the unoptimized form).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

export const F = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

export interface OptConstants {
  t: number;
  nRoundsP: number;
  C: bigint[]; // t * nRoundsF + nRoundsP
  S: bigint[]; // nRoundsP * (2t - 1)
  M: bigint[][]; // t x t
  P: bigint[][]; // t x t
}

let source: string | undefined;
function section(name: string, t: number): bigint[] {
  source ??= readFileSync(join(REPO_ROOT, "node_modules/circomlib/circuits/poseidon_constants.circom"), "utf8");
  const start = source.indexOf(`function ${name}(t)`);
  if (start < 0) throw new Error(`${name} not found`);
  const end = source.indexOf("function ", start + 10);
  const body = source.slice(start, end < 0 ? undefined : end);
  const re = /if\s*\(\s*t\s*==\s*(\d+)\s*\)/g;
  const marks = [...body.matchAll(re)].map((m) => ({ t: Number(m[1]), at: m.index! }));
  const i = marks.findIndex((m) => m.t === t);
  if (i < 0) throw new Error(`${name}(${t}) not found`);
  const chunk = body.slice(marks[i].at, marks[i + 1]?.at ?? body.length);
  return [...chunk.matchAll(/0x[0-9a-fA-F]+/g)].map((m) => BigInt(m[0]));
}

export function optConstants(t: number): OptConstants {
  const nRoundsP = N_ROUNDS_P[t - 2];
  const C = section("POSEIDON_C", t);
  const S = section("POSEIDON_S", t);
  const Mf = section("POSEIDON_M", t);
  const Pf = section("POSEIDON_P", t);
  const square = (xs: bigint[]) => Array.from({ length: t }, (_, r) => xs.slice(r * t, r * t + t));
  if (C.length !== t * 8 + nRoundsP || S.length !== nRoundsP * (2 * t - 1) || Mf.length !== t * t || Pf.length !== t * t) {
    throw new Error(`unexpected optimized constants for t=${t}: C ${C.length} S ${S.length} M ${Mf.length} P ${Pf.length}`);
  }
  return { t, nRoundsP, C, S, M: square(Mf), P: square(Pf) };
}

const pow5 = (x: bigint) => {
  const x2 = (x * x) % F;
  return (((x2 * x2) % F) * x) % F;
};

/** out[i] = sum_j M[j][i] * in[j]  (circomlib's Mix) */
function mix(s: bigint[], M: bigint[][]): bigint[] {
  return s.map((_, i) => s.reduce((acc, x, j) => (acc + M[j][i] * x) % F, 0n));
}

/** PoseidonEx(nInputs, 1) with initialState 0, transcribed from circomlib. */
export function poseidonOpt(inputs: bigint[], k: OptConstants = optConstants(inputs.length + 1)): bigint {
  const { t, nRoundsP, C, S, M, P } = k;
  const half = 4;
  let s = [0n, ...inputs].map((x, j) => (x + C[j]) % F);
  for (let r = 0; r < half - 1; r++) {
    s = s.map((x, j) => (pow5(x) + C[(r + 1) * t + j]) % F);
    s = mix(s, M);
  }
  s = s.map((x, j) => (pow5(x) + C[half * t + j]) % F);
  s = mix(s, P);
  for (let r = 0; r < nRoundsP; r++) {
    const s0 = (pow5(s[0]) + C[(half + 1) * t + r]) % F;
    const base = (2 * t - 1) * r;
    let n0 = 0n;
    const inn = [s0, ...s.slice(1)];
    for (let i = 0; i < t; i++) n0 = (n0 + S[base + i] * inn[i]) % F;
    const next = [n0];
    for (let i = 1; i < t; i++) next.push((inn[i] + s0 * S[base + t + i - 1]) % F);
    s = next;
  }
  for (let r = 0; r < half - 1; r++) {
    s = s.map((x, j) => (pow5(x) + C[(half + 1) * t + nRoundsP + r * t + j]) % F);
    s = mix(s, M);
  }
  s = s.map(pow5);
  return s.reduce((acc, x, j) => (acc + M[j][0] * x) % F, 0n);
}
