// calibrate: the risk publisher's stress scenarios and back-tests (risk/ holds the engine).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EPOCH_BITS, M_ASSETS, N_MARKETS } from "../../../prover/constants.ts";
import { PACKAGE_ROOT } from "../../../prover/artifacts.ts";
import { ValidationError, parseLevel, validateParams, validatePortfolio } from "../../../prover/validate.ts";
import type { Command } from "../command.ts";
import { EXIT, checkOutPath, out, progress, readJsonFile, required, str, writeAtomically } from "../io.ts";

const DEFAULT_MARKETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];
const DEFAULT_COLLATERAL = ["USD", "ETH", "BTC", "-"];

export const calibrate: Command = {
  name: "calibrate",
  summary: "stress scenarios and back-tests from hourly price history",
  description: `Derives the stress scenarios from hourly price history: for each asset its worst drop and best
rise over HOURS with every other asset's move in the same window, plus simultaneous 99.9%
quantile and worst-case moves. With --params and --portfolio, back-tests the portfolio through
history (marks and collateral prices follow the real paths, scaled so the latest common hour
equals the epoch's prices). --out F writes the params with the calibrated scenarios (validated,
atomically) with epochId --epoch-id N, or the input's epochId + 1 (said on stderr) so that
'zkmargin epoch post' accepts it. Markets and collateral name assets in order (defaults match
examples/).
Prices: --prices DIR, the folder holding merged/<ASSET>USDT_1h_*.csv (default
../shared/data/prices beside the checkout). Without real data calibrate refuses (exit 1) unless
--synthetic is given: then deterministic generated paths stand in, labelled "synthetic hour N"
instead of dates, and the output's data.source is "synthetic" (real: "real", with the folder,
the first and last hour and the number of hours).`,
  options: {
    prices: { type: "string", value: "DIR", help: "hourly price history (the folder holding merged/)" },
    horizon: { type: "string", value: "HOURS", help: "the move horizon (default 24)" },
    params: { type: "string", value: "P", help: "an epoch to back-test and to take --out's other fields from" },
    portfolio: { type: "string", value: "Q", help: "a portfolio to back-test" },
    level: { type: "string", value: "L", help: "maintenance | initial for the back-test (default maintenance)" },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    collateral: { type: "string", value: "LIST", help: `${M_ASSETS} asset symbols or -, default ${DEFAULT_COLLATERAL.join(",")}` },
    synthetic: { type: "boolean", help: "calibrate on generated paths (no real prices; for trying the tool, not for publishing)" },
    out: { type: "string", value: "F", help: "write params with the calibrated scenarios (needs --params)" },
    "epoch-id": { type: "string", value: "N", help: "with --out: the epochId written (default: the input's epochId + 1)" },
  },
  examples: [
    "zkmargin calibrate --params examples/params.json --portfolio examples/portfolio.json",
    "zkmargin calibrate --prices DIR --params examples/params.json --out params-43.json",
    "zkmargin calibrate --synthetic --params examples/params.json --portfolio examples/portfolio.json",
  ],
  async run({ values }) {
    const { readPriceFolder, syntheticHistory, dataInfo, calibrate: derive, backtest } = await import("../../../risk/calibrate.ts");
    const horizon = str(values, "horizon") ?? "24";
    if (!/^[0-9]{1,4}$/.test(horizon) || Number(horizon) < 1)
      throw new ValidationError("--horizon", "must be a whole number of hours from 1 to 9999");
    const list = (v: unknown, d: string[], n: number, field: string) => {
      const xs = typeof v === "string" ? v.split(",") : d;
      if (xs.length !== n || xs.some((x) => !/^[A-Z]{1,10}$|^-$/.test(x)))
        throw new ValidationError(field, `must list ${n} asset symbols (or -) separated by commas`);
      return xs;
    };
    const markets = list(values.markets, DEFAULT_MARKETS, N_MARKETS, "--markets");
    const collateral = list(values.collateral, DEFAULT_COLLATERAL, M_ASSETS, "--collateral");
    const epochIdOption = str(values, "epoch-id");
    if (epochIdOption !== undefined) {
      if (typeof values.out !== "string")
        throw new ValidationError("--epoch-id", "only with --out (it sets the epochId of the params written)");
      if (!/^[0-9]{1,20}$/.test(epochIdOption) || BigInt(epochIdOption) >= 1n << BigInt(EPOCH_BITS)) {
        throw new ValidationError("--epoch-id", `must be a whole number below 2^${EPOCH_BITS}`);
      }
    }
    if (typeof values.out === "string" && typeof values.params !== "string")
      throw new ValidationError("--params", "required with --out (the other fields are taken from it)");
    let history;
    if (values.synthetic === true) {
      if (typeof values.prices === "string") throw new ValidationError("--synthetic", "cannot be combined with --prices (real data)");
      history = syntheticHistory();
      progress(`--synthetic: using ${history.source}; the scenarios and back-test describe no real market, do not publish them`);
    } else {
      const given = typeof values.prices === "string";
      const dir = str(values, "prices") ?? join(PACKAGE_ROOT, "..", "shared", "data", "prices");
      progress(`loading price history from ${dir}`);
      const real = readPriceFolder(dir);
      if (real === undefined) {
        const where = existsSync(join(dir, "merged"))
          ? `${dir}/merged holds no <ASSET>USDT_1h_*.csv with timestamp_ms and close columns`
          : `${dir}/merged not found`;
        throw new ValidationError(
          "--prices",
          `no hourly price data: ${where}${given ? "" : " (the default folder beside the checkout)"}. Pass --prices DIR, a folder holding merged/<ASSET>USDT_1h_*.csv, or --synthetic to try calibrate on generated paths (not for publishing)`,
        );
      }
      history = real;
    }
    const data = dataInfo(history);
    if (data.source === "real") progress(`real prices: ${data.assets.join(", ")}, ${data.hours} hours from ${data.first} to ${data.last}`);
    const calibration = derive(history, Number(horizon), markets);
    const result: Record<string, unknown> = { data, calibration };
    // a back-test needs both; --params alone serves --out
    if (typeof values.portfolio === "string" || (typeof values.params === "string" && typeof values.out !== "string")) {
      const params = validateParams(readJsonFile(required(values, "params"), "--params"));
      const portfolio = validatePortfolio(readJsonFile(required(values, "portfolio"), "--portfolio"));
      const level = parseLevel(str(values, "level") ?? "maintenance", "--level");
      result.backtest = backtest(history, params, portfolio, markets, collateral, level);
    }
    if (typeof values.out === "string") {
      const raw = readJsonFile(required(values, "params"), "--params") as Record<string, unknown>;
      const outPath = checkOutPath(values.out, [values.params as string]);
      const input = validateParams(raw);
      const epochId = epochIdOption !== undefined ? BigInt(epochIdOption) : input.epochId + 1n;
      if (epochId >= 1n << BigInt(EPOCH_BITS))
        throw new ValidationError("--epoch-id", `required: the input's epochId ${input.epochId} is the last one (2^${EPOCH_BITS} - 1)`);
      if (epochIdOption === undefined) {
        progress(
          `--out: epochId ${epochId} (the input's ${input.epochId} + 1, so that 'zkmargin epoch post' accepts it; --epoch-id N to choose)`,
        );
      } else if (epochId <= input.epochId) {
        progress(
          `--out: epochId ${epochId} is not above the input's ${input.epochId}; 'zkmargin epoch post' refuses an epochId that does not increase`,
        );
      }
      const next = { ...raw, epochId: String(epochId), scenarios: calibration.scenarios.map((row) => row.map(String)) };
      validateParams(next);
      writeAtomically(outPath, `${JSON.stringify(next, null, 2)}\n`, "--out");
      result.out = outPath;
      result.epochId = String(epochId);
    }
    out(JSON.stringify(result, null, 2));
    return EXIT.OK;
  },
};
