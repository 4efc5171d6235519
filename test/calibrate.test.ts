// Calibration and back-testing on crafted and generated price histories.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backtest, calibrate, dataInfo, loadHistory, readPriceFolder } from "../risk/calibrate.ts";
import { validateParams } from "../prover/validate.ts";
import { PACKAGE_ROOT, REPO_ROOT } from "../prover/artifacts.ts";
import { example, paramsToJson } from "../tools/fixtures.ts";

const MARKETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];
const T0 = 1_600_000_000_000;
const H = 3_600_000;

/** A price folder in the shared-data layout: flat prices with one crash of BTC and ETH. */
function craftedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-prices-"));
  mkdirSync(join(dir, "merged"));
  for (const [a, base] of [
    ["BTC", 100],
    ["ETH", 10],
    ["SOL", 1],
    ["BNB", 5],
    ["XRP", 2],
    ["DOGE", 0.5],
  ] as const) {
    const rows = ["timestamp_ms,datetime_utc,open,high,low,close,volume_base,source"];
    for (let h = 0; h < 200; h++) {
      let p = base;
      if ((a === "BTC" || a === "ETH") && h >= 100 && h < 110) p = base * (a === "BTC" ? 0.6 : 0.7); // crash
      if (a === "SOL" && h < 50) continue; // listed later
      rows.push(`${T0 + h * H},x,${p},${p},${p},${p},1,test`);
    }
    writeFileSync(join(dir, "merged", `${a}USDT_1h_binance_spot_merged.csv`), rows.join("\n"));
  }
  return dir;
}

