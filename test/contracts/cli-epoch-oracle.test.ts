// zkmargin epoch post against the registry's guard rails (issue #10) over JSON-RPC (`hardhat
// node` on loopback): risk parameters behind the timelock (exit 1, --queue), a price beyond the
// per-post bound (exit 1 naming the field, --hold, then the held prices after the breaker delay).
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../prover/artifacts.ts";
import { paramsHash } from "../../prover/encoding.ts";
import { validateParams } from "../../prover/validate.ts";
import { exampleJson } from "../../tools/fixtures.ts";
import { waitForNode } from "../helpers.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const HARDHAT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "hardhat"));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("zkmargin epoch post: timelock, price bounds and the circuit breaker over JSON-RPC", function () {
  this.timeout(600_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const rpc = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-oracle-"));
  const deployment = join(dir, "deployment.json");
  let node: ChildProcess;
  const rpcCall = async (method: string, params: unknown[]) =>
    (await fetch(rpc, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) })).json();
  const mine = async (seconds: number) => {
    await rpcCall("evm_increaseTime", [seconds]);
    await rpcCall("evm_mine", []);
  };
  const write = (name: string, mutate: (p: any) => void) => {
    const p = exampleJson().params as any;
    mutate(p);
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(p));
    return f;
  };
  const post = (f: string, ...flags: string[]) => run("epoch", "post", "--deployment", deployment, "--params", f, ...flags);

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

  it("deploy --max-move-bps --breaker-delay --timelock writes the config into the deployment; bad values exit 1", () => {
    const r = run("deploy", "--rpc", rpc, "--out", deployment, "--max-move-bps", "1000", "--breaker-delay", "300", "--timelock", "3600");
    expect(r.code, r.stderr).to.equal(0);
    const d = JSON.parse(readFileSync(deployment, "utf8"));
    expect(d.oracle).to.deep.equal({
      markMoveBps: Array(8).fill("1000"),
      priceMoveBps: ["0", "1000", "1000", "1000"],
      breakerDelay: "300",
      timelock: "3600",
      quorum: "0",
      breakerQuorum: "0",
    });
    for (const [flag, value] of [
      ["--max-move-bps", "0"],
      ["--max-move-bps", "65536"],
      ["--breaker-delay", "86401"],
      ["--timelock", "2592001"],
    ]) {
      const bad = run("deploy", "--rpc", rpc, "--out", join(dir, "x.json"), flag, value);
      expect(bad.code, `${flag} ${value}`).to.equal(1);
      expect(bad.stderr).to.contain(flag).and.not.contain("    at ");
    }
  });

  it("the first post takes effect at once; different risk later exits 1 naming the timelock; --queue queues; at eta the epoch opens", async () => {
    expect(post(join(REPO_ROOT, "examples/params.json")).code).to.equal(0);
    const riskier = write("riskier.json", (p) => {
      p.epochId = "43";
      p.markets[0].initialRateBps = "2000";
    });
    const refused = post(riskier);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim().split("\n")).to.have.length(1);
    expect(refused.stderr).to.contain("--params").and.contain("timelock of 3600 s").and.contain("--queue");
    const queued = post(riskier, "--queue");
    expect(queued.code, queued.stderr).to.equal(0);
    const q = JSON.parse(queued.stdout);
    expect(q.queued.eta).to.match(/^[0-9]+$/);
    expect(q.paramsHash).to.equal("");
    const early = post(riskier);
    expect(early.code).to.equal(1);
    expect(early.stderr).to.contain(`unix ${q.queued.eta}`);
    await mine(3600);
    const due = post(riskier);
    expect(due.code, due.stderr).to.equal(0);
    expect(JSON.parse(due.stdout).paramsHash).to.equal(String(paramsHash(validateParams(JSON.parse(readFileSync(riskier, "utf8"))))));
  });

  it("a price beyond the bound exits 1 naming the field; --hold holds it; --prices-only posts it after the breaker delay", async () => {
    const crash = write("crash.json", (p) => {
      p.epochId = "44";
      p.markets[0].initialRateBps = "2000";
      p.markets[0].markPrice = String((BigInt(p.markets[0].markPrice) * 7n) / 10n);
    });
    const refused = post(crash, "--prices-only");
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain("markets[0].markPrice").and.contain("MoveTooLarge").and.contain("--hold");
    const held = post(crash, "--hold");
    expect(held.code, held.stderr).to.equal(0);
    const h = JSON.parse(held.stdout);
    expect(h.held.epochId).to.equal("44");
    const early = post(crash, "--prices-only");
    expect(early.code).to.equal(1);
    expect(early.stderr).to.contain("HoldRunning");
    await mine(300);
    const posted = post(crash, "--prices-only");
    expect(posted.code, posted.stderr).to.equal(0);
    expect(JSON.parse(posted.stdout).epochId).to.equal("44");
  });

  it("an epoch id that skips one exits 1 naming epochId", () => {
    const skip = write("skip.json", (p) => {
      p.epochId = "46";
      p.markets[0].initialRateBps = "2000";
      p.markets[0].markPrice = String((BigInt(p.markets[0].markPrice) * 7n) / 10n);
    });
    const r = post(skip, "--prices-only");
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("epochId").and.contain("EpochNotNext");
  });
});
