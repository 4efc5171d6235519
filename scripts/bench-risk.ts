// npm run bench (part): the risk engine's long runs as a user starts them (whole process):
// `risk plan` (target <= 60 s) and `risk simulate --accounts 10000` over the full hourly history
// (target <= 120 s on the 2-core machine, worker threads), with account-hours per second.
// Needs the shared price folder (../shared/data/prices beside the checkout); skipped without it.
// Not a test: nothing here asserts a time. JSON in build/bench-risk.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT, REPO_ROOT } from "../prover/artifacts.ts";

const prices = process.env.ZKMARGIN_PRICES ?? join(PACKAGE_ROOT, "..", "shared", "data", "prices");
if (!existsSync(join(prices, "merged"))) {
  process.stderr.write(`bench-risk: no price folder at ${prices}: skipped\n`);
  process.exit(0);
}
const bin = join(REPO_ROOT, "client", "zkmargin.js");
const dir = mkdtempSync(join(tmpdir(), "zkmargin-bench-risk-"));
function run(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, "risk", ...args, "--prices", prices], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`risk ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}
const planSeconds = run(["plan", "--confidence", "0.999", "--horizon", "1", "--cash-vm", "--out", join(dir, "planned.json")]);
const simJson = join(dir, "sim.json");
const simSeconds = run(["simulate", "--accounts", "10000", "--json", simJson]);
const sim = JSON.parse(readFileSync(simJson, "utf8"));
const result = {
  machine: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
  planSeconds,
  simulate: {
    wallSeconds: simSeconds,
    simulationSeconds: sim.seconds,
    accounts: sim.accounts,
    hours: sim.hours,
    accountHours: sim.accountHours,
    accountHoursPerSecond: sim.accountHoursPerSecond,
    workers: sim.workers,
  },
};
mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
writeFileSync(join(REPO_ROOT, "build", "bench-risk.json"), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `risk plan (q 0.999, 1 h, --cash-vm): ${planSeconds.toFixed(1)} s (target <= 60 s)\n` +
    `risk simulate --accounts 10000: ${simSeconds.toFixed(1)} s wall, ${sim.seconds.toFixed(1)} s simulating ${sim.accountHours.toLocaleString("en-US")} account-hours (${Math.round(sim.accountHoursPerSecond).toLocaleString("en-US")}/s, ${sim.workers} workers; target <= 120 s)\n`,
);
