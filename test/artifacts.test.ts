// The shipped proving artifacts match the sources and the manifest, and the setup had a phase 2.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { ARTIFACTS_DIR, REPO_ROOT, circuitArtifacts } from "../prover/artifacts.ts";
import { circuitSourcesHash, compileCircuit, sha256File } from "../scripts/lib.ts";

const manifest = JSON.parse(readFileSync(join(ARTIFACTS_DIR, "manifest.json"), "utf8"));
const a = circuitArtifacts("margin");
const entry = manifest.circuits.margin;

describe("proving artifacts (margin)", function () {
  this.timeout(600_000);

  it("every shipped file has the sha256 recorded in artifacts/manifest.json", () => {
    for (const key of ["r1cs", "wasm", "sym", "zkey", "vkey", "verifier"]) {
      expect(sha256File(join(REPO_ROOT, entry[key].path)), key).to.equal(entry[key].sha256);
    }
  });

  it("the circuit sources are the ones the artifacts were built from", () => {
    expect(circuitSourcesHash().combined).to.equal(manifest.sources.combined);
  });

  it("recompiling the sources reproduces the shipped r1cs byte for byte", () => {
    const out = mkdtempSync(join(REPO_ROOT, "build", "recompile-"));
    try {
      const built = compileCircuit("margin", out);
      expect(sha256File(built.r1cs)).to.equal(entry.r1cs.sha256);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("phase 2 had a contribution: vk_delta_2 != vk_gamma_2", () => {
    const vk = JSON.parse(readFileSync(a.vkey, "utf8"));
    expect(vk.vk_delta_2).to.not.deep.equal(vk.vk_gamma_2);
    expect(entry.phase2.contributions.length).to.be.greaterThan(0);
  });

  it("the verification key is the zkey's, and the Solidity verifier embeds it", async () => {
    const vk = JSON.parse(readFileSync(a.vkey, "utf8"));
    const fromZkey = await snarkjs.zKey.exportVerificationKey(a.zkey);
    expect(JSON.parse(JSON.stringify(fromZkey))).to.deep.equal(vk);
    const sol = readFileSync(a.verifier, "utf8");
    const points = [
      ...vk.vk_alpha_1.slice(0, 2),
      ...vk.vk_beta_2.slice(0, 2).flat(),
      ...vk.vk_gamma_2.slice(0, 2).flat(),
      ...vk.vk_delta_2.slice(0, 2).flat(),
      ...vk.IC.flatMap((p: string[]) => p.slice(0, 2)),
    ];
    for (const x of points) expect(sol, x).to.contain(x);
    expect(vk.nPublic).to.equal(4);
  });

  it("the generated Poseidon contracts are exactly what their generators produce", () => {
    for (const script of ["scripts/gen-poseidon.ts", "scripts/gen-poseidon-opt.ts"]) {
      const r = spawnSync(process.execPath, [join(REPO_ROOT, script), "--check"], { encoding: "utf8", cwd: REPO_ROOT });
      expect(r.status, `${script}: ${r.stderr}`).to.equal(0);
    }
  });

  it("fits 2^14 (the shipped powers of tau)", () => {
    expect(entry.constraints).to.be.at.most(2 ** 14 - 5);
    expect(entry.ptau.power).to.equal(14);
  });
});
