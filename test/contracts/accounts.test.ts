// MarginAccounts with real proofs on Hardhat EDR: accounts, deposits, private trades,
// withdrawals, PnL realisation, margin attestations, margin calls and liquidation; every revert
// path; the key holder's replay; a scan of all calldata and events for position data.
import { expect } from "chai";
import { AbiCoder, concat, getBytes, toBeHex, toBigInt, verifyTypedData, type TypedDataDomain } from "ethers";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIELD_MODULUS } from "../../prover/field.ts";
import { commitment } from "../../prover/encoding.ts";
import { fillCommitment, type Fill } from "../../prover/transition/op.ts";
import { emptyPortfolio } from "../../prover/transition/rule.ts";
import { replayTransition } from "../../prover/transition/replay.ts";
import type { Params, Portfolio } from "../../prover/types.ts";
import { Trader, settleTrade, transitionBinding, type Sent } from "../../client/accounts.ts";
import { planRealize, planSettle, unrealised } from "../../client/settlement.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import {
  TRADE_DOMAIN_NAME,
  TRADE_DOMAIN_VERSION,
  TRADE_LEG_TYPEHASH,
  TRADE_LEG_TYPES,
  legHash,
  tradeDigest,
  tradeDomain,
  type TradeLegMessage,
} from "../../client/typed-data.ts";
import { clone, example } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;

