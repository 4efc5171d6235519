// zkmargin audit: soundness checks an auditor can run with one command (issue #4).
//   1. witness mutation: every non-input wire of every healthy vector's witness, edited +1, -1,
//      p-1-w and a random element, must be rejected by the R1CS (checked in-process); and every
//      private input, changed and re-derived, must change the public outputs or be refused
//   2. range-check table: from the circuit code, every private input and every signal that a
//      witness-only computation (`<--`, integer division) produces or consumes, matched to the
//      range checks that bound it; unbounded ones are findings unless an audit tag names them
//      (`// @audit by-design: ...`, `// @audit caller-obligation: ...`; grammar in section 2)
//   3. public inputs: each public signal at r, r+1, 2^256-1 (and x+r) rejected by the verifier
//   4. setup: vk_delta_2 != vk_gamma_2, zkey <-> vkey <-> Solidity verifier, manifest hashes,
//      zkey verified against the r1cs and powers of tau when the ptau is available
//   5. constraint report: constraints per component (template) and the public signal list
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import * as snarkjs from "snarkjs";
import { FIELD_MODULUS } from "../prover/field.ts";
import { acceptsMutation, firstFailingConstraint, readR1cs, readSym, sha256File as sha256, type R1cs, type SymEntry } from "./r1cs.ts";
export { readSym, type SymEntry } from "./r1cs.ts";
import { circuitArtifacts, REPO_ROOT, type CircuitName } from "../prover/artifacts.ts";
import type { CircuitProver, MarginProof } from "../prover/prover.ts";
import { verifyProof } from "../prover/prover.ts";
import { TRANSITION_SIGNALS } from "../prover/transition/inputs.ts";
import {
  prepareLiquidationVector,
  prepareTakeoverVector,
  prepareTransitionVector,
  type LiquidationVector,
  type TakeoverVector,
  type TransitionVector,
} from "./vectors.ts";
import { LIQUIDATION_SIGNALS } from "../prover/liquidation.ts";
import { TAKEOVER_SIGNALS } from "../prover/takeover.ts";
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

/** The liquidation circuit's cases: every vector with a proof (exit 0), with its selector. */
export function liquidationCases(vectors: LiquidationVector[]): AuditCase[] {
  const out: AuditCase[] = [];
  for (const v of vectors) {
    const { prepared } = prepareLiquidationVector(v);
    if (prepared) out.push({ name: v.name, inputs: prepared.inputs, publicSignals: prepared.publicSignals });
  }
  return out;
}

/** The takeover circuit's cases: every vector with a proof (exit 0). */
export function takeoverCases(vectors: TakeoverVector[]): AuditCase[] {
  const out: AuditCase[] = [];
  for (const v of vectors) {
    const { prepared } = prepareTakeoverVector(v);
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
    vectors: 0,
    signalsTried: 0,
    mutationsTried: 0,
    mutationsAccepted: 0,
    accepted: [],
    inputsRederived: 0,
    inputsRefused: 0,
    inputsWithoutEffect: [],
  };
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  for (const v of cases) {
    const w = await prover.rawWitness(v.inputs);
    if (firstFailingConstraint(r1cs, w) !== -1) throw new Error(`${v.name}: the honest witness fails the r1cs`);
    if (
      w
        .slice(1, 1 + nPublic)
        .map(String)
        .join() !== v.publicSignals.join()
    )
      throw new Error(`${v.name}: the witness's public signals are not the expected ones`);
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
    const inputNames = sym.filter((s) => s.wire >= 1 + r1cs.nOutputs + r1cs.nPubInputs && s.wire < firstInternal).map((s) => s.name);
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
//
// The table reads the circuit code for range checks and explicit audit tags for the exceptions;
// it reads no prose, so rewording or reflowing a comment cannot change it.
//   - code, per template: every input of a Num2Bits / SignedRange / CapFromBits component
//     (`c.in <== expr`, `c.bits <== expr`), and every input port of a template of the sources
//     that its own analysis bounds (`range.sizes <== sizes` with range = PortfolioRange(N, M)
//     bounds `sizes` through PortfolioRange's SignedRange), followed through `var` element
//     aliases (`priceVal[1 + i] = markPrice[i]`) and accumulators (`collateralSum += value[j]`);
//   - tags: a signal left unbounded on purpose is named by an audit tag of its template.
//
// Tag grammar (docs/AUDIT.md, "Audit tags"): one tag per `//` comment line, inside a template's
// body or in the comment block directly above its `template` line:
//
//   // @audit <kind>: <signal>[, <signal>...] — <reason>
//
//   kind    by-design          the signal is a field element on purpose (hashed, curve-checked,
//                              pinned by a selector): "field element by design"
//           caller-obligation  whoever accepts a proof must establish its bound: "caller
//                              obligation (NOTE)", or "bounded to its packed width (NOTE)" when the
//                              code also range-checks it (to a width wider than the model's bound)
//   signal  a signal declared in that template; an array name covers every element
//   reason  free text after an em dash `—` (or ` -- `); required
//
// "@audit" is reserved: a comment containing it that does not parse, a tag outside a template
// and its header, or a tag naming a signal its template does not declare is an AuditTagError
// naming file:line.

export type AuditTagKind = "by-design" | "caller-obligation";
export const AUDIT_TAG_KINDS: readonly AuditTagKind[] = ["by-design", "caller-obligation"];

export interface AuditTag {
  kind: AuditTagKind;
  /** the template the tag belongs to (the one whose body or header holds it) */
  template: string;
  signals: string[];
  reason: string;
  /** where the tag is written, for navigation only: the table does not depend on it */
  file: string;
  line: number;
}

/** A malformed or misplaced audit tag, or one naming a signal its template does not declare. */
export class AuditTagError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = "AuditTagError";
    this.file = file;
    this.line = line;
  }
}

