// check, prove, verify, vkey: a trader's margin proof off-chain (and verify --deployment on-chain).
import { readFileSync } from "node:fs";
import { DEFAULT_RPC } from "../../../prover/constants.ts";
import { ValidationError, parseBinding, parseLevel, validateParams, validatePortfolio } from "../../../prover/validate.ts";
import { CIRCUITS, circuitArtifacts, type CircuitName } from "../../../prover/artifacts.ts";
import type { MarginProof, VerificationKey } from "../../../prover/prover.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT, checkOutPath, json, out, progress, readJsonFile, required, str, writeAtomically, type Values } from "../io.ts";
import { chainSigner, deploymentFile, loadMarginProver, rpcOf } from "./shared.ts";

const LEVEL_OPTIONS = {
  params: { type: "string", value: "P", help: "the risk epoch (params.json)" },
  portfolio: { type: "string", value: "Q", help: "the private portfolio (portfolio.json)" },
  level: { type: "string", value: "L", help: "maintenance | initial" },
} as const;

function loadInputs(values: Values) {
  const params = validateParams(readJsonFile(required(values, "params"), "--params"));
  const portfolio = validatePortfolio(readJsonFile(required(values, "portfolio"), "--portfolio"));
  const level = parseLevel(required(values, "level"), "--level");
  return { params, portfolio, level };
}

export const check: Command = {
  name: "check",
  summary: "evaluate a portfolio against a risk epoch and print the margin report",
  description: `Prints one JSON report on stdout:
  {healthy, violations, equity, collateralValue, requirement, grossNotional,
   stressEquityE4[S], commitment, paramsHash}
Integers are decimal strings; violations are codes MARGIN, STRESS, POSITION_CAP, LEVERAGE.`,
  options: LEVEL_OPTIONS,
  examples: ["zkmargin check --params examples/params.json --portfolio examples/portfolio.json --level initial"],
  exits: "0 whether healthy or not, 1 malformed or out-of-bounds input (naming the field).",
  async run({ values }) {
    const { params, portfolio, level } = loadInputs(values);
    const { report } = await import("../../../prover/model.ts");
    out(JSON.stringify(report(params, portfolio, level), null, 2));
    return EXIT.OK;
  },
};

export const prove: Command = {
  name: "prove",
  summary: "prove that a portfolio is healthy, writing {proof, publicSignals}",
  description: `Writes {proof, publicSignals} (snarkjs JSON) to F and exits 0 when the portfolio is healthy.
Public signals: [commitment, paramsHash, level, binding]. Progress on stderr.`,
  options: {
    ...LEVEL_OPTIONS,
    binding: { type: "string", value: "B", help: "verifier-chosen context, decimal or 0x-hex, 0 <= B < r" },
    out: { type: "string", value: "F", help: "where to write the proof (atomically; never an input file)" },
  },
  examples: [
    "zkmargin prove --params examples/params.json --portfolio examples/portfolio.json --level initial --binding 0x2a --out proof.json",
  ],
  exits:
    "0 proof written; 2 (writing nothing) naming every violated code when not healthy; 1 (writing nothing) for malformed or out-of-bounds input; 3 internal error.",
  async run({ values }) {
    const { params, portfolio, level } = loadInputs(values);
    const binding = parseBinding(required(values, "binding"), "--binding");
    const outPath = checkOutPath(required(values, "out"), [values.params as string, values.portfolio as string]);
    const started = Date.now();
    progress("loading proving artifacts");
    const prover = await loadMarginProver();
    progress(`proving at ${level} level`);
    let proof: MarginProof;
    try {
      proof = await prover.prove(params, portfolio, level, binding);
    } catch (e) {
      if ((e as Error).name === "UnhealthyError") {
        const violations = (e as { violations: string[] }).violations;
        process.stderr.write(`zkmargin: error: portfolio is not healthy at ${level} level: ${violations.join(", ")}\n`);
        out(JSON.stringify({ healthy: false, violations }));
        return EXIT.UNHEALTHY;
      }
      throw e;
    }
    writeAtomically(outPath, `${JSON.stringify(proof, null, 2)}\n`, "--out");
    progress(`proof written to ${outPath} in ${Date.now() - started} ms`);
    out(JSON.stringify({ out: outPath, publicSignals: proof.publicSignals }));
    return EXIT.OK;
  },
};

