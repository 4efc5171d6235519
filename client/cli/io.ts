// The CLI's input and output: exit codes, the error every command throws, options, JSON files,
// atomic writes. Results go to stdout (one JSON document or lines), progress to stderr.
import { closeSync, existsSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readBounded } from "../files.ts";
import { dirname, join, resolve } from "node:path";
import { ValidationError, parseInteger, parseJson } from "../../prover/validate.ts";

/** The CLI contract's exit codes (docs/SPEC.md §6). */
export const EXIT = {
  /** success (check: whether healthy or not; verify: the proof verifies) */
  OK: 0,
  /** malformed or out-of-bounds input naming the field, a named contract revert, verify: anything that does not verify */
  BAD_INPUT: 1,
  /** not healthy: prove refused, or an account action whose result would not be healthy (nothing sent) */
  UNHEALTHY: 2,
  /** internal error: missing or corrupt artifacts, an unreachable node */
  INTERNAL: 3,
} as const;

/** An error with its exit code; main prints `zkmargin: error: <message>`. */
export class CliError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}

export type Values = Record<string, string | boolean | undefined>;

export function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function progress(text: string): void {
  process.stderr.write(`zkmargin: ${text}\n`);
}

/** JSON with bigints as decimal strings. */
export function json(x: unknown, indent?: number): string {
  return JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v), indent);
}

/** A string option, or undefined. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A required string option: ValidationError naming --name when missing or empty. */
export function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new ValidationError(`--${name}`, "required");
  return v;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A 0x-prefixed 20-byte address, named by `field` when malformed. */
export function address(value: string, field: string): string {
  if (!ADDRESS.test(value)) throw new ValidationError(field, "must be a 0x-prefixed 20-byte address");
  return value;
}

/** An integer option in [0, max). */
export function bigOption(values: Values, name: string, max: bigint): bigint {
  const v = parseInteger(required(values, name), `--${name}`);
  if (v < 0n || v >= max) throw new ValidationError(`--${name}`, `must be in [0, ${max})`);
  return v;
}

/** A small integer option (an index) in [0, max). */
export function indexOption(values: Values, name: string, max: number): number {
  const raw = required(values, name);
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) >= max) throw new ValidationError(`--${name}`, `must be an integer in [0, ${max})`);
  return Number(raw);
}

/** The largest JSON input read (params, portfolio, proof, fill, leg, deployment files are kilobytes). */
export const MAX_JSON_BYTES = 8 * 1024 * 1024;

/**
 * A JSON input file, named by `field` in every error: missing, a directory, unreadable, larger
 * than `limit` (refused from its size, before reading it; a pipe is read only up to the limit)
 * or not JSON.
 */
export function readJsonFile(path: string, field: string, limit = MAX_JSON_BYTES): unknown {
  let text: Buffer | null;
  try {
    text = readBounded(path, limit);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(
      field,
      `cannot read ${path} (${code === "EISDIR" ? "EISDIR: it is a directory" : (code ?? (e as Error).message)})`,
    );
  }
  if (text === null)
    throw new ValidationError(
      field,
      `${path} is larger than ${limit / (1024 * 1024)} MiB: refusing to read it (not a zkmargin input file)`,
    );
  return parseJson(text.toString("utf8"), field);
}

/** The output path must be writable and must not be (or alias) an input: a proof never overwrites a portfolio. */
export function checkOutPath(outPath: string, inputs: string[], field = "--out"): string {
  const abs = resolve(outPath);
  if (!existsSync(dirname(abs)) || !statSync(dirname(abs)).isDirectory()) {
    throw new ValidationError(field, `directory ${dirname(abs)} does not exist`);
  }
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new ValidationError(field, `${outPath} is a directory`);
  // writable? (access(2) says yes to root even where nothing can be created: try it)
  const probe = join(dirname(abs), `.zkmargin-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(openSync(probe, "wx", 0o600));
    rmSync(probe, { force: true });
  } catch (e) {
    throw new ValidationError(field, `cannot write in directory ${dirname(abs)} (${(e as NodeJS.ErrnoException).code})`);
  }
  const real = existsSync(abs) ? realpathSync(abs) : abs;
  for (const input of inputs) {
    if (existsSync(input) && realpathSync(input) === real) {
      throw new ValidationError(field, `refusing to overwrite the input file ${input}`);
    }
  }
  return abs;
}

/** Write the whole text or nothing (temporary file, then rename). */
export function writeAtomically(path: string, text: string, field: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ValidationError(field, `cannot write ${path} (${(e as Error).message})`);
  }
}

/** A unix time (seconds) as ISO 8601. */
export const iso = (unix: bigint): string => new Date(Number(unix) * 1000).toISOString();

/** A deadline relative to now, as "in N min" or "N min ago". */
export function relative(deadline: bigint, now: bigint): string {
  const d = Number(deadline - now);
  const m = Math.ceil(Math.abs(d) / 60);
  return d >= 0 ? `in ${m} min` : `${m} min ago`;
}
