// Epochs from the chain: every registry post carries its hashed data in an event, and
// client/epochs.ts rebuilds an epoch's Params from the logs alone, checked against paramsHashOf.
import { expect } from "chai";
import fc from "fast-check";
import { deployRegistry, fundingArg, oracleConfig, postEpoch, pricesArgs, riskParamsArg, type OracleConfig } from "../../client/chain.ts";
import { EpochError, decodePriceWords, fetchEpoch, latestFreshEpoch, unpackWords } from "../../client/epochs.ts";
import { startLocalChain, type LocalChain } from "../../client/local.ts";
import { paramsHash, priceWords } from "../../prover/encoding.ts";
import type { Params } from "../../prover/types.ts";
import { arbParams, clone, example } from "../../tools/fixtures.ts";

describe("Epochs from the chain (client/epochs.ts)", function () {
  this.timeout(600_000);
  const MAX_AGE = 3600n;
  let chain: LocalChain;
  let ethers: any;
  let admin: any;
  let publisher: any;
  let registry: any;
  const posted = new Map<bigint, Params>();

  // timelock 0: risk parameters posted after the first epoch are queued and taken up by the next price post
  const newRegistry = async (oracle: OracleConfig = oracleConfig({ timelock: 0n })) =>
    (
      await ethers.getContractAt(
        "RiskEpochRegistry",
        await deployRegistry(admin, { admin: admin.address, publisher: publisher.address, maxAge: MAX_AGE, oracle }),
      )
    ).connect(publisher);
  const expectEpoch = async (p: Params, opts = {}, r = registry) => {
    const got = await fetchEpoch(r, p.epochId, opts);
    expect(got).to.deep.equal(p);
    expect(paramsHash(got)).to.equal(BigInt(await r.paramsHashOf(p.epochId)));
  };
  const mine = async (seconds: number) => {
    await ethers.provider.send("evm_increaseTime", [seconds]);
    await ethers.provider.send("evm_mine", []);
  };
  const rejects = async (f: Promise<unknown>, pattern: RegExp) => {
    const e = await f.then(
      () => null,
      (x: unknown) => x,
    );
    expect(e, "expected a rejection").to.be.instanceOf(EpochError);
    expect((e as Error).message).to.match(pattern);
  };

  before(async () => {
    chain = await startLocalChain();
    ethers = chain.ethers;
    [admin, publisher] = await ethers.getSigners();
    registry = await newRegistry();
  });
  after(async () => chain?.close());

  it("rebuilds the example epoch (risk, funding and prices posted) from its logs", async () => {
    const { params } = example();
    await postEpoch(registry, params);
    posted.set(params.epochId, params);
    await expectEpoch(params);
  });

  it("a price-only epoch takes the risk and funding posted before it", async () => {
    const p = clone(example().params);
    p.epochId += 1n;
    p.markets.forEach((m, i) => (m.markPrice += m.markPrice > 0n ? BigInt(1000 * (i + 1)) : 0n)); // unlisted markets stay at 0
    p.collateral[1].priceE18 = (p.collateral[1].priceE18 * 9n) / 10n;
    await postEpoch(registry, p, { pricesOnly: true });
    posted.set(p.epochId, p);
    await expectEpoch(p);
  });

  it("an epoch after new risk parameters uses them; earlier epochs keep theirs", async () => {
    const p = clone(example().params);
    p.epochId += 2n;
    p.maxLeverageBps = 123_456n;
    p.markets[2] = {
      ...p.markets[2],
      maintenanceRateBps: 1n,
      initialRateBps: 10_000n,
      impactBps: 0n,
      depth: 2n ** 96n - 1n,
      positionCap: 2n ** 40n - 1n,
    };
    p.collateral[1].haircutBps = 10_000n;
    p.scenarios[15][7] = -10_000n;
    p.scenarios[0][0] = 10_000n;
    await (await registry.postRisk(riskParamsArg(p))).wait();
    await (await registry.postPrices(...pricesArgs(p))).wait();
    posted.set(p.epochId, p);
    await expectEpoch(p);
    for (const q of posted.values()) await expectEpoch(q);
  });

  it("orders posts within one block by log index (risk, prices, risk, prices, funding, prices)", async () => {
    const base = clone(example().params);
    const latest = BigInt(await registry.latestEpochId());
    const a = { ...clone(base), epochId: latest + 1n, maxLeverageBps: 11n };
    const b = { ...clone(base), epochId: latest + 2n, maxLeverageBps: 22n };
    const c = clone(b);
    c.epochId = latest + 3n;
    c.markets.forEach((m, i) => (m.fundingIndex += i < 6 ? BigInt(-i * 1_003) : 0n)); // within the bound: markMoveBps of the mark
    const before = await ethers.provider.getBlockNumber();
    await ethers.provider.send("evm_setAutomine", [false]);
    const txs: any[] = [];
    try {
      let nonce = await publisher.getNonce();
      const send = async (f: string, args: unknown[]) => txs.push(await registry[f](...args, { nonce: nonce++, gasLimit: 3_000_000n }));
      await send("postRisk", [riskParamsArg(a)]);
      await send("postPrices", [...pricesArgs(a)]);
      await send("postRisk", [riskParamsArg(b)]);
      await send("postPrices", [...pricesArgs(b)]);
      await send("postFunding", [fundingArg(c)]);
      await send("postPrices", [...pricesArgs(c)]);
      await ethers.provider.send("evm_mine", []);
    } finally {
      await ethers.provider.send("evm_setAutomine", [true]);
    }
    const receipts = await Promise.all(txs.map((t) => t.wait()));
    expect(new Set(receipts.map((r: any) => r.blockNumber))).to.deep.equal(new Set([before + 1]));
    for (const p of [a, b, c]) {
      posted.set(p.epochId, p);
      await expectEpoch(p);
    }
  });

  it("finds the logs by scanning bounded block ranges when told to ignore the recorded blocks", async () => {
    for (const p of posted.values()) await expectEpoch(p, { scan: true, blockRange: 2 });
  });

  it("random valid epochs round-trip (fast-check samples, each the first epoch of its own registry)", async () => {
    let epochId = 1n;
    for (const [k, p0] of fc.sample(arbParams, { seed: 11, numRuns: 4 }).entries()) {
      const p: Params = { ...p0, epochId: epochId++ };
      p.collateral[0] = { priceE18: 10n ** 18n, haircutBps: 0n }; // asset 0 settles at par
      if (k === 0) {
        p.markets[0].fundingIndex = -(2n ** 63n - 1n);
        p.markets[1].fundingIndex = 2n ** 63n - 1n;
        p.markets[2].markPrice = 2n ** 48n - 1n;
        p.collateral[3].priceE18 = 2n ** 96n - 1n;
      }
      const r = await newRegistry();
      await postEpoch(r, p);
      await expectEpoch(p, {}, r);
    }
  });

  it("latestFreshEpoch returns the newest epoch with its freshness window", async () => {
    const latest = BigInt(await registry.latestEpochId());
    const fresh = await latestFreshEpoch(registry);
    expect(fresh.params).to.deep.equal(posted.get(latest));
    expect(fresh.postedAt).to.equal(BigInt(await registry.postedAt(latest)));
    expect(fresh.freshUntil).to.equal(fresh.postedAt + MAX_AGE);
  });

  it("refuses with EpochError: unknown epoch, a paramsHash that differs, nothing fresh", async () => {
    const latest = BigInt(await registry.latestEpochId());
    await rejects(fetchEpoch(registry, latest + 5n), new RegExp(`epoch ${latest + 5n} is not in the registry`));
    // a registry answering another paramsHash than its logs carry
    const lying = new Proxy(registry, {
      get: (t, k) => {
        if (k === "paramsHashOf") return async () => 12345n;
        const v = Reflect.get(t, k, t);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    await rejects(fetchEpoch(lying, latest), new RegExp(`epoch ${latest}: .*paramsHash .*12345`));

    await ethers.provider.send("evm_increaseTime", [Number(MAX_AGE) + 1]);
    await ethers.provider.send("evm_mine", []);
    await rejects(
      latestFreshEpoch(registry),
      new RegExp(`no fresh epoch .*epoch ${latest}, was posted \\d+ s ago \\(maxAge ${MAX_AGE} s\\)`),
    );
    await expectEpoch(posted.get(latest)!); // a stale epoch still in the ring can be fetched
    await rejects(latestFreshEpoch(await newRegistry()), /no fresh epoch .*no epoch was posted yet/);
  });

  it("an epoch posted while new risk parameters wait out the timelock keeps the old ones (the last RiskPosted is not the one in effect)", async () => {
    const r = await newRegistry(oracleConfig({ timelock: 3600n }));
    const a = clone(example().params);
    await postEpoch(r, a);
    const b = { ...clone(a), epochId: a.epochId + 1n, maxLeverageBps: 77_777n };
    const queued = await postEpoch(r, b, { queue: true });
    expect(queued.queued).to.not.equal(undefined);
    await mine(60);
    const early = { ...clone(a), epochId: a.epochId + 1n }; // prices alone, still a's risk
    early.markets[0].markPrice += 5n;
    await postEpoch(r, early, { pricesOnly: true });
    await expectEpoch(early, {}, r);
    await expectEpoch(early, { scan: true, blockRange: 3 }, r);
    await mine(3600);
    const late = { ...clone(b), epochId: a.epochId + 2n };
    await postEpoch(r, late, { pricesOnly: true }); // the price post takes b's risk up
    await expectEpoch(late, {}, r);
    await expectEpoch(late, { scan: true, blockRange: 3 }, r);
    await expectEpoch(a, {}, r);
    await expectEpoch(early, {}, r);
  });

  it("decoders refuse words that do not fit the layout", () => {
    const words = priceWords(example().params);
    expect(decodePriceWords(words).epochId).to.equal(example().params.epochId);
    expect(() => decodePriceWords([...words, 1n])).to.throw(/too many/);
    expect(() => decodePriceWords(words.slice(0, 3))).to.throw(/too few/);
    expect(unpackWords([5n | (3n << 3n)], [3, 2])).to.deep.equal([5n, 3n]);
  });
});
