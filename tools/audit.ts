// zkmargin audit: soundness checks an auditor can run with one command (issue #4).
//   1. witness mutation: every non-input wire of every healthy vector's witness, edited +1, -1,
//      p-1-w and a random element, must be rejected by the R1CS (checked in-process); and every
//      private input, changed and re-derived, must change the public outputs or be refused
//   2. range-check table: from the circuit sources, every private input and every signal that a
//      witness-only computation (`<--`, integer division) produces or consumes, matched to the
//      range checks that bound it; unbounded ones are findings unless the NOTE lists them
//   3. public inputs: each public signal at r, r+1, 2^256-1 (and x+r) rejected by the verifier
//   4. setup: vk_delta_2 != vk_gamma_2, zkey <-> vkey <-> Solidity verifier, manifest hashes,
//      zkey verified against the r1cs and powers of tau when the ptau is available
//   5. constraint report: constraints per component (template) and the public signal list
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { FIELD_MODULUS } from "../prover/field.ts";
import { acceptsMutation, firstFailingConstraint, readR1cs, readSym, sha256File as sha256, type R1cs, type SymEntry } from "./r1cs.ts";
export { readSym, type SymEntry } from "./r1cs.ts";
import { circuitArtifacts, REPO_ROOT, type CircuitName } from "../prover/artifacts.ts";
import type { CircuitProver, MarginProof } from "../prover/prover.ts";
import { verifyProof } from "../prover/prover.ts";
import { TRANSITION_SIGNALS } from "../prover/transition.ts";
import { prepareTransitionVector, type TransitionVector } from "./vectors.ts";
import { circuitInputs, type CircuitInputs } from "../prover/inputs.ts";
import { parseBinding, parseLevel, validateParams, validatePortfolio } from "../prover/validate.ts";
import type { Vector } from "./vectors.ts";

// ------------------------------------------------------------------------------ 1. mutation

export interface MutationResult {
  vectors: number;
  signalsTried: number;
  mutationsTried: number;
  mutationsAccepted: number;
  accepted: Array<{ vector: string; signal: string; wire: number; value: string }>;
  inputsRederived: number;
  inputsRefused: number;
  inputsWithoutEffect: string[];
}

/** An honest witness to audit: raw circuit inputs and the public signals they must produce. */
export interface AuditCase {
  name: string;
  inputs: CircuitInputs;
  publicSignals: string[];
}

/** The margin circuit's cases: every healthy vector. */
export function marginCases(vectors: Vector[]): AuditCase[] {
  return vectors
    .filter((v) => v.expected.report?.healthy && v.expected.proveExitCode === 0)
    .map((v) => ({
      name: v.name,
      inputs: circuitInputs(validateParams(v.params), validatePortfolio(v.portfolio), parseLevel(v.level), parseBinding(v.binding)),
      publicSignals: v.expected.publicSignals!,
    }));
}

/** The transition circuit's cases: every vector with a proof (exit 0). */
export function transitionCases(vectors: TransitionVector[]): AuditCase[] {
  const out: AuditCase[] = [];
  for (const v of vectors) {
    const { prepared } = prepareTransitionVector(v);
    if (prepared) out.push({ name: v.name, inputs: prepared.inputs, publicSignals: prepared.publicSignals });
  }
  return out;
}

