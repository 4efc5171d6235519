// calibrate: the risk publisher's stress scenarios and back-tests (risk/ holds the engine).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { M_ASSETS, N_MARKETS } from "../../../prover/constants.ts";
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
atomically). Markets and collateral name assets in order (defaults match examples/).
Prices: DIR (default ../shared/data/prices beside the checkout); without it, generated paths.`,
  options: {
    prices: { type: "string", value: "DIR", help: "hourly price history (the folder holding merged/)" },
    horizon: { type: "string", value: "HOURS", help: "the move horizon (default 24)" },
    params: { type: "string", value: "P", help: "an epoch to back-test and to take --out's other fields from" },
    portfolio: { type: "string", value: "Q", help: "a portfolio to back-test" },
    level: { type: "string", value: "L", help: "maintenance | initial for the back-test (default maintenance)" },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    collateral: { type: "string", value: "LIST", help: `${M_ASSETS} asset symbols or -, default ${DEFAULT_COLLATERAL.join(",")}` },
    out: { type: "string", value: "F", help: "write params with the calibrated scenarios" },
  },
  examples: ["zkmargin calibrate --params examples/params.json --portfolio examples/portfolio.json"],
  async run({ values }) {
    const { loadHistory, calibrate: derive, backtest } = await import("../../../risk/calibrate.ts");
    const horizon = str(values, "horizon") ?? "24";
    if (!/^[0-9]{1,4}$/.test(horizon) || Number(horizon) < 1) throw new ValidationError("--horizon", "must be a whole number of hours from 1 to 9999");
    const list = (v: unknown, d: string[], n: number, field: string) => {
      const xs = typeof v === "string" ? v.split(",") : d;
      if (xs.length !== n || xs.some((x) => !/^[A-Z]{1,10}$|^-$/.test(x))) throw new ValidationError(field, `must list ${n} asset symbols (or -) separated by commas`);
      return xs;
    };
    const markets = list(values.markets, DEFAULT_MARKETS, N_MARKETS, "--markets");
    const collateral = list(values.collateral, DEFAULT_COLLATERAL, M_ASSETS, "--collateral");
    const dir = str(values, "prices") ?? join(PACKAGE_ROOT, "..", "shared", "data", "prices");
    if (typeof values.prices === "string" && !existsSync(join(dir, "merged"))) throw new ValidationError("--prices", `${dir}/merged not found`);
    progress(`loading price history from ${dir}`);
    const history = loadHistory(dir);
    const calibration = derive(history, Number(horizon), markets);
    const result: Record<string, unknown> = { calibration };
    if (typeof values.params === "string" || typeof values.portfolio === "string") {
      const params = validateParams(readJsonFile(required(values, "params"), "--params"));
      const portfolio = validatePortfolio(readJsonFile(required(values, "portfolio"), "--portfolio"));
      const level = parseLevel(str(values, "level") ?? "maintenance", "--level");
      result.backtest = backtest(history, params, portfolio, markets, collateral, level);
    }
    if (typeof values.out === "string") {
      const raw = readJsonFile(required(values, "params"), "--params") as Record<string, unknown>;
      const outPath = checkOutPath(values.out, [values.params as string]);
      const next = { ...raw, scenarios: calibration.scenarios.map((row) => row.map(String)) };
      validateParams(next);
      writeAtomically(outPath, `${JSON.stringify(next, null, 2)}\n`, "--out");
      result.out = outPath;
    }
    out(JSON.stringify(result, null, 2));
    return EXIT.OK;
  },
};
