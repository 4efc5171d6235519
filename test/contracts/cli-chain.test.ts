// zkmargin deploy / epoch post against a real JSON-RPC node (`hardhat node` on loopback).
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { waitForNode } from "../helpers.ts";
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../prover/artifacts.ts";
import { paramsHash } from "../../prover/encoding.ts";
import { example, exampleJson } from "../../tools/fixtures.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const HARDHAT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "hardhat"));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("zkmargin deploy and epoch post over JSON-RPC", function () {
  this.timeout(600_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const rpc = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-chain-"));
  const deployment = join(dir, "deployment.json");
  let node: ChildProcess;

  before(async () => {
    node = spawn(process.execPath, [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: REPO_ROOT,
      stdio: "ignore",
    });
    await waitForNode(rpc, node);
  });
  after(() => {
    node?.kill();
  });

  it("deploys and writes the deployment file", () => {
    const r = run("deploy", "--rpc", rpc, "--out", deployment);
    expect(r.code, r.stderr).to.equal(0);
    const d = JSON.parse(readFileSync(deployment, "utf8"));
    expect(d.schema).to.equal("zkmargin/deployment/v1");
    for (const c of ["Groth16Verifier", "MarginProofVerifier", "RiskEpochRegistry", "PoseidonT6Opt"])
      expect(d.contracts[c]).to.match(/^0x[0-9a-fA-F]{40}$/);
  });

  it("posts an epoch whose on-chain paramsHash equals the prover's", () => {
    const r = run("epoch", "post", "--deployment", deployment, "--params", join(REPO_ROOT, "examples/params.json"));
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.paramsHash).to.equal(paramsHash(example().params).toString());
    expect(out.steps.map((s: { step: string }) => s.step)).to.deep.equal(["risk", "funding", "prices"]);
  });

  it("a price-only post opens the next epoch; a repeated epoch id exits 1 naming epochId", () => {
    const p = exampleJson().params as any;
    p.epochId = "43";
    p.markets[0].markPrice = "96000000";
    const f = join(dir, "p43.json");
    writeFileSync(f, JSON.stringify(p));
    const r = run("epoch", "post", "--deployment", deployment, "--params", f, "--prices-only");
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).steps.map((s: { step: string }) => s.step)).to.deep.equal(["prices"]);
    const again = run("epoch", "post", "--deployment", deployment, "--params", f, "--prices-only");
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("epochId").and.contain("EpochNotIncreasing");
  });

  it("verify --deployment: accepted only through the wrapper and for the proof's own fresh epoch", () => {
    const proofFile = join(dir, "proof.json");
    const p = run(
      "prove",
      "--params",
      join(REPO_ROOT, "examples/params.json"),
      "--portfolio",
      join(REPO_ROOT, "examples/portfolio.json"),
      "--level",
      "maintenance",
      "--binding",
      "7",
      "--out",
      proofFile,
    );
    expect(p.code, p.stderr).to.equal(0);
    const ok = run("verify", "--proof", proofFile, "--deployment", deployment, "--epoch", "42");
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout).valid).to.equal(true);
    const other = run("verify", "--proof", proofFile, "--deployment", deployment, "--epoch", "43");
    expect(other.code).to.equal(1);
    expect(other.stderr).to.contain("not epoch 43");
    const unknown = run("verify", "--proof", proofFile, "--deployment", deployment, "--epoch", "999");
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain("UnknownEpoch");
    const edited = JSON.parse(readFileSync(proofFile, "utf8"));
    edited.publicSignals[3] = "8";
    const editedFile = join(dir, "edited.json");
    writeFileSync(editedFile, JSON.stringify(edited));
    const bad = run("verify", "--proof", editedFile, "--deployment", deployment, "--epoch", "42");
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain("InvalidProof");
  });

  it("malformed params exit 1 naming the field, before anything is sent", () => {
    const p = exampleJson().params as any;
    p.markets[2].depth = "0";
    const f = join(dir, "bad.json");
    writeFileSync(f, JSON.stringify(p));
    const r = run("epoch", "post", "--deployment", deployment, "--params", f);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("markets[2].depth");
  });

  it("an unreachable node exits 3; a bad --rpc exits 1", () => {
    expect(
      run("epoch", "post", "--deployment", deployment, "--params", join(REPO_ROOT, "examples/params.json"), "--rpc", "http://127.0.0.1:1")
        .code,
    ).to.equal(3);
    expect(run("deploy", "--rpc", "ftp://x", "--out", join(dir, "d2.json")).code).to.equal(1);
  });
});