export async function mutationAudit(prover: CircuitProver, r1cs: R1cs, sym: SymEntry[], cases: AuditCase[]): Promise<MutationResult> {
  const names = new Map<number, string>();
  for (const s of sym) if (s.wire >= 0 && !names.has(s.wire)) names.set(s.wire, s.name);
  const firstInternal = 1 + r1cs.nOutputs + r1cs.nPubInputs + r1cs.nPrvInputs;
  const nonInput = [...Array.from({ length: r1cs.nOutputs }, (_, i) => 1 + i)];
  for (let w = firstInternal; w < r1cs.nWires; w++) nonInput.push(w);
  const res: MutationResult = {
    vectors: 0, signalsTried: 0, mutationsTried: 0, mutationsAccepted: 0, accepted: [],
    inputsRederived: 0, inputsRefused: 0, inputsWithoutEffect: [],
  };
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  for (const v of cases) {
    const w = await prover.rawWitness(v.inputs);
    if (firstFailingConstraint(r1cs, w) !== -1) throw new Error(`${v.name}: the honest witness fails the r1cs`);
    if (w.slice(1, 1 + nPublic).map(String).join() !== v.publicSignals.join()) throw new Error(`${v.name}: the witness's public signals are not the expected ones`);
    res.vectors++;
    const random = BigInt(`0x${randomBytes(32).toString("hex")}`) % FIELD_MODULUS;
    for (const wire of nonInput) {
      res.signalsTried++;
      // +1, -1, p-1 (i.e. -1), the negation, and a random element
      for (const edit of [w[wire] + 1n, w[wire] - 1n + FIELD_MODULUS, FIELD_MODULUS - 1n, FIELD_MODULUS - w[wire], random]) {
        const value = edit % FIELD_MODULUS;
        if (value === w[wire]) continue;
        res.mutationsTried++;
        if (acceptsMutation(r1cs, w, wire, value)) {
          res.mutationsAccepted++;
          res.accepted.push({ vector: v.name, signal: names.get(wire) ?? `wire ${wire}`, wire, value: value.toString() });
        }
      }
    }
  }
  // re-derive: change each private input of the first case; the witness must be refused or
  // carry different public outputs (a circuit without outputs must refuse it)
  const v = cases[0];
  if (v) {
    const original = await prover.rawWitness(v.inputs);
    const inputNames = sym
      .filter((s) => s.wire >= 1 + r1cs.nOutputs + r1cs.nPubInputs && s.wire < firstInternal)
      .map((s) => s.name);
    for (const name of inputNames) {
      const edited = structuredClone(v.inputs);
      setInput(edited, name, (x) => ((BigInt(x) + 1n) % FIELD_MODULUS).toString());
      res.inputsRederived++;
      let w: bigint[] | null = null;
      try {
        w = await prover.rawWitness(edited);
      } catch {
        res.inputsRefused++;
      }
      if (w && original.slice(1, 1 + r1cs.nOutputs).every((x, k) => w![1 + k] === x)) res.inputsWithoutEffect.push(name);
    }
  }
  return res;
}

/** Set a circuit input by its .sym name, e.g. main.shocks[3][5]. */
function setInput(inputs: CircuitInputs, symName: string, f: (x: string) => string): void {
  const m = /^main\.(\w+)((?:\[\d+\])*)$/.exec(symName);
  if (!m) throw new Error(`unexpected input name ${symName}`);
  const idx = [...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
  if (idx.length === 0) {
    inputs[m[1]] = f(inputs[m[1]] as string);
    return;
  }
  let node = inputs[m[1]] as unknown as unknown[];
  for (let k = 0; k < idx.length - 1; k++) node = node[idx[k]] as unknown[];
  node[idx[idx.length - 1]] = f(node[idx[idx.length - 1]] as string);
}

// ------------------------------------------------------------------------------ 2. range checks

export interface RangeCheck {
  component: string;
  gadget: string;
  widths: number[];
  bounds: string;
  line: number | string;
}

export interface RangeRow {
  signal: string;
  kind: "private input" | "witness-only (<--)" | "division operand";
  direct: string[];
  indirect: string[];
  note: boolean;
  status:
    | "bounded"
    | "bounded to its packed width (NOTE)"
    | "bounded through other checks"
    | "caller obligation (NOTE)"
    | "field element by design"
    | "MISSING";
}

const RANGE_GADGETS = new Set(["Num2Bits", "SignedRange", "CapFromBits"]);

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, (m) => " ".repeat(m.length));
}