export interface RangeCheck {
  /** the template whose body holds the check */
  template: string;
  component: string;
  /** Num2Bits, SignedRange, CapFromBits, or a template of the sources (then `port` is set) */
  gadget: string;
  /** the sub-template's input port the bounded expression feeds, e.g. PortfolioRange's sizes */
  port?: string;
  /** for a port: the checks inside the sub-template that bound it */
  via?: string[];
  /** true when the check bounds `bounds` itself: a gadget, or a port its template range-checks;
   *  false for a port that its template bounds only through other checks */
  direct: boolean;
  widths: number[];
  bounds: string;
}

export interface RangeRow {
  signal: string;
  /** the template that declares the signal: the main template for private inputs */
  template: string;
  kind: "private input" | "witness-only (<--)" | "division operand";
  direct: string[];
  indirect: string[];
  /** a caller-obligation tag names the signal */
  note: boolean;
  /** the by-design or caller-obligation tag that names the signal, if any */
  tag?: { kind: AuditTagKind; reason: string };
  status:
    | "bounded"
    | "bounded to its packed width (NOTE)"
    | "bounded through other checks"
    | "caller obligation (NOTE)"
    | "field element by design"
    | "MISSING";
}

export interface RangeTable {
  /** the template whose private inputs are the table's input rows */
  main: string;
  checks: RangeCheck[];
  rows: RangeRow[];
  /** the signals the main template's caller-obligation tags name */
  noteSignals: string[];
  /** every audit tag of the sources */
  tags: AuditTag[];
}

const RANGE_GADGETS = new Set(["Num2Bits", "SignedRange", "CapFromBits"]);
// main-template inputs that are never rows: level and binding are public (the verifier chooses
// them) and salt (and Takeover's backSalt) only opens a commitment (hashed)
const NOT_ROWS = new Set(["level", "binding", "salt", "backSalt"]);

/** Comments blanked out; offsets and line breaks kept. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " ")).replace(/\/\/[^\n]*/g, (m) => " ".repeat(m.length));
}

interface TemplateSource {
  name: string;
  file: string;
  /** comment-free body between the braces */
  body: string;
  signals: Map<string, "input" | "output" | "signal">;
  /** component -> the template it instantiates */
  components: Map<string, string>;
}

function displayPath(file: string): string {
  const r = relative(REPO_ROOT, file);
  return r.startsWith("..") || isAbsolute(r) ? file : r;
}

const TAG_FORM = '"// @audit <by-design|caller-obligation>: <signal>[, <signal>...] — <reason>"';

