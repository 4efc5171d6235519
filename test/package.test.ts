// The CLI works as an installed package: `npm pack`, install the tarball into an empty folder
// outside the checkout, and run the installed `zkmargin` there (no Hardhat config, no .ts
// sources run, artifacts found relative to the package).
import { expect } from "chai";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

// the machine's npm and npx (the node@22 devDependency ships no npm)
const npmEnv = {
  ...process.env,
  npm_config_loglevel: "error",
  npm_config_fund: "false",
  npm_config_audit: "false",
  npm_config_update_notifier: "false",
};
function npm(args: string[], cwd: string, tool = "npm"): SpawnSyncReturns<string> {
  return spawnSync(tool, args, { cwd, encoding: "utf8", env: npmEnv });
}

describe("installed package (npm pack, install into an empty folder)", function () {
  this.timeout(900_000);
  let work: string;
  let bin: string;
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), "zkmargin-installed-"));
    const packed = npm(["pack", "--pack-destination", work], REPO_ROOT);
    expect(packed.status, packed.stderr).to.equal(0);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    expect(tarball, "npm pack wrote a tarball").to.be.a("string");
    writeFileSync(join(work, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
    const installed = npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--omit=dev", join(work, tarball!)], work);
    expect(installed.status, installed.stderr).to.equal(0);
    bin = join(work, "node_modules", "zkmargin", "client", "zkmargin.js");
    copyFileSync(join(REPO_ROOT, "examples", "params.json"), join(work, "params.json"));
    copyFileSync(join(REPO_ROOT, "examples", "portfolio.json"), join(work, "portfolio.json"));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs no TypeScript runner, Hardhat or config: the package runs compiled JavaScript", () => {
    expect(existsSync(join(work, "node_modules", "zkmargin", "dist", "client", "cli", "main.js"))).to.equal(true);
    expect(existsSync(join(work, "node_modules", "hardhat"))).to.equal(false);
    expect(existsSync(join(work, "node_modules", "zkmargin", "hardhat.config.ts"))).to.equal(false);
  });

  it("npx zkmargin --help and --version", () => {
    const npx = npm(["--no-install", "zkmargin", "--help"], work, "npx");
    expect(npx.status, npx.stderr).to.equal(0);
    expect(npx.stdout).to.match(/Usage: zkmargin/);
    expect(run("--version").stdout).to.match(/^zkmargin \d+\.\d+\.\d+/);
  });

  it("check, prove, verify and vkey with the shipped artifacts", () => {
    const check = run("check", "--params", "params.json", "--portfolio", "portfolio.json", "--level", "initial");
    expect(check.code, check.stderr).to.equal(0);
    expect(JSON.parse(check.stdout).healthy).to.equal(true);
    const prove = run(
      "prove",
      "--params",
      "params.json",
      "--portfolio",
      "portfolio.json",
      "--level",
      "initial",
      "--binding",
      "0x2a",
      "--out",
      "proof.json",
    );
    expect(prove.code, prove.stderr).to.equal(0);
    const verify = run("verify", "--proof", "proof.json");
    expect(verify.code, verify.stderr).to.equal(0);
    expect(JSON.parse(verify.stdout)).to.include({ valid: true, binding: "42" });
    const vkey = run("vkey", "transition");
    expect(vkey.code, vkey.stderr).to.equal(0);
    expect(JSON.parse(vkey.stdout).nPublic).to.equal(8);
    const bad = run("check", "--params", "nope.json", "--portfolio", "portfolio.json", "--level", "initial");
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain("--params").and.not.contain("    at ");
  });

  it("the library imports as zkmargin/prover and evaluates the example", () => {
    const code = `import { report, validateParams, validatePortfolio } from "zkmargin/prover";
import { readFileSync } from "node:fs";
const r = report(validateParams(JSON.parse(readFileSync("params.json", "utf8"))), validatePortfolio(JSON.parse(readFileSync("portfolio.json", "utf8"))), "initial");
console.log(JSON.stringify({ healthy: r.healthy }));`;
    writeFileSync(join(work, "use.mjs"), code);
    const r = spawnSync(process.execPath, ["use.mjs"], { cwd: work, encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ healthy: true });
  });

  it("vectors replay of the published vectors shipped in the package", () => {
    const r = run("vectors", "replay", join("node_modules", "zkmargin", "test", "vectors", "margin"));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/\n110 passed, 0 failed\n$/);
  });
});
