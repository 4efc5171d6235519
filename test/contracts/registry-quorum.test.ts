// RiskEpochRegistry's k-of-n oracle quorum (issue #10): prices as EIP-712 reports signed by k of
// the n oracles, the median per price, a higher quorum instead of the breaker's delay, the oracle
// set and the quorum changed only behind the timelock, and the gas of a 3-of-5 post.
import { expect } from "chai";
import { Wallet } from "ethers";
import {
  deployRegistry,
  oracleConfig,
  postEpoch,
  postSignedPrices,
  pricesArgs,
  reportDigest,
  signPriceReport,
  type OracleConfig,
  type SignedReport,
} from "../../client/chain.ts";
import { fetchEpoch } from "../../client/epochs.ts";
import { startLocalChain, type LocalChain } from "../../client/local.ts";
import { paramsHash } from "../../prover/encoding.ts";
import type { Params } from "../../prover/types.ts";
import { clone, example } from "../../tools/fixtures.ts";

describe("RiskEpochRegistry oracle quorum: k-of-n EIP-712 reports, median per price (issue #10)", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let ethers: any;
  let admin: any;
  let publisher: any;
  let relayer: any;
  let chainId: bigint;
  // five oracles, sorted by address; a sixth key outside the set
  const oracles = Array.from({ length: 5 }, (_, i) => new Wallet("0x" + (i + 11).toString(16).padStart(64, "0"))).sort((a, b) =>
    BigInt(a.address) < BigInt(b.address) ? -1 : 1,
  );
  const outsider = new Wallet("0x" + (99).toString(16).padStart(64, "0"));

  before(async () => {
    chain = await startLocalChain();
    ethers = chain.ethers;
    [admin, publisher, relayer] = await ethers.getSigners();
    chainId = (await ethers.provider.getNetwork()).chainId;
  });
  after(async () => chain?.close());

  const mine = async (seconds: bigint) => {
    await ethers.provider.send("evm_increaseTime", [Number(seconds)]);
    await ethers.provider.send("evm_mine", []);
  };
  /** a registry with the example as its first epoch, then the five oracles and quorum k (breaker quorum kHigh) */
  const quorumRegistry = async (k: bigint, kHigh: bigint, extra: Partial<OracleConfig> = {}) => {
    const r = (
      await ethers.getContractAt(
        "RiskEpochRegistry",
        await deployRegistry(admin, {
          admin: admin.address,
          publisher: publisher.address,
          maxAge: 3600n,
          oracle: oracleConfig({ timelock: 0n }),
        }),
      )
    ).connect(publisher);
    const p = clone(example().params);
    await postEpoch(r, p);
    await (await r.connect(admin).queueOracles(oracles.map((o) => o.address))).wait();
    await (await r.applyOracles()).wait();
    await (await r.connect(admin).queueConfig({ ...oracleConfig({ timelock: 0n, quorum: k, breakerQuorum: kHigh }), ...extra })).wait();
    await (await r.applyConfig()).wait();
    return { r, p };
  };
  const next = (p: Params, mutate: (x: Params) => void = () => {}) => {
    const x = clone(p);
    x.epochId += 1n;
    mutate(x);
    return x;
  };
  const sign = async (r: any, ws: Wallet[], p: Params | Params[]) => {
    const at = await r.getAddress();
    return Promise.all(ws.map((w, i) => signPriceReport(w, chainId, at, Array.isArray(p) ? p[i] : p)));
  };
  const submit = (r: any, epochId: bigint, reports: SignedReport[]) =>
    r.connect(relayer).postSignedPrices(
      epochId,
      reports.map((x) => x.report),
      reports.map((x) => x.signature),
    );

  it("the digest is computed locally (EIP-712, domain bound to chain id and registry) and equals the registry's", async () => {
    const { r, p } = await quorumRegistry(3n, 5n);
    const q = next(p);
    const local = reportDigest(chainId, await r.getAddress(), q);
    expect(
      await r.reportDigest(q.epochId, { markPrice: q.markets.map((m) => m.markPrice), priceE18: q.collateral.map((c) => c.priceE18) }),
    ).to.equal(local);
    expect(reportDigest(chainId + 1n, await r.getAddress(), q)).to.not.equal(local);
    expect(reportDigest(chainId, relayer.address, q)).to.not.equal(local);
  });

  it("3 of 5 oracles open an epoch (anyone relays); the publisher's postPrices is refused with a quorum", async () => {
    const { r, p } = await quorumRegistry(3n, 5n);
    const q = next(p, (x) => (x.markets[0].markPrice += 1000n));
    await expect(r.postPrices(...pricesArgs(q))).to.be.revertedWithCustomError(r, "QuorumRequired");
    const posted = await postEpoch(r, q, { pricesOnly: true, reports: await sign(r, oracles.slice(1, 4), q) });
    expect(posted.paramsHash).to.equal(String(paramsHash(q)));
    expect(await fetchEpoch(r, q.epochId)).to.deep.equal(q);
  });

  it("each price is the median of the reports: one rogue oracle among three moves nothing", async () => {
    const { r, p } = await quorumRegistry(3n, 5n);
    const honest = (d: bigint) => next(p, (x) => x.markets.forEach((m) => (m.markPrice += m.markPrice > 0n ? d : 0n)));
    const rogue = next(p, (x) => {
      x.markets[0].markPrice *= 20_000n; // the review's drain
      x.collateral[1].priceE18 = 1n;
    });
    const reports = await sign(r, oracles.slice(0, 3), [honest(10n), rogue, honest(30n)]);
    const sorted = [...reports].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
    await (await submit(r, p.epochId + 1n, sorted)).wait();
    // medians: market 0 between the honest 10 and 30 (the rogue is the highest) -> 30; the others: 30 (rogue unchanged: 0, 10, 30 -> 10)
    const got = await fetchEpoch(r, p.epochId + 1n);
    expect(got.markets[0].markPrice).to.equal(p.markets[0].markPrice + 30n);
    expect(got.markets[1].markPrice).to.equal(p.markets[1].markPrice + 10n);
    expect(got.collateral[1].priceE18).to.equal(p.collateral[1].priceE18);
    expect(BigInt(await r.paramsHashOf(got.epochId))).to.equal(paramsHash(got));
  });

  it("refuses: fewer than k reports, an outsider, a repeated or unsorted signer, a report for another epoch, a count mismatch", async () => {
    const { r, p } = await quorumRegistry(3n, 5n);
    const q = next(p);
    const reports = await sign(r, oracles.slice(0, 3), q);
    await expect(submit(r, q.epochId, reports.slice(0, 2)))
      .to.be.revertedWithCustomError(r, "QuorumNotMet")
      .withArgs(2, 3);
    const [out] = await sign(r, [outsider], q);
    await expect(
      submit(
        r,
        q.epochId,
        [reports[0], reports[1], out].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1)),
      ),
    )
      .to.be.revertedWithCustomError(r, "InvalidSigner")
      .withArgs(
        outsider.address,
        BigInt(outsider.address) > BigInt(reports[1].signer) ? 2 : BigInt(outsider.address) > BigInt(reports[0].signer) ? 1 : 0,
      );
    await expect(submit(r, q.epochId, [reports[0], reports[1], reports[1]]))
      .to.be.revertedWithCustomError(r, "InvalidSigner")
      .withArgs(reports[1].signer, 2);
    await expect(submit(r, q.epochId, [reports[1], reports[0], reports[2]]))
      .to.be.revertedWithCustomError(r, "InvalidSigner")
      .withArgs(reports[0].signer, 1);
    const other = await sign(r, oracles.slice(0, 3), { ...q, epochId: q.epochId + 1n });
    await expect(submit(r, q.epochId, other)).to.be.revertedWithCustomError(r, "InvalidSigner");
    await expect(
      r.postSignedPrices(
        q.epochId,
        reports.map((x) => x.report),
        reports.slice(0, 2).map((x) => x.signature),
      ),
    ).to.be.revertedWithCustomError(r, "LengthMismatch");
    await (await submit(r, q.epochId, reports)).wait();
  });

  it("a move beyond the bound: refused with k reports (hold, or) accepted at once with the breaker quorum", async () => {
    const { r, p } = await quorumRegistry(3n, 4n);
    const crash = next(p, (x) => (x.markets[5].markPrice /= 2n));
    await expect(submit(r, crash.epochId, await sign(r, oracles.slice(0, 3), crash))).to.be.revertedWithCustomError(r, "MoveTooLarge");
    await (await submit(r, crash.epochId, await sign(r, oracles.slice(0, 4), crash))).wait();
    expect(BigInt(await r.paramsHashOf(crash.epochId))).to.equal(paramsHash(crash));
  });

  it("the oracle set and the quorum change only behind the timelock; a quorum above the set is refused", async () => {
    const r = (
      await ethers.getContractAt(
        "RiskEpochRegistry",
        await deployRegistry(admin, {
          admin: admin.address,
          publisher: publisher.address,
          maxAge: 3600n,
          oracle: oracleConfig({ timelock: 600n }),
        }),
      )
    ).connect(publisher);
    await expect(r.queueOracles(oracles.map((o) => o.address))).to.be.revertedWithCustomError(r, "NotAdmin");
    await expect(r.connect(admin).queueOracles([oracles[1].address, oracles[0].address]))
      .to.be.revertedWithCustomError(r, "InvalidOracleSet")
      .withArgs(1);
    await (await r.connect(admin).queueOracles(oracles.slice(0, 3).map((o) => o.address))).wait();
    await expect(r.applyOracles()).to.be.revertedWithCustomError(r, "TimelockRunning");
    await (await r.connect(admin).queueConfig(oracleConfig({ timelock: 600n, quorum: 4n }))).wait();
    await mine(600n);
    await (await r.applyOracles()).wait();
    expect(await r.oracles()).to.deep.equal(oracles.slice(0, 3).map((o) => o.address));
    expect(await r.isOracle(oracles[0].address)).to.equal(true);
    await expect(r.applyConfig()).to.be.revertedWithCustomError(r, "InvalidConfig").withArgs(14); // 4 of 3
    await (await r.connect(admin).queueConfig(oracleConfig({ timelock: 600n, quorum: 2n, breakerQuorum: 3n }))).wait();
    await mine(600n);
    await (await r.applyConfig()).wait();
    expect(BigInt((await r.config()).quorum)).to.equal(2n);
    // shrinking the set below the quorum is refused too
    await (await r.connect(admin).queueOracles([oracles[0].address])).wait();
    await mine(600n);
    await expect(r.applyOracles()).to.be.revertedWithCustomError(r, "InvalidConfig");
  });

  it("gas: a 3-of-5 quorum price post for the 8 markets", async () => {
    const { r, p } = await quorumRegistry(3n, 5n);
    const q = next(p, (x) => (x.markets[0].markPrice += 1n));
    const { gasUsed } = await postSignedPrices(r, q.epochId, await sign(r, oracles.slice(0, 3), q));
    process.stderr.write(`      3-of-5 quorum price post (first use of a ring slot): ${gasUsed} gas\n`);
    expect(Number(gasUsed)).to.be.at.most(200_000);
  });
});
