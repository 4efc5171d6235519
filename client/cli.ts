// zkmargin command-line interface. Contract (issue #2):
//   exit 0  success (check: whether healthy or not; verify: the proof verifies)
//   exit 1  malformed or out-of-bounds input, naming the field (verify: anything that does not verify)
//   exit 2  prove: the portfolio violates the rules; every violated code is named
//   exit 3  internal error (missing or corrupt artifacts)
// Progress goes to stderr, results to stdout. prove writes its output atomically or not at all.
import { readFileSync, realpathSync, renameSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  MarginProver,
  UnhealthyError,
  ValidationError,
  loadVerificationKey,
  parseBinding,
  parseJson,
  parseLevel,
  proofShapeError,
  releaseCurves,
  report,
  solidityCalldata,
  validateParams,
  validatePortfolio,
  verifyProof,
  type MarginProof,
} from "../prover/index.ts";
import {
  TRANSITION_VECTOR_SCHEMA, isVectorDir, loadTransitionVectors, loadVectors, replayTransitionVector, replayVector, vectorDirSchema,
  type TransitionVector, type Vector,
} from "../tools/vectors.ts";
import { TransitionProver } from "../prover/transition.ts";
import { audit, formatAudit, marginCases, transitionCases } from "../tools/audit.ts";
import { CIRCUITS, REPO_ROOT, circuitArtifacts, type CircuitName } from "../prover/artifacts.ts";
import { CeremonyError, ceremonyBeacon, ceremonyContribute, ceremonyFinalize, ceremonyInit, ceremonyVerify, readTranscript } from "../tools/ceremony.ts";
import { startLocalChain, verifyOnChain } from "./chain.ts";
import { cmdAccount, cmdKeygen, cmdLiquidate, cmdMarginCall, readLiquidationKey, type CliKit } from "./cli-account.ts";

export const EXIT = { OK: 0, BAD_INPUT: 1, UNHEALTHY: 2, INTERNAL: 3 } as const;

class CliError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