/** Parse a circuit template's sources into its range checks and witness-only sites. */
export function rangeCheckTable(
  circuitFiles: string | string[],
  sym: SymEntry[],
  privateInputs?: Set<string>,
): { checks: RangeCheck[]; rows: RangeRow[]; noteSignals: string[] } {
  const files = Array.isArray(circuitFiles) ? circuitFiles : [circuitFiles];
  const texts = files.map((f) => readFileSync(f, "utf8"));
  const raw = texts.join("\n");
  const src = stripComments(raw);
  const starts: number[] = [];
  texts.reduce((off, t) => (starts.push(off), off + t.length + 1), 0);
  const lineOf = (offset: number) => {
    let k = starts.length - 1;
    while (starts[k] > offset) k--;
    const line = src.slice(starts[k], offset).split("\n").length;
    return files.length > 1 ? `${files[k].replace(/^.*\//, "")}:${line}` : line;
  };
  // signals that are field elements by design (hashed or curve-checked), named in a comment
  const byDesign = new Set([...raw.matchAll(/FIELD ELEMENTS BY DESIGN:([^\n]*)/g)].flatMap((m) => [...m[1].matchAll(/\b([A-Za-z_]\w*)\b/g)].map((x) => x[1])));

  // the NOTE paragraph names the parameters the circuit leaves to its callers
  const note = /NOTE \(caller obligation\)[\s\S]*?does NOT check:?([\s\S]*?)\/\/ A verifier/.exec(raw)?.[1] ?? "";
  const signals = new Map<string, "input" | "signal">();
  for (const m of src.matchAll(/signal\s+(input|output)?\s*(\w+)/g)) signals.set(m[2], m[1] === "input" ? "input" : "signal");
  const noteSignals = [...signals.keys()].filter((s) => new RegExp(`\\b${s}(_[ij])?\\b`).test(note) || (s === "shocks" && /\bshock\b/.test(note)));

  // var aliases: priceVal[...] = markPrice[i]; riskVal[...] = shocks[k][i] + 2 ** SHOCK_BITS();
  const aliases = new Map<string, Set<string>>();
  for (const m of src.matchAll(/\b(\w+)\[[^\]]*\]\s*=\s*([^;]+);/g)) {
    if (signals.has(m[1])) continue;
    const refs = [...m[2].matchAll(/\b([A-Za-z_]\w*)\b/g)].map((x) => x[1]).filter((x) => signals.has(x));
    if (refs.length) {
      const set = aliases.get(m[1]) ?? new Set<string>();
      refs.forEach((r) => set.add(r));
      aliases.set(m[1], set);
    }
  }
  // accumulators (collateralSum += value[j]) bound their terms only indirectly
  const accumulators = new Map<string, Set<string>>();
  for (const m of src.matchAll(/\b(\w+)\s*\+=\s*([^;]+);/g)) {
    if (signals.has(m[1])) continue;
    const refs = [...m[2].matchAll(/\b([A-Za-z_]\w*)\b/g)].map((x) => x[1]).filter((x) => signals.has(x));
    const set = accumulators.get(m[1]) ?? new Set<string>();
    refs.forEach((r) => set.add(r));
    accumulators.set(m[1], set);
  }
  const refsOf = (expr: string): string[] => {
    const out = new Set<string>();
    for (const x of expr.matchAll(/\b([A-Za-z_]\w*)\b/g)) {
      if (signals.has(x[1])) out.add(x[1]);
      for (const a of aliases.get(x[1]) ?? []) out.add(a);
      for (const a of accumulators.get(x[1]) ?? []) out.add(a);
    }
    return [...out];
  };
  // components and their gadget
  const gadgetOf = new Map<string, string>();
  for (const m of src.matchAll(/\b(\w+)(?:\[[^\]]*\])?\s*=\s*(\w+)\s*\(/g)) gadgetOf.set(m[1], m[2]);
  // widths from the symbol table: count out[k] / bits[k] labels per component instance
  const widthOf = (component: string): number[] => {
    const per = new Map<string, number>();
    const re = new RegExp(`(?:^|\\.)${component}((?:\\[\\d+\\])*)\\.(?:out|bits)\\[\\d+\\]$`);
    for (const s of sym) {
      const m = re.exec(s.name);
      if (m) per.set(m[1], (per.get(m[1]) ?? 0) + 1);
    }
    return [...new Set(per.values())].sort((a, b) => a - b);
  };
  const checks: RangeCheck[] = [];
  for (const m of src.matchAll(/\b(\w+)(?:\[[^\]]*\])?\.(in|bits)\s*<==\s*([^;]+);/g)) {
    const gadget = gadgetOf.get(m[1]);
    if (!gadget || !RANGE_GADGETS.has(gadget)) continue;
    checks.push({ component: m[1], gadget, widths: widthOf(m[1]), bounds: m[3].replace(/\s+/g, " ").trim(), line: lineOf(m.index!) });
  }
  // sites: private inputs, witness-only targets and the operands of witness-only divisions
  const kinds = new Map<string, RangeRow["kind"]>();
  for (const [s, k] of signals) {
    if (k !== "input" || ["level", "binding", "salt"].includes(s)) continue;
    if (privateInputs && !privateInputs.has(s)) continue;
    kinds.set(s, "private input");
  }
  for (const m of src.matchAll(/\b(\w+)(?:\[[^\]]*\])?\s*<--\s*([^;]+);/g)) {
    if (!kinds.has(m[1])) kinds.set(m[1], "witness-only (<--)");
    if (m[2].includes("\\")) for (const r of refsOf(m[2])) if (!kinds.has(r)) kinds.set(r, "division operand");
  }
  // direct: the bounded expression is the signal itself (or an alias element of it) plus at most
  // a constant offset such as `+ 2 ** SIZE_BITS()`
  const isDirect = (c: RangeCheck, s: string) => {
    const m = /^(\w+)(\[[^\]]*\])*(\s*[+-]\s*[0-9\s*()A-Z_]+)?$/.exec(c.bounds);
    if (!m) return false;
    return m[1] === s || (aliases.get(m[1])?.has(s) ?? false);
  };
  const rows: RangeRow[] = [...kinds].map(([signal, kind]) => {
    const direct = checks.filter((c) => isDirect(c, signal)).map((c) => `${c.component} (${c.gadget} ${c.widths.join("/")} bits, line ${c.line})`);
    const indirect = checks
      .filter((c) => !isDirect(c, signal) && refsOf(c.bounds).includes(signal))
      .map((c) => `${c.component} (line ${c.line})`);
    const isNote = noteSignals.includes(signal);
    const status: RangeRow["status"] = direct.length
      ? isNote
        ? "bounded to its packed width (NOTE)"
        : "bounded"
      : isNote
        ? "caller obligation (NOTE)"
        : indirect.length
          ? "bounded through other checks"
          : byDesign.has(signal)
            ? "field element by design"
            : "MISSING";
    return { signal, kind, direct, indirect, note: isNote, status };
  });
  return { checks, rows, noteSignals };
}

