// kill -9 of `zkmargin account ...` at every step of deposit, withdraw, trade and realize, against
// a real JSON-RPC node (`hardhat node` on loopback): after the pending state is written, after the
// transaction is handed to the node (mined at once, or left in the mempool with automine off),
// after inclusion. The CLI stops at each point through the test-only ZKMARGIN_TEST_PAUSE hook
// (client/state.ts) and is killed with SIGKILL; after each kill `account sync` recovers a state
// that opens the on-chain commitment, and the next action works. The lock one command holds on a
// state file is checked here too: live (refused), then left by the killed process (taken over).
// Last, a backup of the state file taken before every kill catches up with `account sync` (a
// replay of the account's own Transition events).
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { REPO_ROOT } from "../../prover/artifacts.ts";
import { waitForNode } from "../helpers.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const HARDHAT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "hardhat"));
type Who = "alice" | "bob";

describe("kill -9 of the CLI at every step: sync recovers the state (hardhat node)", function () {
  this.timeout(1_800_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const rpc = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-cli-crash-"));
  const deployment = join(dir, "deployment.json");
  const key = join(dir, "liquidation-key.json");
  const params = join(REPO_ROOT, "examples/params.json");
  const index: Record<Who, string> = { alice: "1", bob: "2" };
  const state = (who: Who) => join(dir, `${who}.state`);
  const address: Record<Who, string> = { alice: "", bob: "" };
  let node: ChildProcess;
  let provider: JsonRpcProvider;
  let accounts: Contract;
  let salt = 10n ** 60n;

  const env = (who: Who, extra: Record<string, string> = {}) => ({ ...process.env, ZKMARGIN_PASSPHRASE: `${who} passphrase`, ...extra });
  const argv = (who: Who, args: string[]) => [
    BIN,
    "account",
    ...args,
    "--deployment",
    deployment,
    "--state",
    state(who),
    "--account-index",
    index[who],
  ];
  const run = (who: Who, ...args: string[]) => {
    const r = spawnSync(process.execPath, argv(who, args), { encoding: "utf8", cwd: REPO_ROOT, timeout: 300_000, env: env(who) });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (who: Who, ...args: string[]) => {
    const r = run(who, ...args);
    expect(r.code, `${who} ${args.join(" ")}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  /** Run until the CLI stops at `point`, then SIGKILL it; `during` runs while it is stopped there. */
  const killAt = async (point: string, who: Who, args: string[], during: () => Promise<void> | void = () => {}) => {
    const child = spawn(process.execPath, argv(who, args), { cwd: REPO_ROOT, env: env(who, { ZKMARGIN_TEST_PAUSE: point }) });
    let stderr = "";
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    try {
      await new Promise<void>((res, rej) => {
        child.stderr!.on("data", (b: Buffer) => {
          stderr += b.toString();
          if (stderr.includes(`test pause at ${point}`)) res();
        });
        child.stdout!.resume();
        child.on("exit", (code) => rej(new Error(`${who} ${args[0]} exited ${code} before ${point}: ${stderr}`)));
      });
      await during();
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  };

  const onChain = async (who: Who) => {
    const a = await accounts.accounts(address[who]);
    return { commitment: String(a[0]), nonce: Number(a[1]) };
  };
  const show = (who: Who) => JSON.parse(ok(who, "show"));
  /** `account sync` recovers a state file that opens the on-chain commitment; the lock is gone afterwards. */
  const syncOpens = async (who: Who) => {
    const synced = JSON.parse(ok(who, "sync"));
    const chain = await onChain(who);
    expect(synced.commitment, `${who} synced commitment`).to.equal(chain.commitment);
    expect(synced.nonce, `${who} synced nonce`).to.equal(chain.nonce);
    const s = show(who);
    expect(s.commitment).to.equal(chain.commitment);
    expect(existsSync(`${state(who)}.lock`), "lock released").to.equal(false);
    return s;
  };
  const automine = (on: boolean) => provider.send("evm_setAutomine", [on]);
  const newFill = () => {
    const f = join(dir, `fill-${salt}.json`);
    writeFileSync(f, JSON.stringify({ market: 0, size: "20", price: "97250100", salt: String(salt++) }));
    return f;
  };
  const legs = (fill: string, aliceSkip = false) => {
    const [a, b] = [join(dir, `a-${salt}.leg`), join(dir, `b-${salt}.leg`)];
    if (!aliceSkip)
      ok("alice", "trade-leg", "--fill", fill, "--side", "buy", "--counterparty", address.bob, "--params", params, "--out", a);
    ok("bob", "trade-leg", "--fill", fill, "--side", "sell", "--counterparty", address.alice, "--params", params, "--out", b);
    return [a, b];
  };

  before(async () => {
    node = spawn(process.execPath, [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: REPO_ROOT,
      stdio: "ignore",
    });
    await waitForNode(rpc, node);
    provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
    const plain = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT, timeout: 300_000 });
    expect(plain("keygen", "--out", key).status).to.equal(0);
    const d = plain("deploy", "--rpc", rpc, "--out", deployment, "--accounts", "--liquidation-key", key, "--grace", "60");
    expect(d.status, d.stderr).to.equal(0);
    expect(plain("epoch", "post", "--deployment", deployment, "--params", params).status).to.equal(0);
    const dep = JSON.parse(readFileSync(deployment, "utf8"));
    const admin = await provider.getSigner(0);
    accounts = new Contract(
      dep.contracts.MarginAccounts,
      ["function accounts(address) view returns (uint256, uint64, uint64, uint8, bool)"],
      provider,
    );
    const usd = new Contract(dep.accounts.tokens[0], ["function mint(address,uint256)"], admin);
    for (const who of ["alice", "bob"] as const) {
      address[who] = (await provider.getSigner(Number(index[who]))).address;
      await (await usd.mint(address[who], 10n ** 12n)).wait();
      ok(who, "open");
      ok(who, "deposit", "--asset", "0", "--amount", "100000000000", "--params", params);
    }
    copyFileSync(state("alice"), join(dir, "alice.backup")); // restored by the last case
  });
  after(() => {
    provider?.destroy();
    node?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deposit: killed after the pending state is written (a second command meanwhile is refused by the lock), after broadcast, after inclusion", async () => {
    const n0 = (await onChain("alice")).nonce;
    await killAt("pending", "alice", ["deposit", "--asset", "0", "--amount", "1000000", "--params", params], () => {
      const busy = run("alice", "sync");
      expect(busy.code, busy.stderr).to.equal(1);
      expect(busy.stderr).to.contain("--state");
      expect(busy.stderr).to.contain("another zkmargin command");
      expect(busy.stderr).to.not.match(/\n\s+at /);
    });
    expect(existsSync(`${state("alice")}.lock`), "the killed command's lock is left behind").to.equal(true);
    let s = await syncOpens("alice"); // takes the stale lock over
    expect(s.nonce).to.equal(n0);
    expect(s.pending).to.equal(1); // never broadcast, but kept until the nonce moves past it
    const c0 = BigInt(s.portfolio.collateral[0]);
    await killAt("sent", "alice", ["deposit", "--asset", "0", "--amount", "2000000", "--params", params]);
    s = await syncOpens("alice");
    expect(s.nonce).to.equal(n0 + 1);
    expect(s.pending).to.equal(0);
    expect(BigInt(s.portfolio.collateral[0])).to.equal(c0 + 2_000_000n);
    await killAt("mined", "alice", ["deposit", "--asset", "0", "--amount", "3000000", "--params", params]);
    s = await syncOpens("alice");
    expect(s.nonce).to.equal(n0 + 2);
    expect(BigInt(s.portfolio.collateral[0])).to.equal(c0 + 5_000_000n);
  });

  it("withdraw: killed after the pending state is written, after broadcast (still in the mempool), after inclusion", async () => {
    const s0 = await syncOpens("alice");
    const c0 = BigInt(s0.portfolio.collateral[0]);
    await killAt("pending", "alice", ["withdraw", "--asset", "0", "--amount", "1000000", "--params", params]);
    let s = await syncOpens("alice");
    expect(s.nonce).to.equal(s0.nonce);
    await automine(false);
    try {
      await killAt("sent", "alice", ["withdraw", "--asset", "0", "--amount", "2000000", "--params", params]);
      s = await syncOpens("alice"); // not mined yet: the current state, the pending one kept
      expect(s.nonce).to.equal(s0.nonce);
      expect(s.pending).to.be.greaterThan(0);
      await provider.send("evm_mine", []);
    } finally {
      await automine(true);
    }
    s = await syncOpens("alice");
    expect(s.nonce).to.equal(s0.nonce + 1);
    expect(s.pending).to.equal(0);
    await killAt("mined", "alice", ["withdraw", "--asset", "0", "--amount", "3000000", "--params", params]);
    s = await syncOpens("alice");
    expect(s.nonce).to.equal(s0.nonce + 2);
    expect(BigInt(s.portfolio.collateral[0])).to.equal(c0 - 5_000_000n);
  });

  it("trade: killed after the leg's pending state is written, after the trade is broadcast, after inclusion; both sides recover", async () => {
    const a0 = await syncOpens("alice");
    const b0 = await syncOpens("bob");
    // killed while making its leg (no leg file yet): a new leg for the same fill follows
    const f1 = newFill();
    const lost = join(dir, "lost.leg");
    await killAt("pending", "alice", [
      "trade-leg",
      "--fill",
      f1,
      "--side",
      "buy",
      "--counterparty",
      address.bob,
      "--params",
      params,
      "--out",
      lost,
    ]);
    expect(existsSync(lost)).to.equal(false);
    expect((await syncOpens("alice")).pending).to.equal(1);
    const [a1, b1] = legs(f1);
    await killAt("sent", "alice", ["trade", "--leg", a1, "--counter", b1]);
    let a = await syncOpens("alice");
    let b = await syncOpens("bob");
    expect([a.nonce, b.nonce]).to.deep.equal([a0.nonce + 1, b0.nonce + 1]);
    expect([a.portfolio.sizes[0], b.portfolio.sizes[0]]).to.deep.equal(["20", "-20"]);
    expect(a.pending).to.equal(0);
    const [a2, b2] = legs(newFill());
    await killAt("mined", "alice", ["trade", "--leg", a2, "--counter", b2]);
    a = await syncOpens("alice");
    b = await syncOpens("bob");
    expect([a.portfolio.sizes[0], b.portfolio.sizes[0]]).to.deep.equal(["40", "-40"]);
    // bob settles the next one while alice's trade is killed before sending
    const [a3, b3] = legs(newFill());
    ok("bob", "trade", "--leg", b3, "--counter", a3);
    const late = run("alice", "trade", "--leg", a3, "--counter", b3);
    expect(late.code).to.equal(1);
    expect(late.stderr).to.match(/FillAlreadySettled|already settled/);
    a = await syncOpens("alice");
    expect(a.portfolio.sizes[0]).to.equal("60");
  });

  it("settle (the PnL pool's side of realize): killed after the pending state is written, after broadcast (in the mempool), after inclusion; then the next actions work", async () => {
    // alice owes 6,000 of unrealised loss: the two settlements that get mined pay it all
    const s0 = await syncOpens("alice");
    await killAt("pending", "alice", ["settle", "--market", "0", "--amount", "1000", "--params", params]);
    let s = await syncOpens("alice");
    expect(s.nonce).to.equal(s0.nonce);
    await automine(false);
    try {
      await killAt("sent", "alice", ["settle", "--market", "0", "--amount", "2000", "--params", params]);
      expect((await syncOpens("alice")).nonce).to.equal(s0.nonce);
      await provider.send("evm_mine", []);
    } finally {
      await automine(true);
    }
    s = await syncOpens("alice");
    expect(s.nonce).to.equal(s0.nonce + 1);
    await killAt("mined", "alice", ["settle", "--market", "0", "--amount", "4000", "--params", params]);
    s = await syncOpens("alice");
    expect(s.nonce).to.equal(s0.nonce + 2);
    expect(s.pending).to.equal(0);
    ok("alice", "deposit", "--asset", "0", "--amount", "1000000", "--params", params);
    ok("alice", "prove-margin", "--params", params);
    ok("bob", "prove-margin", "--params", params);
    await syncOpens("alice");
    await syncOpens("bob");
  });

  it("a backup taken before every kill above: account sync replays the account's transitions, and the next action works", async () => {
    const chain = await onChain("alice");
    copyFileSync(join(dir, "alice.backup"), state("alice"));
    expect(show("alice").nonce).to.be.lessThan(chain.nonce);
    const s = await syncOpens("alice");
    expect(s.nonce).to.equal(chain.nonce);
    ok("alice", "withdraw", "--asset", "0", "--amount", "1000000", "--params", params);
    await syncOpens("alice");
  });
});