const HELP: Record<string, string> = {
  main: `zkmargin — zero-knowledge private margin proofs

Usage: zkmargin <command> [options]

Commands:
  check    evaluate a portfolio against a risk epoch and print the margin report
  prove    prove that a portfolio is healthy, writing {proof, publicSignals}
  verify   verify a proof file
  vkey     print a circuit's verification key
  vectors  replay published test vectors (zkmargin vectors replay DIR)
  audit    soundness audit of every shipped circuit
  ceremony phase-2 trusted-setup ceremony: init | contribute | beacon | verify | finalize
  deploy   deploy the verifiers, the risk epoch registry (and with --accounts the clearinghouse)
  epoch    post a risk epoch to a deployed registry (zkmargin epoch post)
  calibrate  stress scenarios and back-tests from hourly price history
  keygen   generate the protocol's Baby Jubjub liquidation key pair
  account  a private margin account: open | show | sync | deposit | withdraw | realize |
           trade-leg | trade | prove-margin | watchtower
  margin-call  (risk publisher) call margin for the latest epoch
  liquidate    liquidate an account that missed a margin call

Run 'zkmargin <command> --help' for the options of a command.
Exit codes: 0 ok, 1 bad input (the message names the field), 2 not healthy (prove), 3 internal error.`,
  check: `Usage: zkmargin check --params P --portfolio Q --level maintenance|initial

Prints one JSON report on stdout:
  {healthy, violations, equity, collateralValue, requirement, grossNotional,
   stressEquityE4[S], commitment, paramsHash}
Integers are decimal strings; violations are codes MARGIN, STRESS, POSITION_CAP, LEVERAGE.
Exit 0 whether healthy or not; exit 1 for malformed or out-of-bounds input.`,
  prove: `Usage: zkmargin prove --params P --portfolio Q --level maintenance|initial --binding B --out F

Writes {proof, publicSignals} (snarkjs JSON) to F and exits 0 when the portfolio is healthy.
Public signals: [commitment, paramsHash, level, binding].
  --binding B   verifier-chosen context, decimal or 0x-hex, 0 <= B < r
Exit 2 (writing nothing) naming every violated code when not healthy; exit 1 (writing nothing)
for malformed or out-of-bounds input. Progress on stderr.`,
  verify: `Usage: zkmargin verify --proof F [--vkey K]
       zkmargin verify --proof F --deployment D --epoch N [--rpc URL]

Verifies a {proof, publicSignals} file against the shipped margin verification key (or K).
With --deployment, verifies on-chain instead: through the deployed MarginProofVerifier, and only
if the proof's paramsHash is the registry's fresh paramsHash of epoch N.
Exit 0 iff the proof verifies, 1 otherwise.`,
  vectors: `Usage: zkmargin vectors replay DIR [--prove]

Replays every test vector in DIR (test/vectors/margin or test/vectors/transition, schemas in
docs/VECTORS.md): the reference must reproduce each expected outcome (report or new portfolio,
exit code, error field), and the circuit must accept exactly the healthy / proven vectors with
the expected public signals. --prove also makes and verifies a real proof for each of them.
Prints one line per vector and a summary; exit 0 iff all pass.`,
  audit: `Usage: zkmargin audit [--circuit margin|transition [--vectors DIR]] [--json FILE] [--ptau FILE] [--no-chain]

Soundness audit of every shipped circuit, or of --circuit (docs/AUDIT.md):
  1. witness mutation: every non-input signal of every provable vector's witness edited
     (+1, -1, p-1-w, random) must be rejected by the R1CS; every private input, changed and
     re-derived, must change the public signals or be refused
  2. range-check table derived from the circuit sources (unbounded signals are findings unless
     the circuit's NOTE leaves them to the verifier)
  3. each public signal at r, r+1, 2^256-1 and x+r rejected off-chain and by the Solidity
     verifier on an in-process EVM (--no-chain skips the EVM)
  4. setup: vk_delta_2 != vk_gamma_2, zkey/vkey/verifier agree, manifest hashes, and the zkey
     verified against the r1cs and a powers-of-tau file when --ptau is given (or cached)
  5. constraints per component and the public signal list
Prints a human summary; --json FILE writes the full report. Exit 0 iff there are no findings.`,
  ceremony: `Usage: zkmargin ceremony <step> [options]     (docs/CEREMONY.md)

  init        --ptau PHASE1.ptau --dir D [--circuit margin | --r1cs FILE]
              start a phase-2 ceremony from a public powers-of-tau file
  contribute  --dir D --name NAME [--entropy TEXT]
              add a contribution (fresh random entropy, mixed with TEXT); prints its hash
  beacon      --dir D --hash HEX [--iterations 10] [--name NAME]
              apply a public random beacon (e.g. a future block hash) after the contributions
  verify      --dir D --ptau PHASE1.ptau [--r1cs FILE]
              re-run every check: file hashes, the zkey against r1cs + ptau, contribution hashes
  finalize    --dir D --ptau PHASE1.ptau --out OUTDIR [--r1cs FILE]
              verify, then write the final zkey, verification_key.json and Verifier.sol
Every step is recorded in D/transcript.json. Exit 0 on success, 1 otherwise.`,
  deploy: `Usage: zkmargin deploy --out F [--rpc URL] [--publisher ADDRESS] [--max-age SECONDS]
                       [--accounts --liquidation-key KEY [--tokens T0,T1,T2,T3] [--bond WEI] [--grace SECONDS]]

Deploys the margin verifier, its wrapper, the Poseidon contracts and the RiskEpochRegistry over
JSON-RPC (default ${"http://127.0.0.1:8545"}, e.g. a local 'npx hardhat node'). The signer is
ZKMARGIN_PRIVATE_KEY if set, else the node's first unlocked account (admin and, unless
--publisher is given, publisher). Writes the addresses to F (atomically). max age: 3600 s.
--accounts also deploys the transition verifier and MarginAccounts: KEY is a 'zkmargin keygen'
file (only its publicKey is read), the collateral tokens are T0..T3 (default: four test tokens
anyone can mint), the bond defaults to 0.01 ETH and the grace period to 600 s.`,
  keygen: `Usage: zkmargin keygen --out F

Generates the liquidation key pair (Baby Jubjub, prime-order subgroup) and writes
{secret, publicKey, keyHash} to F (mode 0600; never overwrites). Keep the secret with the
insurance process: it decrypts every account's transition log (docs/PROTOCOL.md).`,
  account: `Usage: zkmargin account <action> --deployment D --state S [--rpc URL] [--account-index N]

The private state (portfolio and salt) lives in S, encrypted with ZKMARGIN_PASSPHRASE, and is
never sent anywhere. Pending states are written before a transaction is sent and promoted once it
is mined; every action first reconciles S with the on-chain commitment. The signer is
ZKMARGIN_PRIVATE_KEY, else the node's account N (default 0).
  open                                  open the account (pays the bond) and create S
  show | sync                           print the decrypted state | reconcile S with the chain
  deposit  --asset J --amount X --params P      pull X of token J (approve + proven deposit)
  withdraw --asset J --amount X --params P      proven withdrawal (initial margin of the rest)
  realize  --market I --params P                realise market I's PnL into asset 0
  trade-leg --fill F --side buy|sell --counterparty C --params P --out LEG
           prove one leg of a fill agreed off-chain with C (F: {market, size, price, salt}); LEG
           holds the proof and the owner's signature of exactly this leg for C to submit, never
           the portfolio
  trade --leg MINE --counter THEIRS     settle both legs in one call
  prove-margin --params P [--account A] maintenance proof for the latest epoch (with --account:
                                        as A's watchtower, S being A's state)
  watchtower --address W                allow W to submit margin attestations (never transitions)
P is the latest epoch's params.json (its paramsHash is checked against the registry).
Exit 0 ok, 1 bad input or a contract revert (named), 2 the result would not be healthy
(nothing is sent), 3 internal error or unreachable node.`,
  "margin-call": `Usage: zkmargin margin-call --deployment D [--rpc URL] [--account-index N]

(risk publisher) Every account with open exposure must attest margin for the latest epoch
within the grace period. Prints {epochId, deadline, gasUsed}. Exit 1 naming the revert.`,
  liquidate: `Usage: zkmargin liquidate --deployment D --account A [--rpc URL] [--account-index N]

Liquidates A if it missed the margin call: frozen, its bond paid to the caller. Prints
{account, liquidated, bondWei, gasUsed}; exit 1 naming the revert (GracePeriodRunning,
AlreadyAttested, AccountFlat, NotActive, NoMarginCall).`,
  epoch: `Usage: zkmargin epoch post --deployment F --params P [--rpc URL] [--prices-only]

Validates P (exit 1 naming the field) and posts it to the deployment's RiskEpochRegistry: risk
parameters, funding indices and prices (--prices-only: prices alone, reusing the posted risk and
funding). Checks that the on-chain paramsHash equals the locally computed one and prints
{epochId, paramsHash, steps: [{step, tx, gasUsed}]}. A registry revert exits 1 naming the field
(e.g. epochId when it does not increase); an unreachable node exits 3.`,
  calibrate: `Usage: zkmargin calibrate [--prices DIR] [--horizon HOURS] [--params P --portfolio Q]
                          [--level maintenance|initial] [--markets LIST] [--collateral LIST] [--out F]

Derives 16 stress scenarios from hourly price history: for each asset its worst drop and best
rise over HOURS (default 24) with every other asset's move in the same window, plus
simultaneous 99.9% quantile and worst-case moves. With --params and --portfolio, back-tests the
portfolio through history (marks and collateral prices follow the real paths, scaled so the
latest common hour equals the epoch's prices). --out F writes the params with the calibrated
scenarios (validated, atomically). Markets and collateral name assets in order, e.g.
BTC,ETH,SOL,BNB,XRP,DOGE,-,- and USD,ETH,BTC,- (the defaults, matching examples/).
Prices: DIR (default ../shared/data/prices beside the checkout); without it, generated paths.`,
  vkey: `Usage: zkmargin vkey [circuit]

Prints the verification key JSON of a shipped circuit: margin (default) or transition.`,
};

