// A CLI command is defined once: its name, usage, options and run together. `--help` is
// generated from the definition and the options are parsed with node:util parseArgs (strict),
// so a command cannot drift from its help. A group (account, epoch, vectors, ceremony) holds
// one command per action.
import { parseArgs } from "node:util";
import { CliError, EXIT, out, type Values } from "./io.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  /** the value's placeholder in help, e.g. FILE */
  value?: string;
  help: string;
  /** an environment variable that supplies the value when the option is not given */
  env?: string;
}

export interface Context {
  values: Values;
  positionals: string[];
}

export interface Command {
  /** full name, e.g. "check" or "account deposit" */
  name: string;
  /** one line for the command list */
  summary: string;
  /** positional arguments after the options in the usage line, e.g. "DIR" or "[circuit]" */
  args?: string;
  /** how many positionals are accepted (default 0) */
  maxArgs?: number;
  /** paragraphs shown under the usage line */
  description?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** exit codes, when they differ from the general contract */
  exits?: string;
  /** the exit code of every failure (verify: anything that does not verify exits 1) */
  failureExit?: number;
  run(ctx: Context): Promise<number>;
}

export interface Group {
  name: string;
  summary: string;
  description?: string;
  /** what the actions are called in messages: "action", "step" */
  noun: string;
  /** options every action takes (listed once in the group's help) */
  common?: Record<string, OptionSpec>;
  commands: Command[];
}

export type Entry = Command | Group;

export const isGroup = (e: Entry): e is Group => "commands" in e;

/** The last word of a command's name: its action within a group. */
export const actionOf = (c: Command): string => c.name.split(" ").at(-1)!;

function optionLines(options: Record<string, OptionSpec>): string[] {
  const cells = Object.entries(options).map(
    ([name, o]) => [`--${name}${o.type === "string" ? ` ${o.value ?? "X"}` : ""}`, o.env ? `${o.help} [env ${o.env}]` : o.help] as const,
  );
  const width = Math.min(30, Math.max(0, ...cells.map(([l]) => l.length)));
  return cells.map(([l, h]) => (l.length > width ? `  ${l}\n  ${" ".repeat(width)}  ${h}` : `  ${l.padEnd(width)}  ${h}`));
}

export function commandHelp(c: Command, group?: Group): string {
  const options = { ...(group?.common ?? {}), ...c.options };
  const names = Object.keys(options);
  const usage = `Usage: zkmargin ${c.name}${names.length ? " [options]" : ""}${c.args ? ` ${c.args}` : ""}`;
  const parts = [usage, "", c.summary];
  if (c.description) parts.push("", c.description);
  if (names.length) parts.push("", "Options:", ...optionLines({ ...options, help: { type: "boolean", help: "this page" } }));
  if (c.examples?.length) parts.push("", "Examples:", ...c.examples.map((e) => `  ${e}`));
  parts.push("", `Exit codes: ${c.exits ?? "0 ok, 1 bad input (the message names the field), 2 not healthy, 3 internal error."}`);
  return parts.join("\n");
}

export function groupHelp(g: Group): string {
  const width = Math.max(...g.commands.map((c) => actionOf(c).length));
  const parts = [`Usage: zkmargin ${g.name} <${g.noun}> [options]`, "", g.summary];
  if (g.description) parts.push("", g.description);
  parts.push(
    "",
    `${g.noun[0].toUpperCase()}${g.noun.slice(1)}s:`,
    ...g.commands.map((c) => `  ${actionOf(c).padEnd(width)}  ${c.summary}`),
  );
  if (g.common) parts.push("", "Options of every action:", ...optionLines(g.common));
  parts.push("", `Run 'zkmargin ${g.name} <${g.noun}> --help' for the options and an example of each.`);
  return parts.join("\n");
}

/** Parse argv against a command's options (strict) and run it. */
export async function runCommand(c: Command, argv: string[], group?: Group): Promise<number> {
  const options = Object.fromEntries(Object.entries({ ...(group?.common ?? {}), ...c.options }).map(([k, o]) => [k, { type: o.type }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new CliError(EXIT.BAD_INPUT, `${c.name}: ${(e as Error).message}`);
  }
  if (parsed.values.help) {
    out(commandHelp(c, group));
    return EXIT.OK;
  }
  // options left out come from their environment variables
  const values = parsed.values as Values;
  for (const [name, o] of Object.entries({ ...(group?.common ?? {}), ...c.options })) {
    if (o.env && values[name] === undefined && process.env[o.env]) values[name] = process.env[o.env];
  }
  if (parsed.positionals.length > (c.maxArgs ?? 0)) {
    throw new CliError(EXIT.BAD_INPUT, `${c.name}: unexpected argument '${parsed.positionals[c.maxArgs ?? 0]}'`);
  }
  return c.run({ values, positionals: parsed.positionals });
}

/** Run `zkmargin <group> <action> ...`: the group's help when no action is given. */
export async function runGroup(g: Group, argv: string[]): Promise<{ code: number; command?: Command }> {
  // find the action: the first positional, knowing which options take a value
  const all: Record<string, { type: "string" | "boolean" }> = {};
  for (const c of g.commands) for (const [k, o] of Object.entries({ ...(g.common ?? {}), ...c.options })) all[k] = { type: o.type };
  const { tokens } = parseArgs({ args: argv, options: all, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === "positional");
  if (!first) {
    if (argv.length > 0 && !argv.every((a) => a === "--help" || a === "-h")) {
      throw new CliError(
        EXIT.BAD_INPUT,
        `${g.name}: expected a${/^[aeiou]/.test(g.noun) ? "n" : ""} ${g.noun} (${g.commands.map(actionOf).join(", ")})`,
      );
    }
    out(groupHelp(g));
    return { code: EXIT.OK };
  }
  const action = first.value;
  const c = g.commands.find((x) => actionOf(x) === action);
  if (!c) throw new CliError(EXIT.BAD_INPUT, `${g.name}: unknown ${g.noun} '${action}' (${g.commands.map(actionOf).join(", ")})`);
  return { code: await runCommand(c, [...argv.slice(0, first.index), ...argv.slice(first.index + 1)], g), command: c };
}
