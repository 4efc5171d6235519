// zkmargin command-line interface: dispatch, and the one place where errors become exit codes
// and messages (docs/SPEC.md §6):
//   exit 0  success (check: whether healthy or not; verify: the proof verifies)
//   exit 1  malformed or out-of-bounds input, naming the field; a contract revert, named
//           (verify: anything that does not verify)
//   exit 2  not healthy: prove refused, or an account action whose result would not be healthy
//   exit 3  internal error (missing or corrupt artifacts, unreachable node)
// Progress goes to stderr, results to stdout; a stack trace only with --debug. Commands are
// defined in commands/ (one module per group of commands, listed in commands/index.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../prover/artifacts.ts";
import { releaseCurves } from "../../prover/curves.ts";
import { ValidationError } from "../../prover/validate.ts";
import { commandHelp, groupHelp, isGroup, runCommand, runGroup, type Command } from "./command.ts";
import { ENTRIES } from "./commands/index.ts";
import { CliError, EXIT, out } from "./io.ts";

export { EXIT };

function mainHelp(): string {
  const width = Math.max(...ENTRIES.map((e) => e.name.length));
  return [
    "zkmargin — zero-knowledge private margin proofs",
    "",
    "Usage: zkmargin <command> [options]",
    "",
    "Commands:",
    ...ENTRIES.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`),
    "",
    "Run 'zkmargin <command> --help' for the options of a command; --version prints the version;",
    "--debug (anywhere) adds stack traces to internal errors.",
    "Exit codes: 0 ok, 1 bad input (the message names the field), 2 not healthy, 3 internal error.",
  ].join("\n");
}

function version(): string {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version as string;
}

/** An error's exit code and one-line message. */
function describe(e: unknown): { code: number; message: string } {
  if (e instanceof CliError) return { code: e.code, message: `zkmargin: error: ${e.message}` };
  if (e instanceof ValidationError) return { code: EXIT.BAD_INPUT, message: `zkmargin: error: ${e.message}` };
  const name = (e as Error)?.name;
  if (name === "UnhealthyError" || name === "TransitionRefused" || name === "HealthyAccountError" || name === "HealthyError")
    return { code: EXIT.UNHEALTHY, message: `zkmargin: error: ${(e as Error).message}` };
  if (name === "ContractRevert") return { code: EXIT.BAD_INPUT, message: `zkmargin: error: ${(e as Error).message}` };
  const first = ((e as Error)?.message ?? String(e)).split("\n")[0];
  return { code: EXIT.INTERNAL, message: `zkmargin: internal error: ${first}` };
}

/** An error message is one line of reasonable length, whatever input it quotes (a multi-megabyte value). */
function clip(message: string): string {
  const line = message.replace(/\s*\n\s*/g, " ");
  return line.length <= 1000 ? line : `${line.slice(0, 1000)}... (${line.length} characters)`;
}

/** A contract revert no command named: decoded with every project contract's errors, exit 1. */
async function describeRevert(e: unknown): Promise<{ code: number; message: string } | null> {
  if (e instanceof CliError || e instanceof ValidationError) return null;
  const { decodeRevert, revertData } = await import("../revert.ts");
  if (revertData(e) === undefined) return null;
  try {
    const { projectInterfaces } = await import("../contracts.ts");
    const d = decodeRevert(e, await projectInterfaces());
    return d ? { code: EXIT.BAD_INPUT, message: `zkmargin: error: reverted: ${d.text}` } : null;
  } catch {
    return null;
  }
}

export async function main(args: string[]): Promise<number> {
  const debug = args.includes("--debug");
  const argv = args.filter((a) => a !== "--debug");
  const [name, ...rest] = argv;
  let command: Command | undefined;
  try {
    if (name === undefined || name === "--help" || name === "-h") {
      out(mainHelp());
      return EXIT.OK;
    }
    if (name === "--version" || name === "-V") {
      out(`zkmargin ${version()}`);
      return EXIT.OK;
    }
    if (name === "help") {
      const e = ENTRIES.find((x) => x.name === rest[0]);
      out(e === undefined ? mainHelp() : isGroup(e) ? groupHelp(e) : commandHelp(e));
      return EXIT.OK;
    }
    const entry = ENTRIES.find((e) => e.name === name);
    if (!entry) throw new CliError(EXIT.BAD_INPUT, `unknown command '${name}' (see zkmargin --help)`);
    if (isGroup(entry)) {
      const r = await runGroup(entry, rest);
      return r.code;
    }
    command = entry;
    return await runCommand(entry, rest);
  } catch (e) {
    const { code, message } = (await describeRevert(e)) ?? describe(e);
    process.stderr.write(`${clip(message)}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return command?.failureExit ?? (name === "verify" ? EXIT.BAD_INPUT : code);
  } finally {
    await releaseCurves();
  }
}