function readJsonFile(path: string, field: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ValidationError(field, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseJson(text, field);
}

type Flags = Record<string, string | boolean | undefined>;

function parse(
  command: string,
  argv: string[],
  options: Record<string, { type: "string" | "boolean" }>,
): { values: Flags; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new CliError(EXIT.BAD_INPUT, `${command}: ${(e as Error).message}`);
  }
}

function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== "string" || v === "") throw new ValidationError(`--${name}`, "required");
  return v;
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new CliError(EXIT.BAD_INPUT, `${command}: unexpected argument '${positionals[0]}'`);
}

function loadInputs(flags: Flags) {
  const params = validateParams(readJsonFile(required(flags, "params"), "--params"));
  const portfolio = validatePortfolio(readJsonFile(required(flags, "portfolio"), "--portfolio"));
  const level = parseLevel(required(flags, "level"), "--level");
  return { params, portfolio, level };
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function progress(text: string): void {
  process.stderr.write(`zkmargin: ${text}\n`);
}

async function cmdCheck(argv: string[]): Promise<number> {
  const { values, positionals } = parse("check", argv, {
    params: { type: "string" },
    portfolio: { type: "string" },
    level: { type: "string" },
  });
  if (values.help) return help("check");
  noPositionals("check", positionals);
  const { params, portfolio, level } = loadInputs(values);
  out(JSON.stringify(report(params, portfolio, level), null, 2));
  return EXIT.OK;
}

/** The output path must not be (or alias) an input: a proof must never overwrite a portfolio. */
function checkOutPath(outPath: string, inputs: string[]): string {
  const abs = resolve(outPath);
  if (!existsSync(dirname(abs)) || !statSync(dirname(abs)).isDirectory()) {
    throw new ValidationError("--out", `directory ${dirname(abs)} does not exist`);
  }
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new ValidationError("--out", `${outPath} is a directory`);
  const real = existsSync(abs) ? realpathSync(abs) : abs;
  for (const input of inputs) {
    if (existsSync(input) && realpathSync(input) === real) {
      throw new ValidationError("--out", `refusing to overwrite the input file ${input}`);
    }
  }
  return abs;
}

async function cmdProve(argv: string[]): Promise<number> {
  const { values, positionals } = parse("prove", argv, {
    params: { type: "string" },
    portfolio: { type: "string" },
    level: { type: "string" },
    binding: { type: "string" },
    out: { type: "string" },
  });
  if (values.help) return help("prove");
  noPositionals("prove", positionals);
  const { params, portfolio, level } = loadInputs(values);
  const binding = parseBinding(required(values, "binding"), "--binding");
  const outPath = checkOutPath(required(values, "out"), [values.params as string, values.portfolio as string]);

  const started = Date.now();
  progress("loading proving artifacts");
  const prover = await loadProver();
  progress(`proving at ${level} level`);
  let proof: MarginProof;
  try {
    proof = await prover.prove(params, portfolio, level, binding);
  } catch (e) {
    if (e instanceof UnhealthyError) {
      process.stderr.write(`zkmargin: error: portfolio is not healthy at ${level} level: ${e.violations.join(", ")}\n`);
      out(JSON.stringify({ healthy: false, violations: e.violations }));
      return EXIT.UNHEALTHY;
    }
    throw e;
  }
  writeAtomically(outPath, `${JSON.stringify(proof, null, 2)}\n`, "--out");
  progress(`proof written to ${outPath} in ${Date.now() - started} ms`);
  out(JSON.stringify({ out: outPath, publicSignals: proof.publicSignals }));
  return EXIT.OK;
}

async function cmdVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parse("verify", argv, {
    proof: { type: "string" },
    vkey: { type: "string" },
    deployment: { type: "string" },
    epoch: { type: "string" },
    rpc: { type: "string" },
  });
  if (values.help) return help("verify");
  noPositionals("verify", positionals);
  const proof = readJsonFile(required(values, "proof"), "--proof");
  const shape = proofShapeError(proof);
  if (shape !== null) throw new ValidationError("--proof", shape);
  if (typeof values.deployment === "string") return verifyOnChainCli(proof as MarginProof, values);
  const vkey = typeof values.vkey === "string" ? (readJsonFile(values.vkey, "--vkey") as ReturnType<typeof loadVerificationKey>) : loadVkey();
  const ok = await verifyProof(proof as MarginProof, vkey);
  if (!ok) {
    process.stderr.write("zkmargin: error: proof does not verify\n");
    out(JSON.stringify({ valid: false }));
    return EXIT.BAD_INPUT;
  }
  const [commitment, paramsHash, level, binding] = (proof as MarginProof).publicSignals;
  out(JSON.stringify({ valid: true, commitment, paramsHash, level: level === "0" ? "maintenance" : "initial", binding }));
  return EXIT.OK;
}

