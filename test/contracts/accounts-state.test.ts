// A trader never loses its state (real proofs, Hardhat EDR): every order of events around a
// trade or a transaction leaves a state file that opens the on-chain commitment after sync —
// the counterparty settling first, a bad signature then a good one, a double settle, an RPC
// error after broadcast (mined, or still in the mempool), and a state file restored from a backup
// taken before all of them (sync replays the account's Transition events). Each case reloads the
// trader from its file (as a new process would) and runs a next action. Also: the digest a leg's
// owner signs is computed locally — an RPC lying about tradeDigest, legHash and eip712Domain
// changes nothing, and no raw message is ever signed.
import { expect } from "chai";
import { getBytes, hexlify, type Contract } from "ethers";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitment } from "../../prover/encoding.ts";
import type { Fill } from "../../prover/transition/op.ts";
import type { Params } from "../../prover/types.ts";
import { Trader, settleTrade, type Provers, type TradeLeg } from "../../client/accounts.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { example } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;

/** A contract whose transactions are broadcast, but waiting for them fails (an RPC error after broadcast). */
function failingWait(c: Contract, methods: string[]): Contract {
  return new Proxy(c, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (typeof prop === "string" && methods.includes(prop))
        return async (...args: unknown[]) => {
          const tx = await (v as (...a: unknown[]) => Promise<object>)(...args);
          return new Proxy(tx, {
            get: (t, k) =>
              k === "wait"
                ? async () => {
                    throw new Error("read ECONNRESET (simulated RPC failure after broadcast)");
                  }
                : Reflect.get(t, k, t),
          });
        };
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

describe("a trader never loses its state (real proofs, Hardhat EDR)", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let signers: any[];
  let provers: Provers;
  let alice: Trader;
  let bob: Trader;
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-accounts-state-"));
  const who = { alice: { i: 1, pass: "pass-alice" }, bob: { i: 2, pass: "pass-bob" } };
  let salt = 1n << 200n;
  const fill = (size: bigint): Fill => ({ market: 0, size, price: params.markets[0].markPrice, salt: salt++ });
  /** a leg handed to the other party: its owner's client does not run where it is settled */
  const away = (leg: TradeLeg): TradeLeg => ({ ...leg, trader: undefined });

  /** The trader as a new process sees it: attached from its state file (reconciled with the chain). */
  const reload = async (name: keyof typeof who) =>
    (await Trader.attach(signers[who[name].i], p.accounts, provers, join(dir, `${name}.state`), who[name].pass)).trader;

  /** The state file opens the on-chain commitment at the on-chain nonce. */
  const opensOnChain = async (t: Trader) => {
    const a = await p.accounts.accounts(t.address);
    expect(commitment(t.portfolio), "commitment").to.equal(BigInt(a.commitment));
    expect(t.store.state.current.commitment).to.equal(BigInt(a.commitment));
    expect(t.store.state.current.nonce, "nonce").to.equal(Number(a.nonce));
  };

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n });
    signers = await p.ethers.getSigners();
    params = { ...example().params, epochId: 100n };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    provers = { margin: await prover(), transition: await transitionProver() };
    alice = await reload("alice");
    bob = await reload("bob");
    for (const t of [alice, bob]) {
      await (await p.tokens[0].mint(t.address, 1_000_000n * E6)).wait();
      await t.deposit(0, 200_000n * E6, params);
    }
    copyFileSync(join(dir, "alice.state"), join(dir, "alice.backup")); // the last test restores it
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the counterparty settles first: my own trade fails, my state opens the commitment after sync, and I withdraw", async () => {
    const size = alice.portfolio.sizes[0];
    const f = fill(10n);
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    await settleTrade(sell, away(buy), params.epochId); // bob settles; alice's client is elsewhere
    await expectRejection(settleTrade(buy, away(sell), params.epochId), /FillAlreadySettled/);
    alice = await reload("alice");
    await opensOnChain(alice);
    expect(alice.portfolio.sizes[0]).to.equal(size + 10n);
    expect(alice.store.state.pending).to.deep.equal([]);
    await alice.withdraw(0, 1n * E6, params);
    await opensOnChain(alice);
    await alice.proveMargin(params);
  });

  it("the signed digest is computed locally: an RPC lying about tradeDigest, legHash and eip712Domain changes nothing; nothing is signed as a raw message", async () => {
    const provider = p.ethers.provider as any;
    const realCall = provider.call;
    const lie = new Set(["tradeDigest", "legHash", "eip712Domain"].map((f) => p.accounts.interface.getFunction(f)!.selector));
    let calls = 0;
    const asked: string[] = [];
    provider.call = async (tx: { data?: string }) => {
      calls++;
      const selector = String(tx.data ?? "").slice(0, 10);
      if (lie.has(selector)) {
        asked.push(selector);
        return `0x${"ee".repeat(32)}`.padEnd(2 + 64 * 8, "0"); // a digest, a hash or a domain of someone else's choosing
      }
      return realCall.call(provider, tx);
    };
    const raw = [alice, bob].map((t) => {
      const s = t.signer as any;
      const original = s.signMessage;
      s.signMessage = async () => {
        throw new Error("a raw (EIP-191) message was signed");
      };
      return () => (s.signMessage = original);
    });
    const [sa, sb] = [alice.portfolio.sizes[0], bob.portfolio.sizes[0]];
    try {
      const f = fill(5n);
      const buy = await alice.tradeLeg(f, "buy", params, bob.address);
      const sell = await bob.tradeLeg(f, "sell", params, alice.address);
      await settleTrade(buy, away(sell), params.epochId); // the contract checks bob's signature against its own digest
    } finally {
      provider.call = realCall;
      for (const restore of raw) restore();
    }
    expect(calls, "the RPC's eth_calls were intercepted").to.be.greaterThan(0);
    expect(asked, "no digest, leg hash or domain asked of the RPC").to.deep.equal([]);
    bob = await reload("bob");
    alice = await reload("alice");
    for (const t of [alice, bob]) await opensOnChain(t);
    expect([alice.portfolio.sizes[0], bob.portfolio.sizes[0]]).to.deep.equal([sa + 5n, sb - 5n]);
  });

  it("a bad signature from the counterparty, which then settles with a good one: my leg's state is kept and promoted", async () => {
    const size = alice.portfolio.sizes[0];
    const f = fill(7n);
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    const bad = getBytes(sell.signature);
    bad[10] ^= 0xff;
    await expectRejection(settleTrade(buy, { ...away(sell), signature: hexlify(bad) }, params.epochId), /InvalidSignature/);
    // my leg is signed and in bob's hands: its state must survive my failure
    expect(alice.store.state.pending.map((s) => s.commitment)).to.include(buy.pending);
    await settleTrade(sell, away(buy), params.epochId);
    alice = await reload("alice");
    await opensOnChain(alice);
    expect(alice.portfolio.sizes[0]).to.equal(size + 7n);
    await alice.settle(0, 1n, params);
    await opensOnChain(alice);
  });

  it("a double settle: the second submission fails and both states open the commitment", async () => {
    const [sa, sb] = [alice.portfolio.sizes[0], bob.portfolio.sizes[0]];
    const f = fill(3n);
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    await settleTrade(buy, away(sell), params.epochId);
    await expectRejection(settleTrade(sell, away(buy), params.epochId), /FillAlreadySettled/);
    await expectRejection(settleTrade(buy, away(sell), params.epochId), /FillAlreadySettled/); // the same sender again
    alice = await reload("alice");
    bob = await reload("bob");
    for (const t of [alice, bob]) await opensOnChain(t);
    expect([alice.portfolio.sizes[0], bob.portfolio.sizes[0]]).to.deep.equal([sa + 3n, sb - 3n]);
    await bob.deposit(0, 1n * E6, params);
    await opensOnChain(bob);
  });

  it("a leg whose nonce the account moved past is pruned, and can no longer be settled", async () => {
    const f = fill(2n);
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    await alice.deposit(0, 1n * E6, params); // the same nonce, another commitment: the leg is dead
    expect(alice.store.state.pending.map((s) => s.commitment)).to.not.include(buy.pending);
    await expectRejection(settleTrade(sell, away(buy), params.epochId), /InvalidProof|InvalidSignature/);
    await expectRejection(settleTrade(buy, away(sell), params.epochId), /not in the sender's state file/);
    await opensOnChain(await reload("alice"));
    bob = await reload("bob");
    await opensOnChain(bob);
  });

  it("an RPC error after broadcast (mined, waiting failed): the pending state is kept and sync promotes it", async () => {
    const before = alice.portfolio.collateral[0];
    const real = alice.accounts;
    (alice as any).accounts = failingWait(real, ["deposit"]);
    await expectRejection(alice.deposit(0, 5n * E6, params), /ECONNRESET/);
    (alice as any).accounts = real;
    alice = await reload("alice");
    await opensOnChain(alice);
    expect(alice.portfolio.collateral[0]).to.equal(before + 5n * E6);

    // the same for a trade sent by bob: both legs' owners recover
    const [sa, sb] = [alice.portfolio.sizes[0], bob.portfolio.sizes[0]];
    const f = fill(4n);
    const buy = await alice.tradeLeg(f, "buy", params, bob.address);
    const sell = await bob.tradeLeg(f, "sell", params, alice.address);
    const bobs = bob.accounts;
    (bob as any).accounts = failingWait(bobs, ["trade"]);
    await expectRejection(settleTrade(sell, away(buy), params.epochId), /ECONNRESET/);
    (bob as any).accounts = bobs;
    alice = await reload("alice");
    bob = await reload("bob");
    for (const t of [alice, bob]) await opensOnChain(t);
    expect([alice.portfolio.sizes[0], bob.portfolio.sizes[0]]).to.deep.equal([sa + 4n, sb - 4n]);
  });

  it("an RPC error after broadcast, not yet mined: sync keeps the pending state, then promotes it once mined", async () => {
    const before = alice.portfolio.collateral[0];
    const real = alice.accounts;
    await p.ethers.provider.send("evm_setAutomine", [false]);
    try {
      (alice as any).accounts = failingWait(real, ["withdraw"]);
      await expectRejection(alice.withdraw(0, 2n * E6, params), /ECONNRESET/);
      (alice as any).accounts = real;
      alice = await reload("alice"); // in the mempool: the chain still has the current state
      expect(alice.portfolio.collateral[0]).to.equal(before);
      expect(alice.store.state.pending).to.have.length(1);
      expect(alice.store.state.pending[0].txHash).to.match(/^0x[0-9a-f]{64}$/);
      await p.ethers.provider.send("evm_mine", []);
    } finally {
      (alice as any).accounts = real;
      await p.ethers.provider.send("evm_setAutomine", [true]);
    }
    alice = await reload("alice");
    await opensOnChain(alice);
    expect(alice.portfolio.collateral[0]).to.equal(before - 2n * E6);
    expect(alice.store.state.pending).to.deep.equal([]);
    await alice.proveMargin(params);
  });

  it("a transaction refused before broadcast (a revert in simulation) drops its pending state", async () => {
    // two posts later, the old epoch is outside the in-flight window: the node refuses it
    const old = params;
    for (const d of [1n, 2n]) {
      params = { ...structuredClone(old), epochId: old.epochId + d };
      await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: true });
    }
    await expectRejection(alice.withdraw(0, 1n * E6, old), /NotLatestEpoch/);
    expect(alice.store.state.pending).to.deep.equal([]);
    alice = await reload("alice");
    await opensOnChain(alice);
    await alice.withdraw(0, 1n * E6, params);
    await opensOnChain(alice);
  });

  it("a state file restored from a backup taken before all of the above: sync replays the account's Transition events and the next action works", async () => {
    const n = Number((await p.accounts.accounts(alice.address)).nonce);
    copyFileSync(join(dir, "alice.backup"), join(dir, "alice.state"));
    alice = await reload("alice"); // attach syncs: no kept state opens the commitment, the replay does
    await opensOnChain(alice);
    expect(alice.store.state.current.nonce).to.equal(n);
    expect(alice.store.state.current.label).to.match(/^replayed/);
    await alice.deposit(0, 1n * E6, params);
    await opensOnChain(await reload("alice"));
    // no state file at all: refused naming --state, and no new (useless) file is created
    const fresh = join(dir, "fresh.state");
    await expectRejection(
      Trader.attach(signers[who.alice.i], p.accounts, provers, fresh, who.alice.pass),
      /--state.*does not exist.*restore/,
    );
    expect(existsSync(fresh)).to.equal(false);
  });
});