// ------------------------------------------------------------------------------ 3. public inputs

export interface PublicInputCheck {
  signal: string;
  value: string;
  offChain: "rejected" | "ACCEPTED";
  /** "rejected: <custom error or reason>" or "ACCEPTED" */
  onChain?: string;
}

export type OnChainVerify = (proof: MarginProof) => Promise<{ valid: boolean; error?: string }>;

export async function publicInputAudit(
  proof: MarginProof,
  vkey: Parameters<typeof verifyProof>[1],
  onChain?: OnChainVerify,
  names: readonly string[] = ["commitment", "paramsHash", "level", "binding"],
): Promise<PublicInputCheck[]> {
  const out: PublicInputCheck[] = [];
  for (let i = 0; i < names.length; i++) {
    const values: Array<[string, bigint]> = [
      ["r", FIELD_MODULUS],
      ["r+1", FIELD_MODULUS + 1n],
      ["2^256-1", 2n ** 256n - 1n],
      ["x+r", BigInt(proof.publicSignals[i]) + FIELD_MODULUS],
    ];
    for (const [label, x] of values) {
      const t = structuredClone(proof);
      t.publicSignals[i] = x.toString();
      const row: PublicInputCheck = { signal: names[i], value: label, offChain: (await verifyProof(t, vkey)) ? "ACCEPTED" : "rejected" };
      if (onChain) {
        const r = await onChain(t);
        row.onChain = r.valid ? "ACCEPTED" : `rejected: ${r.error ?? "unknown"}`;
      }
      out.push(row);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ 4. setup

export interface SetupCheck {
  check: string;
  ok: boolean | null; // null = skipped
  detail: string;
}

export async function setupAudit(name: CircuitName, ptau?: string): Promise<SetupCheck[]> {
  const a = circuitArtifacts(name);
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "artifacts", "manifest.json"), "utf8"));
  const entry = manifest.circuits[name];
  const out: SetupCheck[] = [];
  const vk = JSON.parse(readFileSync(a.vkey, "utf8"));
  out.push({ check: "vk_delta_2 != vk_gamma_2 (phase 2 had a contribution)", ok: JSON.stringify(vk.vk_delta_2) !== JSON.stringify(vk.vk_gamma_2), detail: "" });
  for (const key of ["r1cs", "wasm", "sym", "zkey", "vkey", "verifier"]) {
    const got = sha256(join(REPO_ROOT, entry[key].path));
    out.push({ check: `${entry[key].path} sha256 equals the manifest`, ok: got === entry[key].sha256, detail: got });
  }
  const fromZkey = JSON.parse(JSON.stringify(await snarkjs.zKey.exportVerificationKey(a.zkey)));
  out.push({ check: "verification key equals the zkey's", ok: JSON.stringify(fromZkey) === JSON.stringify(vk), detail: "" });
  const sol = readFileSync(a.verifier, "utf8");
  const points: string[] = [
    ...vk.vk_alpha_1.slice(0, 2), ...vk.vk_beta_2.slice(0, 2).flat(), ...vk.vk_gamma_2.slice(0, 2).flat(),
    ...vk.vk_delta_2.slice(0, 2).flat(), ...vk.IC.flatMap((p: string[]) => p.slice(0, 2)),
  ];
  const missing = points.filter((x) => !sol.includes(x));
  out.push({ check: "the Solidity verifier embeds this verification key", ok: missing.length === 0, detail: `${points.length - missing.length}/${points.length} constants` });
  if (ptau && existsSync(ptau)) {
    const ok = (await snarkjs.zKey.verifyFromR1cs(a.r1cs, ptau, a.zkey)) === true;
    out.push({ check: "zkey verifies against the r1cs and powers of tau", ok, detail: ptau });
  } else {
    out.push({ check: "zkey verifies against the r1cs and powers of tau", ok: null, detail: "skipped: no powers-of-tau file (pass --ptau FILE)" });
  }
  return out;
}

