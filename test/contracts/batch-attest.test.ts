// Batched attestations in the clearinghouse (issue #12): proveMarginBatch checks n margin proofs
// in one call through the batch verifier. A watchtower answers a margin call for all its clients
// at once; one bad proof rejects the batch; a repeated or unsorted account, a sender that may not
// attest for one of the accounts, a stale epoch and mismatched lengths are refused; proofs for
// different fresh epochs mix in one batch. Real proofs on Hardhat EDR.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fill } from "../../prover/transition/op.ts";
import type { Params } from "../../prover/types.ts";
import { Trader, settleTrade } from "../../client/accounts.ts";
import { prepareBatch, sendBatch, type BatchCall } from "../../client/batch.ts";
import { postEpoch } from "../../client/chain.ts";
import { startLocalProtocol, type LocalProtocol } from "../../client/local.ts";
import { clone, example } from "../../tools/fixtures.ts";
import { expectRejection, prover, transitionProver } from "../helpers.ts";

const E6 = 10n ** 6n;
const PAIRS = 3;

describe("proveMarginBatch: one call attests many accounts", function () {
  this.timeout(900_000);
  let p: LocalProtocol;
  let params: Params;
  let epoch = 900n;
  let signers: any[];
  let watch: any;
  const traders: Trader[] = [];
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-batch-"));
  let margin: Awaited<ReturnType<typeof prover>>;

  const post = async () => {
    const x = clone(params);
    x.epochId = ++epoch;
    await postEpoch(p.registry.connect(signers[0]), x, { pricesOnly: true });
    params = x;
  };
  const items = (ts: Trader[], x?: Params) => ts.map((t) => ({ account: t.address, portfolio: t.portfolio, params: x }));
  const asWatch = () => p.accounts.connect(watch);

  before(async () => {
    p = await startLocalProtocol({ maxAge: 3600n, gracePeriod: 600n });
    signers = await p.ethers.getSigners();
    watch = signers[9];
    params = { ...example().params, epochId: epoch };
    await postEpoch(p.registry.connect(signers[0]), params, { pricesOnly: false });
    margin = await prover();
    const provers = { margin, transition: await transitionProver() };
    for (let i = 0; i < 2 * PAIRS; i++) {
      const t = (await Trader.attach(signers[1 + i], p.accounts, provers, join(dir, `t${i}.state`), `pass-${i}`)).trader;
      await (await p.tokens[0].mint(t.address, 1_000_000n * E6)).wait();
      await t.deposit(0, 200_000n * E6, params);
      await (await p.accounts.connect(signers[1 + i]).setWatchtower(watch.address)).wait();
      traders.push(t);
    }
    for (let k = 0; k < PAIRS; k++) {
      const [buyer, seller] = [traders[2 * k], traders[2 * k + 1]];
      const fill: Fill = { market: k, size: 10n + BigInt(k), price: params.markets[k].markPrice, salt: 1000n + BigInt(k) };
      await settleTrade(
        await buyer.tradeLeg(fill, "buy", params, seller.address),
        await seller.tradeLeg(fill, "sell", params, buyer.address),
        epoch,
      );
    }
  });
  after(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a watchtower answers a margin call for all its clients in one call", async () => {
    await post();
    await (await p.accounts.connect(signers[0]).marginCall()).wait();
    for (const t of traders) expect((await p.accounts.pendingMarginCall(t.address)).pending).to.equal(true);
    const call = await prepareBatch(asWatch(), margin, items(traders), params);
    const sent = await sendBatch(asWatch(), call);
    for (const t of traders) {
      expect((await p.accounts.pendingMarginCall(t.address)).pending).to.equal(false);
      expect(BigInt((await p.accounts.accounts(t.address)).lastAttestedEpoch)).to.equal(params.epochId);
    }
    const block = (await p.ethers.provider.getTransactionReceipt(sent.txHash))!.blockNumber;
    const events = await p.accounts.queryFilter(p.accounts.filters.MarginAttested(), block, block);
    expect(events.length).to.equal(traders.length);
    process.stdout.write(
      `      proveMarginBatch n=${traders.length}: ${sent.gasUsed} gas, ${sent.gasUsed / BigInt(traders.length)} per account\n`,
    );
    expect(sent.gasUsed / BigInt(traders.length) < 259_000n).to.equal(true);
  });

  it("one bad proof rejects the whole batch; nothing is attested", async () => {
    await post();
    const call = await prepareBatch(asWatch(), margin, items(traders), params);
    // proof 2 swapped with proof 3: each is a valid proof, of another account's statement
    const swapped: BatchCall = { ...call, proofs: [...call.proofs] };
    [swapped.proofs[2], swapped.proofs[3]] = [swapped.proofs[3], swapped.proofs[2]];
    await expect(asWatch().proveMarginBatch(swapped.accounts, swapped.epochIds, swapped.proofs)).to.be.revertedWithCustomError(
      p.accounts,
      "InvalidProof",
    );
    // a corrupted coordinate
    const corrupted: BatchCall = { ...call, proofs: call.proofs.map((x) => [...x] as typeof x) };
    corrupted.proofs[0][6] += 1n;
    await expect(asWatch().proveMarginBatch(corrupted.accounts, corrupted.epochIds, corrupted.proofs)).to.be.revertedWithCustomError(
      p.accounts,
      "InvalidProof",
    );
    for (const t of traders) expect(BigInt((await p.accounts.accounts(t.address)).lastAttestedEpoch)).to.equal(params.epochId - 1n);
    // the honest batch still goes through
    await sendBatch(asWatch(), call);
    for (const t of traders) expect(BigInt((await p.accounts.accounts(t.address)).lastAttestedEpoch)).to.equal(params.epochId);
  });

  it("refuses a repeated or unsorted account, mismatched lengths, a sender that may not attest, a stale epoch", async () => {
    await post();
    const call = await prepareBatch(asWatch(), margin, items(traders.slice(0, 3)), params);
    const { accounts, epochIds, proofs } = call;
    await expect(asWatch().proveMarginBatch([accounts[0], accounts[0]], [epochIds[0], epochIds[0]], [proofs[0], proofs[0]]))
      .to.be.revertedWithCustomError(p.accounts, "BatchNotSorted")
      .withArgs(1);
    await expect(asWatch().proveMarginBatch([accounts[1], accounts[0]], [epochIds[1], epochIds[0]], [proofs[1], proofs[0]]))
      .to.be.revertedWithCustomError(p.accounts, "BatchNotSorted")
      .withArgs(1);
    await expect(asWatch().proveMarginBatch(accounts, epochIds.slice(1), proofs)).to.be.revertedWithCustomError(
      p.accounts,
      "BatchLengthMismatch",
    );
    // an account's owner may attest for itself, not for the others of the batch
    const owner = traders.find((t) => t.address === accounts[0])!;
    await expect(p.accounts.connect(owner.signer).proveMarginBatch(accounts, epochIds, proofs)).to.be.revertedWithCustomError(
      p.accounts,
      "NotAuthorized",
    );
    await expectRejection(prepareBatch(asWatch(), margin, [...items(traders.slice(0, 2)), ...items(traders.slice(0, 1))], params), /twice/);
    await p.ethers.provider.send("evm_increaseTime", [3601]);
    await p.ethers.provider.send("evm_mine", []);
    await expect(asWatch().proveMarginBatch(accounts, epochIds, proofs)).to.be.revertedWithCustomError(p.registry, "StaleEpoch");
    await post();
  });

  it("mixes proofs for different fresh epochs in one batch", async () => {
    const older = params;
    await post();
    const call = await prepareBatch(asWatch(), margin, [...items(traders.slice(0, 2), older), ...items(traders.slice(2, 4))], params);
    await sendBatch(asWatch(), call);
    for (let i = 0; i < 4; i++) {
      const a = await p.accounts.accounts(traders[i].address);
      expect(BigInt(a.lastAttestedEpoch) >= older.epochId).to.equal(true);
    }
    expect(new Set(call.epochIds.map(String)).size).to.equal(2);
  });
});
