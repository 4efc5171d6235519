// The zkmargin CLI contract: outputs, exit codes, field names in errors, no partial files.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { FIELD_MODULUS } from "../prover/field.ts";
import { clone, exampleJson } from "../tools/fixtures.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("zkmargin CLI", function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-cli-"));
  const write = (name: string, value: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
    return p;
  };
  const ex = exampleJson();
  const params = write("params.json", ex.params);
  const portfolio = write("portfolio.json", ex.portfolio);

  describe("--help", () => {
    for (const cmd of [[], ["--help"], ["check", "--help"], ["prove", "--help"], ["verify", "--help"], ["vkey", "--help"]]) {
      it(`zkmargin ${cmd.join(" ") || "(no command)"}`, () => {
        const r = run(...cmd);
        expect(r.code).to.equal(0);
        expect(r.stdout).to.match(/Usage: zkmargin/);
      });
    }
    it("unknown command and unknown option exit 1", () => {
      expect(run("frobnicate").code).to.equal(1);
      const r = run("check", "--params", params, "--portfolio", portfolio, "--level", "initial", "--bogus");
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/bogus/);
    });
  });

  describe("check", () => {
    it("prints the report and exits 0 when healthy", () => {
      const r = run("check", "--params", params, "--portfolio", portfolio, "--level", "maintenance");
      expect(r.code).to.equal(0);
      const rep = JSON.parse(r.stdout);
      expect(rep.healthy).to.equal(true);
      expect(rep.violations).to.deep.equal([]);
      expect(rep.stressEquityE4).to.have.length(16);
      for (const k of ["equity", "collateralValue", "requirement", "grossNotional", "commitment", "paramsHash"]) {
        expect(rep[k]).to.match(/^-?[0-9]+$/);
      }
    });
    it("exits 0 with healthy=false and the violation codes when unhealthy", () => {
      const p = clone(ex.params) as any;
      p.maxLeverageBps = "100";
      const r = run("check", "--params", write("lev.json", p), "--portfolio", portfolio, "--level", "initial");
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.stdout)).to.include({ healthy: false }).and.have.deep.property("violations", ["LEVERAGE"]);
    });
    const bad: Array<[string, (j: any) => void, string, string]> = [
      ["sizes[3]", (j) => (j.portfolio.sizes[3] = "1099511627776"), "portfolio", "sizes[3]"],
      ["markets[2].depth", (j) => (j.params.markets[2].depth = "0"), "params", "markets[2].depth"],
      ["scenarios[4][1]", (j) => (j.params.scenarios[4][1] = "10001"), "params", "scenarios[4][1]"],
      ["collateral[1].haircutBps", (j) => (j.params.collateral[1].haircutBps = "-1"), "params", "collateral[1].haircutBps"],
      ["salt", (j) => (j.portfolio.salt = FIELD_MODULUS.toString()), "portfolio", "salt"],
    ];
    for (const [name, mutate, which, field] of bad) {
      it(`malformed ${name}: exit 1 naming the field`, () => {
        const j = clone(ex) as any;
        mutate(j);
        const f = write(`${name}.json`, j[which]);
        const r = run(
          "check",
          "--params",
          which === "params" ? f : params,
          "--portfolio",
          which === "portfolio" ? f : portfolio,
          "--level",
          "initial",
        );
        expect(r.code).to.equal(1);
        expect(r.stderr).to.contain(field);
        expect(r.stdout).to.equal("");
      });
    }
    it("missing flags, unreadable files, invalid JSON and bad levels exit 1 naming the flag", () => {
      expect(run("check", "--portfolio", portfolio, "--level", "initial").stderr).to.contain("--params");
      expect(run("check", "--params", join(dir, "nope.json"), "--portfolio", portfolio, "--level", "initial").stderr).to.contain(
        "--params",
      );
      const r = run("check", "--params", params, "--portfolio", write("bad.json", "{oops"), "--level", "initial");
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain("--portfolio");
      const l = run("check", "--params", params, "--portfolio", portfolio, "--level", "liquidation");
      expect(l.code).to.equal(1);
      expect(l.stderr).to.contain("--level");
    });
  });

  describe("prove / verify / vkey", () => {
    const out = join(dir, "proof.json");
    it("prove writes {proof, publicSignals} and exits 0; verify exits 0", () => {
      const r = run("prove", "--params", params, "--portfolio", portfolio, "--level", "initial", "--binding", "0x2a", "--out", out);
      expect(r.code, r.stderr).to.equal(0);
      const proof = JSON.parse(readFileSync(out, "utf8"));
      expect(Object.keys(proof)).to.deep.equal(["proof", "publicSignals"]);
      expect(proof.publicSignals[2]).to.equal("1");
      expect(proof.publicSignals[3]).to.equal("42");
      expect(r.stderr).to.match(/proving/);
      const v = run("verify", "--proof", out);
      expect(v.code).to.equal(0);
      expect(JSON.parse(v.stdout).valid).to.equal(true);
    });
    it("verify exits 1 for an edited, malformed or missing proof", () => {
      const proof = JSON.parse(readFileSync(out, "utf8"));
      proof.publicSignals[3] = "43";
      expect(run("verify", "--proof", write("edited.json", proof)).code).to.equal(1);
      proof.publicSignals[3] = (42n + FIELD_MODULUS).toString();
      expect(run("verify", "--proof", write("aliased.json", proof)).code).to.equal(1);
      expect(run("verify", "--proof", write("garbage.json", "[1,2]")).code).to.equal(1);
      expect(run("verify", "--proof", join(dir, "missing.json")).code).to.equal(1);
      expect(run("verify").code).to.equal(1);
    });
    it("prove exits 2 naming every violated code, writing nothing", () => {
      const p = clone(ex.params) as any;
      p.maxLeverageBps = "100";
      p.markets[0].positionCap = "1";
      const o = join(dir, "unhealthy-proof.json");
      const r = run(
        "prove",
        "--params",
        write("bad-epoch.json", p),
        "--portfolio",
        portfolio,
        "--level",
        "initial",
        "--binding",
        "1",
        "--out",
        o,
      );
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain("POSITION_CAP").and.contain("LEVERAGE");
      expect(JSON.parse(r.stdout)).to.deep.equal({ healthy: false, violations: ["POSITION_CAP", "LEVERAGE"] });
      expect(existsSync(o)).to.equal(false);
    });
    it("prove exits 1 for malformed input or binding, writing nothing", () => {
      const o = join(dir, "never.json");
      const q = clone(ex.portfolio) as any;
      q.sizes[0] = "-1099511627776";
      const r1 = run("prove", "--params", params, "--portfolio", write("q.json", q), "--level", "initial", "--binding", "1", "--out", o);
      expect(r1.code).to.equal(1);
      expect(r1.stderr).to.contain("sizes[0]");
      for (const b of [FIELD_MODULUS.toString(), "-5", "0xZZ", "1.5"]) {
        const r = run("prove", "--params", params, "--portfolio", portfolio, "--level", "initial", "--binding", b, "--out", o);
        expect(r.code, b).to.equal(1);
        expect(r.stderr).to.contain("--binding");
      }
      const r3 = run("prove", "--params", params, "--portfolio", portfolio, "--level", "initial", "--out", o);
      expect(r3.code).to.equal(1);
      expect(r3.stderr).to.contain("--binding");
      expect(existsSync(o)).to.equal(false);
      expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).to.deep.equal([]);
    });
    it("prove never overwrites an input file", () => {
      const before = readFileSync(portfolio, "utf8");
      const r = run("prove", "--params", params, "--portfolio", portfolio, "--level", "initial", "--binding", "1", "--out", portfolio);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain("--out");
      expect(readFileSync(portfolio, "utf8")).to.equal(before);
    });
    it("vkey prints the margin verification key", () => {
      const r = run("vkey");
      expect(r.code).to.equal(0);
      const vk = JSON.parse(r.stdout);
      expect(vk.protocol).to.equal("groth16");
      expect(vk.nPublic).to.equal(4);
      expect(run("vkey", "margin").code).to.equal(0);
      expect(run("vkey", "nonexistent").code).to.equal(1);
    });
  });
});