/** verify --deployment: the wrapper accepts the proof and its paramsHash is the epoch's fresh one. */
async function verifyOnChainCli(proof: MarginProof, values: Flags): Promise<number> {
  const epoch = required(values, "epoch");
  if (!/^[0-9]{1,20}$/.test(epoch) || BigInt(epoch) >= 2n ** 64n) throw new ValidationError("--epoch", "must be an integer below 2^64");
  const deployment = readJsonFile(values.deployment as string, "--deployment") as { contracts?: Record<string, string>; rpc?: string };
  const { DEFAULT_RPC, onChainVerify } = await import("./deploy.ts");
  const rpc = typeof values.rpc === "string" ? values.rpc : (deployment.rpc ?? DEFAULT_RPC);
  const { provider } = await chainSigner(rpc);
  try {
    const r = await onChainVerify(provider, deployment.contracts ?? {}, proof, BigInt(epoch));
    out(JSON.stringify(r));
    if (!r.valid) process.stderr.write(`zkmargin: error: ${r.reason}\n`);
    return r.valid ? EXIT.OK : EXIT.BAD_INPUT;
  } finally {
    provider.destroy();
  }
}

async function cmdCalibrate(argv: string[]): Promise<number> {
  const { values, positionals } = parse("calibrate", argv, {
    prices: { type: "string" },
    horizon: { type: "string" },
    params: { type: "string" },
    portfolio: { type: "string" },
    level: { type: "string" },
    markets: { type: "string" },
    collateral: { type: "string" },
    out: { type: "string" },
  });
  if (values.help) return help("calibrate");
  noPositionals("calibrate", positionals);
  const { loadHistory, calibrate, backtest } = await import("../risk/calibrate.ts");
  const horizon = typeof values.horizon === "string" ? values.horizon : "24";
  if (!/^[0-9]{1,4}$/.test(horizon) || Number(horizon) < 1) throw new ValidationError("--horizon", "must be a whole number of hours from 1 to 9999");
  const list = (v: unknown, d: string[], n: number, field: string) => {
    const xs = typeof v === "string" ? v.split(",") : d;
    if (xs.length !== n || xs.some((x) => !/^[A-Z]{1,10}$|^-$/.test(x))) throw new ValidationError(field, `must list ${n} asset symbols (or -) separated by commas`);
    return xs;
  };
  const markets = list(values.markets, ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"], 8, "--markets");
  const collateral = list(values.collateral, ["USD", "ETH", "BTC", "-"], 4, "--collateral");
  const dir = typeof values.prices === "string" ? values.prices : join(REPO_ROOT, "..", "shared", "data", "prices");
  if (typeof values.prices === "string" && !existsSync(join(dir, "merged"))) throw new ValidationError("--prices", `${dir}/merged not found`);
  progress(`loading price history from ${dir}`);
  const history = loadHistory(dir);
  const calibration = calibrate(history, Number(horizon), markets);
  const result: Record<string, unknown> = { calibration };
  if (typeof values.params === "string" || typeof values.portfolio === "string") {
    const params = validateParams(readJsonFile(required(values, "params"), "--params"));
    const portfolio = validatePortfolio(readJsonFile(required(values, "portfolio"), "--portfolio"));
    const level = parseLevel(typeof values.level === "string" ? values.level : "maintenance", "--level");
    result.backtest = backtest(history, params, portfolio, markets, collateral, level);
  }
  if (typeof values.out === "string") {
    const raw = readJsonFile(required(values, "params"), "--params") as Record<string, unknown>;
    const outPath = checkOutPath(values.out, [values.params as string]);
    const next = { ...raw, scenarios: calibration.scenarios.map((row) => row.map(String)) };
    validateParams(next);
    writeAtomically(outPath, `${JSON.stringify(next, null, 2)}\n`, "--out");
    result.out = outPath;
  }
  out(JSON.stringify(result, null, 2));
  return EXIT.OK;
}

async function cmdVkey(argv: string[]): Promise<number> {
  const { values, positionals } = parse("vkey", argv, {});
  if (values.help) return help("vkey");
  const name = positionals[0] ?? "margin";
  if (positionals.length > 1 || !(CIRCUITS as readonly string[]).includes(name)) {
    throw new ValidationError("circuit", `unknown circuit '${name}' (shipped: ${CIRCUITS.join(", ")})`);
  }
  out(JSON.stringify(name === "margin" ? loadVkey() : loadVerificationKey(circuitArtifacts(name as CircuitName).vkey), null, 1));
  return EXIT.OK;
}

async function cmdVectors(argv: string[]): Promise<number> {
  const { values, positionals } = parse("vectors", argv, { prove: { type: "boolean" } });
  if (values.help) return help("vectors");
  const [sub, dir, ...extra] = positionals;
  if (sub !== "replay") throw new CliError(EXIT.BAD_INPUT, "vectors: expected 'replay DIR' (see zkmargin vectors --help)");
  if (!dir || !isVectorDir(dir)) throw new ValidationError("DIR", `${dir ?? "(missing)"} is not a directory`);
  if (extra.length > 0) throw new CliError(EXIT.BAD_INPUT, `vectors: unexpected argument '${extra[0]}'`);
  const transition = vectorDirSchema(dir) === TRANSITION_VECTOR_SCHEMA;
  const vectors = transition ? loadTransitionVectors(dir) : loadVectors(dir);
  const prover = transition ? await loadTransitionProver() : await loadProver();
  let failed = 0;
  for (const v of vectors) {
    const r = transition
      ? await replayTransitionVector(v as TransitionVector, prover as TransitionProver, values.prove === true)
      : await replayVector(v as Vector, prover as MarginProver, values.prove === true);
    if (!r.ok) failed++;
    out(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `: ${r.problems.join("; ")}`}`);
  }
  out(`${vectors.length - failed} passed, ${failed} failed`);
  return failed === 0 && vectors.length > 0 ? EXIT.OK : EXIT.BAD_INPUT;
}

async function cmdAudit(argv: string[]): Promise<number> {
  const { values, positionals } = parse("audit", argv, {
    json: { type: "string" },
    ptau: { type: "string" },
    vectors: { type: "string" },
    circuit: { type: "string" },
    "no-chain": { type: "boolean" },
  });
  if (values.help) return help("audit");
  noPositionals("audit", positionals);
  const jsonOut = typeof values.json === "string" ? checkOutPath(values.json, []) : undefined;
  if (typeof values.ptau === "string" && !existsSync(values.ptau)) throw new ValidationError("--ptau", `${values.ptau} not found`);
  const only = typeof values.circuit === "string" ? values.circuit : undefined;
  if (only !== undefined && !(CIRCUITS as readonly string[]).includes(only)) throw new ValidationError("--circuit", `unknown circuit '${only}' (shipped: ${CIRCUITS.join(", ")})`);
  if (typeof values.vectors === "string" && only === undefined) throw new ValidationError("--vectors", "needs --circuit (vectors belong to one circuit)");
  let failures = 0;
  const reports = [];
  for (const name of CIRCUITS.filter((c) => only === undefined || c === only)) {
    const dir = typeof values.vectors === "string" ? values.vectors : join(REPO_ROOT, "test", "vectors", name);
    if (!isVectorDir(dir)) throw new ValidationError("--vectors", `${dir} is not a directory`);
    const ptau = typeof values.ptau === "string" ? values.ptau : defaultPtau(name);
    const prover = name === "transition" ? await loadTransitionProver() : await loadProver();
    const cases = name === "transition" ? transitionCases(loadTransitionVectors(dir)) : marginCases(loadVectors(dir));
    const chain = values["no-chain"] ? null : await startLocalChain();
    try {
      const onChain = chain
        ? name === "transition"
          ? await generatedVerifierCheck(chain, "verifier-contracts/generated/TransitionVerifier.sol:Groth16Verifier")
          : async (proof: MarginProof) => verifyOnChain(chain, await solidityCalldata(proof))
        : undefined;
      const report = await audit(name, { prover, cases, ptau, onChain, log: progress });
      out(formatAudit(report));
      failures += report.findings.length;
      reports.push(report);
    } finally {
      await chain?.close();
    }
  }
  if (jsonOut) writeAtomically(jsonOut, `${JSON.stringify(reports, null, 2)}\n`, "--json");
  return failures === 0 ? EXIT.OK : EXIT.BAD_INPUT;
}

/** On-chain check through a generated verifier (which returns false for inputs >= r). */
async function generatedVerifierCheck(chain: Awaited<ReturnType<typeof startLocalChain>>, fqn: string) {
  const v = await chain.ethers.deployContract(fqn);
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

function defaultPtau(circuit: CircuitName = "margin"): string | undefined {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "artifacts", "manifest.json"), "utf8"));
  const power = manifest.circuits?.[circuit]?.ptau?.power ?? 14;
  const p = join(process.env.ZKMARGIN_CACHE ?? join(homedir(), ".cache", "zkmargin"), "ptau", `pot${power}_final.ptau`);
  return existsSync(p) ? p : undefined;
}

function writeAtomically(path: string, text: string, field: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ValidationError(field, `cannot write ${path} (${(e as Error).message})`);
  }
}

async function cmdCeremony(argv: string[]): Promise<number> {
  const { values, positionals } = parse("ceremony", argv, {
    ptau: { type: "string" },
    dir: { type: "string" },
    circuit: { type: "string" },
    r1cs: { type: "string" },
    name: { type: "string" },
    entropy: { type: "string" },
    hash: { type: "string" },
    iterations: { type: "string" },
    out: { type: "string" },
  });
  if (values.help || positionals.length === 0) return help("ceremony");
  const [step, ...extra] = positionals;
  if (extra.length) throw new CliError(EXIT.BAD_INPUT, `ceremony: unexpected argument '${extra[0]}'`);
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const dir = required(values, "dir");
  const r1csFor = (circuit: string) => {
    if (str("r1cs")) return str("r1cs")!;
    if (!(CIRCUITS as readonly string[]).includes(circuit)) throw new ValidationError("--circuit", `unknown circuit '${circuit}' (shipped: ${CIRCUITS.join(", ")})`);
    return circuitArtifacts(circuit as CircuitName).r1cs;
  };
  try {
    switch (step) {
      case "init": {
        const circuit = str("circuit") ?? "margin";
        const t = await ceremonyInit({ dir, ptau: required(values, "ptau"), r1cs: r1csFor(circuit), circuit });
        out(JSON.stringify({ dir, circuit: t.circuit, step: t.steps[0] }));
        return EXIT.OK;
      }
      case "contribute": {
        const s = await ceremonyContribute({ dir, name: required(values, "name"), entropy: str("entropy") });
        progress(`contribution #${s.index} recorded; publish its hash: ${s.contributionHash}`);
        out(JSON.stringify(s));
        return EXIT.OK;
      }
      case "beacon": {
        const it = str("iterations");
        if (it !== undefined && !/^[0-9]{1,2}$/.test(it)) throw new ValidationError("--iterations", "must be an integer in [10, 63]");
        const s = await ceremonyBeacon({ dir, hash: required(values, "hash"), iterationsExp: it ? Number(it) : undefined, name: str("name") });
        out(JSON.stringify(s));
        return EXIT.OK;
      }
      case "verify": {
        const t = readTranscript(dir);
        const v = await ceremonyVerify({ dir, ptau: required(values, "ptau"), r1cs: r1csFor(t.circuit) });
        out(JSON.stringify(v, null, 2));
        if (!v.ok) process.stderr.write(`zkmargin: error: ceremony does not verify: ${v.problems.join("; ")}\n`);
        return v.ok ? EXIT.OK : EXIT.BAD_INPUT;
      }
      case "finalize": {
        const t = readTranscript(dir);
        const template = readFileSync(join(REPO_ROOT, "node_modules/snarkjs/templates/verifier_groth16.sol.ejs"), "utf8");
        const f = await ceremonyFinalize({ dir, ptau: required(values, "ptau"), r1cs: r1csFor(t.circuit), out: required(values, "out"), solidityTemplate: template });
        out(JSON.stringify(f.finalized));
        return EXIT.OK;
      }
      default:
        throw new CliError(EXIT.BAD_INPUT, `ceremony: unknown step '${step}' (init, contribute, beacon, verify, finalize)`);
    }
  } catch (e) {
    if (e instanceof CeremonyError) throw new ValidationError(e.field, e.message.slice(e.field.length + 2));
    throw e;
  }
}

