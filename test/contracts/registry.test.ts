// RiskEpochRegistry: on-chain paramsHash equals the circuit's and the TypeScript reference's;
// every bound of the model is enforced; roles, ordering, freshness and gas.
import { expect } from "chai";
import fc from "fast-check";
import { fundingHash, paramsHash, riskHash, slowHash } from "../../prover/encoding.ts";
import { poseidon } from "../../prover/hash.ts";
import { solidityCalldata } from "../../prover/prover.ts";
import {
  deployRegistry,
  fundingArg,
  oracleConfig,
  postEpoch as postEpochResult,
  pricesArgs,
  riskParamsArg,
  verifyOnChain,
} from "../../client/chain.ts";
import { startLocalChain, type LocalChain } from "../../client/local.ts";

const postEpoch = async (registry: any, p: Params): Promise<bigint> => BigInt((await postEpochResult(registry, p)).paramsHash);
import { arbParams, clone, example } from "../../tools/fixtures.ts";
import { prover } from "../helpers.ts";
import type { Params } from "../../prover/types.ts";

describe("RiskEpochRegistry (on-chain epochs and paramsHash)", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let ethers: any;
  let registry: any;
  let admin: any;
  let publisher: any;
  let stranger: any;
  const MAX_AGE = 3600n;
  const field = (name: string) =>
    [
      "MaxLeverageBps",
      "MaintenanceRateBps",
      "InitialRateBps",
      "ImpactBps",
      "Depth",
      "PositionCap",
      "HaircutBps",
      "Shock",
      "FundingIndex",
      "EpochId",
      "PriceE18",
    ].indexOf(name);

  before(async () => {
    chain = await startLocalChain();
    ethers = chain.ethers;
    [admin, publisher, stranger] = await ethers.getSigners();
    registry = (
      await ethers.getContractAt(
        "RiskEpochRegistry",
        await deployRegistry(admin, { admin: admin.address, publisher: publisher.address, maxAge: MAX_AGE }),
      )
    ).connect(publisher);
  });
  after(async () => chain?.close());
  const newRegistry = async () =>
    (
      await ethers.getContractAt(
        "RiskEpochRegistry",
        await deployRegistry(admin, { admin: admin.address, publisher: publisher.address, maxAge: MAX_AGE }),
      )
    ).connect(publisher);
  /** a price post whose mark prices differ a little per k, so that each epoch has its own paramsHash */
  const postPricesOnly = (r: any, p: Params, k: number) => {
    const q = clone(p);
    q.markets[0].markPrice += BigInt(k);
    return r.postPrices(...pricesArgs(q));
  };

  it("computes riskHash, fundingHash, slowHash and paramsHash exactly as the prover (example epoch)", async () => {
    const { params } = example();
    const h = await postEpoch(registry, params);
    expect(BigInt(await registry.riskHash())).to.equal(riskHash(params));
    expect(BigInt(await registry.fundingHash())).to.equal(fundingHash(params));
    expect(BigInt(await registry.slowHash())).to.equal(slowHash(params));
    expect(h).to.equal(paramsHash(params));
  });

  it("matches the prover on random valid epochs (extremes included)", async () => {
    // each on its own registry: the first epoch's risk parameters take effect at once and its prices have no bound
    const samples = fc.sample(arbParams, { seed: 7, numRuns: 6 });
    let epochId = 1000n;
    for (const p0 of samples) {
      const p: Params = { ...p0, epochId: epochId++ };
      p.scenarios[0][0] = -10000n;
      p.markets[0].fundingIndex = -(2n ** 63n - 1n);
      p.collateral[0] = { priceE18: 10n ** 18n, haircutBps: 0n }; // asset 0 settles at par
      expect(await postEpoch(await newRegistry(), p)).to.equal(paramsHash(p));
    }
  });

  it("a proof for the posted epoch verifies through the wrapper with the on-chain paramsHash", async () => {
    const { params, portfolio } = example();
    const p = { ...clone(params), epochId: BigInt(await registry.latestEpochId()) + 1n };
    const onChain = await postEpoch(registry, p);
    const proof = await (await prover()).prove(p, portfolio, "maintenance", 77n);
    expect(proof.publicSignals[1]).to.equal(onChain.toString());
    expect(BigInt(await registry.freshParamsHash(p.epochId))).to.equal(onChain);
    expect((await verifyOnChain(chain, await solidityCalldata(proof))).valid).to.equal(true);
  });

  describe("validation: every bound of the model reverts with InvalidParameter(field, index)", () => {
    const risk = () => riskParamsArg(example().params);
    const cases: Array<[string, (r: any) => void, string, number]> = [
      ["maintenance > initial", (r) => (r.markets[3].maintenanceRateBps = r.markets[3].initialRateBps + 1n), "MaintenanceRateBps", 3],
      [
        "initial > 10000",
        (r) => {
          r.markets[2].initialRateBps = 10001n;
        },
        "InitialRateBps",
        2,
      ],
      ["impact > 10000", (r) => (r.markets[1].impactBps = 10001n), "ImpactBps", 1],
      ["depth = 0", (r) => (r.markets[6].depth = 0n), "Depth", 6],
      ["haircut > 10000", (r) => (r.haircutBps[2] = 10001n), "HaircutBps", 2],
      ["a haircut on the settlement asset 0", (r) => (r.haircutBps[0] = 1n), "HaircutBps", 0],
      ["shock > 10000", (r) => (r.shocks[4][1] = 10001n), "Shock", 4 * 8 + 1],
      ["shock < -10000", (r) => (r.shocks[15][7] = -10001n), "Shock", 15 * 8 + 7],
    ];
    for (const [name, mutate, f, index] of cases) {
      it(name, async () => {
        const r = risk();
        mutate(r);
        await expect(registry.postRisk(r)).to.be.revertedWithCustomError(registry, "InvalidParameter").withArgs(field(f), index);
      });
    }
    it("fundingIndex = -2^63", async () => {
      const f = fundingArg(example().params);
      f[5] = -(2n ** 63n);
      await expect(registry.postFunding(f)).to.be.revertedWithCustomError(registry, "InvalidParameter").withArgs(field("FundingIndex"), 5);
    });
    it("values wider than their type are rejected by the ABI decoder (markPrice = 2^48)", async () => {
      const { params } = example();
      const data: string = registry.interface.encodeFunctionData("postPrices", pricesArgs({ ...params, epochId: 9_000_000n }));
      // markPrice[0] is the second argument word: set bit 48
      const word = 4 + 32;
      const bytes = ethers.getBytes(data);
      bytes[word + 32 - 7] |= 0x01;
      await expect(publisher.sendTransaction({ to: await registry.getAddress(), data: ethers.hexlify(bytes) })).to.be.revert(ethers);
    });
  });

  describe("roles, ordering, freshness", () => {
    it("only publishers post, only the admin configures", async () => {
      const { params } = example();
      await expect(registry.connect(stranger).postPrices(...pricesArgs({ ...params, epochId: 10_000n })))
        .to.be.revertedWithCustomError(registry, "NotPublisher")
        .withArgs(stranger.address);
      await expect(registry.connect(stranger).postRisk(riskParamsArg(params))).to.be.revertedWithCustomError(registry, "NotPublisher");
      await expect(registry.connect(publisher).queueMaxAge(1n)).to.be.revertedWithCustomError(registry, "NotAdmin");
      await expect(registry.connect(stranger).queuePublisher(stranger.address)).to.be.revertedWithCustomError(registry, "NotAdmin");
      await expect(registry.connect(publisher).removePublisher(publisher.address)).to.be.revertedWithCustomError(registry, "NotAdmin");
    });

    it("epoch ids strictly increase", async () => {
      const latest = BigInt(await registry.latestEpochId());
      await expect(registry.postPrices(...pricesArgs({ ...example().params, epochId: latest })))
        .to.be.revertedWithCustomError(registry, "EpochNotIncreasing")
        .withArgs(latest, latest);
    });

    it("epoch ids advance by exactly one: 2^64-1 and any jump are refused, so the registry cannot be bricked (issue #10)", async () => {
      const { params } = example();
      const latest = BigInt(await registry.latestEpochId());
      for (const id of [2n ** 64n - 1n, latest + 2n, latest + 256n, latest + 257n]) {
        await expect(registry.postPrices(...pricesArgs({ ...params, epochId: id })))
          .to.be.revertedWithCustomError(registry, "EpochNotNext")
          .withArgs(id, latest + 1n);
      }
      await (await registry.postPrices(...pricesArgs({ ...params, epochId: latest + 1n }))).wait();
      expect(BigInt(await registry.latestEpochId())).to.equal(latest + 1n);
    });

    it("the first epoch id is any id in [1, 2^32): 0, 2^32 and 2^64-1 are refused", async () => {
      const fresh = await newRegistry();
      const { params } = example();
      await (await fresh.postRisk(riskParamsArg(params))).wait();
      await (await fresh.postFunding(fundingArg(params))).wait();
      await expect(fresh.postPrices(...pricesArgs({ ...params, epochId: 0n })))
        .to.be.revertedWithCustomError(fresh, "EpochNotIncreasing")
        .withArgs(0n, 0n);
      for (const id of [2n ** 32n, 2n ** 64n - 1n]) {
        await expect(fresh.postPrices(...pricesArgs({ ...params, epochId: id })))
          .to.be.revertedWithCustomError(fresh, "InvalidParameter")
          .withArgs(field("EpochId"), 0);
      }
      await (await fresh.postPrices(...pricesArgs({ ...params, epochId: 2n ** 32n - 1n }))).wait();
      await expect(fresh.postPrices(...pricesArgs({ ...params, epochId: 2n ** 32n + 1n })))
        .to.be.revertedWithCustomError(fresh, "EpochNotNext")
        .withArgs(2n ** 32n + 1n, 2n ** 32n);
      await (await fresh.postPrices(...pricesArgs({ ...params, epochId: 2n ** 32n }))).wait();
      expect(BigInt(await fresh.latestEpochId())).to.equal(2n ** 32n);
    });

    it("asset 0 is the settlement asset: priceE18[0] must be 1e18", async () => {
      const latest = BigInt(await registry.latestEpochId());
      const p = clone(example().params);
      p.epochId = latest + 1n;
      p.collateral[0].priceE18 = 10n ** 18n + 1n;
      await expect(registry.postPrices(...pricesArgs(p)))
        .to.be.revertedWithCustomError(registry, "InvalidParameter")
        .withArgs(field("PriceE18"), 0);
    });

    it("prices need risk parameters and funding first", async () => {
      const fresh = await newRegistry();
      const { params } = example();
      await expect(fresh.postPrices(...pricesArgs(params))).to.be.revertedWithCustomError(fresh, "RiskNotPosted");
      await (await fresh.postRisk(riskParamsArg(params))).wait();
      await expect(fresh.postPrices(...pricesArgs(params))).to.be.revertedWithCustomError(fresh, "FundingNotPosted");
    });

    it("an epoch older than maxAge is stale; an unknown or overwritten one is unknown", async () => {
      const { params } = example();
      const id = BigInt(await registry.latestEpochId()) + 1n;
      await (await registry.postPrices(...pricesArgs({ ...params, epochId: id }))).wait();
      expect(BigInt(await registry.freshParamsHash(id))).to.be.greaterThan(0n);
      await ethers.provider.send("evm_increaseTime", [Number(MAX_AGE) + 1]);
      await ethers.provider.send("evm_mine", []);
      await expect(registry.freshParamsHash(id)).to.be.revertedWithCustomError(registry, "StaleEpoch");
      await expect(registry.paramsHashOf(id + 7n)).to.be.revertedWithCustomError(registry, "UnknownEpoch");
      // the ring keeps exactly the latest 256 epochs: each slot is overwritten by the epoch 256 ids later only
      const hashes = new Map<bigint, bigint>();
      hashes.set(id, BigInt(await registry.paramsHashOf(id)));
      for (let k = 1n; k <= 256n; k++) {
        await (await postPricesOnly(registry, { ...params, epochId: id + k }, Number(k))).wait();
        hashes.set(id + k, BigInt(await registry.paramsHashOf(id + k)));
        if (k % 64n === 0n || k >= 255n) {
          for (const [e, h] of hashes) {
            if (e > id + k - 256n) expect(BigInt(await registry.paramsHashOf(e))).to.equal(h);
            else await expect(registry.paramsHashOf(e)).to.be.revertedWithCustomError(registry, "UnknownEpoch").withArgs(e);
          }
        }
      }
      await expect(registry.paramsHashOf(id)).to.be.revertedWithCustomError(registry, "UnknownEpoch").withArgs(id);
      expect(BigInt(await registry.freshParamsHash(id + 256n))).to.be.greaterThan(0n);
    });
  });

  describe("fresh-oracle clock (margin-call deadlines run on it)", () => {
    it("counts only the seconds the latest epoch is fresh; a maxAge change counts from its apply on, never retroactively", async () => {
      // a 50 s timelock: maxAge changes are queued, then applied at eta
      const oracle = oracleConfig({ timelock: 50n });
      const r = (
        await ethers.getContractAt(
          "RiskEpochRegistry",
          await deployRegistry(admin, { admin: admin.address, publisher: publisher.address, maxAge: 100n, oracle }),
        )
      ).connect(publisher);
      const { params } = example();
      expect(BigInt(await r.freshClock())).to.equal(0n);
      await postEpoch(r, { ...params, epochId: 1n }); // risk, funding and the first price post
      const t0 = BigInt((await ethers.provider.getBlock("latest")).timestamp) + 10n;
      const at = async (dt: bigint) => {
        await ethers.provider.send("evm_mine", [Number(t0 + dt)]);
        return BigInt(await r.freshClock());
      };
      const exec = async (dt: bigint, f: () => Promise<any>) => {
        await ethers.provider.send("evm_setNextBlockTimestamp", [Number(t0 + dt)]);
        await (await f()).wait();
      };
      await exec(0n, () => r.postPrices(...pricesArgs({ ...params, epochId: 2n })));
      const c0 = BigInt(await r.freshClock());
      expect(await at(40n)).to.equal(c0 + 40n);
      expect(await at(100n)).to.equal(c0 + 100n); // fresh up to and including maxAge
      expect(await at(250n)).to.equal(c0 + 100n); // stale: the clock stops
      await exec(300n, () => r.postPrices(...pricesArgs({ ...params, epochId: 3n })));
      expect(BigInt(await r.freshClock())).to.equal(c0 + 100n);
      // queueing changes nothing until eta: the epoch posted at 300 is fresh under maxAge 100
      await exec(310n, () => r.connect(admin).queueMaxAge(20n));
      expect(await at(350n)).to.equal(c0 + 150n);
      await r.latestFresh();
      // applying the lower maxAge at eta (360) makes the epoch stale at once: the clock stops at 360
      await exec(360n, () => r.connect(stranger).applyMaxAge());
      expect(BigInt(await r.maxAge())).to.equal(20n);
      expect(await at(400n)).to.equal(c0 + 160n);
      await expect(r.latestFresh()).to.be.revertedWithCustomError(r, "StaleEpoch");
      // raising it again: queued at 410, still stale under maxAge 20 until applied at 460; fresh
      // from then on, the stale seconds 360..460 are never counted
      await exec(410n, () => r.connect(admin).queueMaxAge(1000n));
      expect(await at(450n)).to.equal(c0 + 160n);
      await expect(r.latestFresh()).to.be.revertedWithCustomError(r, "StaleEpoch");
      await exec(460n, () => r.applyMaxAge());
      expect(await at(470n)).to.equal(c0 + 170n);
      await r.latestFresh();
    });
  });

  it("a price-only post stays within the 150k gas target (first use of a ring slot and warm)", async () => {
    const { params } = example();
    const fresh = await newRegistry();
    await postEpoch(fresh, { ...params, epochId: 1n });
    const first = await (await fresh.postPrices(...pricesArgs({ ...params, epochId: 2n }))).wait();
    for (let k = 3n; k < 258n; k++) await (await fresh.postPrices(...pricesArgs({ ...params, epochId: k }))).wait();
    const warm = await (await fresh.postPrices(...pricesArgs({ ...params, epochId: 258n }))).wait(); // epoch 2's slot
    expect(first.gasUsed <= 150_000n, `first use ${first.gasUsed}`).to.equal(true);
    expect(warm.gasUsed <= 150_000n, `warm ${warm.gasUsed}`).to.equal(true);
  });

  it("the optimized Poseidon(5) equals the prover's Poseidon on edge inputs", async () => {
    const h = await ethers.getContractAt("PoseidonT6Opt", await registry.poseidon5());
    const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    for (const xs of [
      [0n, 0n, 0n, 0n, 0n],
      [1n, 2n, 3n, 4n, 5n],
      [R - 1n, R - 2n, 2n ** 252n, 2n ** 253n - 1n, 7n],
    ]) {
      expect(BigInt(await h.hash(xs))).to.equal(poseidon(xs));
    }
  });

  it("the wrapper reverts with PublicInputNotInField and InvalidProof", async () => {
    const { params, portfolio } = example();
    const proof = await (await prover()).prove(params, portfolio, "initial", 1n);
    const cd = await solidityCalldata(proof);
    const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const high = { ...cd, publicSignals: [...cd.publicSignals] };
    high.publicSignals[2] = "0x" + (R + 1n).toString(16);
    await expect(chain.wrapper.verify(high.a, high.b, high.c, high.publicSignals))
      .to.be.revertedWithCustomError(chain.wrapper, "PublicInputNotInField")
      .withArgs(2, R + 1n);
    const wrong = { ...cd, publicSignals: [...cd.publicSignals] };
    wrong.publicSignals[3] = "0x2";
    await expect(chain.wrapper.verify(wrong.a, wrong.b, wrong.c, wrong.publicSignals)).to.be.revertedWithCustomError(
      chain.wrapper,
      "InvalidProof",
    );
  });
});
