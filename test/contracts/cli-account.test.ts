// zkmargin keygen / deploy --accounts / account ... / margin-call / liquidate against a real
// JSON-RPC node (`hardhat node` on loopback), as a trader and a keeper would run them.
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { waitForNode } from "../helpers.ts";
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { REPO_ROOT } from "../../prover/artifacts.ts";
import { exampleJson } from "../../tools/fixtures.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const HARDHAT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "hardhat"));

describe("zkmargin account commands over JSON-RPC", function () {
  this.timeout(900_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const rpc = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-cli-account-"));
  const deployment = join(dir, "deployment.json");
  const key = join(dir, "liquidation-key.json");
  const params = join(REPO_ROOT, "examples/params.json");
  const state = (who: string) => join(dir, `${who}.state`);
  let node: ChildProcess;
  let provider: JsonRpcProvider;
  const run = (env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      cwd: REPO_ROOT,
      timeout: 300_000,
      env: { ...process.env, ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const as =
    (who: "alice" | "bob", index: string) =>
    (...args: string[]) =>
      run(
        { ZKMARGIN_PASSPHRASE: `${who} passphrase` },
        "account",
        ...args,
        "--deployment",
        deployment,
        "--state",
        state(who),
        "--account-index",
        index,
      );
  const alice = as("alice", "1");
  const bob = as("bob", "2");
  const rpcCall = (method: string, params: unknown[]) => provider.send(method, params);

  before(async () => {
    node = spawn(process.execPath, [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: REPO_ROOT,
      stdio: "ignore",
    });
    await waitForNode(rpc, node);
    provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
  });
  after(() => {
    provider?.destroy();
    node?.kill();
  });

  it("keygen writes a fresh key and never overwrites it", () => {
    const r = run({}, "keygen", "--out", key);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(key, "utf8")).publicKey).to.have.length(2);
    const again = run({}, "keygen", "--out", key);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("--out");
  });

  it("deploy --accounts needs a liquidation key, then deploys the clearinghouse", () => {
    const missing = run({}, "deploy", "--rpc", rpc, "--out", deployment, "--accounts");
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain("--liquidation-key");
    expect(existsSync(deployment)).to.equal(false);
    const r = run({}, "deploy", "--rpc", rpc, "--out", deployment, "--accounts", "--liquidation-key", key, "--grace", "60");
    expect(r.code, r.stderr).to.equal(0);
    const d = JSON.parse(readFileSync(deployment, "utf8"));
    expect(d.contracts.MarginAccounts).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(d.accounts.tokens).to.have.length(4);
    expect(run({}, "epoch", "post", "--deployment", deployment, "--params", params).code).to.equal(0);
  });

  it("bad input exits 1 naming the field, before anything is sent", () => {
    const noPass = run({}, "account", "open", "--deployment", deployment, "--state", state("alice"));
    expect(noPass.code).to.equal(1);
    expect(noPass.stderr).to.contain("ZKMARGIN_PASSPHRASE");
    const badAsset = alice("deposit", "--asset", "4", "--amount", "1", "--params", params);
    expect(badAsset.code).to.equal(1);
    expect(badAsset.stderr).to.contain("--asset");
    const noState = alice("deposit", "--asset", "0", "--amount", "1", "--params", params);
    expect(noState.code).to.equal(1);
    expect(noState.stderr).to.contain("--state");
  });

  it("two traders open, deposit and trade privately; a leg file holds no portfolio", async () => {
    const d = JSON.parse(readFileSync(deployment, "utf8"));
    const signer = await provider.getSigner(0);
    const usd = new Contract(d.accounts.tokens[0], ["function mint(address,uint256)"], signer);
    for (const i of [1, 2]) await (await usd.mint((await provider.getSigner(i)).address, 10n ** 12n)).wait();
    for (const [t, amount] of [
      [alice, "200000000000"],
      [bob, "300000000000"],
    ] as const) {
      expect(t("open").code).to.equal(0);
      const r = t("deposit", "--asset", "0", "--amount", amount, "--params", params);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).nonce).to.equal(1);
    }
    const wrongPass = run({ ZKMARGIN_PASSPHRASE: "nope" }, "account", "show", "--deployment", deployment, "--state", state("alice"));
    expect(wrongPass.code).to.equal(1);
    expect(wrongPass.stderr).to.contain("passphrase");
    const fill = join(dir, "fill.json");
    writeFileSync(
      fill,
      JSON.stringify({ market: 0, size: "150", price: "97250100", salt: "9876543210987654321098765432109876543210987654321098765432" }),
    );
    const legA = join(dir, "alice.leg.json");
    const legB = join(dir, "bob.leg.json");
    const [aliceAddress, bobAddress] = [(await provider.getSigner(1)).address, (await provider.getSigner(2)).address];
    expect(
      alice("trade-leg", "--fill", fill, "--side", "buy", "--counterparty", bobAddress, "--params", params, "--out", legA).code,
    ).to.equal(0);
    expect(
      bob("trade-leg", "--fill", fill, "--side", "sell", "--counterparty", aliceAddress, "--params", params, "--out", legB).code,
    ).to.equal(0);
    const legText = readFileSync(legA, "utf8");
    expect(legText).to.not.contain("97250100");
    expect(legText).to.not.contain('"150"');
    const r = alice("trade", "--leg", legA, "--counter", legB);
    expect(r.code, r.stderr).to.equal(0);
    const shownA = JSON.parse(alice("show").stdout);
    expect(shownA.portfolio.sizes[0]).to.equal("150");
    // bob's process learns about the mined trade by reconciling with the chain
    expect(JSON.parse(bob("sync").stdout).nonce).to.equal(2);
    expect(JSON.parse(bob("show").stdout).portfolio.sizes[0]).to.equal("-150");
    const replay = alice("trade", "--leg", legA, "--counter", legB);
    expect(replay.code).to.equal(1);
    expect(replay.stderr).to.contain("FillAlreadySettled");
  });

  it("realize pays profit only from losses settled into the PnL pool: empty pool exits 1, settle then realize exit 0", () => {
    // alice bought 150 lots at 100 above the mark: she owes 15,000, bob is owed 15,000
    const empty = bob("realize", "--params", params);
    expect(empty.code, empty.stderr).to.equal(1);
    expect(empty.stderr).to.contain("--amount").and.to.contain("PnL pool is empty");
    const nothing = alice("realize", "--params", params);
    expect(nothing.code).to.equal(1);
    expect(nothing.stderr).to.contain("nothing to realise");
    const paid = alice("settle", "--params", params);
    expect(paid.code, paid.stderr).to.equal(0);
    expect(JSON.parse(paid.stdout).action).to.equal("settle");
    // account status shows the pool and what bob can claim now (15,000 quote units = $0.015)
    const st = JSON.parse(bob("status").stdout);
    expect(st.settlement).to.deep.include({ pnlPool: "0.01 USD", claimableNow: "0.01 USD", lossToSettle: "0.00 USD", cashCovered: true });
    const before = BigInt(JSON.parse(bob("show").stdout).portfolio.collateral[0]);
    const claimed = bob("realize", "--params", params);
    expect(claimed.code, claimed.stderr).to.equal(0);
    expect(BigInt(JSON.parse(bob("show").stdout).portfolio.collateral[0]) - before).to.equal(15_000n);
    const again = bob("realize", "--params", params);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("nothing to realise");
  });

  it("a withdrawal that would leave the account unhealthy exits 2 and sends nothing", () => {
    const before = JSON.parse(alice("show").stdout);
    const r = alice("withdraw", "--asset", "0", "--amount", "199999000000", "--params", params);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain("not healthy");
    const over = alice("withdraw", "--asset", "0", "--amount", "999999999999", "--params", params);
    expect(over.code).to.equal(1);
    expect(over.stderr).to.contain("amount");
    expect(JSON.parse(alice("show").stdout)).to.deep.equal(before);
  });

  it("watchtower attests for an offline trader; a silent one is liquidated by a keeper", async () => {
    const watch = (await provider.getSigner(5)).address;
    expect(bob("watchtower", "--address", watch).code).to.equal(0);
    const p = exampleJson().params as any;
    p.epochId = "43";
    const p43 = join(dir, "p43.json");
    writeFileSync(p43, JSON.stringify(p));
    expect(run({}, "epoch", "post", "--deployment", deployment, "--params", p43, "--prices-only").code).to.equal(0);
    const call = run({}, "margin-call", "--deployment", deployment);
    expect(call.code, call.stderr).to.equal(0);
    expect(JSON.parse(call.stdout).epochId).to.equal("43");
    const notPublisher = run({}, "margin-call", "--deployment", deployment, "--account-index", "3");
    expect(notPublisher.code).to.equal(1);
    expect(notPublisher.stderr).to.contain("NotPublisher");
    // the watchtower holds a copy of bob's state and attests for him
    const w = run(
      { ZKMARGIN_PASSPHRASE: "bob passphrase" },
      "account",
      "prove-margin",
      "--deployment",
      deployment,
      "--state",
      state("bob"),
      "--account-index",
      "5",
      "--account",
      (await provider.getSigner(2)).address,
      "--params",
      p43,
    );
    expect(w.code, w.stderr).to.equal(0);
    const early = run(
      {},
      "liquidate",
      "--deployment",
      deployment,
      "--account",
      (await provider.getSigner(1)).address,
      "--account-index",
      "6",
    );
    expect(early.code).to.equal(1);
    expect(early.stderr).to.contain("GracePeriodRunning");
    await rpcCall("evm_increaseTime", [61]);
    await rpcCall("evm_mine", []);
    const liq = run(
      {},
      "liquidate",
      "--deployment",
      deployment,
      "--account",
      (await provider.getSigner(1)).address,
      "--account-index",
      "6",
    );
    expect(liq.code, liq.stderr).to.equal(0);
    const bobSafe = run(
      {},
      "liquidate",
      "--deployment",
      deployment,
      "--account",
      (await provider.getSigner(2)).address,
      "--account-index",
      "6",
    );
    expect(bobSafe.code).to.equal(1);
    expect(bobSafe.stderr).to.contain("AlreadyAttested");
  });

  it("a watchtower attests several accounts in one proveMarginBatch; --by-proof refuses a healthy account (exit 2); a flat account closes", async () => {
    const carol = (...args: string[]) =>
      run(
        { ZKMARGIN_PASSPHRASE: "bob passphrase" },
        "account",
        ...args,
        "--deployment",
        deployment,
        "--state",
        state("carol"),
        "--account-index",
        "3",
      );
    const carolAddr = (await provider.getSigner(3)).address;
    const bobAddr = (await provider.getSigner(2)).address;
    const usd = new Contract(
      JSON.parse(readFileSync(deployment, "utf8")).accounts.tokens[0],
      ["function mint(address,uint256)"],
      await provider.getSigner(0),
    );
    await (await usd.mint(carolAddr, 10n ** 10n)).wait();
    expect(carol("open").code).to.equal(0);
    const dep = carol("deposit", "--asset", "0", "--amount", "1000000000");
    expect(dep.code, dep.stderr).to.equal(0);
    expect(carol("watchtower", "--address", (await provider.getSigner(5)).address).code).to.equal(0);
    const p = exampleJson().params as any;
    p.epochId = "44";
    const p44 = join(dir, "p44.json");
    writeFileSync(p44, JSON.stringify(p));
    expect(run({}, "epoch", "post", "--deployment", deployment, "--params", p44, "--prices-only").code).to.equal(0);
    const batch = (accounts: string, states: string) =>
      run(
        { ZKMARGIN_PASSPHRASE: "bob passphrase" },
        "account",
        "prove-margin",
        "--deployment",
        deployment,
        "--account-index",
        "5",
        "--account",
        accounts,
        "--state",
        states,
      );
    const short = batch(`${bobAddr},${carolAddr}`, state("bob"));
    expect(short.code).to.equal(1);
    expect(short.stderr).to.match(/--state.*1 state files for 2 accounts/);
    const twice = batch(`${bobAddr},${bobAddr}`, `${state("bob")},${state("bob")}`);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.contain("twice");
    const ok = batch(`${carolAddr},${bobAddr}`, `${state("carol")},${state("bob")}`);
    expect(ok.code, ok.stderr).to.equal(0);
    const r = JSON.parse(ok.stdout);
    expect(r.accounts.length).to.equal(2);
    expect(r.epochId).to.equal("44");
    // bob is healthy: no liquidation proof exists, nothing is sent (exit 2)
    const healthy = run({}, "liquidate", "--deployment", deployment, "--account", bobAddr, "--by-proof", "--liquidation-key", key);
    expect(healthy.code, healthy.stderr).to.equal(2);
    expect(healthy.stderr).to.contain("healthy at maintenance");
    const noKey = run({}, "liquidate", "--deployment", deployment, "--account", bobAddr, "--by-proof");
    expect(noKey.code).to.equal(1);
    expect(noKey.stderr).to.contain("--liquidation-key");
    // bob holds a position: he cannot close; carol, flat, closes and gets her bond back
    const notFlat = bob("close");
    expect(notFlat.code).to.equal(1);
    expect(notFlat.stderr).to.contain("not flat");
    const closed = carol("close");
    expect(closed.code, closed.stderr).to.equal(0);
    expect(JSON.parse(closed.stdout)).to.include({ closed: true });
    const st = carol("status");
    expect(JSON.parse(st.stdout).status).to.equal("closed");
  });
});