/** Parse one comment (from its `//`) that contains "@audit" into a tag, or say what is wrong. */
function parseTagComment(comment: string): { kind: AuditTagKind; signals: string[]; reason: string } | string {
  if (comment.split("@audit").length > 2) return "one @audit tag per line";
  const head = /^\/\/\s*@audit\s+([^\s:]+)\s*:\s*(.*)$/.exec(comment);
  if (!head) return `malformed @audit tag, expected ${TAG_FORM}`;
  const kind = head[1] as AuditTagKind;
  if (!AUDIT_TAG_KINDS.includes(kind)) return `malformed @audit tag: unknown kind "${head[1]}" (expected ${AUDIT_TAG_KINDS.join(" or ")})`;
  const parts = /^(.*?)\s+(?:—|--)\s+(.*\S)\s*$/.exec(head[2]);
  if (!parts) return `malformed @audit tag: no reason (expected "— <reason>" after the signals): ${TAG_FORM}`;
  if (!/^[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*$/.test(parts[1])) {
    return `malformed @audit tag: "${parts[1]}" is not a list of signal names (names separated by commas, no indices)`;
  }
  return { kind, signals: parts[1].split(",").map((s) => s.trim()), reason: parts[2] };
}

/** The templates of circuit sources and their audit tags (validated against the templates). */
function parseSources(files: string[]): { templates: TemplateSource[]; tags: AuditTag[] } {
  const templates: TemplateSource[] = [];
  const tags: AuditTag[] = [];
  for (const f of files) {
    const file = displayPath(f);
    const raw = readFileSync(f, "utf8").replace(/\r\n?/g, "\n");
    const src = stripComments(raw);
    const lines = raw.split("\n");
    const lineAt = (offset: number) => src.slice(0, offset).split("\n").length;
    // each template's lines: header comment block, declaration, body
    const spans: Array<{ t: TemplateSource; header: number; decl: number; end: number }> = [];
    for (const m of src.matchAll(/\btemplate\s+(?:custom\s+|parallel\s+)*(\w+)\s*\([^)]*\)\s*\{/g)) {
      const open = m.index! + m[0].length - 1;
      let depth = 0;
      let close = -1;
      for (let k = open; k < src.length && close < 0; k++) {
        if (src[k] === "{") depth++;
        else if (src[k] === "}" && --depth === 0) close = k;
      }
      if (close < 0) throw new AuditTagError(file, lineAt(m.index!), `template ${m[1]} has no closing brace`);
      if (templates.some((t) => t.name === m[1]))
        throw new AuditTagError(file, lineAt(m.index!), `template ${m[1]} is defined twice in the sources`);
      const body = src.slice(open + 1, close);
      const signals = new Map<string, "input" | "output" | "signal">();
      for (const s of body.matchAll(/\bsignal\s+(?:(input|output)\s+)?(?:\{[^}]*\}\s*)?(\w+)/g))
        signals.set(s[2], (s[1] as "input" | "output") ?? "signal");
      const declared = new Set([...body.matchAll(/\bcomponent\s+(\w+)/g)].map((c) => c[1]));
      const components = new Map<string, string>();
      for (const c of body.matchAll(/\b(\w+)(?:\[[^\]]*\])*\s*=\s*(\w+)\s*\(/g)) if (declared.has(c[1])) components.set(c[1], c[2]);
      const t: TemplateSource = { name: m[1], file, body, signals, components };
      templates.push(t);
      const decl = lineAt(m.index!);
      let header = decl;
      while (header > 1 && lines[header - 2].trim().startsWith("//")) header--;
      spans.push({ t, header, decl, end: lineAt(close) });
    }
    // tags: every line that mentions @audit
    lines.forEach((text, k) => {
      const line = k + 1;
      const at = text.indexOf("@audit");
      if (at < 0) return;
      const slash = text.indexOf("//");
      if (slash < 0 || slash > at) throw new AuditTagError(file, line, `@audit tags are \`//\` line comments: ${text.trim()}`);
      const comment = text.slice(slash).trim();
      const parsed = parseTagComment(comment);
      if (typeof parsed === "string") throw new AuditTagError(file, line, `${parsed}: ${comment}`);
      const owner = spans.find((s) => s.header <= line && line <= s.end);
      if (!owner)
        throw new AuditTagError(
          file,
          line,
          "an @audit tag must be inside a template or in the comment block directly above its `template` line",
        );
      for (const s of parsed.signals) {
        if (!owner.t.signals.has(s)) {
          throw new AuditTagError(
            file,
            line,
            `@audit ${parsed.kind} names "${s}", which is not a signal of template ${owner.t.name} (its signals: ${[...owner.t.signals.keys()].join(", ")})`,
          );
        }
        const earlier = tags.find((x) => x.template === owner.t.name && x.signals.includes(s));
        if (earlier)
          throw new AuditTagError(file, line, `"${s}" of template ${owner.t.name} is already tagged at ${earlier.file}:${earlier.line}`);
      }
      tags.push({ ...parsed, template: owner.t.name, file, line });
    });
  }
  return { templates, tags };
}

