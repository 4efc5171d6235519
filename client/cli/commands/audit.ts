// The auditors' commands: vectors replay, audit, ceremony (tools/ holds their implementation).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { CIRCUITS, PACKAGE_ROOT, circuitArtifacts, type CircuitName } from "../../../prover/artifacts.ts";
import type { MarginProof, MarginProver } from "../../../prover/prover.ts";
import type { TransitionProver } from "../../../prover/transition/index.ts";
import type { LiquidationProver } from "../../../prover/liquidation.ts";
import type { TakeoverProver } from "../../../prover/takeover.ts";
import { ValidationError } from "../../../prover/validate.ts";
import type { Command, Group } from "../command.ts";
import { CliError, EXIT, checkOutPath, out, progress, required, str, writeAtomically } from "../io.ts";
import { loadLiquidationProver, loadMarginProver, loadTakeoverProver, loadTransitionProver } from "./shared.ts";

const replay: Command = {
  name: "vectors replay",
  summary: "replay every published test vector in DIR",
  args: "DIR",
  maxArgs: 1,
  description: `Replays every test vector in DIR (test/vectors/margin, test/vectors/transition,
test/vectors/liquidation or test/vectors/takeover, schemas in docs/VECTORS.md): the reference
must reproduce each expected outcome (report or new portfolio, exit code, error field), and the
circuit must accept exactly the healthy / proven vectors with the expected public signals
(liquidation: exactly the selectors of the violated rules, none for a healthy portfolio;
takeover: no witness when the backstop refuses). Prints one line per vector and a summary.`,
  options: { prove: { type: "boolean", help: "also make and verify a real proof for each provable vector" } },
  examples: [
    "zkmargin vectors replay test/vectors/margin",
    "zkmargin vectors replay test/vectors/transition --prove",
    "zkmargin vectors replay test/vectors/liquidation",
    "zkmargin vectors replay test/vectors/takeover",
  ],
  exits: "0 iff every vector passes, 1 otherwise.",
  async run({ values, positionals }) {
    const v = await import("../../../tools/vectors.ts");
    const dir = positionals[0];
    if (!dir || !v.isVectorDir(dir)) throw new ValidationError("DIR", `${dir ?? "(missing)"} is not a directory`);
    const schema = v.vectorDirSchema(dir);
    const transition = schema === v.TRANSITION_VECTOR_SCHEMA;
    const liquidation = schema === v.LIQUIDATION_VECTOR_SCHEMA;
    const takeover = schema === v.TAKEOVER_VECTOR_SCHEMA;
    const vectors = transition
      ? v.loadTransitionVectors(dir)
      : liquidation
        ? v.loadLiquidationVectors(dir)
        : takeover
          ? v.loadTakeoverVectors(dir)
          : v.loadVectors(dir);
    const prover = transition
      ? await loadTransitionProver()
      : liquidation
        ? await loadLiquidationProver()
        : takeover
          ? await loadTakeoverProver()
          : await loadMarginProver();
    let failed = 0;
    for (const x of vectors) {
      const r = transition
        ? await v.replayTransitionVector(x as never, prover as TransitionProver, values.prove === true)
        : liquidation
          ? await v.replayLiquidationVector(x as never, prover as LiquidationProver, values.prove === true)
          : takeover
            ? await v.replayTakeoverVector(x as never, prover as TakeoverProver, values.prove === true)
            : await v.replayVector(x as never, prover as MarginProver, values.prove === true);
      if (!r.ok) failed++;
      out(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `: ${r.problems.join("; ")}`}`);
    }
    out(`${vectors.length - failed} passed, ${failed} failed`);
    return failed === 0 && vectors.length > 0 ? EXIT.OK : EXIT.BAD_INPUT;
  },
};

export const vectors: Group = {
  name: "vectors",
  summary: "replay published test vectors (zkmargin vectors replay DIR)",
  noun: "action",
  commands: [replay],
};

function defaultPtau(circuit: CircuitName): string | undefined {
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "artifacts", "manifest.json"), "utf8"));
  const power = manifest.circuits?.[circuit]?.ptau?.power ?? 14;
  const p = join(process.env.ZKMARGIN_CACHE ?? join(homedir(), ".cache", "zkmargin"), "ptau", `pot${power}_final.ptau`);
  if (!existsSync(p)) return undefined;
  // the cache may hold another locally generated ptau of the same power (a later `npm run setup`
  // of another circuit): only the one this zkey was built from can verify it
  const recorded = manifest.circuits?.[circuit]?.ptau?.sha256;
  if (recorded && createHash("sha256").update(readFileSync(p)).digest("hex") !== recorded) {
    progress(`${circuit}: the cached ${p} is not the powers of tau its zkey was built from (sha256 differs): zkey-vs-ptau check skipped`);
    return undefined;
  }
  return p;
}

export const audit: Command = {
  name: "audit",
  summary: "soundness audit of every shipped circuit",
  description: `Soundness audit of every shipped circuit, or of --circuit (docs/AUDIT.md):
  1. witness mutation: every non-input signal of every provable vector's witness edited
     (+1, -1, p-1-w, random) must be rejected by the R1CS; every private input, changed and
     re-derived, must change the public signals or be refused
  2. range-check table read from the circuits' code and @audit tags (an unbounded signal
     without a tag is a finding)
  3. each public signal at r, r+1, 2^256-1 and x+r rejected off-chain and by the Solidity
     verifier on an in-process EVM (--no-chain skips the EVM)
  4. setup: vk_delta_2 != vk_gamma_2, zkey/vkey/verifier agree, manifest hashes, and the zkey
     verified against the r1cs and a powers-of-tau file when --ptau is given (or cached)
  5. constraints per component and the public signal list
Prints a human summary.`,
  options: {
    circuit: { type: "string", value: "C", help: `audit one circuit: ${CIRCUITS.join(" | ")}` },
    vectors: { type: "string", value: "DIR", help: "with --circuit: the vectors to mutate (default: the published ones)" },
    json: { type: "string", value: "FILE", help: "write the full report" },
    ptau: { type: "string", value: "FILE", help: "powers of tau to verify the zkey against (default: the cached one)" },
    "no-chain": { type: "boolean", help: "skip the on-chain checks (no in-process EVM)" },
  },
  examples: ["zkmargin audit", "zkmargin audit --circuit transition --no-chain --json audit.json"],
  exits: "0 iff there are no findings, 1 otherwise, 3 internal error.",
  async run({ values }) {
    const jsonOut = typeof values.json === "string" ? checkOutPath(values.json, [], "--json") : undefined;
    if (typeof values.ptau === "string" && !existsSync(values.ptau)) throw new ValidationError("--ptau", `${values.ptau} not found`);
    const only = str(values, "circuit");
    if (only !== undefined && !(CIRCUITS as readonly string[]).includes(only))
      throw new ValidationError("--circuit", `unknown circuit '${only}' (shipped: ${CIRCUITS.join(", ")})`);
    if (typeof values.vectors === "string" && only === undefined)
      throw new ValidationError("--vectors", "needs --circuit (vectors belong to one circuit)");
    const {
      audit: runAudit,
      formatAudit,
      marginCases,
      transitionCases,
      liquidationCases,
      takeoverCases,
    } = await import("../../../tools/audit.ts");
    const v = await import("../../../tools/vectors.ts");
    let failures = 0;
    const reports = [];
    for (const name of CIRCUITS.filter((c) => only === undefined || c === only)) {
      const dir = str(values, "vectors") ?? join(PACKAGE_ROOT, "test", "vectors", name);
      if (!v.isVectorDir(dir)) throw new ValidationError("--vectors", `${dir} is not a directory`);
      const ptau = str(values, "ptau") ?? defaultPtau(name);
      const prover =
        name === "transition"
          ? await loadTransitionProver()
          : name === "liquidation"
            ? await loadLiquidationProver()
            : name === "takeover"
              ? await loadTakeoverProver()
              : await loadMarginProver();
      const cases =
        name === "transition"
          ? transitionCases(v.loadTransitionVectors(dir))
          : name === "liquidation"
            ? liquidationCases(v.loadLiquidationVectors(dir))
            : name === "takeover"
              ? takeoverCases(v.loadTakeoverVectors(dir))
              : marginCases(v.loadVectors(dir));
      const chain = values["no-chain"] ? null : await startChain();
      try {
        const onChain = chain ? await onChainCheck(chain, name) : undefined;
        const report = await runAudit(name, { prover, cases, ptau, onChain, log: progress });
        out(formatAudit(report));
        failures += report.findings.length;
        reports.push(report);
      } finally {
        await chain?.close();
      }
    }
    if (jsonOut) writeAtomically(jsonOut, `${JSON.stringify(reports, null, 2)}\n`, "--json");
    return failures === 0 ? EXIT.OK : EXIT.BAD_INPUT;
  },
};

async function startChain() {
  try {
    const { startLocalChain } = await import("../../local.ts");
    return await startLocalChain();
  } catch (e) {
    throw new CliError(
      EXIT.INTERNAL,
      `cannot start the in-process EVM (${(e as Error).message.split("\n")[0]}); use --no-chain outside a development checkout`,
    );
  }
}

/** On-chain check of a proof: margin through the wrapper; transition, liquidation and takeover through their generated verifiers (false for inputs >= r). */
async function onChainCheck(chain: Awaited<ReturnType<typeof startChain>>, name: CircuitName) {
  const { solidityCalldata } = await import("../../../prover/prover.ts");
  if (name === "margin") {
    const { verifyOnChain } = await import("../../chain.ts");
    return async (proof: MarginProof) => verifyOnChain(chain, await solidityCalldata(proof));
  }
  const file = name === "liquidation" ? "LiquidationVerifier" : name === "takeover" ? "TakeoverVerifier" : "TransitionVerifier";
  const v = await chain.ethers.deployContract(`verifier-contracts/generated/${file}.sol:Groth16Verifier`);
  await v.waitForDeployment();
  return async (proof: MarginProof) => {
    const cd = await solidityCalldata(proof);
    try {
      const ok = await v.verifyProof(cd.a, cd.b, cd.c, cd.publicSignals);
      return ok ? { valid: true } : { valid: false, error: "verifyProof returned false" };
    } catch (e) {
      return { valid: false, error: (e as Error).message.split("\n")[0] };
    }
  };
}

// ------------------------------------------------------------------------------- ceremony

const CEREMONY_DIR = { dir: { type: "string", value: "D", help: "the ceremony folder (transcript.json and zkeys)" } } as const;

/** The r1cs of `init`: --r1cs, or the shipped --circuit's (default margin). */
function initR1cs(values: Record<string, unknown>): string {
  if (typeof values.r1cs === "string") return values.r1cs;
  const circuit = typeof values.circuit === "string" ? values.circuit : "margin";
  if (!(CIRCUITS as readonly string[]).includes(circuit)) {
    throw new ValidationError(
      "--circuit",
      `unknown circuit '${circuit}' (shipped: ${CIRCUITS.join(", ")}); for another circuit pass --r1cs FILE (and --circuit-name NAME to name it)`,
    );
  }
  return circuitArtifacts(circuit as CircuitName).r1cs;
}

/** The r1cs of `verify` / `finalize`: --r1cs, or the shipped circuit the transcript names. */
function r1csFor(values: Record<string, unknown>, transcript: { circuit: string; r1cs: { file: string } }): string {
  if (typeof values.r1cs === "string") return values.r1cs;
  if (!(CIRCUITS as readonly string[]).includes(transcript.circuit)) {
    throw new ValidationError(
      "--r1cs",
      `required: '${transcript.circuit}' is not a shipped circuit (pass the r1cs the ceremony started from, ${transcript.r1cs.file})`,
    );
  }
  return circuitArtifacts(transcript.circuit as CircuitName).r1cs;
}

/** Run a ceremony step, naming the field of a CeremonyError. */
async function ceremonyStep<T>(f: (c: typeof import("../../../tools/ceremony.ts")) => Promise<T>): Promise<T> {
  const c = await import("../../../tools/ceremony.ts");
  try {
    return await f(c);
  } catch (e) {
    if (e instanceof c.CeremonyError) throw new ValidationError(e.field, e.message.slice(e.field.length + 2));
    throw e;
  }
}

export const ceremony: Group = {
  name: "ceremony",
  summary: "phase-2 trusted-setup ceremony: init | contribute | beacon | verify | finalize",
  description: `A production phase 2 from a public powers of tau, with a transcript anyone can re-verify
(docs/CEREMONY.md, which also has a one-minute local example). Every step is recorded in
D/transcript.json; the ceremony is named after the shipped circuit, the r1cs file (without
.r1cs) or --circuit-name, and its zkeys and final NAME.zkey carry that name.`,
  noun: "step",
  common: CEREMONY_DIR,
  commands: [
    {
      name: "ceremony init",
      summary: "start a phase-2 ceremony from a public powers-of-tau file",
      options: {
        ptau: { type: "string", value: "PHASE1.ptau", help: "the phase-1 powers of tau" },
        circuit: {
          type: "string",
          value: "C",
          help: `a shipped circuit (${CIRCUITS.join(", ")}; default margin); with --r1cs it only names the ceremony`,
        },
        r1cs: {
          type: "string",
          value: "FILE",
          help: "any circuit's r1cs instead of a shipped one; the ceremony is named after the file (without .r1cs)",
        },
        "circuit-name": {
          type: "string",
          value: "NAME",
          help: "name the ceremony (transcript, zkeys, NAME.zkey) instead: letters, digits, _ . -",
        },
        name: { type: "string", value: "NAME", help: "the same as --circuit-name (at init the name is the circuit's)" },
      },
      examples: [
        "zkmargin ceremony init --ptau powersOfTau28_hez_final_14.ptau --dir ceremony --circuit margin",
        "zkmargin ceremony init --ptau pot8_final.ptau --dir ceremony --r1cs build/tiny.r1cs   # named tiny",
      ],
      async run({ values }) {
        const dir = required(values, "dir");
        const r1cs = initR1cs(values);
        // the name: --circuit-name, else --circuit (a shipped circuit, or with --r1cs the name as before), else the r1cs file's
        if (typeof values.name === "string" && typeof values["circuit-name"] === "string" && values.name !== values["circuit-name"])
          throw new ValidationError("--name", "differs from --circuit-name (they are the same option at init)");
        const name =
          str(values, "circuit-name") ??
          str(values, "name") ??
          str(values, "circuit") ??
          (typeof values.r1cs === "string" ? undefined : "margin");
        const t = await ceremonyStep((c) => c.ceremonyInit({ dir, ptau: required(values, "ptau"), r1cs, circuit: name }));
        progress(
          `ceremony '${t.circuit}' started in ${dir} (${t.steps[0].file}); next: zkmargin ceremony contribute --dir ${dir} --name NAME`,
        );
        out(JSON.stringify({ dir, circuit: t.circuit, step: t.steps[0] }));
        return EXIT.OK;
      },
    },
    {
      name: "ceremony contribute",
      summary: "add a contribution (fresh random entropy, mixed with TEXT); prints its hash",
      options: {
        name: { type: "string", value: "NAME", help: "the contributor's name, recorded in the transcript" },
        entropy: { type: "string", value: "TEXT", help: "extra entropy mixed with fresh randomness" },
      },
      examples: ["zkmargin ceremony contribute --dir ceremony --name alice"],
      async run({ values }) {
        const dir = required(values, "dir");
        const s = await ceremonyStep((c) => c.ceremonyContribute({ dir, name: required(values, "name"), entropy: str(values, "entropy") }));
        progress(`contribution #${s.index} recorded; publish its hash: ${s.contributionHash}`);
        out(JSON.stringify(s));
        return EXIT.OK;
      },
    },
    {
      name: "ceremony beacon",
      summary: "apply a public random beacon (e.g. a future block hash) after the contributions",
      options: {
        hash: { type: "string", value: "HEX", help: "the beacon: a 32-byte hash, 64 hex digits, 0x prefix optional" },
        iterations: { type: "string", value: "E", help: "2^E hash iterations, E in [10, 63] (default 10)" },
        name: { type: "string", value: "NAME", help: "the beacon's name in the transcript" },
      },
      examples: ["zkmargin ceremony beacon --dir ceremony --hash 0x<64 hex digits of a pre-announced block hash> --iterations 10"],
      async run({ values }) {
        const dir = required(values, "dir");
        const it = str(values, "iterations");
        if (it !== undefined && !/^[0-9]{1,2}$/.test(it)) throw new ValidationError("--iterations", "must be an integer in [10, 63]");
        const s = await ceremonyStep((c) =>
          c.ceremonyBeacon({ dir, hash: required(values, "hash"), iterationsExp: it ? Number(it) : undefined, name: str(values, "name") }),
        );
        out(JSON.stringify(s));
        return EXIT.OK;
      },
    },
    {
      name: "ceremony verify",
      summary: "re-run every check: file hashes, the zkey against r1cs + ptau, contribution hashes",
      options: {
        ptau: { type: "string", value: "PHASE1.ptau", help: "the phase-1 powers of tau" },
        r1cs: {
          type: "string",
          value: "FILE",
          help: "the circuit's r1cs (default: the transcript's shipped circuit; required for any other)",
        },
      },
      exits: "0 iff the ceremony verifies, 1 otherwise.",
      async run({ values }) {
        const dir = required(values, "dir");
        const v = await ceremonyStep(async (c) => {
          const t = c.readTranscript(dir);
          return c.ceremonyVerify({ dir, ptau: required(values, "ptau"), r1cs: r1csFor(values, t) });
        });
        out(JSON.stringify(v, null, 2));
        if (!v.ok) process.stderr.write(`zkmargin: error: ceremony does not verify: ${v.problems.join("; ")}\n`);
        return v.ok ? EXIT.OK : EXIT.BAD_INPUT;
      },
    },
    {
      name: "ceremony finalize",
      summary: "verify, then write the final zkey, verification_key.json and Verifier.sol",
      options: {
        ptau: { type: "string", value: "PHASE1.ptau", help: "the phase-1 powers of tau" },
        r1cs: {
          type: "string",
          value: "FILE",
          help: "the circuit's r1cs (default: the transcript's shipped circuit; required for any other)",
        },
        out: { type: "string", value: "OUTDIR", help: "where the final files go: NAME.zkey, verification_key.json, Verifier.sol" },
      },
      async run({ values }) {
        const dir = required(values, "dir");
        // snarkjs's own template, wherever snarkjs is installed (a checkout or beside an installed package)
        const snarkjsMain = createRequire(import.meta.url).resolve("snarkjs");
        const template = readFileSync(
          join(
            snarkjsMain.slice(0, snarkjsMain.lastIndexOf("/node_modules/snarkjs/") + "/node_modules/snarkjs/".length),
            "templates/verifier_groth16.sol.ejs",
          ),
          "utf8",
        );
        const f = await ceremonyStep(async (c) => {
          const t = c.readTranscript(dir);
          return c.ceremonyFinalize({
            dir,
            ptau: required(values, "ptau"),
            r1cs: r1csFor(values, t),
            out: required(values, "out"),
            solidityTemplate: template,
          });
        });
        out(JSON.stringify(f.finalized));
        return EXIT.OK;
      },
    },
  ],
};