function loadVkey(path?: string): VerificationKey {
  try {
    return JSON.parse(readFileSync(path ?? circuitArtifacts("margin").vkey, "utf8")) as VerificationKey;
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load the verification key (${(e as Error).message}); run 'npm run setup'`);
  }
}

export const verify: Command = {
  name: "verify",
  summary: "verify a proof file (off-chain, or on-chain with --deployment)",
  description: `Verifies a {proof, publicSignals} file against the shipped margin verification key (or K).
With --deployment, verifies on-chain instead: through the deployed MarginProofVerifier, and only
if the proof's paramsHash is the registry's fresh paramsHash of epoch N.`,
  options: {
    proof: { type: "string", value: "F", help: "the {proof, publicSignals} file" },
    vkey: { type: "string", value: "K", help: "a verification key (default: the shipped margin key)" },
    deployment: { type: "string", value: "D", help: "verify on-chain against this deployment (zkmargin deploy)" },
    epoch: { type: "string", value: "N", help: "with --deployment: the epoch whose fresh paramsHash the proof must carry" },
    rpc: { type: "string", value: "URL", help: `JSON-RPC endpoint (default: the deployment's, else ${DEFAULT_RPC})` },
  },
  examples: ["zkmargin verify --proof proof.json", "zkmargin verify --proof proof.json --deployment deployment.json --epoch 42"],
  exits: "0 iff the proof verifies, 1 otherwise.",
  failureExit: EXIT.BAD_INPUT,
  async run({ values }) {
    const { proofShapeError, verifyProof } = await import("../../../prover/prover.ts");
    const proof = readJsonFile(required(values, "proof"), "--proof");
    const shape = proofShapeError(proof);
    if (shape !== null) throw new ValidationError("--proof", shape);
    if (typeof values.deployment === "string") return verifyForEpochCli(proof as MarginProof, values);
    const vkey = typeof values.vkey === "string" ? (readJsonFile(values.vkey, "--vkey") as VerificationKey) : loadVkey();
    const ok = await verifyProof(proof as MarginProof, vkey);
    if (!ok) {
      process.stderr.write("zkmargin: error: proof does not verify\n");
      out(JSON.stringify({ valid: false }));
      return EXIT.BAD_INPUT;
    }
    const [commitment, paramsHash, level, binding] = (proof as MarginProof).publicSignals;
    out(JSON.stringify({ valid: true, commitment, paramsHash, level: level === "0" ? "maintenance" : "initial", binding }));
    return EXIT.OK;
  },
};

/** verify --deployment: the wrapper accepts the proof and its paramsHash is the epoch's fresh one. */
async function verifyForEpochCli(proof: MarginProof, values: Values): Promise<number> {
  const epoch = required(values, "epoch");
  if (!/^[0-9]{1,20}$/.test(epoch) || BigInt(epoch) >= 2n ** 64n) throw new ValidationError("--epoch", "must be an integer below 2^64");
  const deployment = deploymentFile(values.deployment as string);
  const { verifyForEpoch } = await import("../../chain.ts");
  const rpc = rpcOf(values, deployment);
  const { provider } = await chainSigner(rpc);
  try {
    const r = await verifyForEpoch(provider, deployment.contracts ?? {}, proof, BigInt(epoch));
    out(json(r));
    if (!r.valid) process.stderr.write(`zkmargin: error: ${r.reason}\n`);
    return r.valid ? EXIT.OK : EXIT.BAD_INPUT;
  } finally {
    provider.destroy();
  }
}

export const vkey: Command = {
  name: "vkey",
  summary: "print a circuit's verification key",
  args: "[circuit]",
  maxArgs: 1,
  description: `Prints the verification key JSON of a shipped circuit: ${CIRCUITS[0]} (default), ${CIRCUITS.slice(1).join(" or ")}.`,
  options: {},
  examples: ["zkmargin vkey", "zkmargin vkey transition"],
  async run({ positionals }) {
    const name = positionals[0] ?? "margin";
    if (!(CIRCUITS as readonly string[]).includes(name)) {
      throw new ValidationError("circuit", `unknown circuit '${name}' (shipped: ${CIRCUITS.join(", ")})`);
    }
    out(JSON.stringify(loadVkey(circuitArtifacts(name as CircuitName).vkey), null, 1));
    return EXIT.OK;
  },
};
