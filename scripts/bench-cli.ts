// npm run bench (part): the CLI's wall time as a user sees it — whole process, p50 of RUNS —
// for `--help`, `check` and `prove`, next to a bare `node -e 0`. Targets on the 2-core machine:
// --help <= 0.25 s, check <= 0.4 s. Not a test: nothing here asserts a time.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

if (!existsSync(join(REPO_ROOT, "dist", "sources.json")))
  process.stderr.write("bench-cli: no dist/ (npm ci builds it; node scripts/pack.ts --js): the rows measure the TypeScript sources\n");

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 5);
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bin = join(REPO_ROOT, "client", "zkmargin.js");
const ex = (f: string) => join(REPO_ROOT, "examples", f);
const dir = mkdtempSync(join(tmpdir(), "zkmargin-bench-cli-"));

function wall(args: string[], env: Record<string, string> = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: dir, env: { ...process.env, ...env } });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return p50(times) / 1000;
}

// dist/ (compiled by npm ci's prepare, used while current) and the TypeScript sources
const fromSource = { ZKMARGIN_FROM_SOURCE: "1" };
const check = [bin, "check", "--params", ex("params.json"), "--portfolio", ex("portfolio.json"), "--level", "initial"];
const prove = [
  bin,
  "prove",
  "--params",
  ex("params.json"),
  "--portfolio",
  ex("portfolio.json"),
  "--level",
  "initial",
  "--binding",
  "1",
  "--out",
  join(dir, "p.json"),
];
const rows: Array<[string, number, string]> = [
  ["node -e 0", wall(["-e", "0"]), ""],
  ["zkmargin --help", wall([bin, "--help"]), "<= 0.25 s"],
  ["zkmargin check", wall(check), "<= 0.4 s"],
  ["zkmargin prove", wall(prove), ""],
  ["zkmargin --help (TypeScript sources)", wall([bin, "--help"], fromSource), ""],
  ["zkmargin check (TypeScript sources)", wall(check, fromSource), ""],
];
rmSync(dir, { recursive: true, force: true });
const base = rows[0][1];
process.stdout.write(
  `\nCLI wall time (whole process, p50 of ${RUNS}; ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version})\n\n`,
);
process.stdout.write("| command | wall (s) | × bare node | target |\n|---|---|---|---|\n");
for (const [name, s, target] of rows) process.stdout.write(`| ${name} | ${s.toFixed(3)} | ${(s / base).toFixed(1)} | ${target} |\n`);
