// Phase-2 ceremony tooling end to end on a tiny circuit (a 2^8 powers of tau is made in seconds),
// driven through the CLI, with the tampering cases a verifier must catch.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { compileCircom } from "../scripts/lib.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const zk = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, "ceremony", ...args], { encoding: "utf8", cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("zkmargin ceremony (phase 2)", function () {
  this.timeout(600_000);
  mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
  const work = mkdtempSync(join(REPO_ROOT, "build", "ceremony-"));
  const dir = join(work, "ceremony");
  let r1cs = "";
  let wasm = "";
  let ptau = "";
  let otherPtau = "";

  before(async () => {
    ({ r1cs, wasm } = compileCircom(join(REPO_ROOT, "test/circuits/tiny.circom"), work));
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    const make = async (name: string) => {
      const p0 = join(work, `${name}_0.ptau`);
      const p1 = join(work, `${name}_1.ptau`);
      const pf = join(work, `${name}.ptau`);
      await snarkjs.powersOfTau.newAccumulator(curve, 8, p0);
      await snarkjs.powersOfTau.contribute(p0, p1, "phase1", `${name}-entropy`);
      await snarkjs.powersOfTau.preparePhase2(p1, pf);
      return pf;
    };
    ptau = await make("pot8");
    otherPtau = await make("pot8b");
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("init, two contributions, beacon, verify, finalize", () => {
    expect(zk("init", "--ptau", ptau, "--dir", dir, "--r1cs", r1cs, "--circuit", "tiny").code).to.equal(0);
    const c1 = zk("contribute", "--dir", dir, "--name", "alice", "--entropy", "alice's dice");
    expect(c1.code, c1.stderr).to.equal(0);
    expect(c1.stderr).to.match(/publish its hash: [0-9a-f]{128}/);
    expect(zk("contribute", "--dir", dir, "--name", "bob").code).to.equal(0);
    expect(zk("beacon", "--dir", dir, "--hash", "0123456789abcdef".repeat(4), "--iterations", "10").code).to.equal(0);
    const v = zk("verify", "--dir", dir, "--ptau", ptau, "--r1cs", r1cs);
    expect(v.code, v.stderr).to.equal(0);
    const report = JSON.parse(v.stdout);
    const t = JSON.parse(readFileSync(join(dir, "transcript.json"), "utf8"));
    expect(report.contributions.map((c: { name: string }) => c.name)).to.deep.equal(["alice", "bob", "beacon"]);
    expect(report.contributions.map((c: { hash: string }) => c.hash)).to.deep.equal(
      t.steps.slice(1).map((s: { contributionHash: string }) => s.contributionHash),
    );
    const out = join(work, "final");
    const f = zk("finalize", "--dir", dir, "--ptau", ptau, "--r1cs", r1cs, "--out", out);
    expect(f.code, f.stderr).to.equal(0);
    for (const file of ["tiny.zkey", "verification_key.json", "Verifier.sol"]) expect(existsSync(join(out, file)), file).to.equal(true);
    const vk = JSON.parse(readFileSync(join(out, "verification_key.json"), "utf8"));
    expect(vk.vk_delta_2).to.not.deep.equal(vk.vk_gamma_2);
    expect(JSON.parse(readFileSync(join(dir, "transcript.json"), "utf8")).finalized.zkeySha256).to.match(/^[0-9a-f]{64}$/);
  });

  it("the finalized key proves and verifies", async () => {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: "7", b: "6" }, wasm, join(work, "final", "tiny.zkey"));
    const vk = JSON.parse(readFileSync(join(work, "final", "verification_key.json"), "utf8"));
    expect(publicSignals).to.deep.equal(["42", "6"]);
    expect(await snarkjs.groth16.verify(vk, publicSignals, proof)).to.equal(true);
  });

  it("refuses out-of-order steps and bad arguments", () => {
    expect(zk("contribute", "--dir", dir, "--name", "late").code).to.equal(1); // finalized
    expect(zk("init", "--ptau", ptau, "--dir", dir, "--r1cs", r1cs).code).to.equal(1); // exists
    const d2 = join(work, "second");
    expect(zk("init", "--ptau", ptau, "--dir", d2, "--r1cs", r1cs, "--circuit", "tiny").code).to.equal(0);
    expect(zk("beacon", "--dir", d2, "--hash", "00ff").stderr).to.contain("contribution"); // no contribution yet
    expect(zk("contribute", "--dir", d2, "--name", "carol").code).to.equal(0);
    const bad = zk("beacon", "--dir", d2, "--hash", "xyz");
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain("--hash");
    expect(zk("contribute", "--dir", d2).stderr).to.contain("--name");
    expect(zk("finalize", "--dir", d2, "--ptau", ptau, "--r1cs", r1cs, "--out", join(work, "f2")).stderr).to.contain("beacon");
    expect(zk("frobnicate", "--dir", d2).code).to.equal(1);
  });

  it("names the ceremony after the r1cs file, or --circuit-name", () => {
    const d4 = join(work, "named-by-file");
    const i4 = zk("init", "--ptau", ptau, "--dir", d4, "--r1cs", r1cs);
    expect(i4.code, i4.stderr).to.equal(0);
    expect(JSON.parse(i4.stdout).circuit).to.equal("tiny");
    expect(i4.stderr).to.contain("ceremony 'tiny' started");
    const t4 = JSON.parse(readFileSync(join(d4, "transcript.json"), "utf8"));
    expect(t4.circuit).to.equal("tiny");
    expect(t4.steps[0].file).to.equal("tiny_0000.zkey");
    expect(existsSync(join(d4, "tiny_0000.zkey"))).to.equal(true);
    expect(zk("contribute", "--dir", d4, "--name", "erin").code).to.equal(0);
    expect(existsSync(join(d4, "tiny_0001.zkey"))).to.equal(true);
    // verify / finalize of a circuit that is not shipped need its r1cs, and say so
    const noR1cs = zk("verify", "--dir", d4, "--ptau", ptau);
    expect(noR1cs.code).to.equal(1);
    expect(noR1cs.stderr).to.contain("--r1cs").and.to.contain("tiny.r1cs");

    const d5 = join(work, "named-by-option");
    expect(zk("init", "--ptau", ptau, "--dir", d5, "--r1cs", r1cs, "--circuit-name", "demo").code).to.equal(0);
    expect(JSON.parse(readFileSync(join(d5, "transcript.json"), "utf8")).circuit).to.equal("demo");
    // --name at init is the same option (the spelling)
    const d6 = join(work, "named-by-name");
    expect(zk("init", "--ptau", ptau, "--dir", d6, "--r1cs", r1cs, "--name", "other").code).to.equal(0);
    expect(JSON.parse(readFileSync(join(d6, "transcript.json"), "utf8")).circuit).to.equal("other");
    expect(zk("contribute", "--dir", d5, "--name", "frank").code).to.equal(0);
    const hash = "0x" + "89ABCDEF01234567".repeat(4);
    const b = zk("beacon", "--dir", d5, "--hash", hash);
    expect(b.code, b.stderr).to.equal(0);
    const t5 = JSON.parse(readFileSync(join(d5, "transcript.json"), "utf8"));
    expect(t5.steps[2].beacon.hash).to.equal("89abcdef01234567".repeat(4)); // the prefix dropped, lower case
    expect(t5.steps.map((s: { file: string }) => s.file)).to.deep.equal(["demo_0000.zkey", "demo_0001.zkey", "demo_0002.zkey"]);
    expect(zk("verify", "--dir", d5, "--ptau", ptau, "--r1cs", r1cs).code).to.equal(0);
    const out = join(work, "final-demo");
    const f = zk("finalize", "--dir", d5, "--ptau", ptau, "--r1cs", r1cs, "--out", out);
    expect(f.code, f.stderr).to.equal(0);
    for (const file of ["demo.zkey", "verification_key.json", "Verifier.sol"]) expect(existsSync(join(out, file)), file).to.equal(true);

    for (const bad of ["a b", "../x", "-x", "x".repeat(65)]) {
      const r = zk("init", "--ptau", ptau, "--dir", join(work, "bad-name"), "--r1cs", r1cs, "--circuit-name", bad);
      expect(r.code, bad).to.equal(1);
      expect(r.stderr, bad).to.contain("--circuit-name");
    }
    expect(existsSync(join(work, "bad-name", "transcript.json"))).to.equal(false);
    const unknown = zk("init", "--ptau", ptau, "--dir", join(work, "unknown"), "--circuit", "tiny");
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain("--circuit").and.to.contain("--r1cs");
  });

  it("--hash is exactly 32 bytes: 64 hex digits, 0x prefix optional, named when wrong", () => {
    const d6 = join(work, "hashes");
    expect(zk("init", "--ptau", ptau, "--dir", d6, "--r1cs", r1cs).code).to.equal(0);
    expect(zk("contribute", "--dir", d6, "--name", "grace").code).to.equal(0);
    const cases: Array<[string, RegExp]> = [
      ["00ff", /got 4 hex digits/],
      ["0x" + "a".repeat(63), /got 63 hex digits/],
      ["a".repeat(66), /got 66 hex digits/],
      ["0x" + "a".repeat(128), /got 128 hex digits/],
      ["0x", /got 0 hex digits/],
      ["0x" + "g".repeat(64), /hex/],
      ["0x0x" + "a".repeat(62), /hex/],
    ];
    for (const [hash, why] of cases) {
      const r = zk("beacon", "--dir", d6, "--hash", hash);
      expect(r.code, hash).to.equal(1);
      expect(r.stderr, hash).to.contain("zkmargin: error: --hash: must be a 32-byte hash");
      expect(r.stderr, hash).to.match(why);
      expect(r.stderr, hash).not.to.contain("64-byte");
    }
    expect(JSON.parse(readFileSync(join(d6, "transcript.json"), "utf8")).steps).to.have.length(2); // nothing applied
    const ok = zk("beacon", "--dir", d6, "--hash", "F".repeat(64)); // no prefix works too
    expect(ok.code, ok.stderr).to.equal(0);
    expect(zk("beacon", "--help").stdout).to.contain("32-byte");
  });

  it("verification catches a tampered zkey, an edited transcript and the wrong powers of tau", () => {
    const d3 = join(work, "third");
    expect(zk("init", "--ptau", ptau, "--dir", d3, "--r1cs", r1cs, "--circuit", "tiny").code).to.equal(0);
    expect(zk("contribute", "--dir", d3, "--name", "dave").code).to.equal(0);
    expect(zk("verify", "--dir", d3, "--ptau", ptau, "--r1cs", r1cs).code).to.equal(0);
    expect(zk("verify", "--dir", d3, "--ptau", otherPtau, "--r1cs", r1cs).code).to.equal(1);
    const tPath = join(d3, "transcript.json");
    const original = readFileSync(tPath, "utf8");
    const t = JSON.parse(original);
    t.steps[1].contributionHash = t.steps[1].contributionHash.replace(/^./, (c: string) => (c === "0" ? "1" : "0"));
    writeFileSync(tPath, JSON.stringify(t));
    expect(zk("verify", "--dir", d3, "--ptau", ptau, "--r1cs", r1cs).code).to.equal(1);
    writeFileSync(tPath, original);
    const zkeyPath = join(d3, t.steps[1].file);
    const bytes = readFileSync(zkeyPath);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(zkeyPath, bytes);
    const v = zk("verify", "--dir", d3, "--ptau", ptau, "--r1cs", r1cs);
    expect(v.code).to.equal(1);
    expect(v.stderr).to.contain("sha256");
  });
});
