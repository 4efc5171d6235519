// Calibration and back-testing on crafted and generated price histories.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backtest, calibrate, loadHistory } from "../risk/calibrate.ts";
import { validateParams } from "../prover/validate.ts";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { example, paramsToJson } from "../tools/fixtures.ts";

const MARKETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];
const T0 = 1_600_000_000_000;
const H = 3_600_000;

/** A price folder in the shared-data layout: flat prices with one crash of BTC and ETH. */
function craftedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-prices-"));
  mkdirSync(join(dir, "merged"));
  for (const [a, base] of [["BTC", 100], ["ETH", 10], ["SOL", 1], ["BNB", 5], ["XRP", 2], ["DOGE", 0.5]] as const) {
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
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "calibrate", "--prices", dir, "--params", join(REPO_ROOT, "examples/params.json"),
      "--portfolio", join(REPO_ROOT, "examples/portfolio.json"), "--out", out], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(out, "utf8")).scenarios[0]).to.deep.equal(["-4000", "-3000", "0", "0", "0", "0", "0", "0"]);
    const bad = spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "calibrate", "--prices", dir, "--horizon", "0"], { encoding: "utf8" });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain("--horizon");
  });
});
