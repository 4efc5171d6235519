// Liquidation by proof (issue #9, item 3) with real proofs on Hardhat EDR: the liquidation key
// holder replays an account from its encrypted log and, as soon as it is below maintenance at the
// latest fresh epoch, liquidates it with a proof of the liquidation circuit — no margin call, no
// grace period. No proof exists for a healthy account; a proof is bound to the account, its
// nonce and the latest epoch.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evaluate } from "../../prover/model.ts";
import { solidityCalldata } from "../../prover/prover.ts";
import { LiquidationProver } from "../../prover/liquidation.ts";
import type { Fill } from "../../prover/transition/op.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { liquidateByProof, liquidationBinding, replayAccount } from "../../client/liquidator.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example, minimalDeposit } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const BOND = 10n ** 16n;

describe("liquidation by proof (the key holder, no margin call)", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let epoch = 700n;
  let alice: Trader;
  let bob: Trader;
  let carol: Trader;
  let signers: any[];
  let liq: LiquidationProver;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-liquidation-"));
  const epochs = new Map<bigint, Params>();
  const fill: Fill = { market: 0, size: 200n, price: 0n, salt: 777n };

  const post = async (mutate: (x: Params) => void = () => {}) => {
    const x = clone(params);
    x.epochId = ++epoch;
    mutate(x);
    await postEpoch(p.registry.connect(signers[0]), x, { pricesOnly: true });
    params = x;
    epochs.set(x.epochId, x);
  };
  const replay = (account: string) => replayAccount(p.accounts, p.liquidation.secret, account, async (id) => epochs.get(id)!);
  const keeper = () => p.accounts.connect(signers[8]);
  // the binding names the sender of liquidateByProof: here the keeper (signers[8])
  const bindingFor = async (account: string, nonce: bigint, sender = signers[8].address) =>
    liquidationBinding(p.chainId, await p.accounts.getAddress(), account, nonce, sender);
  const withMark = (x: Params, price: bigint): Params => {
    const y = clone(x);
    y.markets[0].markPrice = price;
    return y;
  };
  const healthy = (x: Params, pf: Portfolio, level: "maintenance" | "initial") => evaluate(x, pf, level).healthy;

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n, bondWei: BOND });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: epoch };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    epochs.set(params.epochId, params);
    const provers = { margin: await prover(), transition: await transitionProver() };
    liq = await LiquidationProver.load();
    const attach = async (i: number, name: string) =>
      (await Trader.attach(signers[i], p.accounts, provers, join(dir, `${name}.state`), `pass-${name}`)).trader;
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    carol = await attach(3, "carol");
    for (const t of [alice, bob, carol]) await (await p.tokens[0].mint(t.address, 10_000_000n * E6)).wait();
    // alice goes long with just enough collateral for the initial level (plus the fee); bob short, well funded
    fill.price = params.markets[0].markPrice;
    const fee = BigInt(await p.accounts.tradeFee());
    // both just above the initial level: moves within the registry's 25% bound take either below maintenance
    const a = minimalDeposit(params, alice.portfolio, fill, "initial", fee);
    const b = minimalDeposit(params, bob.portfolio, { ...fill, size: -fill.size }, "initial", fee);
    await alice.deposit(0, a + a / 100n, params);
    await bob.deposit(0, b + b / 50n, params);
    await carol.deposit(0, 1_000n * E6, params);
    await settleTrade(
      await alice.tradeLeg(fill, "buy", params, bob.address),
      await bob.tradeLeg(fill, "sell", params, alice.address),
      epoch,
    );
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the key holder's replay opens every account; a healthy account has no proof", async () => {
    for (const t of [alice, bob, carol]) {
      const r = await replay(t.address);
      expect(r.commitment).to.equal(BigInt((await p.accounts.accounts(t.address)).commitment));
      expect(r.portfolio.sizes).to.deep.equal(t.portfolio.sizes);
    }
    const r = await replay(alice.address);
    expect(healthy(params, r.portfolio, "maintenance")).to.equal(true);
    await expectRejection(liquidateByProof(keeper(), liq, r, params), /healthy at maintenance/);
    // the circuit itself refuses: the prover cannot make a witness for a healthy portfolio
    const binding = await bindingFor(alice.address, r.nonce);
    await expectRejection((async () => liq.prove(params, r.portfolio, binding))(), /healthy at maintenance/);
    await expect(
      keeper().liquidateByProof(carol.address, params.epochId, {
        a: [0, 0],
        b: [
          [0, 0],
          [0, 0],
        ],
        c: [0, 0],
      }),
    ).to.be.revertedWithCustomError(p.accounts, "AccountFlat");
  });

  it("after a crash, the key holder liquidates the account below maintenance at once, with no margin call", async () => {
    // the smallest drop (in 0.5% steps) that takes alice below maintenance; bob stays healthy
    let price = params.markets[0].markPrice;
    const r0 = await replay(alice.address);
    while (healthy(withMark(params, price), r0.portfolio, "maintenance")) price -= params.markets[0].markPrice / 200n;
    await post((x) => (x.markets[0].markPrice = price));
    expect(healthy(params, (await replay(bob.address)).portfolio, "maintenance")).to.equal(true);
    expect(await p.accounts.marginCallCount()).to.equal(0n);

    // a proof for bob's account does not exist; alice's proof does not liquidate bob
    const r = await replay(alice.address);
    const proof = await solidityCalldata(await liq.prove(params, r.portfolio, await bindingFor(alice.address, r.nonce)));
    const arg = { a: proof.a, b: proof.b, c: proof.c };
    // the contract's binding is the client's; a copied call from another sender does not verify
    // (nobody front-runs the prover for the bond)
    expect(BigInt(await p.accounts.liquidationBindingOf(alice.address, r.nonce, signers[8].address))).to.equal(
      await bindingFor(alice.address, r.nonce),
    );
    await expect(p.accounts.connect(signers[9]).liquidateByProof(alice.address, params.epochId, arg)).to.be.revertedWithCustomError(
      p.accounts,
      "InvalidProof",
    );
    await expect(keeper().liquidateByProof(bob.address, params.epochId, arg)).to.be.revertedWithCustomError(p.accounts, "InvalidProof");
    // a tampered proof does not verify
    const bad = { a: proof.a, b: proof.b, c: [proof.c[0], proof.c[1]].reverse() };
    await expect(keeper().liquidateByProof(alice.address, params.epochId, bad)).to.be.revertedWithCustomError(p.accounts, "InvalidProof");

    // a newer post: the proof for the previous epoch is refused (only the latest epoch counts)
    await post();
    await expect(keeper().liquidateByProof(alice.address, params.epochId - 1n, arg)).to.be.revertedWithCustomError(
      p.accounts,
      "NotLatestEpoch",
    );
    // the trader moves first with a deposit that does not cure her: the nonce moved, the old proof is void
    await alice.deposit(0, 1n * E6, params);
    await expect(keeper().liquidateByProof(alice.address, params.epochId, arg)).to.be.revertedWithCustomError(p.accounts, "InvalidProof");

    const before = await p.ethers.provider.getBalance(signers[8].address);
    const sent = await liquidateByProof(keeper(), liq, await replay(alice.address), params);
    const receipt = await p.ethers.provider.getTransactionReceipt(sent.txHash);
    const paid = (await p.ethers.provider.getBalance(signers[8].address)) - before + receipt!.gasUsed * receipt!.gasPrice;
    expect(paid).to.equal(BOND);
    expect(Number((await p.accounts.accounts(alice.address)).status)).to.equal(2);
    const events = await p.accounts.queryFilter(p.accounts.filters.LiquidatedByProof(alice.address));
    expect(events.length).to.equal(1);
    expect(BigInt((events[0] as any).args.epochId)).to.equal(params.epochId);
    expect(sent.gasUsed < 400_000n, `liquidateByProof ${sent.gasUsed} gas`).to.equal(true);
    // frozen: nothing more, by proof or otherwise
    await expect(keeper().liquidateByProof(alice.address, params.epochId, arg)).to.be.revertedWithCustomError(p.accounts, "NotActive");
    await expectRejection(alice.deposit(0, 1n, params), /NotActive/);
  });

  it("an account cured by a deposit before the key holder acts has no proof", async () => {
    // bob's short: a rally takes him below maintenance; he deposits enough first
    const r0 = await replay(bob.address);
    let price = params.markets[0].markPrice;
    while (healthy(withMark(params, price), r0.portfolio, "maintenance")) price += params.markets[0].markPrice / 200n;
    await post((x) => (x.markets[0].markPrice = price));
    expect(healthy(params, (await replay(bob.address)).portfolio, "maintenance")).to.equal(false);
    // the smallest deposit that cures him, plus 1%
    const cured = (d: bigint) => {
      const pf = clone(r0.portfolio);
      pf.collateral[0] += d;
      return healthy(params, pf, "maintenance");
    };
    let lo = 1n;
    let hi = 1n;
    while (!cured(hi)) hi *= 2n;
    while (lo < hi) {
      const mid = (lo + hi) / 2n;
      if (cured(mid)) hi = mid;
      else lo = mid + 1n;
    }
    await (await p.tokens[0].mint(bob.address, lo * 2n)).wait();
    await bob.deposit(0, lo + lo / 100n + 1n, params);
    const r = await replay(bob.address);
    expect(healthy(params, r.portfolio, "maintenance")).to.equal(true);
    await expectRejection(liquidateByProof(keeper(), liq, r, params), /healthy at maintenance/);
    expect(Number((await p.accounts.accounts(bob.address)).status)).to.equal(1);
  });
});