/** The audit tags of circuit sources, validated (throws AuditTagError). */
export function auditTags(circuitFiles: string | string[]): AuditTag[] {
  return parseSources(Array.isArray(circuitFiles) ? circuitFiles : [circuitFiles]).tags;
}

/** How a check reads in a row's "bound by" column. */
export function describeCheck(c: RangeCheck): string {
  if (c.port) return `${c.template}.${c.component}.${c.port} -> ${c.via!.join(" + ")}`;
  return `${c.template}.${c.component} (${c.gadget}${c.widths.length ? ` ${c.widths.join("/")} bits` : ""})`;
}

interface TemplateAnalysis {
  checks: RangeCheck[];
  refsOf: (expr: string) => string[];
  boundOf: (signal: string) => { direct: RangeCheck[]; indirect: RangeCheck[] };
}

/**
 * The range-check table of a circuit's sources: every range check, and every private input of
 * the main template and every signal a witness-only computation (`<--`, integer division)
 * produces or consumes, matched to the checks that bound it. An unbounded row is MISSING unless
 * an audit tag of its template names it. `main` defaults to the last template of the sources
 * that no other template instantiates; `privateInputs` (from the symbol table) restricts the
 * input rows to the private ones.
 */
export function rangeCheckTable(circuitFiles: string | string[], sym: SymEntry[], privateInputs?: Set<string>, main?: string): RangeTable {
  const { templates, tags } = parseSources(Array.isArray(circuitFiles) ? circuitFiles : [circuitFiles]);
  const byName = new Map(templates.map((t) => [t.name, t]));
  const instantiated = new Set(templates.flatMap((t) => [...t.components.values()]));
  const top = main ? byName.get(main) : templates.filter((t) => !instantiated.has(t.name)).pop();
  if (!top) throw new Error(main ? `template ${main} is not in the circuit sources` : "the circuit sources define no template");

  // widths from the symbol table: count out[k] / bits[k] labels per component instance (its
  // full path, so main.oldRange.sizeRange[0] and main.newRange.sizeRange[0] are two instances)
  const widthOf = (component: string): number[] => {
    const per = new Map<string, number>();
    const re = new RegExp(`^(.*(?:^|\\.)${component}(?:\\[\\d+\\])*)\\.(?:out|bits)\\[\\d+\\]$`);
    for (const s of sym) {
      const m = re.exec(s.name);
      if (m) per.set(m[1], (per.get(m[1]) ?? 0) + 1);
    }
    return [...new Set(per.values())].sort((a, b) => a - b);
  };

  const memo = new Map<string, TemplateAnalysis>();
  const inProgress = new Set<string>();
  const analyze = (t: TemplateSource): TemplateAnalysis => {
    const done = memo.get(t.name);
    if (done) return done;
    inProgress.add(t.name);
    const { signals } = t;
    // var aliases: priceVal[...] = markPrice[i]; riskVal[...] = shocks[k][i] + 2 ** SHOCK_BITS();
    const aliases = new Map<string, Set<string>>();
    for (const m of t.body.matchAll(/\b(\w+)\[[^\]]*\]\s*=\s*([^;]+);/g)) {
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
    for (const m of t.body.matchAll(/\b(\w+)\s*\+=\s*([^;]+);/g)) {
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
    // checks: range gadgets, and input ports of templates of the sources that bound the port
    const checks: RangeCheck[] = [];
    for (const m of t.body.matchAll(/\b(\w+)(?:\[[^\]]*\])*\.(\w+)(?:\[[^\]]*\])*\s*<==\s*([^;]+);/g)) {
      const [, component, port, expr] = m;
      const gadget = t.components.get(component);
      if (!gadget) continue;
      const bounds = expr.replace(/\s+/g, " ").trim();
      if (RANGE_GADGETS.has(gadget)) {
        if (port === "in" || port === "bits")
          checks.push({ template: t.name, component, gadget, direct: true, widths: widthOf(component), bounds });
        continue;
      }
      const sub = byName.get(gadget);
      if (!sub || sub.signals.get(port) !== "input" || inProgress.has(sub.name)) continue;
      const inner = analyze(sub).boundOf(port);
      const via = inner.direct.length ? inner.direct : inner.indirect;
      if (via.length === 0) continue;
      const widths = [...new Set(via.flatMap((c) => c.widths))].sort((a, b) => a - b);
      checks.push({
        template: t.name,
        component,
        gadget,
        port,
        via: via.map(describeCheck),
        direct: inner.direct.length > 0,
        widths,
        bounds,
      });
    }
    // direct: the bounded expression is the signal itself (or an alias element of it) plus at
    // most a constant offset such as `+ 2 ** SIZE_BITS()`
    const isDirect = (c: RangeCheck, s: string) => {
      if (!c.direct) return false;
      const m = /^(\w+)(\[[^\]]*\])*(\s*[+-]\s*[0-9\s*()A-Z_]+)?$/.exec(c.bounds);
      if (!m) return false;
      return m[1] === s || (aliases.get(m[1])?.has(s) ?? false);
    };
    const boundOf = (s: string) => ({
      direct: checks.filter((c) => isDirect(c, s)),
      indirect: checks.filter((c) => !isDirect(c, s) && refsOf(c.bounds).includes(s)),
    });
    const analysis = { checks, refsOf, boundOf };
    inProgress.delete(t.name);
    memo.set(t.name, analysis);
    return analysis;
  };

  // the main template and the templates of the sources it instantiates, in source order
  const reached = new Set<string>([top.name]);
  const visit = (t: TemplateSource) => {
    for (const g of t.components.values()) {
      const sub = byName.get(g);
      if (sub && !reached.has(g)) {
        reached.add(g);
        visit(sub);
      }
    }
  };
  visit(top);
  const order = [top, ...templates.filter((t) => t !== top && reached.has(t.name))];

  // rows: the main template's private inputs, witness-only targets and the operands of
  // witness-only divisions (a sub-template's inputs are its caller's signals: not rows there)
  const sites: Array<{ template: TemplateSource; signal: string; kind: RangeRow["kind"] }> = [];
  const has = (t: TemplateSource, s: string) => sites.some((x) => x.template === t && x.signal === s);
  for (const [s, k] of top.signals) {
    if (k !== "input" || NOT_ROWS.has(s)) continue;
    if (privateInputs && !privateInputs.has(s)) continue;
    sites.push({ template: top, signal: s, kind: "private input" });
  }
  for (const t of order) {
    const { refsOf } = analyze(t);
    for (const m of t.body.matchAll(/\b(\w+)(?:\[[^\]]*\])*\s*<--\s*([^;]+);/g)) {
      if (t.signals.has(m[1]) && !has(t, m[1])) sites.push({ template: t, signal: m[1], kind: "witness-only (<--)" });
      if (!m[2].includes("\\")) continue;
      for (const r of refsOf(m[2])) {
        if (has(t, r) || (t !== top && t.signals.get(r) === "input")) continue;
        sites.push({ template: t, signal: r, kind: "division operand" });
      }
    }
  }
  const tagOf = (template: string, signal: string) => tags.find((x) => x.template === template && x.signals.includes(signal));
  const rows: RangeRow[] = sites.map(({ template, signal, kind }) => {
    const bound = analyze(template).boundOf(signal);
    const tag = tagOf(template.name, signal);
    const isNote = tag?.kind === "caller-obligation";
    const status: RangeRow["status"] = bound.direct.length
      ? isNote
        ? "bounded to its packed width (NOTE)"
        : "bounded"
      : isNote
        ? "caller obligation (NOTE)"
        : bound.indirect.length
          ? "bounded through other checks"
          : tag?.kind === "by-design"
            ? "field element by design"
            : "MISSING";
    const row: RangeRow = {
      signal,
      template: template.name,
      kind,
      direct: bound.direct.map(describeCheck),
      indirect: bound.indirect.map(describeCheck),
      note: isNote,
      status,
    };
    if (tag) row.tag = { kind: tag.kind, reason: tag.reason };
    return row;
  });
  const checks = order.flatMap((t) => analyze(t).checks);
  const noteSignals = tags.filter((x) => x.template === top.name && x.kind === "caller-obligation").flatMap((x) => x.signals);
  return { main: top.name, checks, rows, noteSignals, tags };
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
  out.push({
    check: "vk_delta_2 != vk_gamma_2 (phase 2 had a contribution)",
    ok: JSON.stringify(vk.vk_delta_2) !== JSON.stringify(vk.vk_gamma_2),
    detail: "",
  });
  for (const key of ["r1cs", "wasm", "sym", "zkey", "vkey", "verifier"]) {
    const got = sha256(join(REPO_ROOT, entry[key].path));
    out.push({ check: `${entry[key].path} sha256 equals the manifest`, ok: got === entry[key].sha256, detail: got });
  }
  const fromZkey = JSON.parse(JSON.stringify(await snarkjs.zKey.exportVerificationKey(a.zkey)));
  out.push({ check: "verification key equals the zkey's", ok: JSON.stringify(fromZkey) === JSON.stringify(vk), detail: "" });
  const sol = readFileSync(a.verifier, "utf8");
  const points: string[] = [
    ...vk.vk_alpha_1.slice(0, 2),
    ...vk.vk_beta_2.slice(0, 2).flat(),
    ...vk.vk_gamma_2.slice(0, 2).flat(),
    ...vk.vk_delta_2.slice(0, 2).flat(),
    ...vk.IC.flatMap((p: string[]) => p.slice(0, 2)),
  ];
  const missing = points.filter((x) => !sol.includes(x));
  out.push({
    check: "the Solidity verifier embeds this verification key",
    ok: missing.length === 0,
    detail: `${points.length - missing.length}/${points.length} constants`,
  });
  if (ptau && existsSync(ptau)) {
    const ok = (await snarkjs.zKey.verifyFromR1cs(a.r1cs, ptau, a.zkey)) === true;
    out.push({ check: "zkey verifies against the r1cs and powers of tau", ok, detail: ptau });
  } else {
    out.push({
      check: "zkey verifies against the r1cs and powers of tau",
      ok: null,
      detail: "skipped: no powers-of-tau file (pass --ptau FILE)",
    });
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
export function constraintReport(r1cs: R1cs, sym: SymEntry[], circuitFile: string, mainTemplate = "MarginProof"): ConstraintReport {
  const names = new Map<number, string>();
  for (const s of sym) if (s.wire >= 0 && !names.has(s.wire)) names.set(s.wire, s.name);
  const gadgetOf = new Map<string, string>();
  for (const m of stripComments(readFileSync(circuitFile, "utf8")).matchAll(/\b(\w+)(?:\[[^\]]*\])?\s*=\s*(\w+)\s*\(/g))
    gadgetOf.set(m[1], m[2]);
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
      template: component === "main" ? `${mainTemplate} (own constraints)` : (gadgetOf.get(component.split(".")[1]) ?? "?"),
      constraints,
    }))
    .sort((a, b) => b.constraints - a.constraints);
  const publicSignals = sym.filter((s) => s.wire >= 1 && s.wire <= r1cs.nOutputs + r1cs.nPubInputs).map((s) => s.name);
  const byTemplate = new Map<string, number>();
  for (const c of perComponent) byTemplate.set(c.template, (byTemplate.get(c.template) ?? 0) + c.constraints);
  const perTemplate = [...byTemplate]
    .map(([template, constraints]) => ({ template, constraints }))
    .sort((a, b) => b.constraints - a.constraints);
  return { total: r1cs.constraints.length, wires: r1cs.nWires, publicSignals, privateInputs: r1cs.nPrvInputs, perComponent, perTemplate };
}