async function chainSigner(rpc: string, index = 0) {
  const { signerFor } = await import("./deploy.ts");
  if (!/^https?:\/\/[^\s]+$/.test(rpc)) throw new ValidationError("--rpc", "must be an http(s) URL");
  let s: Awaited<ReturnType<typeof signerFor>> | undefined;
  try {
    s = await signerFor(rpc, index);
    return s;
  } catch (e) {
    s?.provider.destroy();
    throw new CliError(EXIT.INTERNAL, `cannot reach the node at ${rpc} (${(e as Error).message.split("\n")[0]})`);
  }
}

async function cmdDeploy(argv: string[]): Promise<number> {
  const { values, positionals } = parse("deploy", argv, {
    rpc: { type: "string" },
    out: { type: "string" },
    publisher: { type: "string" },
    "max-age": { type: "string" },
    accounts: { type: "boolean" },
    "liquidation-key": { type: "string" },
    tokens: { type: "string" },
    bond: { type: "string" },
    grace: { type: "string" },
  });
  if (values.help) return help("deploy");
  noPositionals("deploy", positionals);
  const outPath = checkOutPath(required(values, "out"), []);
  const maxAge = typeof values["max-age"] === "string" ? values["max-age"] : "3600";
  if (!/^[0-9]{1,19}$/.test(maxAge) || BigInt(maxAge) >= 2n ** 64n) throw new ValidationError("--max-age", "must be an integer number of seconds below 2^64");
  const publisher = typeof values.publisher === "string" ? values.publisher : undefined;
  if (publisher !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(publisher)) throw new ValidationError("--publisher", "must be a 0x-prefixed 20-byte address");
  let accounts: import("./deploy.ts").AccountsOptions | undefined;
  if (values.accounts) {
    const keyPath = typeof values["liquidation-key"] === "string" ? values["liquidation-key"] : undefined;
    if (!keyPath) throw new ValidationError("--liquidation-key", "is required with --accounts (a 'zkmargin keygen' file or {publicKey: [x, y]})");
    const liquidationKey = readLiquidationKey(keyPath, KIT);
    const tokens = typeof values.tokens === "string" ? values.tokens.split(",") : undefined;
    if (tokens && (tokens.length !== 4 || tokens.some((t) => !/^0x[0-9a-fA-F]{40}$/.test(t)))) throw new ValidationError("--tokens", "must be 4 comma-separated ERC-20 addresses");
    const num = (name: string, dflt: string) => {
      const v = typeof values[name] === "string" ? (values[name] as string) : dflt;
      if (!/^[0-9]{1,30}$/.test(v)) throw new ValidationError(`--${name}`, "must be a non-negative integer");
      return BigInt(v);
    };
    accounts = { tokens, bondWei: num("bond", "10000000000000000"), gracePeriod: num("grace", "600"), liquidationKey };
    if (accounts.gracePeriod >= 2n ** 64n) throw new ValidationError("--grace", "must be below 2^64 seconds");
  }
  const rpc = typeof values.rpc === "string" ? values.rpc : (await import("./deploy.ts")).DEFAULT_RPC;
  const { signer, provider } = await chainSigner(rpc);
  try {
    const { deployAll } = await import("./deploy.ts");
    const d = await deployAll(signer, { publisher, maxAge: BigInt(maxAge), accounts, log: progress });
    writeAtomically(outPath, `${JSON.stringify({ ...d, rpc }, null, 2)}\n`, "--out");
    out(JSON.stringify({ out: outPath, chainId: d.chainId, registry: d.contracts.RiskEpochRegistry, wrapper: d.contracts.MarginProofVerifier, accounts: d.contracts.MarginAccounts }));
    return EXIT.OK;
  } finally {
    provider.destroy();
  }
}

