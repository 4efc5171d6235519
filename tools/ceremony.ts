// Phase-2 ceremony tooling (docs/CEREMONY.md): init from a public phase-1 powers of tau, any
// number of contributions, a random beacon, verification anyone can re-run, and finalisation
// into a verification key and Solidity verifier. Every step is recorded in transcript.json with
// the sha256 of its zkey and snarkjs's contribution hash.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as snarkjs from "snarkjs";
import { sha256File as sha256 } from "./r1cs.ts";

export const TRANSCRIPT_SCHEMA = "zkmargin/ceremony/v1";

export interface CeremonyStep {
  index: number;
  kind: "init" | "contribution" | "beacon";
  name: string;
  file: string;
  sha256: string;
  contributionHash?: string;
  beacon?: { hash: string; iterationsExp: number };
  at: string;
}

export interface Transcript {
  schema: typeof TRANSCRIPT_SCHEMA;
  circuit: string;
  r1cs: { file: string; sha256: string; constraints: number };
  ptau: { file: string; sha256: string };
  steps: CeremonyStep[];
  finalized?: { zkey: string; zkeySha256: string; vkey: string; vkeySha256: string; verifier: string; verifierSha256: string; at: string };
}

export class CeremonyError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

type Logger = { info: (s: string) => void; debug: () => void; warn: (s: string) => void; error: (s: string) => void };
const quiet: Logger = { info: () => {}, debug: () => {}, warn: () => {}, error: () => {} };

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const transcriptPath = (dir: string) => join(dir, "transcript.json");

export function readTranscript(dir: string): Transcript {
  const p = transcriptPath(dir);
  if (!existsSync(p)) throw new CeremonyError("--dir", `${dir} has no transcript.json (run 'zkmargin ceremony init' first)`);
  const t = JSON.parse(readFileSync(p, "utf8")) as Transcript;
  if (t.schema !== TRANSCRIPT_SCHEMA) throw new CeremonyError("--dir", `transcript schema must be ${TRANSCRIPT_SCHEMA}`);
  return t;
}

function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function nextFile(t: Transcript): string {
  return `${t.circuit}_${String(t.steps.length).padStart(4, "0")}.zkey`;
}

