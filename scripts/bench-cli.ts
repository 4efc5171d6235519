// npm run bench (part): the CLI's wall time as a user sees it — whole process, p50 of RUNS —
// for `--help`, `check` and `prove`, next to a bare `node -e 0`. Targets on the 2-core machine:
// --help <= 0.25 s, check <= 0.4 s. Not a test: nothing here asserts a time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 5);
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bin = join(REPO_ROOT, "client", "zkmargin.js");
const ex = (f: string) => join(REPO_ROOT, "examples", f);
const dir = mkdtempSync(join(tmpdir(), "zkmargin-bench-cli-"));

function wall(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: dir });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  return p50(times) / 1000;
}

const rows: Array<[string, number, string]> = [
  ["node -e 0", wall(["-e", "0"]), ""],
  ["zkmargin --help", wall([bin, "--help"]), "<= 0.25 s"],
  ["zkmargin check", wall([bin, "check", "--params", ex("params.json"), "--portfolio", ex("portfolio.json"), "--level", "initial"]), "<= 0.4 s"],
  ["zkmargin prove", wall([bin, "prove", "--params", ex("params.json"), "--portfolio", ex("portfolio.json"), "--level", "initial", "--binding", "1", "--out", join(dir, `p-${Date.now()}.json`)]), ""],
];
rmSync(dir, { recursive: true, force: true });
const base = rows[0][1];
process.stdout.write(`\nCLI wall time (whole process, p50 of ${RUNS}; ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version})\n\n`);
process.stdout.write("| command | wall (s) | × bare node | target |\n|---|---|---|---|\n");
for (const [name, s, target] of rows) process.stdout.write(`| ${name} | ${s.toFixed(3)} | ${(s / base).toFixed(1)} | ${target} |\n`);