describe("MarginAccounts (private accounts, real proofs, Hardhat EDR)", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let epoch = 100n;
  let alice: Trader;
  let bob: Trader;
  let carol: Trader;
  let signers: any[];
  const sent: Sent[] = [];
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-accounts-"));
  const secretValues: bigint[] = [];
  /** every posted epoch: the key holder reads them from the publisher's feed */
  const epochs = new Map<bigint, Params>();

  const post = async (mutate: (x: Params) => void = () => {}, pricesOnly = true) => {
    const next = clone(params);
    next.epochId = ++epoch;
    mutate(next);
    await postEpoch(p.registry.connect(signers[0]), next, { pricesOnly });
    params = next;
    epochs.set(next.epochId, next);
  };
  const track = async (x: Promise<Sent>) => {
    const s = await x;
    sent.push(s);
    return s;
  };
  const fund = async (t: Trader, asset: number, amount: bigint) => {
    await (await p.tokens[asset].mint(t.address, amount)).wait();
  };

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: epoch };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    epochs.set(params.epochId, params);
    const provers = { margin: await prover(), transition: await transitionProver() };
    const attach = async (i: number, name: string) =>
      (await Trader.attach(signers[i], p.accounts, provers, join(dir, `${name}.state`), `pass-${name}`)).trader;
    alice = await attach(1, "alice");
    bob = await attach(2, "bob");
    carol = await attach(3, "carol");
    for (const t of [alice, bob, carol]) {
      await fund(t, 0, 1_000_000n * E6);
      await fund(t, 1, 100n * E18);
    }
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens accounts with the empty commitment and the bond", async () => {
    expect(BigInt(await p.accounts.EMPTY_COMMITMENT())).to.equal(commitment(emptyPortfolio(8, 4)));
    const a = await p.accounts.accounts(alice.address);
    expect(Number(a.status)).to.equal(1);
    expect(a.isFlat).to.equal(true);
    expect(await p.ethers.provider.getBalance(await p.accounts.getAddress())).to.equal(3n * 10n ** 16n);
    await expect(p.accounts.connect(signers[1]).open({ value: 10n ** 16n })).to.be.revertedWithCustomError(p.accounts, "AlreadyOpen");
    await expect(p.accounts.connect(signers[5]).open({ value: 1n })).to.be.revertedWithCustomError(p.accounts, "WrongBond");
  });

  it("deposits: tokens move into custody and the hidden balance follows", async () => {
    const s = await track(alice.deposit(0, 200_000n * E6, params));
    await track(bob.deposit(0, 300_000n * E6, params));
    await track(bob.deposit(1, 20n * E18, params));
    await track(carol.deposit(0, 50_000n * E6, params));
    expect(alice.portfolio.collateral[0]).to.equal(200_000n * E6);
    expect(BigInt(await p.tokens[0].balanceOf(await p.accounts.getAddress()))).to.equal(550_000n * E6);
    expect(BigInt((await p.accounts.accounts(alice.address)).commitment)).to.equal(commitment(alice.portfolio));
    expect(s.gasUsed > 0n).to.equal(true);
  });

  let fill: Fill;
  it("a private trade settles both legs atomically, once", async () => {
    fill = { market: 0, size: 1237n, price: params.markets[0].markPrice + 313n, salt: 987654321987654321n };
    secretValues.push(fill.size, fill.price, fill.size * fill.price);
    const buy = await alice.tradeLeg(fill, "buy", params, bob.address);
    const sell = await bob.tradeLeg(fill, "sell", params, alice.address);
    const s = await track(settleTrade(buy, sell, params.epochId));
    expect(alice.portfolio.sizes[0]).to.equal(1237n);
    expect(bob.portfolio.sizes[0]).to.equal(-1237n);
    expect((await p.accounts.accounts(alice.address)).isFlat).to.equal(false);
    expect(await p.accounts.fillSettled(fillCommitment(fill))).to.equal(true);
    // the same fill cannot settle again, even with fresh proofs
    const buy2 = await alice.tradeLeg(fill, "buy", params, bob.address);
    const sell2 = await bob.tradeLeg(fill, "sell", params, alice.address);
    await expectRejection(settleTrade(buy2, sell2, params.epochId), /FillAlreadySettled/);
    expect(alice.portfolio.sizes[0]).to.equal(1237n); // pending states were dropped
    expect(s.gasUsed > 0n).to.equal(true);
    expect(s.gasUsed / 2n <= 300_000n, `per leg ${s.gasUsed / 2n}`).to.equal(true);
    // alice paid 313 above the mark: she settles that loss into the PnL pool before she withdraws
    await track(alice.settle(0, 1237n * 313n, params));
    expect(BigInt(await p.accounts.pnlPool())).to.equal(1237n * 313n);
  });

  it("refuses a trade leg without the counterparty's signature, or sent by a third party", async () => {
    const f: Fill = { market: 1, size: 5n, price: params.markets[1].markPrice, salt: 5n };
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    const c = p.accounts.connect(signers[1]);
    await expect(
      c.trade({ account: buy.account, t: buy.data }, { account: sell.account, t: sell.data }, buy.fill, params.epochId, buy.signature),
    ).to.be.revertedWithCustomError(p.accounts, "InvalidSignature");
    await expect(
      p.accounts
        .connect(signers[3])
        .trade({ account: buy.account, t: buy.data }, { account: sell.account, t: sell.data }, buy.fill, params.epochId, sell.signature),
    ).to.be.revertedWithCustomError(p.accounts, "NotAuthorized");
    // a signature is for one leg, one counterparty: carol cannot submit bob's signed leg
    await expect(
      p.accounts
        .connect(signers[3])
        .trade({ account: buy.account, t: buy.data }, { account: sell.account, t: sell.data }, buy.fill, params.epochId, sell.signature),
    ).to.be.revertedWithCustomError(p.accounts, "NotAuthorized");
    const forged = structuredClone(sell.data);
    forged.ephemeralKey = forged.ephemeralKey + 1n;
    await expect(
      c.trade({ account: buy.account, t: buy.data }, { account: sell.account, t: forged }, buy.fill, params.epochId, sell.signature),
    ).to.be.revertedWithCustomError(p.accounts, "InvalidSignature");
    // the same legs swapped into the wrong sides: the signature covers the side (and the proofs
    // bind it too: test/transition.test.ts "the other side")
    await expect(
      c.trade({ account: sell.account, t: sell.data }, { account: buy.account, t: buy.data }, buy.fill, params.epochId, sell.signature),
    ).to.be.revertedWithCustomError(p.accounts, "InvalidSignature");
    alice.store.dropPending(buy.pending);
    bob.store.dropPending(sell.pending);
  });

  it("trade signatures are EIP-712 typed data computed locally; another chain, contract, field or signer, a malleable or an EIP-191 signature is refused", async () => {
    const f: Fill = { market: 1, size: 7n, price: params.markets[1].markPrice, salt: 77n };
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    const contract = await p.accounts.getAddress();
    const domain = tradeDomain(p.chainId, contract);
    const message: TradeLegMessage = {
      fill: sell.fill,
      account: bob.address,
      nonce: await bob.nonce(),
      counterparty: alice.address,
      buy: false,
      epochId: params.epochId,
      leg: legHash(sell.data),
    };
    // the local computation equals the contract's views (kept for such cross-checks only)
    expect(await p.accounts.legHash(sell.data)).to.equal(message.leg);
    const m = message;
    expect(await p.accounts.tradeDigest(m.fill, m.account, m.nonce, m.counterparty, m.buy, m.epochId, m.leg)).to.equal(
      tradeDigest(domain, message),
    );
    expect(await p.accounts.TRADE_LEG_TYPEHASH()).to.equal(TRADE_LEG_TYPEHASH);
    const d = await p.accounts.eip712Domain();
    expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal([
      TRADE_DOMAIN_NAME,
      TRADE_DOMAIN_VERSION,
      p.chainId,
      contract,
    ]);
    expect(verifyTypedData(domain, TRADE_LEG_TYPES, message, sell.signature)).to.equal(bob.address);

    // alice submits bob's signed leg: the signature as made is accepted (a static call settles nothing)
    const c = p.accounts.connect(signers[1]);
    const legs = [
      { account: buy.account, t: buy.data },
      { account: sell.account, t: sell.data },
    ] as const;
    await c.trade.staticCall(...legs, buy.fill, params.epochId, sell.signature);
    const refused = async (signature: string, why: string) => {
      try {
        await c.trade.staticCall(...legs, buy.fill, params.epochId, signature);
      } catch (e) {
        expect(p.accounts.interface.parseError((e as any).data)?.name, why).to.equal("InvalidSignature");
        return;
      }
      expect.fail(`${why}: accepted`);
    };
    const bobSigns = (dom: TypedDataDomain, msg: TradeLegMessage, signer = signers[2]) => signer.signTypedData(dom, TRADE_LEG_TYPES, msg);
    // the domain binds the chain id, the contract, the name and the version
    await refused(await bobSigns(tradeDomain(p.chainId + 1n, contract), message), "another chain id");
    await refused(await bobSigns(tradeDomain(p.chainId, await p.registry.getAddress()), message), "another contract");
    await refused(await bobSigns({ ...domain, name: "zkmargin" }, message), "another domain name");
    await refused(await bobSigns({ ...domain, version: "2" }, message), "another domain version");
    // every field of the typed struct is covered
    const other: { [K in keyof TradeLegMessage]: TradeLegMessage[K] } = {
      fill: message.fill + 1n,
      account: carol.address,
      nonce: message.nonce + 1n,
      counterparty: carol.address,
      buy: true,
      epochId: message.epochId + 1n,
      leg: legHash(buy.data),
    };
    for (const k of Object.keys(other) as (keyof TradeLegMessage)[])
      await refused(await bobSigns(domain, { ...message, [k]: other[k] }), `another ${k}`);
    // the right typed data signed by another key
    await refused(await bobSigns(domain, message, signers[3]), "carol's key");
    // the old scheme: an EIP-191 personal signature of the same digest
    await refused(await signers[2].signMessage(getBytes(tradeDigest(domain, message))), "EIP-191 of the digest");
    // the malleable twin (s -> n - s, v flipped) recovers bob with ecrecover but is refused
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const sig = getBytes(sell.signature);
    const [r, sHigh, v] = [sig.slice(0, 32), toBeHex(n - toBigInt(sig.slice(32, 64)), 32), sig[64] === 27 ? 28 : 27];
    const twin = concat([r, sHigh, toBeHex(v, 1)]);
    const ecrecover = await p.ethers.provider.call({
      to: "0x0000000000000000000000000000000000000001",
      data: AbiCoder.defaultAbiCoder().encode(["bytes32", "uint8", "bytes32", "bytes32"], [tradeDigest(domain, message), v, r, sHigh]),
    });
    expect(AbiCoder.defaultAbiCoder().decode(["address"], ecrecover)[0]).to.equal(bob.address);
    await refused(twin, "high-s twin");
    await refused(sell.signature.slice(0, -2), "64 bytes");
    alice.store.dropPending(buy.pending);
    bob.store.dropPending(sell.pending);
  });

  it("withdraw checks the initial margin of the rest; profit is realised only from losses settled into the PnL pool", async () => {
    await track(alice.withdraw(0, 10_000n * E6, params));
    expect(BigInt(await p.tokens[0].balanceOf(alice.address))).to.equal(810_000n * E6);
    await expectRejection(alice.withdraw(0, alice.portfolio.collateral[0], params), /not healthy at the initial level/);
    await post((x) => (x.markets[0].markPrice += 1000n));
    const profit = unrealised(params, alice.portfolio).reduce((a, b) => a + b, 0n);
    expect(profit).to.equal(1237n * 1000n);
    // the pool holds only what was settled (alice's own 313 per lot): no more can be claimed
    const pool0 = BigInt(await p.accounts.pnlPool());
    expect(pool0).to.equal(1237n * 313n);
    expect(planRealize(params, alice.portfolio, pool0).amount).to.equal(pool0);
    await expectRejection(alice.realize(0, pool0 + 1n, params), /PnlPoolInsufficient/);
    // bob, now losing, settles; then alice's whole profit is there
    const owed = planSettle(params, bob.portfolio);
    expect(owed.amount).to.equal(1237n * (1000n - 313n));
    await track(bob.settle(owed.market, owed.amount, params));
    expect(BigInt(await p.accounts.pnlPool())).to.equal(pool0 + owed.amount);
    const claim = planRealize(params, alice.portfolio, pool0 + owed.amount);
    expect(claim.amount).to.equal(profit);
    const before = alice.portfolio.collateral[0];
    await track(alice.realize(claim.market, claim.amount, params));
    expect(alice.portfolio.collateral[0] - before).to.equal(claim.amount);
    expect(BigInt(await p.accounts.pnlPool())).to.equal(0n);
    // a claim beyond the account's net profit has no proof
    expect(() => planRealize(params, alice.portfolio, 10n ** 20n, 1n)).to.throw(/net unrealised profit/);
  });

  describe("revert paths", () => {
    it("bad proof, replayed calldata, wrong nonce and a foreign binding revert with InvalidProof", async () => {
      const { data, pending } = await carol.prepare({ kind: "deposit", asset: 0, amount: 1n }, params);
      await (await p.tokens[0].connect(signers[3]).approve(await p.accounts.getAddress(), 10n)).wait();
      const c = p.accounts.connect(signers[3]);
      const bad = structuredClone(data);
      bad.proof.a = [data.proof.c[0], data.proof.c[1]];
      await expect(c.deposit(0, 1n, params.epochId, bad)).to.be.revertedWithCustomError(p.accounts, "InvalidProof");
      await expect(c.deposit(0, 2n, params.epochId, data)).to.be.revertedWithCustomError(p.accounts, "InvalidProof");
      // foreign binding: carol's proof sent from bob's account
      await expect(p.accounts.connect(signers[2]).deposit(0, 1n, params.epochId, data)).to.be.revertedWithCustomError(
        p.accounts,
        "InvalidProof",
      );
      await (await c.deposit(0, 1n, params.epochId, data)).wait();
      carol.store.promote(pending);
      // replay: the same calldata again (nonce and commitment moved on)
      await expect(c.deposit(0, 1n, params.epochId, data)).to.be.revertedWithCustomError(p.accounts, "InvalidProof");
    });

    it("a proof bound to another nonce does not verify", async () => {
      const prepared = await carol.provers.transition.prove({
        params,
        old: carol.portfolio,
        op: { kind: "deposit", asset: 0, amount: 1n },
        binding: transitionBinding(p.chainId, await p.accounts.getAddress(), carol.address, (await carol.nonce()) + 1n),
        liquidationKey: carol.liquidationKey,
      });
      const { solidityCalldata } = await import("../../prover/prover.ts");
      const cd = await solidityCalldata(prepared.proof);
      const t = {
        newCommitment: commitment(prepared.prepared.next),
        ephemeralKey: prepared.prepared.encrypted.ephemeralKey,
        cipher: prepared.prepared.encrypted.cipher,
        flat: true,
        proof: { a: cd.a, b: cd.b, c: cd.c },
      };
      await expect(p.accounts.connect(signers[3]).deposit(0, 1n, params.epochId, t)).to.be.revertedWithCustomError(
        p.accounts,
        "InvalidProof",
      );
    });

    it("public inputs >= r revert with PublicInputNotInField", async () => {
      const { data, pending } = await carol.prepare({ kind: "deposit", asset: 0, amount: 1n }, params);
      const c = p.accounts.connect(signers[3]);
      for (const [k, idx] of [
        ["newCommitment", 1],
        ["ephemeralKey", 6],
        ["cipher", 7],
      ] as const) {
        const t = structuredClone(data);
        t[k] = data[k] + FIELD_MODULUS;
        await expect(c.deposit(0, 1n, params.epochId, t))
          .to.be.revertedWithCustomError(p.accounts, "PublicInputNotInField")
          .withArgs(idx, t[k]);
      }
      carol.store.dropPending(pending);
    });

    it("a proof two epochs old reverts with NotLatestEpoch (outside the in-flight window); a stale latest epoch with StaleEpoch", async () => {
      const old = clone(params);
      await post();
      await post();
      const { data, pending } = await alice.prepare({ kind: "withdraw", asset: 0, amount: 1n }, old);
      await expect(p.accounts.connect(signers[1]).withdraw(0, 1n, old.epochId, data)).to.be.revertedWithCustomError(
        p.accounts,
        "NotLatestEpoch",
      );
      alice.store.dropPending(pending);
      const fresh = await alice.prepare({ kind: "withdraw", asset: 0, amount: 1n }, params);
      await p.ethers.provider.send("evm_increaseTime", [3601]);
      await p.ethers.provider.send("evm_mine", []);
      await expect(p.accounts.connect(signers[1]).withdraw(0, 1n, params.epochId, fresh.data)).to.be.revertedWithCustomError(
        p.registry,
        "StaleEpoch",
      );
      alice.store.dropPending(fresh.pending);
      await post();
    });

    it("only a publisher calls margin; only the owner or its watchtower attests", async () => {
      await expect(p.accounts.connect(signers[1]).marginCall()).to.be.revertedWithCustomError(p.accounts, "NotPublisher");
      const proof = await alice.marginProof(params);
      const { solidityCalldata } = await import("../../prover/prover.ts");
      const cd = await solidityCalldata(proof);
      await expect(
        p.accounts.connect(signers[6]).proveMargin(alice.address, params.epochId, { a: cd.a, b: cd.b, c: cd.c }),
      ).to.be.revertedWithCustomError(p.accounts, "NotAuthorized");
      // a margin proof of alice's state does not attest for bob
      await expect(
        p.accounts.connect(signers[2]).proveMargin(bob.address, params.epochId, { a: cd.a, b: cd.b, c: cd.c }),
      ).to.be.revertedWithCustomError(p.accounts, "InvalidProof");
    });
  });

  describe("margin call and liquidation", () => {
    it("the owner and an authorised watchtower attest; a silent account with exposure is liquidated", async () => {
      await (await p.accounts.connect(signers[2]).setWatchtower(signers[7].address)).wait();
      await post((x) => (x.markets[0].markPrice -= 2000n));
      await (await p.accounts.connect(signers[0]).marginCall()).wait();
      // a price post races alice's attestation: her proof for the (still fresh) call epoch counts
      const callParams = params;
      await post();
      await track(alice.proveMargin(callParams));
      await track(bob.proveMargin(params, signers[7])); // watchtower, for the newer epoch
      // carol is flat: never liquidatable; open exposure for a fourth, silent trader
      await expect(p.accounts.liquidate(alice.address)).to.be.revertedWithCustomError(p.accounts, "AlreadyAttested");
      await p.ethers.provider.send("evm_increaseTime", [601]);
      await p.ethers.provider.send("evm_mine", []);
      await expect(p.accounts.liquidate(alice.address)).to.be.revertedWithCustomError(p.accounts, "AlreadyAttested");
      await expect(p.accounts.liquidate(carol.address)).to.be.revertedWithCustomError(p.accounts, "AccountFlat");
    });

    it("liquidation freezes the account and pays the bond to the keeper; the key holder replays it", async () => {
      // a new call: alice stays silent
      await post();
      await (await p.accounts.connect(signers[0]).marginCall()).wait();
      // the grace period runs: the error names the fresh-oracle seconds left
      await expect(p.accounts.liquidate(alice.address))
        .to.be.revertedWithCustomError(p.accounts, "GracePeriodRunning")
        .withArgs((left: bigint) => left > 0n && left <= 600n);
      expect((await p.accounts.pendingMarginCall(alice.address)).pending).to.equal(true);
      await track(bob.proveMargin(params));
      expect((await p.accounts.pendingMarginCall(bob.address)).pending).to.equal(false);
      await p.ethers.provider.send("evm_increaseTime", [601]);
      await p.ethers.provider.send("evm_mine", []);
      expect(await p.accounts.isLiquidatable(alice.address)).to.equal(true);
      // while the oracle is stale nobody can attest, so nobody is liquidated
      await p.ethers.provider.send("evm_increaseTime", [3601]);
      await p.ethers.provider.send("evm_mine", []);
      expect(await p.accounts.isLiquidatable(alice.address)).to.equal(false);
      await expect(p.accounts.liquidate(alice.address)).to.be.revertedWithCustomError(p.registry, "StaleEpoch");
      await post();
      expect(await p.accounts.isLiquidatable(alice.address)).to.equal(true);
      const keeper = signers[8];
      const before = await p.ethers.provider.getBalance(keeper.address);
      const tx = await p.accounts.connect(keeper).liquidate(alice.address);
      const r = await tx.wait();
      const after = await p.ethers.provider.getBalance(keeper.address);
      expect(after - before + r.gasUsed * r.gasPrice).to.equal(10n ** 16n);
      expect(Number((await p.accounts.accounts(alice.address)).status)).to.equal(2);
      // frozen: a deposit is refused on-chain (a withdrawal would first have to settle the loss)
      await expectRejection(alice.deposit(0, 1n, params), /NotActive/);
      await expect(p.accounts.liquidate(alice.address)).to.be.revertedWithCustomError(p.accounts, "NotActive");

      // the insurance process: replay alice's encrypted transition log from the chain
      const logs = await p.accounts.queryFilter(p.accounts.filters.Transition(alice.address));
      let state: Portfolio = emptyPortfolio(8, 4);
      for (const l of logs) {
        const a = l.args;
        state = replayTransition(p.liquidation.secret, state, {
          op: BigInt(a.op),
          ephemeralKey: BigInt(a.ephemeralKey),
          cipher: BigInt(a.cipher),
          newCommitment: BigInt(a.newCommitment),
          params: epochs.get(BigInt(a.epochId))!,
        });
      }
      expect(commitment(state)).to.equal(BigInt((await p.accounts.accounts(alice.address)).commitment));
      expect(state.sizes[0]).to.equal(1237n);
    });
  });

  describe("privacy (runs last: scans the whole session)", () => {
    it("no position value appears in any calldata or event of the session", async () => {
      const hay = sent.map((s) => (s.calldata + s.logs.join("")).toLowerCase()).join("|");
      const word = (v: bigint) => (v < 0n ? (1n << 256n) + v : v).toString(16).padStart(64, "0");
      const values = new Set<bigint>(secretValues);
      for (const t of [alice, bob, carol]) {
        for (const s of t.portfolio.sizes) if (s !== 0n) values.add(s);
        for (const c of t.portfolio.costBasis) if (c !== 0n) values.add(c);
      }
      for (const v of values) {
        expect(hay.includes(word(v)), `ABI word of ${v}`).to.equal(false);
        const abs = v < 0n ? -v : v;
        if (abs >= 1n << 24n) expect(hay.includes(abs.toString(16)), `hex of ${v}`).to.equal(false);
      }
      expect(sent.length).to.be.greaterThan(8);
    });
  });
});
