// The auditors' kit: the audit finds nothing on the shipped circuit, and it does find an
// under-constrained signal when one exists (negative control on a weakened constraint system).
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  audit,
  AuditTagError,
  marginCases,
  mutationAudit,
  privateInputNames,
  rangeCheckTable,
  readSym,
  transitionCases,
  type RangeTable,
} from "../tools/audit.ts";
import { readR1cs } from "../tools/r1cs.ts";
import { REPO_ROOT, circuitArtifacts } from "../prover/artifacts.ts";
import { loadTransitionVectors, loadVectors } from "../tools/vectors.ts";
import { prover, transitionProver } from "./helpers.ts";

const vectors = loadVectors(join(REPO_ROOT, "test", "vectors", "margin"));

describe("zkmargin audit (margin)", function () {
  this.timeout(600_000);

  it("reports 0 accepted mutations over every healthy vector and no finding", async () => {
    const report = await audit("margin", { prover: await prover(), cases: marginCases(vectors) });
    expect(report.findings).to.deep.equal([]);
    expect(report.mutation.mutationsAccepted).to.equal(0);
    expect(report.mutation.vectors).to.be.at.least(20);
    expect(report.mutation.mutationsTried).to.be.greaterThan(1_000_000);
    expect(report.mutation.inputsRederived).to.equal(223);
    expect(report.mutation.inputsWithoutEffect).to.deep.equal([]);
    expect(report.publicInputs).to.have.length(16);
    expect(report.publicInputs.every((p) => p.offChain === "rejected")).to.equal(true);
    expect(report.constraints.total).to.equal(report.constraints.perComponent.reduce((a, c) => a + c.constraints, 0));
    expect(report.constraints.publicSignals).to.deep.equal(["main.commitment", "main.paramsHash", "main.level", "main.binding"]);
  });

  it("catches an under-constrained signal (negative control: one booleanity constraint removed)", async () => {
    const a = circuitArtifacts("margin");
    const r1cs = readR1cs(a.r1cs);
    const sym = readSym(a.sym);
    // find a wire whose only constraints are the ones we drop: a bit of the first cap check
    const target = sym.find((s) => s.wire > 0 && s.name.startsWith("main.check.capCheck[0].out["))!;
    const dropped = new Set(r1cs.wireConstraints[target.wire]);
    const weakened = { ...r1cs, wireConstraints: r1cs.wireConstraints.map((list) => list.filter((k) => !dropped.has(k))) };
    const res = await mutationAudit(await prover(), weakened, sym, marginCases(vectors).slice(0, 1));
    expect(res.mutationsAccepted).to.be.greaterThan(0);
    expect(res.accepted.map((x) => x.signal)).to.include(target.name);
  });

  it("derives a range-check table that bounds every private input or lists it in the NOTE", () => {
    const { rows, noteSignals } = rangeCheckTable(join(REPO_ROOT, "circuits", "margin.circom"), readSym(circuitArtifacts().sym));
    expect(rows.filter((r) => r.status === "MISSING")).to.deep.equal([]);
    for (const s of [
      "sizes",
      "costBasis",
      "entryFunding",
      "collateral",
      "markPrice",
      "epochId",
      "collateralPriceE18",
      "maxLeverageBps",
      "headroom",
    ]) {
      expect(rows.find((r) => r.signal === s)?.status, s).to.equal("bounded");
    }
    expect(noteSignals).to.include.members(["depth", "fundingIndex", "positionCap"]);
    expect(rows.find((r) => r.signal === "value")?.indirect.join()).to.contain("partialRange");
  });
});

describe("zkmargin audit (transition)", function () {
  this.timeout(900_000);

  it("reports 0 accepted mutations and no finding (every op kind; `npm run audit` mutates all 79 provable vectors)", async () => {
    const all = loadTransitionVectors(join(REPO_ROOT, "test", "vectors", "transition"));
    const kinds = ["deposit", "withdraw", "buy", "sell", "realize"];
    const sample = kinds.flatMap((k) => all.filter((v) => v.expected.exitCode === 0 && (v.op as { kind?: string }).kind === k).slice(0, 2));
    const cases = transitionCases(sample);
    const report = await audit("transition", { prover: await transitionProver(), cases });
    expect(report.findings).to.deep.equal([]);
    expect(report.mutation.mutationsAccepted).to.equal(0);
    expect(report.mutation.vectors).to.equal(10);
    expect(report.mutation.inputsWithoutEffect).to.deep.equal([]);
    expect(report.mutation.inputsRefused).to.equal(report.mutation.inputsRederived);
    expect(report.publicInputs).to.have.length(32);
    expect(report.constraints.publicSignals).to.deep.equal([
      "main.oldCommitment",
      "main.newCommitment",
      "main.paramsHash",
      "main.context",
      "main.fill",
      "main.keyHash",
      "main.ephemeralKey",
      "main.cipher",
    ]);
    const rows = report.rangeChecks.rows;
    for (const s of ["sizes", "costBasis", "collateral", "fillSize", "fillPrice", "ephemeralSecret", "markPrice"]) {
      expect(rows.find((r) => r.signal === s)?.status, s).to.equal("bounded");
    }
    for (const s of ["fillSalt", "liquidationKey", "fillMarket"])
      expect(rows.find((r) => r.signal === s)?.status, s).to.equal("field element by design");
  });
});

