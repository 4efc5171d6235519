// The README cannot drift from the CLI: its trader's walk-through runs exactly as printed
// (the one substitution: a free port instead of 8545, so a busy port cannot fail the suite),
// against `hardhat node` on loopback started with the README's own command.
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { waitForNode } from "./helpers.ts";

/** The first ```sh block after an HTML marker comment. */
function blockAfter(text: string, marker: string): string {
  const at = text.indexOf(`<!-- ${marker} -->`);
  expect(at, `README marker ${marker}`).to.be.greaterThan(-1);
  const m = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  expect(m, `a sh block after ${marker}`).to.not.equal(null);
  return m![1];
}

describe("README: the trader's walk-through, exactly as printed", function () {
  this.timeout(1_200_000);
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const withPort = (s: string) => s.replaceAll("8545", port);
  // a user's shell: PATH with the project's node first (as npm scripts and npx have it), no ZKMARGIN_* of ours
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("ZKMARGIN_")) as [string, string][],
  );
  env.PATH = `${join(REPO_ROOT, "node_modules", ".bin")}:${env.PATH}`;
  let node: ChildProcess;

  before(async () => {
    const cmd = withPort(blockAfter(readme, "walkthrough:node")).trim();
    expect(cmd).to.match(/^npx hardhat node --hostname 127\.0\.0\.1 --port \d+$/);
    // its own process group: npx runs hardhat as a child, and the whole group is stopped after
    node = spawn("bash", ["-c", `exec ${cmd}`], { cwd: REPO_ROOT, env, stdio: "ignore", detached: true });
    await waitForNode(`http://127.0.0.1:${port}`, node);
  });
  after(() => {
    if (node?.pid !== undefined && node.exitCode === null) {
      try {
        process.kill(-node.pid, "SIGTERM");
      } catch {
        node.kill();
      }
    }
    rmSync(join(REPO_ROOT, "walkthrough"), { recursive: true, force: true });
  });

  it("deploys, deposits, trades privately, attests during a margin call, liquidates by proof the account that cannot and takes its book over", () => {
    const block = withPort(blockAfter(readme, "walkthrough:begin"));
    rmSync(join(REPO_ROOT, "walkthrough"), { recursive: true, force: true });
    const r = spawnSync("bash", ["-e", "-o", "pipefail", "-c", block], { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 1_100_000 });
    const all = `${r.stdout}\n${r.stderr}`;
    expect(r.status, all.slice(-3000)).to.equal(0);
    // no stack traces and no npm engine warnings anywhere
    expect(all).to.not.match(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(all).to.not.match(/EBADENGINE|npm warn/i);
    // Alice's attestation counts for the margin call's epoch; Bob's prover refuses (exit 2)
    expect(r.stderr).to.contain("margin call: epoch 43");
    const attestations = r.stdout
      .split("\n")
      .filter((l) => l.startsWith('{"account"') && l.includes('"epochId":"43"') && !l.includes('"liquidated"'));
    expect(attestations.length, r.stdout).to.equal(1);
    expect(r.stdout).to.contain("exit 2: no proof exists for Bob");
    expect(r.stderr).to.match(/not healthy/);
    // the key holder liquidated Bob by proof (no grace period) and the backstop took his book over
    // (his loss into the PnL pool, a penalty into the insurance fund); his account is closed
    expect(r.stdout).to.match(/"liquidated":true,"byProof":true,"epochId":"43"/);
    expect(r.stdout).to.match(/"takenOver":true,"settled":"[1-9]\d*","penalty":"[1-9]\d*","badDebt":"0"/);
    const statuses = [...r.stdout.matchAll(/"status": "([a-z ]+)"/g)].map((m) => m[1]);
    expect(statuses).to.deep.equal(["active", "closed"]);
  });
});