/** Run a zkey-producing step into a temporary file, then move it into place (never overwriting). */
async function produce(dir: string, file: string, f: (tmp: string) => Promise<unknown>): Promise<unknown> {
  const target = join(dir, file);
  if (existsSync(target)) throw new CeremonyError("--dir", `${file} already exists; the transcript and the directory disagree`);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    const out = await f(tmp);
    renameSync(tmp, target);
    return out;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A ceremony's name (transcript, zkey files, the final NAME.zkey): letters, digits, _ . - (at most 64). */
export const CIRCUIT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** The name a ceremony on an r1cs file takes by default: its file name without .r1cs. */
export function circuitNameOf(r1cs: string): string {
  return basename(r1cs).replace(/\.r1cs$/i, "");
}

/** Start a ceremony; `circuit` names it (default: the r1cs file's name without .r1cs). */
export async function ceremonyInit(opts: {
  dir: string;
  ptau: string;
  r1cs: string;
  circuit?: string;
  logger?: Logger;
}): Promise<Transcript> {
  const circuit = opts.circuit ?? circuitNameOf(opts.r1cs);
  if (!CIRCUIT_NAME.test(circuit)) {
    throw opts.circuit === undefined
      ? new CeremonyError(
          "--r1cs",
          `the file name '${circuit}' cannot name the ceremony (letters, digits, _ . - only); pass --circuit-name NAME`,
        )
      : new CeremonyError("--circuit-name", `'${circuit}' must be letters, digits, _ . - (at most 64, not starting with . or -)`);
  }
  if (!existsSync(opts.ptau)) throw new CeremonyError("--ptau", `${opts.ptau} not found`);
  if (!existsSync(opts.r1cs)) throw new CeremonyError("--r1cs", `${opts.r1cs} not found`);
  mkdirSync(opts.dir, { recursive: true });
  if (existsSync(transcriptPath(opts.dir))) throw new CeremonyError("--dir", `${opts.dir} already holds a ceremony`);
  const info = (await snarkjs.r1cs.info(opts.r1cs)) as { nConstraints: number };
  const t: Transcript = {
    schema: TRANSCRIPT_SCHEMA,
    circuit,
    r1cs: { file: basename(opts.r1cs), sha256: sha256(opts.r1cs), constraints: info.nConstraints },
    ptau: { file: basename(opts.ptau), sha256: sha256(opts.ptau) },
    steps: [],
  };
  const file = nextFile(t);
  await produce(opts.dir, file, async (tmp) => {
    const r = await snarkjs.zKey.newZKey(opts.r1cs, opts.ptau, tmp, opts.logger ?? quiet);
    if (r === undefined || r === false)
      throw new CeremonyError("--ptau", "snarkjs could not set up the circuit with this powers of tau (too small?)");
  });
  t.steps.push({ index: 0, kind: "init", name: "init", file, sha256: sha256(join(opts.dir, file)), at: new Date().toISOString() });
  writeJsonAtomically(transcriptPath(opts.dir), t);
  return t;
}

function last(dir: string, t: Transcript): string {
  if (t.finalized) throw new CeremonyError("--dir", "the ceremony is finalized");
  const step = t.steps[t.steps.length - 1];
  const path = join(dir, step.file);
  if (!existsSync(path) || sha256(path) !== step.sha256)
    throw new CeremonyError("--dir", `${step.file} is missing or differs from the transcript`);
  return path;
}

export async function ceremonyContribute(opts: { dir: string; name: string; entropy?: string; logger?: Logger }): Promise<CeremonyStep> {
  if (!opts.name) throw new CeremonyError("--name", "required");
  const t = readTranscript(opts.dir);
  if (t.steps.some((s) => s.kind === "beacon")) throw new CeremonyError("--dir", "the beacon has been applied; no more contributions");
  const prev = last(opts.dir, t);
  const file = nextFile(t);
  // the caller's text is mixed with 64 fresh random bytes: a weak passphrase cannot weaken it
  const entropy = `${randomBytes(64).toString("hex")}:${opts.entropy ?? ""}`;
  const hash = (await produce(opts.dir, file, (tmp) =>
    snarkjs.zKey.contribute(prev, tmp, opts.name, entropy, opts.logger ?? quiet),
  )) as Uint8Array;
  const step: CeremonyStep = {
    index: t.steps.length,
    kind: "contribution",
    name: opts.name,
    file,
    sha256: sha256(join(opts.dir, file)),
    contributionHash: hex(hash),
    at: new Date().toISOString(),
  };
  t.steps.push(step);
  writeJsonAtomically(transcriptPath(opts.dir), t);
  return step;
}

/**
 * A beacon hash: exactly 32 bytes as 64 hex digits, with or without a 0x prefix (a block hash
 * copied from an explorer works as is). Returns the 64 lowercase digits, without the prefix.
 */
export function parseBeaconHash(text: string): string {
  const digits = text.replace(/^0[xX]/, "");
  if (!/^[0-9a-fA-F]*$/.test(digits))
    throw new CeremonyError("--hash", "must be a 32-byte hash in hex: 64 hex digits, 0x prefix optional (e.g. a future block hash)");
  if (digits.length !== 64) {
    throw new CeremonyError(
      "--hash",
      `must be a 32-byte hash: 64 hex digits, 0x prefix optional (got ${digits.length} hex digit${digits.length === 1 ? "" : "s"})`,
    );
  }
  return digits.toLowerCase();
}

export async function ceremonyBeacon(opts: {
  dir: string;
  hash: string;
  iterationsExp?: number;
  name?: string;
  logger?: Logger;
}): Promise<CeremonyStep> {
  // the order of the steps first: a beacon too early is refused whatever its hash
  const t = readTranscript(opts.dir);
  if (!t.steps.some((s) => s.kind === "contribution"))
    throw new CeremonyError("--dir", "a beacon needs at least one contribution before it");
  if (t.steps.some((s) => s.kind === "beacon")) throw new CeremonyError("--dir", "the beacon has already been applied");
  const beaconHash = parseBeaconHash(opts.hash);
  const iterationsExp = opts.iterationsExp ?? 10;
  if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 63)
    throw new CeremonyError("--iterations", "must be an integer in [10, 63]");
  const prev = last(opts.dir, t);
  const file = nextFile(t);
  const name = opts.name ?? "beacon";
  const hash = (await produce(opts.dir, file, (tmp) =>
    snarkjs.zKey.beacon(prev, tmp, name, beaconHash, iterationsExp, opts.logger ?? quiet),
  )) as Uint8Array;
  const step: CeremonyStep = {
    index: t.steps.length,
    kind: "beacon",
    name,
    file,
    sha256: sha256(join(opts.dir, file)),
    contributionHash: hex(hash),
    beacon: { hash: beaconHash, iterationsExp },
    at: new Date().toISOString(),
  };
  t.steps.push(step);
  writeJsonAtomically(transcriptPath(opts.dir), t);
  return step;
}

export interface CeremonyVerification {
  ok: boolean;
  problems: string[];
  contributions: Array<{ name: string; hash: string }>;
}