// ------------------------------------------------------------------------------ 5. constraints

export interface ConstraintReport {
  total: number;
  wires: number;
  publicSignals: string[];
  privateInputs: number;
  perComponent: Array<{ component: string; template: string; constraints: number }>;
  perTemplate: Array<{ template: string; constraints: number }>;
}

/** Attribute each constraint to the component of its newest wire (O2 merges linear signals). */
export function constraintReport(r1cs: R1cs, sym: SymEntry[], circuitFile: string): ConstraintReport {
  const names = new Map<number, string>();
  for (const s of sym) if (s.wire >= 0 && !names.has(s.wire)) names.set(s.wire, s.name);
  const gadgetOf = new Map<string, string>();
  for (const m of stripComments(readFileSync(circuitFile, "utf8")).matchAll(/\b(\w+)(?:\[[^\]]*\])?\s*=\s*(\w+)\s*\(/g)) gadgetOf.set(m[1], m[2]);
  const counts = new Map<string, number>();
  for (const c of r1cs.constraints) {
    let max = 0;
    for (const lc of c) for (const w of lc.keys()) if (w > max) max = w;
    const name = names.get(max) ?? "main";
    const parts = name.split(".");
    const component = parts.length > 2 ? `${parts[0]}.${parts[1].replace(/\[\d+\]/g, "")}` : "main";
    counts.set(component, (counts.get(component) ?? 0) + 1);
  }
  const perComponent = [...counts]
    .map(([component, constraints]) => ({
      component,
      template: component === "main" ? "MarginProof (own constraints)" : (gadgetOf.get(component.split(".")[1]) ?? "?"),
      constraints,
    }))
    .sort((a, b) => b.constraints - a.constraints);
  const publicSignals = sym.filter((s) => s.wire >= 1 && s.wire <= r1cs.nOutputs + r1cs.nPubInputs).map((s) => s.name);
  const byTemplate = new Map<string, number>();
  for (const c of perComponent) byTemplate.set(c.template, (byTemplate.get(c.template) ?? 0) + c.constraints);
  const perTemplate = [...byTemplate].map(([template, constraints]) => ({ template, constraints })).sort((a, b) => b.constraints - a.constraints);
  return { total: r1cs.constraints.length, wires: r1cs.nWires, publicSignals, privateInputs: r1cs.nPrvInputs, perComponent, perTemplate };
}

