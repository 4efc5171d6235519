// risk latency: the capacity line in closed form, monotonicity, determinism under a seed, the two
// paths against each other, and the CLI (options named on error, --json shape).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { CHAINS, DEFAULTS, capacity, latencyReport, type LatencyOptions } from "../risk/latency.ts";

const options = (extra: Partial<LatencyOptions> = {}): LatencyOptions => ({
  chain: CHAINS["ethereum-l1"],
  ...DEFAULTS,
  liquidations: DEFAULTS.accounts,
  samples: 20_000,
  ...extra,
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "client", "zkmargin.js"), "risk", "latency", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("risk latency: the liquidation latency", () => {
  it("capacity: the issue's ~2,000 attestations at 30% of Ethereum L1 in 600 s, ~6,900 with all of it", () => {
    const c = capacity(options());
    // 0.3 × 36,000,000 / 259,290 = 41.65 → 41 per block; 600 s / 12 s = 50 blocks
    expect(c).to.deep.include({ attestationsPerBlock: 41, blocksInGrace: 50, capacityAccounts: 2050 });
    // 36,000,000 / 259,290 = 138.8 → 138 per block × 50
    expect(c.capacityAccountsAllBlockSpace).to.equal(6900);
    expect(capacity(options({ share: 1 })).capacityAccounts).to.equal(6900);
    // the continuous formula grace × share × gas/s / gas per attestation: 2,082.6 and 6,942 (whole blocks lose the fraction)
    expect(Math.floor((600 * 0.3 * 3_000_000) / 259_290)).to.equal(2082);
    // 0.3 × 36M / 51,359 = 210.3 liquidations per block
    expect(c.liquidationsPerBlock).to.equal(210);
    // 1,000 accounts: ceil(1000 / 41) = 25 blocks = 300 s, within the grace period
    expect(c).to.deep.include({ attestSeconds: 300, overflow: false, effectiveGraceSeconds: 600 });
    // 2,050 fit exactly; 2,051 need a 51st block and overflow
    expect(capacity(options({ accounts: 2050 })).overflow).to.equal(false);
    expect(capacity(options({ accounts: 2051 }))).to.deep.include({ attestSeconds: 612, overflow: true, effectiveGraceSeconds: 612 });
    // the L2 profile: 2 s blocks, 30M gas: 0.3 × 30M / 259,290 = 34 per block × 300 blocks
    expect(capacity(options({ chain: CHAINS.l2 }))).to.deep.include({
      attestationsPerBlock: 34,
      blocksInGrace: 300,
      capacityAccounts: 10200,
    });
  });

  it("the defaults give the numbers docs/RISK.md quotes (seed 1, 100,000 samples)", () => {
    const r = latencyReport(options({ samples: DEFAULTS.samples }));
    expect(r.byProof).to.include({ p50Seconds: 105, p99Seconds: 232 });
    expect(r.fallback).to.include({ p50Seconds: 736, p99Seconds: 976 });
    expect(r.combined).to.include({ p99Seconds: 681 });
  });

  it("is deterministic under a seed, and the seed matters", () => {
    const a = latencyReport(options({ seed: 7 }));
    expect(latencyReport(options({ seed: 7 }))).to.deep.equal(a);
    expect(latencyReport(options({ seed: 8 })).combined).to.not.deep.equal(a.combined);
    for (const d of [a.byProof, a.fallback, a.combined]) {
      for (const x of Object.values(d)) expect(Number.isInteger(x), "whole seconds").to.equal(true);
      expect(d.p50Seconds).to.be.at.most(d.p90Seconds);
      expect(d.p90Seconds).to.be.at.most(d.p99Seconds);
      expect(d.p99Seconds).to.be.at.most(d.p99_9Seconds);
      expect(d.p99_9Seconds).to.be.at.most(d.maxSeconds);
    }
  });

  it("the path by proof is much shorter than the fallback, which waits at least the grace period", () => {
    const r = latencyReport(options());
    expect(r.fallback.p50Seconds).to.be.at.least(600 + 12 + 12);
    expect(r.byProof.p50Seconds * 4).to.be.below(r.fallback.p50Seconds);
    expect(r.byProof.p99Seconds).to.be.below(r.fallback.p50Seconds);
    // combined: the key holder online 99%: its p50 is the proof path's, its p99.9 is the fallback's range
    expect(r.combined.p50Seconds).to.be.below(r.fallback.p50Seconds);
    expect(r.combined.p99_9Seconds).to.be.above(600);
    // no outages, no reaction: the proof path is bounded by cadence + a block + prove + all inclusion blocks
    const quiet = latencyReport(options({ outageProb: 0, reactionSeconds: 0, callReactionSeconds: 0 }));
    expect(quiet.byProof.maxSeconds).to.be.at.most(60 + 12 + 2 + Math.ceil(1000 / 210) * 12);
    expect(quiet.fallback.maxSeconds).to.be.at.most(60 + 12 + 12 + 600 + Math.ceil(1000 / 210) * 12);
    expect(quiet.fallback.p50Seconds).to.be.at.least(12 + 12 + 600 + 12);
  });

  it("monotone: more accounts or a smaller share never lowers L; a longer grace never lowers the fallback", () => {
    const keys = ["p50Seconds", "p90Seconds", "p99Seconds", "p99_9Seconds", "maxSeconds"] as const;
    const atLeast = (
      hi: ReturnType<typeof latencyReport>,
      lo: ReturnType<typeof latencyReport>,
      paths: readonly ("byProof" | "fallback" | "combined")[] = ["byProof", "fallback", "combined"],
    ) => {
      for (const p of paths) for (const k of keys) expect(hi[p][k], `${p}.${k}`).to.be.at.least(lo[p][k]);
    };
    let prev = latencyReport(options({ accounts: 100, liquidations: 100 }));
    for (const n of [1000, 2050, 2051, 5000, 20000]) {
      const r = latencyReport(options({ accounts: n, liquidations: n }));
      atLeast(r, prev);
      prev = r;
    }
    prev = latencyReport(options({ share: 1 }));
    for (const share of [0.5, 0.3, 0.1, 0.02]) {
      const r = latencyReport(options({ share }));
      atLeast(r, prev);
      prev = r;
    }
    prev = latencyReport(options({ graceSeconds: 60, accounts: 3000, liquidations: 3000 }));
    for (const g of [300, 600, 700, 900, 3600]) {
      const r = latencyReport(options({ graceSeconds: g, accounts: 3000, liquidations: 3000 }));
      atLeast(r, prev, ["fallback"]);
      prev = r;
    }
    // the overflow: 20,000 accounts at 30% of L1 take ceil(20000/41) × 12 = 5,856 s, and the fallback waits for them
    const big = latencyReport(options({ accounts: 20000, liquidations: 20000 }));
    expect(big.capacity).to.deep.include({ attestSeconds: 5856, overflow: true });
    expect(big.fallback.p50Seconds).to.be.above(5856);
  });

  it("outages extend L: an oracle outage every time adds about its mean", () => {
    const base = latencyReport(options({ outageProb: 0 }));
    const down = latencyReport(options({ outageProb: 1, outageSeconds: 1800 }));
    expect(down.byProof.p50Seconds - base.byProof.p50Seconds).to.be.within(1000, 1400); // median of Exp(1800) = 1,248
    // the sequencer counts on the L2 only
    const l2 = options({ chain: CHAINS.l2, outageProb: 0 });
    expect(latencyReport({ ...l2, sequencerOutageProb: 1 }).byProof.p50Seconds).to.be.above(
      latencyReport({ ...l2, sequencerOutageProb: 0 }).byProof.p50Seconds + 1000,
    );
    const l1 = options({ outageProb: 0 });
    expect(latencyReport({ ...l1, sequencerOutageProb: 1 })).to.deep.include({ byProof: latencyReport(l1).byProof });
  });

  it("CLI: the human table, --json with units in field names", () => {
    const human = cli("--samples", "2000");
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.include("2,050 accounts at share 0.3 (6,900 with all of the block space)");
    expect(human.stdout).to.match(/by proof .*\n\s+fallback .*\n\s+combined/);
    const r = cli("--chain", "l2", "--accounts", "500", "--samples", "2000", "--seed", "3", "--json");
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.chain).to.include({ name: "l2", blockTimeSeconds: 2, gasPerBlock: 30_000_000, sequencer: true });
    expect(j.capacity).to.have.all.keys(
      "attestationsPerBlock",
      "liquidationsPerBlock",
      "blocksInGrace",
      "capacityAccounts",
      "capacityAccountsAllBlockSpace",
      "attestSeconds",
      "overflow",
      "effectiveGraceSeconds",
    );
    for (const p of ["byProof", "fallback", "combined"])
      expect(j[p]).to.have.all.keys("p50Seconds", "p90Seconds", "p99Seconds", "p99_9Seconds", "maxSeconds", "meanSeconds");
    expect(j.parameters).to.include({ accounts: 500, samples: 2000, seed: 3, share: 0.3, graceSeconds: 600 });
    expect(cli("--chain", "l2", "--accounts", "500", "--samples", "2000", "--seed", "3", "--json").stdout).to.equal(r.stdout);
    const custom = JSON.parse(
      cli("--chain", "custom", "--block-time", "0.25", "--gas-per-block", "32000000", "--samples", "100", "--json").stdout,
    );
    expect(custom.capacity).to.include({ attestationsPerBlock: 37, blocksInGrace: 2400, capacityAccounts: 88800 });
  });

  it("CLI: every bad option exits 1 naming it", () => {
    const cases: [string[], string][] = [
      [["--chain", "solana"], "--chain"],
      [["--share", "0"], "--share"],
      [["--share", "1.5"], "--share"],
      [["--share", "0.000001"], "--share"], // fits no attestation
      [["--accounts", "-3"], "--accounts"],
      [["--accounts", "1e3"], "--accounts"],
      [["--grace", "abc"], "--grace"],
      [["--grace", "5"], "--grace"], // shorter than a block
      [["--cadence", "4000"], "--cadence"], // above max age
      [["--max-age", "0"], "--max-age"],
      [["--gas-per-attestation", "0"], "--gas-per-attestation"],
      [["--key-holder-online", "1.01"], "--key-holder-online"],
      [["--outage-prob", "2"], "--outage-prob"],
      [["--outage-seconds", "x"], "--outage-seconds"],
      [["--samples", "0"], "--samples"],
      [["--seed", "1.5"], "--seed"],
      [["--block-time", "2"], "--block-time"], // only with custom
      [["--chain", "custom", "--gas-per-block", "30000000"], "--block-time"],
      [["--chain", "custom", "--block-time", "2"], "--gas-per-block"],
      [["--sequencer-outage-prob", "0.1"], "--sequencer-outage-prob"], // L1 has no sequencer
      [["--prices", "/tmp"], "--prices"],
      [["--synthetic"], "--synthetic"],
    ];
    for (const [args, field] of cases) {
      const r = cli(...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).to.equal(1);
      expect(r.stderr, args.join(" ")).to.include(field);
    }
  });
});