describe("calibration and back-testing", () => {
  const dir = craftedFolder();

  it("finds each asset's worst window and the co-moves in it", () => {
    const c = calibrate(loadHistory(dir), 24, MARKETS);
    expect(c.assets.BTC.worstDropBps).to.equal(-4000);
    expect(c.assets.ETH.worstDropBps).to.equal(-3000);
    expect(c.scenarios).to.have.length(16);
    for (const row of c.scenarios) {
      expect(row).to.have.length(8);
      for (const x of row) expect(Math.abs(x)).to.be.at.most(10000);
      expect(row.slice(6)).to.deep.equal([0, 0]);
    }
    // BTC's worst window: BTC -40%, ETH -30% in the same window, the flat assets 0
    expect(c.scenarios[0]).to.deep.equal([-4000, -3000, 0, 0, 0, 0, 0, 0]);
    expect(c.scenarioNotes[0]).to.contain("BTC worst 24h drop");
    // the worst single-asset drop applied to every asset
    expect(c.scenarios[14]).to.deep.equal([-4000, -4000, -4000, -4000, -4000, -4000, 0, 0]);
  });

  it("calibrated scenarios make valid params", () => {
    const c = calibrate(loadHistory(dir), 24, MARKETS);
    const j = paramsToJson(example().params) as Record<string, unknown>;
    expect(() => validateParams({ ...j, scenarios: c.scenarios.map((r) => r.map(String)) })).not.to.throw();
  });

  it("back-tests a portfolio through the crash", () => {
    const { params, portfolio } = example();
    const b = backtest(loadHistory(dir), params, portfolio, MARKETS, ["USD", "ETH", "BTC", "-"], "maintenance");
    expect(b.hoursEvaluated).to.equal(150); // hours where every used asset has a price (SOL from hour 50)
    const levered = structuredClone(portfolio);
    levered.collateral = [10_000_000_000n, 0n, 0n, 0n]; // $10k cash against ~$194k gross
    const lb = backtest(loadHistory(dir), params, levered, MARKETS, ["USD", "ETH", "BTC", "-"], "maintenance");
    expect(lb.unhealthyHours).to.be.greaterThan(0);
    expect(lb.violations.MARGIN).to.be.greaterThan(0);
    expect(lb.firstBreach).to.be.a("string");
  });

  it("falls back to deterministic generated paths without a price folder", () => {
    const a = loadHistory(undefined, 7);
    const b = loadHistory(join(tmpdir(), "no-such-folder"), 7);
    expect(a.source).to.contain("generated");
    expect(calibrate(a, 24, MARKETS).scenarios).to.deep.equal(calibrate(b, 24, MARKETS).scenarios);
  });

  it("zkmargin calibrate writes calibrated params atomically and validates its flags", () => {
    const out = join(dir, "calibrated.json");
    const r = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, "client/zkmargin.js"),
        "calibrate",
        "--prices",
        dir,
        "--params",
        join(REPO_ROOT, "examples/params.json"),
        "--portfolio",
        join(REPO_ROOT, "examples/portfolio.json"),
        "--out",
        out,
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(out, "utf8")).scenarios[0]).to.deep.equal(["-4000", "-3000", "0", "0", "0", "0", "0", "0"]);
    const bad = spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "calibrate", "--prices", dir, "--horizon", "0"], {
      encoding: "utf8",
    });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain("--horizon");
  });

  const BIN = join(REPO_ROOT, "client/zkmargin.js");
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, "calibrate", ...args], { encoding: "utf8" });
  const DATE = /\b(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}\b/;

  it("generated paths are marked synthetic and carry no calendar dates", () => {
    const h = loadHistory(undefined, 7);
    expect(h.synthetic).to.equal(true);
    expect(h.source).to.contain("synthetic");
    expect(Math.min(...h.series.BTC.keys())).to.equal(0); // hour indices from 0, not timestamps
    const c = calibrate(h, 24, MARKETS);
    expect(JSON.stringify(c)).not.to.match(DATE);
    expect(c.assets.BTC.from).to.equal("synthetic hour 0");
    expect(c.scenarioNotes[0]).to.match(/from synthetic hour [0-9]+,/);
    const { params, portfolio } = example();
    const levered = structuredClone(portfolio);
    levered.collateral = [1_000_000n, 0n, 0n, 0n];
    const b = backtest(h, params, levered, MARKETS, ["USD", "ETH", "BTC", "-"], "maintenance");
    expect(b.firstBreach).to.match(/^synthetic hour [0-9]+$/);
    expect(dataInfo(h)).to.deep.include({ source: "synthetic", seed: 7, hours: 20_000 });
    // a real folder is never synthetic, and names its span
    const real = readPriceFolder(dir)!;
    expect(real.synthetic).to.equal(false);
    expect(dataInfo(real)).to.deep.include({ source: "real", dir, first: "2020-09-13 12:26", last: "2020-09-21 19:26", hours: 200 });
    expect(readPriceFolder(join(tmpdir(), "no-such-folder"))).to.equal(undefined);
  });

  it("zkmargin calibrate refuses without real price data, naming --prices and --synthetic", () => {
    const empty = mkdtempSync(join(tmpdir(), "zkmargin-noprices-"));
    const out = join(empty, "p.json");
    const r = cli("--prices", empty, "--params", join(REPO_ROOT, "examples/params.json"), "--out", out);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/zkmargin: error: --prices: /);
    expect(r.stderr).to.contain("--synthetic");
    expect(r.stderr).not.to.contain("    at "); // no stack trace
    expect(existsSync(out)).to.equal(false);
    mkdirSync(join(empty, "merged")); // the folder without its data
    const r2 = cli("--prices", empty);
    expect(r2.status).to.equal(1);
    expect(r2.stderr).to.contain("--prices");
    expect(cli("--synthetic", "--prices", dir).status).to.equal(1);
  });

  it("zkmargin calibrate without --prices uses the default folder only when it holds data", function () {
    const dflt = join(PACKAGE_ROOT, "..", "shared", "data", "prices");
    const r = cli("--horizon", "24");
    if (readPriceFolder(dflt) === undefined) {
      expect(r.status).to.equal(1);
      expect(r.stderr).to.contain("--prices");
      expect(r.stderr).to.contain("--synthetic");
    } else {
      expect(r.status, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(j.data.source).to.equal("real");
      expect(j.data.dir).to.equal(dflt);
      expect(j.data.first).to.match(DATE);
      expect(j.data.hours).to.be.greaterThan(0);
    }
  });

  it("zkmargin calibrate --synthetic says so on stderr and in its output", () => {
    const r = cli(
      "--synthetic",
      "--params",
      join(REPO_ROOT, "examples/params.json"),
      "--portfolio",
      join(REPO_ROOT, "examples/portfolio.json"),
    );
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/--synthetic: .*not real prices/);
    const j = JSON.parse(r.stdout);
    expect(j.data).to.deep.include({ source: "synthetic", generator: "geometric Brownian motion", seed: 42 });
    expect(j.calibration.source).to.contain("synthetic");
    expect(r.stdout).not.to.match(DATE);
    expect(j.calibration.scenarios).to.have.length(16);
    expect(j.backtest.hoursEvaluated).to.be.greaterThan(0);
  });

  it("zkmargin calibrate --out writes the input's epochId + 1, or --epoch-id", () => {
    const params = join(REPO_ROOT, "examples/params.json");
    const inputId = BigInt(JSON.parse(readFileSync(params, "utf8")).epochId);
    const next = join(dir, "next.json");
    const r = cli("--prices", dir, "--params", params, "--out", next);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(next, "utf8")).epochId).to.equal(String(inputId + 1n));
    expect(r.stderr).to.contain(`epochId ${inputId + 1n} (the input's ${inputId} + 1`);
    const j = JSON.parse(r.stdout);
    expect(j.epochId).to.equal(String(inputId + 1n));
    expect(j.data).to.deep.include({ source: "real", dir, hours: 200 });
    expect(j.backtest).to.equal(undefined); // --params alone serves --out
    const chosen = join(dir, "chosen.json");
    const c = cli("--prices", dir, "--params", params, "--out", chosen, "--epoch-id", "1000");
    expect(c.status, c.stderr).to.equal(0);
    const written = JSON.parse(readFileSync(chosen, "utf8"));
    expect(written.epochId).to.equal("1000");
    expect(() => validateParams(written)).not.to.throw();
    for (const bad of ["-1", "x", String(2n ** 64n)]) {
      const b = cli("--prices", dir, "--params", params, "--out", join(dir, "bad.json"), "--epoch-id", bad);
      expect(b.status, bad).to.equal(1);
      expect(b.stderr).to.contain("--epoch-id");
    }
    expect(cli("--prices", dir, "--epoch-id", "5").stderr).to.contain("--epoch-id"); // only with --out
    expect(existsSync(join(dir, "bad.json"))).to.equal(false);
  });
});
