// risk report: every plot's Vega-Lite spec renders server-side to SVG, the HTML is self-contained
// (inline SVG, no script, no external resource), the PNG is a PNG, and the CLI's errors. Small
// hand-made data; never reads the shared price folder.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { pngOf, reportHtml, type ReportData } from "../risk/report.ts";

const data: ReportData = {
  title: "test report",
  source: "hand-made data",
  marginVsLatency: [1, 4, 24].flatMap((h) =>
    ["BTC", "DOGE"].map((asset, i) => ({ asset, hours: h, q99: 0.01 * h * (i + 1), q999: 0.015 * h * (i + 1), max: 0.03 * h * (i + 1) })),
  ),
  lossDistribution: [0.1, 0.4, 0.9, 1.2, 3].map((loss) => ({ loss })),
  badDebtCalendar: [
    { year: 2020, month: 3, windows: 7 },
    { year: 2021, month: 5, windows: 2 },
  ],
  frontier: [60, 600].map((g) => ({ chain: "ethereum-l1", graceSeconds: g, batch: 1, accounts: g * 3 })),
  crashes: [0, 1, 2].map((hour) => ({ day: "2020-03-12", hour, liquidations: hour, volumeUsd: hour * 1e6, badDebtUsd: 0 })),
  contagion: [{ shock: "BTC", market: "ETH", notionalUsd: 5e6 }],
  summary: ["a line <with> markup"],
};

describe("risk report: Vega-Lite plots rendered server-side", () => {
  it("six SVG plots in one self-contained HTML; the summary escaped", async () => {
    const { html, svgs } = await reportHtml(data);
    expect(Object.keys(svgs)).to.deep.equal(["margin", "heatmap", "losses", "frontier", "crashes", "contagion"]);
    for (const svg of Object.values(svgs)) expect(svg).to.match(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((html.match(/<svg/g) ?? []).length).to.equal(6);
    expect(html).to.not.match(/<script|<link|src="http/);
    expect(html).to.contain("a line &lt;with&gt; markup");
    const png = await pngOf(svgs.margin, 400);
    expect(png.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
  });

  it("CLI: --out required, an unknown --plot and --plot without --png exit 1 naming the field", () => {
    const BIN = join(REPO_ROOT, "client/zkmargin.js");
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, "risk", "report", ...args, "--synthetic"], { encoding: "utf8" });
    const none = cli();
    expect(none.status).to.equal(1);
    expect(none.stderr).to.match(/--out/);
    const bad = cli("--out", "/tmp/zkmargin-report-x.html", "--png", "/tmp/zkmargin-report-x.png", "--plot", "pie");
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.match(/--plot/);
  });
});