// ------------------------------------------------------------------------------ the whole audit

export interface AuditReport {
  circuit: CircuitName;
  generatedAt: string;
  findings: string[];
  mutation: MutationResult;
  rangeChecks: RangeTable;
  publicInputs: PublicInputCheck[];
  setup: SetupCheck[];
  constraints: ConstraintReport;
}

export interface AuditOptions {
  prover: CircuitProver;
  /** honest witnesses to mutate (marginCases / transitionCases / liquidationCases / takeoverCases of the published vectors) */
  cases: AuditCase[];
  ptau?: string;
  onChain?: OnChainVerify;
  log?: (s: string) => void;
}

/** Public signal names, the sources the range-check table is derived from and their main template, per circuit. */
export const AUDIT_CIRCUITS: Record<CircuitName, { signals: readonly string[]; sources: string[]; template: string }> = {
  margin: { signals: ["commitment", "paramsHash", "level", "binding"], sources: ["margin.circom"], template: "MarginProof" },
  transition: { signals: TRANSITION_SIGNALS, sources: ["margin.circom", "transition.circom"], template: "Transition" },
  liquidation: { signals: LIQUIDATION_SIGNALS, sources: ["margin.circom", "liquidation.circom"], template: "LiquidationProof" },
  takeover: { signals: TAKEOVER_SIGNALS, sources: ["margin.circom", "takeover.circom"], template: "Takeover" },
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
  const rangeChecks = rangeCheckTable(sources, sym, privateInputNames(r1cs, sym), spec.template);
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

  const constraints = constraintReport(r1cs, sym, sources[sources.length - 1], spec.template);
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
  L.push(
    `   vectors: ${m.vectors} ${r.circuit === "margin" ? "healthy" : "provable"}; signals tried: ${m.signalsTried}; mutations tried: ${m.mutationsTried}; accepted: ${m.mutationsAccepted}`,
  );
  for (const x of m.accepted.slice(0, 20)) L.push(`   ACCEPTED ${x.signal} = ${x.value} (${x.vector})`);
  L.push(
    `   private inputs re-derived: ${m.inputsRederived} (${m.inputsRefused} refused by the circuit, ${m.inputsRederived - m.inputsRefused - m.inputsWithoutEffect.length} changed the public signals, ${m.inputsWithoutEffect.length} without effect)`,
  );
  L.push("");
  L.push(`2. Range checks (from the circuit code of ${r.rangeChecks.main} and the templates it uses; exceptions from audit tags)`);
  for (const c of r.rangeChecks.checks) {
    L.push(
      `   ${c.template.padEnd(19)} ${c.gadget.padEnd(19)} ${(c.widths.join("/") + " bits").padEnd(14)} ${c.component}${c.port ? `.${c.port}` : ""}: ${c.bounds}`,
    );
  }
  L.push("");
  L.push(`   ${"signal".padEnd(19)} ${"kind".padEnd(19)} ${"status".padEnd(36)} bound by`);
  for (const row of r.rangeChecks.rows) {
    const by = [
      row.direct.length ? row.direct.join("; ") : row.indirect.join("; "),
      row.tag ? `@audit ${row.tag.kind}: ${row.tag.reason}` : "",
    ];
    L.push(`   ${row.signal.padEnd(19)} ${row.kind.padEnd(19)} ${row.status.padEnd(36)} ${by.filter(Boolean).join("; ")}`);
  }
  L.push("");
  L.push("3. Public inputs >= r");
  for (const p of r.publicInputs)
    L.push(`   ${p.signal.padEnd(11)} = ${p.value.padEnd(8)} off-chain ${p.offChain}${p.onChain ? `, on-chain ${p.onChain}` : ""}`);
  L.push("");
  L.push("4. Setup");
  for (const s of r.setup)
    L.push(`   [${s.ok === null ? "skip" : s.ok ? " ok " : "FAIL"}] ${s.check}${s.detail && s.ok !== true ? ` (${s.detail})` : ""}`);
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