async function cmdEpoch(argv: string[]): Promise<number> {
  const { values, positionals } = parse("epoch", argv, {
    deployment: { type: "string" },
    params: { type: "string" },
    rpc: { type: "string" },
    "prices-only": { type: "boolean" },
  });
  if (values.help || positionals.length === 0) return help("epoch");
  if (positionals[0] !== "post" || positionals.length > 1) throw new CliError(EXIT.BAD_INPUT, "epoch: expected 'post' (see zkmargin epoch --help)");
  const params = validateParams(readJsonFile(required(values, "params"), "--params"));
  const deployment = readJsonFile(required(values, "deployment"), "--deployment") as { contracts?: Record<string, string>; rpc?: string };
  const registry = deployment?.contracts?.RiskEpochRegistry;
  if (typeof registry !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
    throw new ValidationError("--deployment", "contracts.RiskEpochRegistry must be an address");
  }
  const deploy = await import("./deploy.ts");
  const rpc = typeof values.rpc === "string" ? values.rpc : (deployment.rpc ?? deploy.DEFAULT_RPC);
  const { signer, provider } = await chainSigner(rpc);
  try {
    const result = await deploy.postEpochOver(signer, registry, params, values["prices-only"] === true);
    out(JSON.stringify(result));
    return EXIT.OK;
  } catch (e) {
    const data = (e as { data?: string; info?: { error?: { data?: string } } }).data ?? (e as any)?.info?.error?.data;
    if (typeof data === "string" && data.length >= 10) {
      const parsed = (await deploy.registryInterface()).parseError(data);
      if (parsed) {
        throw new ValidationError(deploy.revertField(parsed.name, parsed.args), `rejected by the registry: ${parsed.name}(${parsed.args.join(", ")})`);
      }
    }
    throw e;
  } finally {
    provider.destroy();
  }
}