// The range-check table reads code and `// @audit` tags, never prose (docs/AUDIT.md, "Audit tags").
describe("zkmargin audit (range-check table: audit tags, not prose)", function () {
  const FIXTURES = join(REPO_ROOT, "test", "circuits", "audit");
  const fixture = (name: string) => join(FIXTURES, `${name}.circom`);
  const status = (t: RangeTable) => Object.fromEntries(t.rows.map((r) => [r.signal, r.status]));
  // the table without where its tags are written (a restyle moves them)
  const table = (t: RangeTable) => ({ ...t, tags: t.tags.map(({ file: _f, line: _l, ...tag }) => tag) });
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "zkmargin-audit-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** write `text` as name.circom in the scratch directory */
  const scratch = (name: string, text: string) => {
    const f = join(dir, `${name}.circom`);
    writeFileSync(f, text);
    return f;
  };
  const isTag = (line: string) => line.includes("@audit");
  /** every run of prose comment lines joined and rewrapped at `width` columns */
  const reflow = (src: string, width: number) => {
    const out: string[] = [];
    let run: string[] = [];
    let indent = "";
    const flush = () => {
      const words = run.join(" ").split(/\s+/).filter(Boolean);
      let line = "";
      for (const w of words) {
        if (line && indent.length + 3 + line.length + 1 + w.length > width) {
          out.push(`${indent}// ${line}`);
          line = w;
        } else line = line ? `${line} ${w}` : w;
      }
      if (line) out.push(`${indent}// ${line}`);
      run = [];
    };
    for (const l of src.split("\n")) {
      const m = /^(\s*)\/\/(.*)$/.exec(l);
      if (m && !isTag(l)) {
        if (run.length === 0) indent = m[1];
        run.push(m[2]);
        continue;
      }
      if (run.length) flush();
      out.push(l);
    }
    if (run.length) flush();
    return out.join("\n");
  };
  /** every comment removed except the audit tags */
  const stripProse = (src: string) =>
    src
      .split("\n")
      .filter((l) => !/^\s*\/\//.test(l) || isTag(l))
      .map((l) => (isTag(l) ? l : l.replace(/\s*\/\/.*$/, "")))
      .join("\n");
  /** the prose headings renamed: the markers the old parser matched, section and fixture headings */
  const renameHeadings = (src: string) =>
    src
      .replace(/(\/\/ =+ )(\S.*)$/gm, "$1section: $2")
      .replaceAll("Audit fixture", "Fixture")
      .replaceAll("FIELD ELEMENTS BY DESIGN", "Unbounded on purpose")
      .replaceAll("NOTE (caller obligations)", "Left to the caller")
      .replaceAll("NOTE (caller obligation)", "Left to the caller")
      .replaceAll("does NOT check", "leaves unchecked");
  const restyles: Array<[string, (s: string) => string]> = [
    ["prose reflowed to 60 columns", (s) => reflow(s, 60)],
    ["prose headings renamed", renameHeadings],
    ["every prose comment removed", stripProse],
  ];

  it("reads a fully range-checked fixture: Num2Bits, SignedRange, a helper template's ports, a witness-only quotient", () => {
    const t = rangeCheckTable(fixture("bounded"), []);
    expect(t.main).to.equal("Bounded");
    expect(t.tags).to.deep.equal([]);
    expect(status(t)).to.deep.equal({ amount: "bounded", delta: "bounded", low: "bounded", high: "bounded", quotient: "bounded" });
    const row = (s: string) => t.rows.find((r) => r.signal === s)!;
    expect(row("delta").direct).to.deep.equal(["Bounded.deltaRange (SignedRange)"]);
    expect(row("low").direct).to.deep.equal(["Bounded.pair.lo -> Pair.loBits (Num2Bits)"]);
    expect(row("quotient").kind).to.equal("witness-only (<--)");
    expect(row("quotient").indirect).to.deep.equal(["Bounded.remBits (Num2Bits)"]);
  });

  it("reads by-design and caller-obligation tags: header block and trailing comment, em dash and --", () => {
    const t = rangeCheckTable(fixture("tagged"), []);
    expect(status(t)).to.deep.equal({
      amount: "bounded",
      rateBps: "bounded to its packed width (NOTE)",
      depth: "caller obligation (NOTE)",
      blinding: "field element by design",
      key: "field element by design",
      share: "bounded",
      scaled: "bounded through other checks",
    });
    expect(t.noteSignals).to.deep.equal(["depth", "rateBps"]);
    const lines = readFileSync(fixture("tagged"), "utf8").split("\n");
    expect(t.tags.map((x) => [x.kind, x.template, x.signals.join(), x.line])).to.deep.equal([
      ["caller-obligation", "Tagged", "depth", lines.findIndex((l) => l.includes("@audit caller-obligation: depth")) + 1],
      ["caller-obligation", "Tagged", "rateBps", lines.findIndex((l) => l.includes("@audit caller-obligation: rateBps")) + 1],
      ["by-design", "Tagged", "blinding", lines.findIndex((l) => l.includes("@audit by-design: blinding")) + 1],
      ["by-design", "Tagged", "key", lines.findIndex((l) => l.includes("@audit by-design: key")) + 1],
    ]);
    expect(t.rows.find((r) => r.signal === "key")?.tag).to.deep.equal({ kind: "by-design", reason: "hashed, like blinding" });
    expect(t.rows.find((r) => r.signal === "depth")?.tag?.reason).to.equal("1 <= depth < 2^32 is validated by whoever posts it");
  });

  it("reports a signal with no range check and no tag as MISSING, whatever the prose says", () => {
    const t = rangeCheckTable(fixture("missing"), []);
    expect(readFileSync(fixture("missing"), "utf8")).to.contain("FIELD ELEMENTS BY DESIGN: fee");
    expect(t.rows.filter((r) => r.status === "MISSING").map((r) => [r.signal, r.kind])).to.deep.equal([["fee", "private input"]]);
    expect(status(t)).to.deep.equal({ amount: "bounded", fee: "MISSING", nonce: "field element by design" });
  });

  it("refuses a malformed tag with an error naming the file and line", () => {
    const line =
      readFileSync(fixture("malformed"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("by-desing")) + 1;
    expect(line).to.be.greaterThan(0);
    expect(() => rangeCheckTable(fixture("malformed"), []))
      .to.throw(AuditTagError, `test/circuits/audit/malformed.circom:${line}: malformed @audit tag: unknown kind "by-desing"`)
      .with.property("line", line);
  });

  it("refuses a tag naming a signal its template does not declare (tags are scoped to their template)", () => {
    const line =
      readFileSync(fixture("unknown-signal"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("@audit")) + 1;
    expect(() => rangeCheckTable(fixture("unknown-signal"), [])).to.throw(
      AuditTagError,
      `test/circuits/audit/unknown-signal.circom:${line}: @audit by-design names "inner", which is not a signal of template Outer`,
    );
  });

  it("refuses every other malformed or misplaced tag, naming its line", () => {
    const src = readFileSync(fixture("tagged"), "utf8");
    const blindingLine = src.split("\n").findIndex((l) => l.includes("@audit by-design: blinding")) + 1;
    const tag = "// @audit by-design: blinding — hashed into out; any field element is fine";
    const cases: Array<[string, string, RegExp]> = [
      ["no reason", src.replace(tag, "// @audit by-design: blinding"), /: malformed @audit tag: no reason/],
      ["no colon", src.replace(tag, "// @audit by-design blinding — hashed"), /: malformed @audit tag, expected/],
      [
        "an index",
        src.replace(tag, "// @audit by-design: blinding[0] — hashed"),
        /: malformed @audit tag: "blinding\[0\]" is not a list of signal names/,
      ],
      ["prose mentioning the marker", src.replace(tag, "// see the @audit tags below"), /: malformed @audit tag, expected/],
      ["two tags on a line", src.replace(tag, `${tag} // @audit by-design: key — hashed`), /: one @audit tag per line/],
      [
        "the same signal twice",
        src.replace(tag, `${tag}\n// @audit caller-obligation: blinding — again`),
        /"blinding" of template Tagged is already tagged at .*:\d+$/,
      ],
      [
        "a block comment",
        src.replace("    signal input amount;\n", "    signal input amount;\n    /* @audit by-design: amount — hashed */\n"),
        /: @audit tags are `\/\/` line comments/,
      ],
    ];
    for (const [label, text, error] of cases) {
      const f = scratch("variant", text);
      const want =
        { "the same signal twice": blindingLine + 1, "a block comment": text.split("\n").findIndex((l) => l.includes("/* @audit")) + 1 }[
          label
        ] ?? blindingLine;
      expect(() => rangeCheckTable(f, []), label)
        .to.throw(AuditTagError, error)
        .with.property("line", want);
    }
    // a tag outside any template and its header block
    const outside = scratch("outside", `${src}\n// @audit by-design: blinding — after every template\n`);
    expect(() => rangeCheckTable(outside, [])).to.throw(
      AuditTagError,
      /outside\.circom:\d+: an @audit tag must be inside a template or in the comment block directly above/,
    );
  });

  it("gives the same table when a fixture's prose is reflowed, its headings renamed or its prose removed", () => {
    for (const name of ["bounded", "tagged", "missing"]) {
      const src = readFileSync(fixture(name), "utf8");
      const expected = table(rangeCheckTable(fixture(name), []));
      for (const [label, restyle] of restyles) {
        const text = restyle(src);
        expect(text, `${name}: ${label}`).to.not.equal(src);
        expect(table(rangeCheckTable(scratch(name, text), [])), `${name}: ${label}`).to.deep.equal(expected);
      }
    }
    // and the tags are what the table reads: without them, the tagged signals are MISSING
    const untagged = readFileSync(fixture("tagged"), "utf8")
      .replace(/^\s*\/\/ @audit.*\n/gm, "")
      .replace(/\s*\/\/ @audit.*$/gm, "");
    const t = rangeCheckTable(scratch("untagged", untagged), []);
    expect(t.rows.filter((r) => r.status === "MISSING").map((r) => r.signal)).to.deep.equal(["blinding", "key"]);
    expect(status(t).depth).to.equal("bounded through other checks");
    expect(status(t).rateBps).to.equal("bounded");
  });

  it("classifies every signal of both shipped circuits as before the tags, and a restyle of their prose changes nothing", () => {
    const params = {
      epochId: "bounded",
      maxLeverageBps: "bounded",
      markPrice: "bounded",
      fundingIndex: "caller obligation (NOTE)",
      maintenanceRateBps: "bounded to its packed width (NOTE)",
      initialRateBps: "bounded to its packed width (NOTE)",
      impactBps: "bounded to its packed width (NOTE)",
      depth: "caller obligation (NOTE)",
      positionCap: "caller obligation (NOTE)",
      collateralPriceE18: "bounded",
      haircutBps: "bounded to its packed width (NOTE)",
      shocks: "bounded to its packed width (NOTE)",
    };
    const portfolio = { sizes: "bounded", costBasis: "bounded", entryFunding: "bounded", collateral: "bounded" };
    const witnessOnly = {
      value: "bounded through other checks",
      priced: "bounded through other checks",
      headroom: "bounded",
      num: "bounded through other checks",
    };
    const expected: Record<string, Record<string, string>> = {
      margin: { ...params, ...portfolio, ...witnessOnly },
      transition: {
        ...params,
        ...portfolio,
        fillMarket: "field element by design",
        fillSize: "bounded",
        fillPrice: "bounded",
        fillSalt: "field element by design",
        ephemeralSecret: "bounded",
        liquidationKey: "field element by design",
        ...witnessOnly,
      },
    };
    const sources: Record<string, string[]> = { margin: ["margin.circom"], transition: ["margin.circom", "transition.circom"] };
    const main: Record<string, string> = { margin: "MarginProof", transition: "Transition" };
    for (const name of ["margin", "transition"] as const) {
      const a = circuitArtifacts(name);
      const sym = readSym(a.sym);
      const privateInputs = privateInputNames(readR1cs(a.r1cs), sym);
      const files = sources[name].map((f) => join(REPO_ROOT, "circuits", f));
      const t = rangeCheckTable(files, sym, privateInputs, main[name]);
      expect(status(t), name).to.deep.equal(expected[name]);
      expect(t.noteSignals, name).to.have.members([
        "depth",
        "fundingIndex",
        "positionCap",
        "maintenanceRateBps",
        "initialRateBps",
        "impactBps",
        "haircutBps",
        "shocks",
      ]);
      for (const [label, restyle] of restyles) {
        const copies = files.map((f) => scratch(f.replace(/^.*\/|\.circom$/g, ""), restyle(readFileSync(f, "utf8"))));
        expect(table(rangeCheckTable(copies, sym, privateInputs, main[name])), `${name}: ${label}`).to.deep.equal(table(t));
      }
    }
  });
});