// ------------------------------------------------------------------------------ the whole audit

export interface AuditReport {
  circuit: CircuitName;
  generatedAt: string;
  findings: string[];
  mutation: MutationResult;
  rangeChecks: { checks: RangeCheck[]; rows: RangeRow[]; noteSignals: string[] };
  publicInputs: PublicInputCheck[];
  setup: SetupCheck[];
  constraints: ConstraintReport;
}

export interface AuditOptions {
  prover: CircuitProver;
  /** honest witnesses to mutate (marginCases / transitionCases of the published vectors) */
  cases: AuditCase[];
  ptau?: string;
  onChain?: OnChainVerify;
  log?: (s: string) => void;
}

/** Public signal names and the sources the range-check table is derived from, per circuit. */
export const AUDIT_CIRCUITS: Record<CircuitName, { signals: readonly string[]; sources: string[] }> = {
  margin: { signals: ["commitment", "paramsHash", "level", "binding"], sources: ["margin.circom"] },
  transition: { signals: TRANSITION_SIGNALS, sources: ["margin.circom", "transition.circom"] },
};

export async function audit(name: CircuitName, opts: AuditOptions): Promise<AuditReport> {
  const log = opts.log ?? (() => {});
  const a = circuitArtifacts(name);
  const r1cs = readR1cs(a.r1cs);
  const sym = readSym(a.sym);
  const spec = AUDIT_CIRCUITS[name];
  const sources = spec.sources.map((f) => join(REPO_ROOT, "circuits", f));
  const findings: string[] = [];

  log(`${name}: witness mutation over ${opts.cases.length} vectors`);
  const mutation = await mutationAudit(opts.prover, r1cs, sym, opts.cases);
  for (const x of mutation.accepted.slice(0, 50)) findings.push(`mutation accepted: ${x.signal} = ${x.value} (${x.vector})`);
  for (const s of mutation.inputsWithoutEffect) findings.push(`private input ${s} does not affect the public signals`);

  log(`${name}: range-check table`);
  const rangeChecks = rangeCheckTable(sources, sym, privateInputNames(r1cs, sym));
  for (const r of rangeChecks.rows) if (r.status === "MISSING") findings.push(`no range check bounds ${r.signal} (${r.kind})`);

  log(`${name}: public inputs >= r`);
  let publicInputs: PublicInputCheck[] = [];
  const first = opts.cases[0];
  if (first) {
    const proof = await opts.prover.proveInputs(first.inputs, first.publicSignals);
    publicInputs = await publicInputAudit(proof, opts.prover.vkey, opts.onChain, spec.signals);
    for (const p of publicInputs) {
      if (p.offChain !== "rejected") findings.push(`off-chain verifier accepts ${p.signal} = ${p.value}`);
      if (p.onChain && !p.onChain.startsWith("rejected")) findings.push(`on-chain verifier: ${p.signal} = ${p.value} gave ${p.onChain}`);
    }
  } else {
    findings.push("no vector with a proof to audit");
  }

  log(`${name}: setup`);
  const setup = await setupAudit(name, opts.ptau);
  for (const s of setup) if (s.ok === false) findings.push(`setup: ${s.check} failed ${s.detail}`);

  const constraints = constraintReport(r1cs, sym, sources[sources.length - 1]);
  if (mutation.mutationsTried === 0) findings.push("no mutation was tried");
  return { circuit: name, generatedAt: new Date().toISOString(), findings, mutation, rangeChecks, publicInputs, setup, constraints };
}

