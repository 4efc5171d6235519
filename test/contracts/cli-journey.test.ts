// The trader's journey over JSON-RPC: every mistake a new user made is refused before any proof,
// in one line that names the option and says what to do (issue #13).
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../prover/artifacts.ts";
import { waitForNode } from "../helpers.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const HARDHAT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "hardhat"));
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("the trader's journey over JSON-RPC: checks before proving", function () {
  this.timeout(900_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-journey-"));
  const params42 = join(REPO_ROOT, "examples", "params.json");
  const params43 = join(REPO_ROOT, "examples", "params-43.json");
  const env = {
    ZKMARGIN_RPC: `http://127.0.0.1:${port}`,
    ZKMARGIN_DEPLOYMENT: join(dir, "d.json"),
    ZKMARGIN_PASSPHRASE: "pw",
    ZKMARGIN_STATE: join(dir, "alice.state"),
  };
  let node: ChildProcess;
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      cwd: dir,
      timeout: 300_000,
      env: { ...process.env, ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const alice = (...args: string[]) => run("account", ...args, "--account-index", "1");
  /** refused with exit 1 naming `field`, before any proof was made, without a stack trace */
  const refusedEarly = (r: { code: number | null; stderr: string }, field: string, ...words: string[]) => {
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.contain(field);
    for (const w of words) expect(r.stderr).to.contain(w);
    expect(r.stderr).to.not.match(/proving|\n\s+at /);
  };

  before(async () => {
    node = spawn(process.execPath, [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: REPO_ROOT,
      stdio: "ignore",
    });
    await waitForNode(env.ZKMARGIN_RPC, node);
    expect(run("keygen", "--out", "key.json").code).to.equal(0);
    const d = run("deploy", "--out", "d.json", "--accounts", "--liquidation-key", "key.json");
    expect(d.code, d.stderr).to.equal(0);
    expect(run("epoch", "post", "--params", params42).code).to.equal(0);
    expect(alice("open").code).to.equal(0);
  });
  after(() => {
    node?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a deposit without tokens is refused before proving and names the faucet; the faucet then makes it work", () => {
    refusedEarly(alice("deposit", "--asset", "0", "--amount", "1000000000"), "--amount", "faucet");
    expect(run("faucet", "--account-index", "1", "--asset", "LTC", "--amount", "1").stderr).to.contain("--asset");
    const minted = run("faucet", "--account-index", "1", "--asset", "USD", "--amount", "100000");
    expect(minted.code, minted.stderr).to.equal(0);
    expect(JSON.parse(minted.stdout)).to.include({ symbol: "USD", amount: "100000000000", balance: "100000000000" });
    const dep = alice("deposit", "--asset", "0", "--amount", "100000000000");
    expect(dep.code, dep.stderr).to.equal(0);
    expect(dep.stderr).to.contain("epoch 42 from the chain").and.contain("proving deposit").and.contain("waiting for inclusion");
  });

  it("an action on an epoch it does not accept is refused before proving", () => {
    expect(run("epoch", "post", "--params", params43, "--prices-only").code).to.equal(0);
    refusedEarly(alice("withdraw", "--asset", "0", "--amount", "1", "--params", params42), "--params", "latest fresh epoch 43");
    const other = join(dir, "other.json");
    const p = JSON.parse(readFileSync(params42, "utf8"));
    p.markets[1].markPrice = "3450001";
    p.epochId = "43";
    writeFileSync(other, JSON.stringify(p));
    refusedEarly(alice("withdraw", "--asset", "0", "--amount", "1", "--params", other), "--params", "paramsHash differs");
  });

  it("prove-margin during a margin call refuses an epoch that would not count, naming the call's epoch and deadline", () => {
    const call = run("margin-call");
    expect(call.code, call.stderr).to.equal(0);
    const c = JSON.parse(call.stdout);
    expect(c.epochId).to.equal("43");
    expect(c.deadlineIso).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(c.deadlineIn).to.equal("in 10 min");
    refusedEarly(alice("prove-margin", "--params", params42), "--params", "margin call of epoch 43", c.deadlineIso);
    const status = JSON.parse(alice("status").stdout);
    expect(status).to.include({ status: "active", liquidatable: false });
    expect(status.marginCall).to.include({ epochId: "43", attested: false, missed: false, deadlineIn: "in 10 min" });
    expect(status.health.maintenance.equity).to.equal("100,000.00 USD");
  });

  it("a stale oracle is refused before proving; the faucet refuses real tokens; advance moves a local clock", () => {
    const adv = run("advance", "--seconds", "3601");
    expect(adv.code, adv.stderr).to.equal(0);
    refusedEarly(alice("prove-margin"), "--params", "no fresh epoch");
    refusedEarly(alice("prove-margin", "--params", params43), "--params", "StaleEpoch");
    expect(run("advance", "--seconds", "0").stderr).to.contain("--seconds");
    // a deployment whose tokens were given (not test tokens): no faucet
    const d = run(
      "deploy",
      "--out",
      "d2.json",
      "--accounts",
      "--liquidation-key",
      "key.json",
      "--tokens",
      [ALICE, ALICE, ALICE, ALICE].join(","),
    );
    expect(d.code, d.stderr).to.equal(0);
    const f = spawnSync(process.execPath, [BIN, "faucet", "--asset", "USD", "--amount", "1"], {
      encoding: "utf8",
      cwd: dir,
      env: { ...process.env, ...env, ZKMARGIN_DEPLOYMENT: join(dir, "d2.json") },
    });
    expect(f.status).to.equal(1);
    expect(f.stderr).to.contain("--deployment").and.contain("not test tokens");
    // alice's state file belongs to the first clearinghouse: refused against the second
    const other = spawnSync(process.execPath, [BIN, "account", "status", "--account-index", "1"], {
      encoding: "utf8",
      cwd: dir,
      env: { ...process.env, ...env, ZKMARGIN_DEPLOYMENT: join(dir, "d2.json") },
    });
    expect(other.status).to.equal(1);
    expect(other.stderr).to.contain("--state").and.contain("belongs to the clearinghouse");
  });

  it("per-action help with an example and the environment defaults; --version", () => {
    const h = run("account", "deposit", "--help");
    expect(h.code).to.equal(0);
    expect(h.stdout)
      .to.contain("Usage: zkmargin account deposit")
      .and.contain("Examples:")
      .and.contain("[env ZKMARGIN_DEPLOYMENT]")
      .and.contain("[env ZKMARGIN_STATE]");
    expect(run("fill", "new", "--help").stdout)
      .to.contain("1 lot = 0.001 BTC")
      .and.contain("6 decimals");
    expect(run("--version").stdout).to.match(/^zkmargin \d+\.\d+\.\d+\n$/);
  });
});