/** Re-run the whole verification: files, transcript, and the final zkey against r1cs + ptau. */
export async function ceremonyVerify(opts: { dir: string; ptau: string; r1cs: string }): Promise<CeremonyVerification> {
  const t = readTranscript(opts.dir);
  const problems: string[] = [];
  if (!existsSync(opts.ptau)) throw new CeremonyError("--ptau", `${opts.ptau} not found`);
  if (sha256(opts.ptau) !== t.ptau.sha256) problems.push("the powers of tau differs from the one the ceremony started from");
  if (sha256(opts.r1cs) !== t.r1cs.sha256) problems.push("the r1cs differs from the one the ceremony started from");
  t.steps.forEach((s, i) => {
    if (s.index !== i) problems.push(`step ${i}: index ${s.index}`);
    const p = join(opts.dir, s.file);
    if (existsSync(p) && sha256(p) !== s.sha256) problems.push(`${s.file}: sha256 differs from the transcript`);
  });
  const final = t.steps[t.steps.length - 1];
  const finalPath = join(opts.dir, final.file);
  if (!existsSync(finalPath)) problems.push(`${final.file}: missing`);
  const contributions: Array<{ name: string; hash: string }> = [];
  if (problems.length === 0) {
    // snarkjs reports each contribution (latest first) as "contribution #k NAME:" and its hash
    const numbered: Array<{ k: number; name: string; hash: string }> = [];
    const logger: Logger = {
      ...quiet,
      info: (s: string) => {
        const m = /^contribution #(\d+) (.*):\n([\s\S]*)$/.exec(s);
        if (m) numbered.push({ k: Number(m[1]), name: m[2], hash: m[3].replace(/\s+/g, "") });
      },
    };
    const ok = (await snarkjs.zKey.verifyFromR1cs(opts.r1cs, opts.ptau, finalPath, logger)) === true;
    contributions.push(...numbered.sort((a, b) => a.k - b.k).map(({ name, hash }) => ({ name, hash })));
    if (!ok) problems.push(`${final.file} does not verify against the r1cs and powers of tau`);
    const recorded = t.steps.filter((s) => s.kind !== "init");
    if (contributions.length !== recorded.length)
      problems.push(`the zkey holds ${contributions.length} contributions, the transcript ${recorded.length}`);
    recorded.forEach((s, i) => {
      const c = contributions[i];
      if (c && (c.hash !== s.contributionHash || c.name !== s.name))
        problems.push(`contribution #${i + 1} (${s.name}): hash or name differs from the transcript`);
    });
    if (recorded.length === 0) problems.push("no contribution: vk_delta_2 would equal vk_gamma_2");
  }
  return { ok: problems.length === 0, problems, contributions };
}

export async function ceremonyFinalize(opts: {
  dir: string;
  ptau: string;
  r1cs: string;
  out: string;
  solidityTemplate: string;
}): Promise<Transcript> {
  const t = readTranscript(opts.dir);
  if (t.finalized) throw new CeremonyError("--dir", "already finalized");
  const v = await ceremonyVerify(opts);
  if (!v.ok) throw new CeremonyError("--dir", `verification failed: ${v.problems.join("; ")}`);
  if (!t.steps.some((s) => s.kind === "beacon")) throw new CeremonyError("--dir", "apply the beacon before finalizing");
  mkdirSync(opts.out, { recursive: true });
  const final = join(opts.dir, t.steps[t.steps.length - 1].file);
  const zkey = join(opts.out, `${t.circuit}.zkey`);
  const vkeyPath = join(opts.out, "verification_key.json");
  const verifier = join(opts.out, "Verifier.sol");
  for (const p of [zkey, vkeyPath, verifier]) if (existsSync(p)) throw new CeremonyError("--out", `${p} exists; refusing to overwrite`);
  const vkey = await snarkjs.zKey.exportVerificationKey(final, quiet);
  if (JSON.stringify(vkey.vk_delta_2) === JSON.stringify(vkey.vk_gamma_2)) throw new CeremonyError("--dir", "vk_delta_2 equals vk_gamma_2");
  const sol = await snarkjs.zKey.exportSolidityVerifier(final, { groth16: opts.solidityTemplate }, quiet);
  copyFileSync(final, zkey);
  writeFileSync(vkeyPath, `${JSON.stringify(vkey, null, 1)}\n`);
  writeFileSync(verifier, sol);
  t.finalized = {
    zkey,
    zkeySha256: sha256(zkey),
    vkey: vkeyPath,
    vkeySha256: sha256(vkeyPath),
    verifier,
    verifierSha256: sha256(verifier),
    at: new Date().toISOString(),
  };
  writeJsonAtomically(transcriptPath(opts.dir), t);
  return t;
}