/** Names (without `main.` and indices) of the circuit's private inputs, from the symbol table. */
export function privateInputNames(r1cs: R1cs, sym: SymEntry[]): Set<string> {
  const first = 1 + r1cs.nOutputs + r1cs.nPubInputs;
  const last = first + r1cs.nPrvInputs;
  return new Set(sym.filter((s) => s.wire >= first && s.wire < last).map((s) => s.name.replace(/^main\./, "").replace(/\[.*$/, "")));
}

export function formatAudit(r: AuditReport): string {
  const L: string[] = [];
  const m = r.mutation;
  L.push(`zkmargin audit — circuit ${r.circuit} — ${r.generatedAt}`);
  L.push("");
  L.push("1. Witness mutation");
  L.push(`   vectors: ${m.vectors} healthy; signals tried: ${m.signalsTried}; mutations tried: ${m.mutationsTried}; accepted: ${m.mutationsAccepted}`);
  for (const x of m.accepted.slice(0, 20)) L.push(`   ACCEPTED ${x.signal} = ${x.value} (${x.vector})`);
  L.push(`   private inputs re-derived: ${m.inputsRederived} (${m.inputsRefused} refused by the circuit, ${m.inputsRederived - m.inputsRefused - m.inputsWithoutEffect.length} changed the public signals, ${m.inputsWithoutEffect.length} without effect)`);
  L.push("");
  L.push("2. Range checks (from the circuit sources)");
  for (const c of r.rangeChecks.checks) L.push(`   line ${String(c.line).padStart(3)}  ${c.gadget.padEnd(11)} ${(c.widths.join("/") + " bits").padEnd(14)} ${c.component}: ${c.bounds}`);
  L.push("");
  L.push(`   ${"signal".padEnd(19)} ${"kind".padEnd(19)} ${"status".padEnd(36)} bound by`);
  for (const row of r.rangeChecks.rows) {
    const by = row.direct.length ? row.direct.join("; ") : row.indirect.join("; ");
    L.push(`   ${row.signal.padEnd(19)} ${row.kind.padEnd(19)} ${row.status.padEnd(36)} ${by}`);
  }
  L.push("");
  L.push("3. Public inputs >= r");
  for (const p of r.publicInputs) L.push(`   ${p.signal.padEnd(11)} = ${p.value.padEnd(8)} off-chain ${p.offChain}${p.onChain ? `, on-chain ${p.onChain}` : ""}`);
  L.push("");
  L.push("4. Setup");
  for (const s of r.setup) L.push(`   [${s.ok === null ? "skip" : s.ok ? " ok " : "FAIL"}] ${s.check}${s.detail && s.ok !== true ? ` (${s.detail})` : ""}`);
  L.push("");
  L.push(`5. Constraints: ${r.constraints.total} (${r.constraints.wires} wires, ${r.constraints.privateInputs} private inputs)`);
  L.push(`   public signals: ${r.constraints.publicSignals.join(", ")}`);
  L.push("   per template:");
  for (const t of r.constraints.perTemplate) L.push(`   ${String(t.constraints).padStart(6)}  ${t.template}`);
  L.push("   per component:");
  for (const c of r.constraints.perComponent) L.push(`   ${String(c.constraints).padStart(6)}  ${c.component} (${c.template})`);
  L.push("");
  L.push(r.findings.length === 0 ? "findings: none" : `findings: ${r.findings.length}`);
  for (const f of r.findings) L.push(`   - ${f}`);
  return L.join("\n");
}