async function loadTransitionProver(): Promise<TransitionProver> {
  try {
    return await TransitionProver.load();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup'`);
  }
}

async function loadProver(): Promise<MarginProver> {
  try {
    return await MarginProver.load();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup'`);
  }
}

function loadVkey() {
  try {
    return loadVerificationKey();
  } catch (e) {
    throw new CliError(EXIT.INTERNAL, `cannot load the verification key (${(e as Error).message}); run 'npm run setup'`);
  }
}

function help(command: keyof typeof HELP): number {
  out(HELP[command]);
  return EXIT.OK;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  check: cmdCheck,
  prove: cmdProve,
  verify: cmdVerify,
  vkey: cmdVkey,
  vectors: cmdVectors,
  audit: cmdAudit,
  ceremony: cmdCeremony,
  deploy: cmdDeploy,
  epoch: cmdEpoch,
  calibrate: cmdCalibrate,
  keygen: (argv) => cmdKeygen(argv, KIT),
  account: (argv) => cmdAccount(argv, KIT),
  "margin-call": (argv) => cmdMarginCall(argv, KIT),
  liquidate: (argv) => cmdLiquidate(argv, KIT),
};

const KIT: CliKit = {
  EXIT,
  fail: (code, message) => {
    throw new CliError(code, message);
  },
  parse: parse as CliKit["parse"],
  required: required as CliKit["required"],
  readJsonFile,
  checkOutPath,
  out,
  progress,
  help: (c) => help(c as keyof typeof HELP),
  chainSigner,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      if (command === "help" && rest[0] && rest[0] in HELP) return help(rest[0]);
      return help("main");
    }
    const run = COMMANDS[command];
    if (!run) throw new CliError(EXIT.BAD_INPUT, `unknown command '${command}' (see zkmargin --help)`);
    return await run(rest);
  } catch (e) {
    let code: number = EXIT.INTERNAL;
    if (e instanceof ValidationError || e instanceof CliError) {
      process.stderr.write(`zkmargin: error: ${e.message}\n`);
      code = e instanceof CliError ? e.code : EXIT.BAD_INPUT;
    } else {
      process.stderr.write(`zkmargin: internal error: ${(e as Error).stack ?? e}\n`);
    }
    // verify's contract: exit 0 iff the proof verifies, 1 for anything else
    return command === "verify" ? EXIT.BAD_INPUT : code;
  } finally {
    await releaseCurves();
  }
}
