// calibrate: the risk publisher's stress scenarios and back-tests; risk: the risk engine's tables
// (risk moves: worst-move tables; risk latency: the liquidation latency). risk/ holds the engine.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EPOCH_BITS, M_ASSETS, N_MARKETS, S_SCENARIOS } from "../../../prover/constants.ts";
import { PACKAGE_ROOT } from "../../../prover/artifacts.ts";
import { ValidationError, parseLevel, validateParams, validatePortfolio } from "../../../prover/validate.ts";
import type { Command, Group } from "../command.ts";
import {
  CHAINS,
  DEFAULTS,
  capacity,
  formatLatency,
  latencyReport,
  measuredOf,
  type ChainProfile,
  type LatencyOptions,
  type Measured,
} from "../../../risk/latency.ts";
import { CliError, EXIT, checkOutPath, out, progress, readJsonFile, required, str, writeAtomically, type Values } from "../io.ts";

const DEFAULT_MARKETS = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "-", "-"];
const DEFAULT_COLLATERAL = ["USD", "ETH", "BTC", "-"];

type RealHistory = NonNullable<ReturnType<typeof import("../../../risk/calibrate.ts").readPriceFolder>>;

/**
 * The real hourly prices of --prices (default: the shared data beside the checkout), or exit 1
 * naming --prices and saying what to do: every risk command refuses to run on no data unless
 * --synthetic says so.
 */
async function readRealPrices(values: Values, command: string): Promise<{ real: RealHistory; dir: string }> {
  const { readPriceFolder } = await import("../../../risk/calibrate.ts");
  const given = typeof values.prices === "string";
  const dir = str(values, "prices") ?? defaultPrices();
  progress(`loading price history from ${dir}`);
  const real = readPriceFolder(dir);
  if (real === undefined) {
    const where = existsSync(join(dir, "merged"))
      ? `${dir}/merged holds no <ASSET>USDT_1h_*.csv with timestamp_ms and close columns`
      : `${dir}/merged not found`;
    throw new ValidationError(
      "--prices",
      `no hourly price data: ${where}${given ? "" : " (the default folder beside the checkout)"}. Pass --prices DIR, a folder holding merged/<ASSET>USDT_1h_*.csv, or --synthetic to try ${command} on generated paths (not for publishing)`,
    );
  }
  return { real, dir };
}

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
    const { syntheticHistory, dataInfo, calibrate: derive, backtest } = await import("../../../risk/calibrate.ts");
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
      const { real } = await readRealPrices(values, "calibrate");
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

/** The default price folder: ../shared/data/prices beside the checkout. */
const defaultPrices = () => join(PACKAGE_ROOT, "..", "shared", "data", "prices");

const HORIZON_MAX = 9999;

/** --from / --to: a UTC calendar day, as the first (from) or last (to) candle open time of that day in ms. */
function day(values: Record<string, unknown>, name: "from" | "to"): number | undefined {
  const v = values[name];
  if (typeof v !== "string") return undefined;
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(v);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v)
    throw new ValidationError(`--${name}`, `must be a UTC calendar date YYYY-MM-DD (got '${v}')`);
  return name === "from" ? t : t + 23 * 3_600_000;
}

const moves: Command = {
  name: "risk moves",
  summary: "worst-move tables: q99 / q99.9 / max per asset and horizon, wick and close, long and short",
  description: `For each asset and horizon H (hours), the adverse move of a long (a drop) and of a short (a
rise) over every H-hour window of the hourly history, from the price at the window's start (the
previous candle's close) to the lowest low / highest high within the window (wick) or to its last
close (close): q99, q99.9 and max (with the window's start) over the windows, their number and an
effective sample size for overlapping windows, n_eff = n^2 / sum_ij max(0, 1 - |s_i - s_j| / H)
(about n / H). Windows with a missing hour are left out, never bridged; every gap says how many
windows it removed (--json). Conditional columns: only the windows starting right after an hour
whose |close-to-close move| was above the asset's --condition-quantile quantile (default 0.99:
the top 1% of hours). Where the folder holds Binance USDⓈ-M perp mark prices
(csv/*/futures/<ASSET>_USDT_USDT-1h-mark.csv), the same table on marks is shown next to spot over
the marks' span. Percent in the table and bps in --json are rounded up (a worse move rounds up);
*Fraction fields are unrounded. docs/RISK.md defines every formula.
Prices: --prices DIR, the folder holding merged/<ASSET>USDT_1h_*.csv (default
../shared/data/prices beside the checkout). Without real data it refuses (exit 1) unless
--synthetic is given: then generated paths stand in, labelled "synthetic hour N" instead of
dates, said on stderr and in the output (data.source "synthetic").`,
  options: {
    assets: { type: "string", value: "LIST", help: "assets, comma-separated (default: every asset in the folder)" },
    horizons: { type: "string", value: "LIST", help: `horizons in hours, comma-separated, 1 to ${HORIZON_MAX} (default 1,2,4,24)` },
    from: { type: "string", value: "DATE", help: "first UTC day YYYY-MM-DD of the span (default: the history's start)" },
    to: { type: "string", value: "DATE", help: "last UTC day YYYY-MM-DD of the span, inclusive (default: the history's end)" },
    "condition-quantile": {
      type: "string",
      value: "P",
      help: "conditional tables: windows after an hour whose |move| is above this quantile (default 0.99)",
    },
    json: { type: "boolean", help: "one JSON document (numbers' units in their field names: q99Bps, maxFraction)" },
  },
  examples: [
    "zkmargin risk moves",
    "zkmargin risk moves --assets BTC,XRP --horizons 1,4,24,168 --from 2020-01-01 --to 2020-12-31",
    "zkmargin risk moves --prices DIR --json > moves.json",
    "zkmargin risk moves --synthetic --assets BTC",
  ],
  async run({ values }) {
    const { ASSETS, dataInfo } = await import("../../../risk/calibrate.ts");
    const rank = (a: string) => ((ASSETS as readonly string[]).includes(a) ? ASSETS.indexOf(a as (typeof ASSETS)[number]) : ASSETS.length);
    const { DEFAULT_CONDITION_QUANTILE, DEFAULT_HORIZONS, formatReport, movesReport, readMarks, syntheticCandles } =
      await import("../../../risk/moves.ts");
    // options first: a mistake is named before any data is read
    const horizonsOption = str(values, "horizons");
    const horizons = horizonsOption === undefined ? DEFAULT_HORIZONS : horizonsOption.split(",");
    for (const h of horizons) {
      if (!/^[0-9]{1,4}$/.test(String(h)) || Number(h) < 1 || Number(h) > HORIZON_MAX)
        throw new ValidationError("--horizons", `'${h}' is not a whole number of hours from 1 to ${HORIZON_MAX}`);
    }
    const hours = [...new Set(horizons.map(Number))].sort((a, b) => a - b);
    const cq = str(values, "condition-quantile") ?? String(DEFAULT_CONDITION_QUANTILE);
    if (!/^0?\.[0-9]{1,12}$/.test(cq) || Number(cq) <= 0 || Number(cq) >= 1)
      throw new ValidationError("--condition-quantile", `must be a decimal strictly between 0 and 1, e.g. 0.99 (got '${cq}')`);
    const from = day(values, "from");
    const to = day(values, "to");
    if (from !== undefined && to !== undefined && to < from) throw new ValidationError("--to", "is before --from");
    const assetsOption = str(values, "assets");
    const asked = assetsOption?.split(",").map((a) => a.trim().toUpperCase());
    if (asked?.some((a) => !/^[A-Z0-9]{1,10}$/.test(a)))
      throw new ValidationError("--assets", "must list asset symbols separated by commas, e.g. BTC,ETH");

    let history;
    let candles;
    let marks = {};
    if (values.synthetic === true) {
      if (typeof values.prices === "string") throw new ValidationError("--synthetic", "cannot be combined with --prices (real data)");
      if (from !== undefined || to !== undefined)
        throw new ValidationError(from !== undefined ? "--from" : "--to", "generated paths have no dates (--synthetic)");
      ({ history, candles } = syntheticCandles());
      progress(`--synthetic: using ${history.source} with generated wicks; these tables describe no real market, do not publish them`);
    } else {
      const { real, dir } = await readRealPrices(values, "risk moves");
      history = real;
      candles = real.candles!;
      marks = readMarks(dir);
    }
    // the project's assets in their usual order, then any other asset in the folder
    const available = Object.keys(candles).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const assets = asked ?? available;
    for (const a of assets) {
      if (!candles[a]) throw new ValidationError("--assets", `unknown asset ${a} (the price data holds ${available.join(", ")})`);
      if (!candles[a].ohlc)
        throw new ValidationError("--prices", `${candles[a].path} has no open, high and low columns (wick moves need them)`);
    }
    const data = dataInfo(history);
    if (data.source === "real") progress(`real prices: ${data.assets.join(", ")}, ${data.hours} hours from ${data.first} to ${data.last}`);
    const started = Date.now();
    const report = movesReport(
      candles,
      marks,
      assets,
      { horizons: hours, conditionQuantile: Number(cq), from, to, synthetic: history.synthetic },
      (what) => progress(`computing ${what}: horizons ${hours.join(", ")} h`),
    );
    if (report.spot.length === 0) {
      const span = `${from === undefined ? "the start" : new Date(from).toISOString().slice(0, 10)} to ${to === undefined ? "the end" : new Date(to).toISOString().slice(0, 10)}`;
      throw new ValidationError(from !== undefined ? "--from" : "--to", `no hourly prices of ${assets.join(", ")} from ${span}`);
    }
    progress(`computed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const span = { from: str(values, "from") ?? null, to: str(values, "to") ?? null };
    if (values.json === true) {
      out(JSON.stringify({ data, span, ...report }, null, 2));
    } else {
      const header =
        data.source === "synthetic"
          ? [`zkmargin risk moves — SYNTHETIC generated paths (${data.generator}, seed ${data.seed}), NOT real prices: do not publish`]
          : [`zkmargin risk moves — real Binance spot 1h prices from ${data.dir}/merged (USDT quote, UTC)`];
      if (span.from || span.to) header.push(`Span: ${span.from ?? "start"} → ${span.to ?? "end"} (UTC days, inclusive)`);
      out(formatReport(report, header));
    }
    return EXIT.OK;
  },
};

/** A number option: a plain decimal within [min, max] (integer when asked), else exit 1 naming it. */
function numberOption(values: Values, name: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = str(values, name);
  if (raw === undefined) return fallback;
  const ok = integer ? /^[0-9]{1,15}$/.test(raw) : /^[0-9]{1,15}(\.[0-9]{1,12})?$|^\.[0-9]{1,12}$/.test(raw);
  const x = Number(raw);
  if (!ok || !(x >= min && x <= max))
    throw new ValidationError(
      `--${name}`,
      `must be ${integer ? "a whole number" : "a decimal number"} from ${min} to ${max} (got '${raw}')`,
    );
  return x;
}

export const latency: Command = {
  name: "risk latency",
  summary: "the liquidation latency L as a distribution: oracle cadence, by proof or by margin call, outages",
  description: `The liquidation latency L, the time from a price move to the liquidation of an account the move
made unhealthy, by seeded Monte Carlo: p50, p90, p99, p99.9 and max for the path by proof (the
liquidation key holder reacts, proves and liquidates), the fallback (margin call, grace period,
every account attests, liquidation) and both combined (by proof when the key holder is online).
The capacity line gives the largest number of accounts that attest within the grace period on
the chain profile at the share of block space. Chains: ethereum-l1 (12 s blocks, 36M gas), l2
(2 s blocks, 30M gas, one sequencer), custom (--block-time and --gas-per-block). Seconds are
rounded up, against the trader. It reads no price data. docs/RISK.md, "Liquidation latency",
defines the model.`,
  options: {
    chain: { type: "string", value: "NAME", help: "ethereum-l1 | l2 | custom (default ethereum-l1)" },
    "block-time": { type: "string", value: "S", help: "custom: seconds between blocks" },
    "gas-per-block": { type: "string", value: "G", help: "custom: the gas limit of a block" },
    share: { type: "string", value: "F", help: `the share of block space the protocol gets, (0, 1] (default ${DEFAULTS.share})` },
    accounts: { type: "string", value: "N", help: `accounts that must attest after a margin call (default ${DEFAULTS.accounts})` },
    liquidations: { type: "string", value: "K", help: "liquidations competing for inclusion (default: --accounts)" },
    grace: { type: "string", value: "S", help: `the grace period of a margin call (default ${DEFAULTS.graceSeconds})` },
    cadence: { type: "string", value: "S", help: `seconds between price posts, <= --max-age (default ${DEFAULTS.cadenceSeconds})` },
    "max-age": { type: "string", value: "S", help: `epoch freshness (default ${DEFAULTS.maxAgeSeconds})` },
    "gas-per-attestation": {
      type: "string",
      value: "G",
      help: `proveMargin gas, or a batch's gas per account (default ${DEFAULTS.gasPerAttestation})`,
    },
    "gas-per-liquidation": { type: "string", value: "G", help: `liquidate gas (default ${DEFAULTS.gasPerLiquidation})` },
    reaction: { type: "string", value: "S", help: `the key holder's mean reaction (default ${DEFAULTS.reactionSeconds})` },
    "prove-seconds": { type: "string", value: "S", help: `the key holder's proving time (default ${DEFAULTS.proveSeconds})` },
    "call-reaction": {
      type: "string",
      value: "S",
      help: `the risk publisher's mean reaction before a margin call (default ${DEFAULTS.callReactionSeconds})`,
    },
    "key-holder-online": { type: "string", value: "Q", help: `probability the key holder is online (default ${DEFAULTS.keyHolderOnline})` },
    "outage-prob": { type: "string", value: "P", help: `probability the oracle is down at the move (default ${DEFAULTS.outageProb})` },
    "outage-seconds": { type: "string", value: "S", help: `mean oracle outage (default ${DEFAULTS.outageSeconds})` },
    "sequencer-outage-prob": {
      type: "string",
      value: "P",
      help: `l2/custom: probability the sequencer is down (default ${DEFAULTS.sequencerOutageProb} on l2, 0 on custom)`,
    },
    "sequencer-outage-seconds": {
      type: "string",
      value: "S",
      help: `l2/custom: mean sequencer outage (default ${DEFAULTS.sequencerOutageSeconds})`,
    },
    samples: { type: "string", value: "N", help: `Monte Carlo samples (default ${DEFAULTS.samples})` },
    seed: { type: "string", value: "N", help: `the generator's seed (default ${DEFAULTS.seed})` },
    measured: {
      type: "string",
      value: "F",
      help: "defaults for the gas per attestation and liquidation and --prove-seconds from 'npm run load' (build/load-report.json)",
    },
    json: { type: "boolean", help: "one JSON document (units in field names: p99Seconds, capacityAccounts)" },
  },
  examples: [
    "zkmargin risk latency",
    "zkmargin risk latency --chain l2 --accounts 20000 --share 0.1",
    "zkmargin risk latency --chain custom --block-time 0.25 --gas-per-block 32000000 --json",
  ],
  async run({ values }) {
    for (const name of ["prices", "synthetic"]) {
      if (values[name] !== undefined) throw new ValidationError(`--${name}`, "risk latency reads no price data");
    }
    const chainName = str(values, "chain") ?? "ethereum-l1";
    if (chainName !== "ethereum-l1" && chainName !== "l2" && chainName !== "custom")
      throw new ValidationError("--chain", `must be ethereum-l1, l2 or custom (got '${chainName}')`);
    let chain: ChainProfile;
    if (chainName === "custom") {
      for (const name of ["block-time", "gas-per-block"])
        if (str(values, name) === undefined) throw new ValidationError(`--${name}`, "required with --chain custom");
      chain = {
        name: "custom",
        blockTimeSeconds: numberOption(values, "block-time", 0, 0.001, 3600),
        gasPerBlock: numberOption(values, "gas-per-block", 0, 21_000, 1e12, true),
        sequencer: true,
        source: "custom: --block-time and --gas-per-block",
      };
    } else {
      for (const name of ["block-time", "gas-per-block"])
        if (values[name] !== undefined)
          throw new ValidationError(`--${name}`, `only with --chain custom (${chainName} is ${CHAINS[chainName].source})`);
      chain = CHAINS[chainName];
    }
    if (chainName === "ethereum-l1") {
      for (const name of ["sequencer-outage-prob", "sequencer-outage-seconds"])
        if (values[name] !== undefined) throw new ValidationError(`--${name}`, "ethereum-l1 has no sequencer");
    }
    const accounts = numberOption(values, "accounts", DEFAULTS.accounts, 1, 1e9, true);
    const maxAgeSeconds = numberOption(values, "max-age", DEFAULTS.maxAgeSeconds, 1, 1e7, true);
    const cadenceSeconds = numberOption(values, "cadence", Math.min(DEFAULTS.cadenceSeconds, maxAgeSeconds), 0, 1e7);
    if (cadenceSeconds > maxAgeSeconds)
      throw new ValidationError("--cadence", `must not exceed --max-age ${maxAgeSeconds} s (the epoch would go stale between posts)`);
    let measured: Measured | undefined;
    const measuredFile = str(values, "measured");
    if (measuredFile !== undefined) {
      try {
        measured = measuredOf(readJsonFile(measuredFile, "--measured"));
      } catch (e) {
        if (e instanceof ValidationError) throw e;
        throw new ValidationError("--measured", `${measuredFile} ${(e as Error).message}`);
      }
    }
    const o: LatencyOptions = {
      chain,
      share: numberOption(values, "share", DEFAULTS.share, 1e-6, 1),
      accounts,
      liquidations: numberOption(values, "liquidations", accounts, 1, 1e9, true),
      graceSeconds: numberOption(values, "grace", DEFAULTS.graceSeconds, 1, 1e7, true),
      cadenceSeconds,
      maxAgeSeconds,
      gasPerAttestation: numberOption(
        values,
        "gas-per-attestation",
        measured?.gasPerAttestation ?? DEFAULTS.gasPerAttestation,
        1,
        1e9,
        true,
      ),
      gasPerLiquidation: numberOption(
        values,
        "gas-per-liquidation",
        measured?.gasPerLiquidation ?? DEFAULTS.gasPerLiquidation,
        1,
        1e9,
        true,
      ),
      reactionSeconds: numberOption(values, "reaction", DEFAULTS.reactionSeconds, 0, 1e7),
      proveSeconds: numberOption(values, "prove-seconds", measured?.proveSeconds ?? DEFAULTS.proveSeconds, 0, 1e7),
      callReactionSeconds: numberOption(values, "call-reaction", DEFAULTS.callReactionSeconds, 0, 1e7),
      keyHolderOnline: numberOption(values, "key-holder-online", DEFAULTS.keyHolderOnline, 0, 1),
      outageProb: numberOption(values, "outage-prob", DEFAULTS.outageProb, 0, 1),
      outageSeconds: numberOption(values, "outage-seconds", DEFAULTS.outageSeconds, 0, 1e7),
      sequencerOutageProb: chain.sequencer
        ? numberOption(values, "sequencer-outage-prob", chainName === "l2" ? DEFAULTS.sequencerOutageProb : 0, 0, 1)
        : 0,
      sequencerOutageSeconds: chain.sequencer
        ? numberOption(values, "sequencer-outage-seconds", DEFAULTS.sequencerOutageSeconds, 0, 1e7)
        : 0,
      samples: numberOption(values, "samples", DEFAULTS.samples, 1, 10_000_000, true),
      seed: numberOption(values, "seed", DEFAULTS.seed, 0, 4294967295, true),
    };
    const c = capacity(o);
    if (c.attestationsPerBlock === 0)
      throw new ValidationError(
        "--share",
        `${o.share} of ${n(chain.gasPerBlock)} gas fits no attestation of ${n(o.gasPerAttestation)} gas in a block`,
      );
    if (c.liquidationsPerBlock === 0)
      throw new ValidationError(
        "--share",
        `${o.share} of ${n(chain.gasPerBlock)} gas fits no liquidation of ${n(o.gasPerLiquidation)} gas in a block`,
      );
    if (o.graceSeconds < chain.blockTimeSeconds)
      throw new ValidationError("--grace", `is shorter than one block (${chain.blockTimeSeconds} s)`);
    const report = latencyReport(o);
    out(values.json === true ? JSON.stringify(report, null, 2) : formatLatency(report));
    return EXIT.OK;
  },
};

const worst: Command = {
  name: "risk worst",
  summary: "worst provable portfolio: the largest loss, as a multiple of equity, of any portfolio that proves margin, per window",
  description: `For every window of H hours of the joint hourly history (every asset's H + 1 candles present),
the largest loss, as a multiple of equity, over every portfolio that can prove --level margin
under --params at the window's start: a linear programme over the margin, stress and leverage
constraints with equity normalised to 1, solved by HiGHS (the highs package). Impact, the integer
roundings and position caps are dropped (the feasible set only grows: an upper bound). wick: each
position loses at its own asset's adverse extreme within the window (lowest low for a long,
highest high for a short); close: the joint loss at the window's last close. A loss above 1x is
bad debt. Prints q99, q99.9, max and the bad-debt fraction per horizon and basis, and the --top K
worst windows with their portfolio (notional / equity per market) and binding constraints;
--json FILE writes everything. --markets names the asset of each of the params' markets (default
${DEFAULT_MARKETS.join(",")}; "-" or positionCap 0: no position). docs/RISK.md, "Worst provable
portfolio", defines it.
Prices: --prices DIR (default ../shared/data/prices beside the checkout); without real data it
refuses (exit 1 naming --prices) unless --synthetic is given.`,
  options: {
    params: { type: "string", value: "P", help: "the epoch parameters (params.json)" },
    horizon: { type: "string", value: "LIST", help: `window lengths in hours, comma-separated, 1 to ${HORIZON_MAX} (default 1)` },
    level: { type: "string", value: "L", help: "maintenance | initial (default maintenance)" },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    from: { type: "string", value: "DATE", help: "first UTC day YYYY-MM-DD of the span (default: the history's start)" },
    to: { type: "string", value: "DATE", help: "last UTC day YYYY-MM-DD of the span, inclusive (default: the history's end)" },
    top: { type: "string", value: "K", help: "worst windows listed per horizon and basis (default 5)" },
    json: { type: "string", value: "FILE", help: "also write the full report as JSON to FILE" },
  },
  examples: [
    "zkmargin risk worst --params examples/params.json",
    "zkmargin risk worst --params examples/params.json --horizon 1,4,24 --json worst.json",
    "zkmargin risk worst --params examples/params.json --markets BTC,ETH,-,BNB,XRP,DOGE,-,- --from 2020-03-11 --to 2020-03-13 --horizon 4",
    "zkmargin risk worst --synthetic --params examples/params.json",
  ],
  async run({ values }) {
    const { dataInfo } = await import("../../../risk/calibrate.ts");
    const { syntheticCandles } = await import("../../../risk/moves.ts");
    const { formatWorst, worstModel, worstReport } = await import("../../../risk/worst.ts");
    // options first: a mistake is named before any data is read
    const horizonOption = str(values, "horizon") ?? "1";
    const horizons = horizonOption.split(",");
    for (const h of horizons) {
      if (!/^[0-9]{1,4}$/.test(h) || Number(h) < 1 || Number(h) > HORIZON_MAX)
        throw new ValidationError("--horizon", `'${h}' is not a whole number of hours from 1 to ${HORIZON_MAX}`);
    }
    const hours = [...new Set(horizons.map(Number))].sort((a, b) => a - b);
    const level = parseLevel(str(values, "level") ?? "maintenance", "--level");
    const top = numberOption(values, "top", 5, 0, 1000, true);
    const from = day(values, "from");
    const to = day(values, "to");
    if (from !== undefined && to !== undefined && to < from) throw new ValidationError("--to", "is before --from");
    const names = typeof values.markets === "string" ? values.markets.split(",") : DEFAULT_MARKETS;
    if (names.length !== N_MARKETS || names.some((x) => !/^[A-Z0-9]{1,10}$|^-$/.test(x)))
      throw new ValidationError("--markets", `must list ${N_MARKETS} asset symbols (or -) separated by commas`);
    const jsonPath = typeof values.json === "string" ? checkOutPath(values.json, [required(values, "params")], "--json") : undefined;
    const params = validateParams(readJsonFile(required(values, "params"), "--params"));
    const model = worstModel(params, level, names);
    if (model.markets.length === 0)
      throw new ValidationError("--markets", "no market can hold a position (every market is - or has positionCap 0)");

    let history;
    let candles;
    if (values.synthetic === true) {
      if (typeof values.prices === "string") throw new ValidationError("--synthetic", "cannot be combined with --prices (real data)");
      if (from !== undefined || to !== undefined)
        throw new ValidationError(from !== undefined ? "--from" : "--to", "generated paths have no dates (--synthetic)");
      ({ history, candles } = syntheticCandles());
      progress(`--synthetic: using ${history.source} with generated wicks; these losses describe no real market, do not publish them`);
    } else {
      const { real } = await readRealPrices(values, "risk worst");
      history = real;
      candles = real.candles!;
    }
    for (const a of model.assets) {
      if (!candles[a])
        throw new ValidationError("--markets", `no hourly prices of ${a} (the price data holds ${Object.keys(candles).join(", ")})`);
      if (!candles[a].ohlc) throw new ValidationError("--prices", `${candles[a].path} has no open, high and low columns (wicks need them)`);
    }
    const data = dataInfo(history);
    if (data.source === "real") progress(`real prices: ${data.assets.join(", ")}, ${data.hours} hours from ${data.first} to ${data.last}`);
    // the equity (USD) above which a position cap binds: min_i cap_i * markPrice_i / x_i, quote units of 1e-6 USD
    const capUsd = (long: number[], short: number[]) => {
      let best: number | null = null;
      model.markets.forEach((i, a) => {
        const x = Math.abs(long[a] - short[a]);
        if (x === 0) return;
        const e = (Number(params.markets[i].positionCap) * Number(params.markets[i].markPrice)) / x / 1e6;
        if (best === null || e < best) best = e;
      });
      return best;
    };
    const started = Date.now();
    const report = await worstReport(
      model,
      model.assets.map((a) => candles[a]),
      { horizons: hours, level, top, from, to, synthetic: history.synthetic, thresholds: [0.5] },
      capUsd,
      (what) => progress(what),
    );
    const seconds = (Date.now() - started) / 1000;
    if (report.horizons.every((h) => h.wick.windows === 0)) {
      const where = from !== undefined || to !== undefined ? "in the span" : "in the price data";
      throw new ValidationError(
        from !== undefined ? "--from" : to !== undefined ? "--to" : "--markets",
        `no window of ${hours.join(", ")} h ${where} has every candle of ${model.assets.join(", ")} (a window needs H + 1 candles of every asset held, the one before the window included)`,
      );
    }
    progress(`solved in ${seconds.toFixed(1)} s`);
    const span = { from: str(values, "from") ?? null, to: str(values, "to") ?? null };
    const doc = { data, span, level, markets: model.assets, seconds, ...report };
    if (jsonPath !== undefined) writeAtomically(jsonPath, `${JSON.stringify(doc, null, 2)}\n`, "--json");
    const header =
      data.source === "synthetic"
        ? [`zkmargin risk worst — SYNTHETIC generated paths (${data.generator}, seed ${data.seed}), NOT real prices: do not publish`]
        : [`zkmargin risk worst — real Binance spot 1h prices from ${data.dir}/merged (USDT quote, UTC)`];
    if (span.from || span.to) header.push(`Span: ${span.from ?? "start"} → ${span.to ?? "end"} (UTC days, inclusive)`);
    out(formatWorst(model, report.horizons, header));
    return EXIT.OK;
  },
};

/** A progress bar on stderr (cli-progress) when stderr is a terminal, else a line every few seconds. */
async function progressBar(
  title: string,
  initialTotal: number,
): Promise<{ update: (done: number, what: string, newTotal?: number) => void; stop: () => void }> {
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import("cli-progress");
    const bar = new SingleBar(
      { stream: process.stderr, format: `zkmargin: ${title} [{bar}] {value}/{total} {what}`, hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    bar.start(initialTotal, 0, { what: "" });
    return {
      update: (done, what, newTotal) => {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        bar.update(done, { what });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let total = initialTotal;
  return {
    update: (done, what, newTotal) => {
      if (newTotal !== undefined) total = newTotal;
      const now = Date.now();
      if (now - last > 3000 || done === total) {
        progress(`${title}: ${done}/${total} ${what}`);
        last = now;
      }
    },
    stop: () => {},
  };
}

/** --markets, the params' market assets (default DEFAULT_MARKETS). */
function marketNames(values: Values): string[] {
  const names = typeof values.markets === "string" ? values.markets.split(",") : DEFAULT_MARKETS;
  if (names.length !== N_MARKETS || names.some((x) => !/^[A-Z0-9]{1,10}$|^-$/.test(x)))
    throw new ValidationError("--markets", `must list ${N_MARKETS} asset symbols (or -) separated by commas`);
  return names;
}

/** Candles of the assets (real, or generated with --synthetic), each checked to have OHLC columns. */
async function loadCandles(values: Values, command: string, assets: string[], from?: number, to?: number) {
  const { dataInfo } = await import("../../../risk/calibrate.ts");
  const { syntheticCandles } = await import("../../../risk/moves.ts");
  let history;
  let candles;
  let dir: string | undefined;
  if (values.synthetic === true) {
    if (typeof values.prices === "string") throw new ValidationError("--synthetic", "cannot be combined with --prices (real data)");
    if (from !== undefined || to !== undefined)
      throw new ValidationError(from !== undefined ? "--from" : "--to", "generated paths have no dates (--synthetic)");
    ({ history, candles } = syntheticCandles());
    progress(`--synthetic: using ${history.source} with generated wicks; the results describe no real market, do not publish them`);
  } else {
    const r = await readRealPrices(values, command);
    history = r.real;
    candles = r.real.candles!;
    dir = r.dir;
  }
  for (const a of assets) {
    if (!candles[a])
      throw new ValidationError("--markets", `no hourly prices of ${a} (the price data holds ${Object.keys(candles).join(", ")})`);
    if (!candles[a].ohlc) throw new ValidationError("--prices", `${candles[a].path} has no open, high and low columns (wicks need them)`);
  }
  const data = dataInfo(history);
  if (data.source === "real") progress(`real prices: ${data.assets.join(", ")}, ${data.hours} hours from ${data.first} to ${data.last}`);
  return { history, candles, data, dir };
}

/** --horizon as one whole number of hours. */
function oneHorizon(values: Values, fallback: string): number {
  const h = str(values, "horizon") ?? fallback;
  if (!/^[0-9]{1,4}$/.test(h) || Number(h) < 1 || Number(h) > HORIZON_MAX)
    throw new ValidationError("--horizon", `'${h}' is not a whole number of hours from 1 to ${HORIZON_MAX}`);
  return Number(h);
}

/** --basis close | wick. */
function basisOption(values: Values): "close" | "wick" {
  const b = str(values, "basis") ?? "close";
  if (b !== "close" && b !== "wick") throw new ValidationError("--basis", `must be close or wick (got '${b}')`);
  return b;
}

/** --epoch-id N or the input's epochId + 1 (said on stderr), as calibrate --out does. */
function nextEpochId(values: Values, input: bigint): bigint {
  const opt = str(values, "epoch-id");
  if (opt !== undefined) {
    if (!/^[0-9]{1,20}$/.test(opt) || BigInt(opt) >= 1n << BigInt(EPOCH_BITS))
      throw new ValidationError("--epoch-id", `must be a whole number below 2^${EPOCH_BITS}`);
    return BigInt(opt);
  }
  if (input + 1n >= 1n << BigInt(EPOCH_BITS))
    throw new ValidationError("--epoch-id", `required: the input's epochId ${input} is the last one (2^${EPOCH_BITS} - 1)`);
  progress(`--out: epochId ${input + 1n} (the input's ${input} + 1, so that 'zkmargin epoch post' accepts it; --epoch-id N to choose)`);
  return input + 1n;
}

const scenarios: Command = {
  name: "risk scenarios",
  summary: "stress scenarios at the liquidation horizon: joint historical rows chosen greedily to cover the most windows",
  description: `Chooses the S = ${S_SCENARIOS} stress rows of an epoch from history at horizon L (--horizon, hours):
every window of L hours gives two joint rows, every asset's move in the same window (one asset
against another is kept): close (close-to-close) and wick (each asset at its extreme in the
direction of its close move). Rows are chosen greedily over the worst-portfolio search of risk
worst: each step tries the rows of the currently worst windows (--candidates K of them) and keeps
the one that leaves the fewest windows in which some portfolio proving --level margin under
--params (its rates and leverage; its own rows are replaced) loses more than its equity by the
window's end (--basis close | wick), ties broken by the smaller worst loss. No two rows are equal.
Shocks are bps, rounded away from zero and clamped to ±10000. Prints the rows with the window
each came from and the coverage before and after; --out F writes --params with the rows (validated,
epochId + 1 or --epoch-id); --json FILE writes everything. docs/RISK.md, "Stress scenarios".
Prices: --prices DIR (default ../shared/data/prices beside the checkout); without real data it
refuses (exit 1 naming --prices) unless --synthetic is given.`,
  options: {
    params: { type: "string", value: "P", help: "the epoch parameters (rates, leverage; their rows are replaced)" },
    horizon: { type: "string", value: "HOURS", help: "the liquidation horizon L (default 1)" },
    rows: { type: "string", value: "S", help: `rows to choose, 1 to ${S_SCENARIOS} (default ${S_SCENARIOS}; the rest are zero)` },
    basis: { type: "string", value: "B", help: "coverage basis: close | wick (default close)" },
    level: { type: "string", value: "L", help: "maintenance | initial (default maintenance)" },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    from: { type: "string", value: "DATE", help: "first UTC day YYYY-MM-DD of the span" },
    to: { type: "string", value: "DATE", help: "last UTC day YYYY-MM-DD of the span, inclusive" },
    candidates: { type: "string", value: "K", help: "worst windows whose rows are tried per step (default 6)" },
    out: { type: "string", value: "F", help: "write --params with the chosen rows (validated)" },
    "epoch-id": { type: "string", value: "N", help: "with --out: the epochId written (default: the input's + 1)" },
    json: { type: "string", value: "FILE", help: "also write the full result as JSON to FILE" },
  },
  examples: [
    "zkmargin risk scenarios --params examples/params.json --horizon 1",
    "zkmargin risk scenarios --params examples/params.json --horizon 4 --basis wick --out params-43.json",
    "zkmargin risk scenarios --synthetic --params examples/params.json",
  ],
  async run({ values }) {
    const { chooseScenarios, SCENARIO_DEFAULTS } = await import("../../../risk/scenarios.ts");
    const { worstModel } = await import("../../../risk/worst.ts");
    const horizon = oneHorizon(values, "1");
    const rowsWanted = numberOption(values, "rows", S_SCENARIOS, 1, S_SCENARIOS, true);
    const basis = basisOption(values);
    const level = parseLevel(str(values, "level") ?? "maintenance", "--level");
    const candidates = numberOption(values, "candidates", SCENARIO_DEFAULTS.candidates, 1, 1000, true);
    const from = day(values, "from");
    const to = day(values, "to");
    if (from !== undefined && to !== undefined && to < from) throw new ValidationError("--to", "is before --from");
    const names = marketNames(values);
    const paramsPath = required(values, "params");
    const outPath = typeof values.out === "string" ? checkOutPath(values.out, [paramsPath]) : undefined;
    const jsonPath = typeof values.json === "string" ? checkOutPath(values.json, [paramsPath], "--json") : undefined;
    if (str(values, "epoch-id") !== undefined && outPath === undefined)
      throw new ValidationError("--epoch-id", "only with --out (it sets the epochId of the params written)");
    const raw = readJsonFile(paramsPath, "--params") as Record<string, unknown>;
    const params = validateParams(raw);
    const model = worstModel(params, level, names);
    if (model.markets.length === 0)
      throw new ValidationError("--markets", "no market can hold a position (every market is - or has positionCap 0)");
    const { candles, data, history } = await loadCandles(values, "risk scenarios", model.assets, from, to);
    const bar = await progressBar("choosing rows", rowsWanted);
    const r = await chooseScenarios(
      model,
      model.assets.map((a) => candles[a]),
      { ...SCENARIO_DEFAULTS, horizon, rows: rowsWanted, basis, candidates, from, to, synthetic: history.synthetic },
      (done, _total, what) => bar.update(done, what),
    );
    bar.stop();
    if (r.windows === 0)
      throw new ValidationError(
        from !== undefined ? "--from" : to !== undefined ? "--to" : "--markets",
        `no window of ${horizon} h has every candle of ${model.assets.join(", ")}`,
      );
    // the rows as params rows: one column per params market, 0 for markets left out, zero rows to S
    const full = r.rows.map((row) => {
      const x = new Array(N_MARKETS).fill(0);
      model.markets.forEach((i, a) => (x[i] = row.shocksBps[a]));
      return x;
    });
    while (full.length < S_SCENARIOS) full.push(new Array(N_MARKETS).fill(0));
    const { jw: _jw, loss: _loss, ...result } = r;
    const doc: Record<string, unknown> = { data, level, markets: model.assets, ...result, scenarios: full };
    if (outPath !== undefined) {
      const epochId = nextEpochId(values, params.epochId);
      const next = { ...raw, epochId: String(epochId), scenarios: full.map((row) => row.map(String)) };
      validateParams(next);
      writeAtomically(outPath, `${JSON.stringify(next, null, 2)}\n`, "--out");
      doc.out = outPath;
    }
    if (jsonPath !== undefined) writeAtomically(jsonPath, `${JSON.stringify(doc, null, 2)}\n`, "--json");
    const pctx = (x: number) => `${(x * 100).toFixed(2)}%`;
    const lines = [
      data.source === "synthetic"
        ? `zkmargin risk scenarios — SYNTHETIC generated paths, NOT real prices: do not publish`
        : `zkmargin risk scenarios — real Binance spot 1h prices from ${data.dir}/merged (UTC)`,
      `Horizon ${horizon} h, ${basis} basis, ${level} margin; markets ${model.assets.join(", ")}; ${r.windows.toLocaleString("en-US")} joint windows.`,
      `Uncovered windows (some provable portfolio loses more than its equity; plain LP, an upper bound):`,
      `  margin and leverage rows alone: ${r.before.uncovered} (${pctx(r.before.uncovered / r.windows)}), worst ${r.before.maxLoss.toFixed(2)}x at ${r.before.maxAt}`,
      `  with the ${r.rows.length} rows below:  ${r.after.uncovered} (${pctx(1 - r.after.coverage)}), worst ${r.after.maxLoss.toFixed(2)}x at ${r.after.maxAt}`,
      "",
      `  #  kind   window start       ${model.assets.map((a) => a.padStart(7)).join("")}   uncovered after`,
      ...r.rows.map(
        (row, k) =>
          `  ${String(k).padStart(2)} ${row.kind.padEnd(6)} ${row.from.padEnd(18)} ${row.shocksBps.map((x) => String(x).padStart(7)).join("")}   ${row.uncoveredAfter}`,
      ),
      "",
      `Shocks in bps of the price (rounded away from zero, clamped to ±10000). ${r.lpSolves.toLocaleString("en-US")} LPs in ${r.seconds.toFixed(1)} s.`,
    ];
    out(lines.join("\n"));
    return EXIT.OK;
  },
};

const plan: Command = {
  name: "risk plan",
  summary: "planned parameters for a confidence and horizon, checked against every historical window; writes validated params",
  description: `Recommends, for a target --confidence q and the liquidation horizon L (--horizon, hours),
maintenance and initial rates, impact, position caps and max leverage per market, haircuts per
collateral asset (including wrong-way collateral that falls with the position), the ${S_SCENARIOS} stress
rows (risk scenarios), and outside params.json: the grace period, the bond, open-interest caps and
the insurance fund / backstop vault. Every candidate is checked with the worst-portfolio search of
risk worst against every historical window of L hours: q is the share of windows in which no
portfolio proving maintenance margin at the window's start ends with bad debt (--basis close:
at the window's last close; wick: each position at its asset's extreme). Rates start at the
q-quantile of each asset's adverse move and are tightened (quantile 1 - (1 - q)/3, 1 - (1 - q)/10,
1) until the check passes; when even the largest moves fail it refuses: exit 3 with one line and
nothing written. --cash-vm adds the cash variation-margin rule (a_0 + sum U_i >= 0), which bounds
an account's non-settlement collateral by its equity; without it a collateral drop beyond its
haircut is counted as bad debt. --params gives units, marks, depths, funding and collateral
prices (default examples/params.json); --out F writes the planned params (validated, epochId + 1
or --epoch-id). docs/RISK.md, "Parameter plan", defines every rule.
Prices: --prices DIR (default ../shared/data/prices beside the checkout); without real data it
refuses (exit 1 naming --prices) unless --synthetic is given.`,
  options: {
    confidence: { type: "string", value: "Q", help: "share of windows without bad debt, (0, 1] (default 0.999)" },
    horizon: { type: "string", value: "HOURS", help: "the liquidation horizon L (default 1)" },
    basis: { type: "string", value: "B", help: "close | wick (default close)" },
    "cash-vm": { type: "boolean", help: "with the cash variation-margin rule a_0 + sum U_i >= 0" },
    params: { type: "string", value: "P", help: "units, marks, depths and collateral prices (default examples/params.json)" },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    collateral: {
      type: "string",
      value: "LIST",
      help: `${M_ASSETS} asset symbols or -, default ${DEFAULT_COLLATERAL.join(",")} (first: settlement)`,
    },
    from: { type: "string", value: "DATE", help: "first UTC day YYYY-MM-DD of the history used" },
    to: { type: "string", value: "DATE", help: "last UTC day YYYY-MM-DD of the history used, inclusive" },
    bar: {
      type: "string",
      value: "DAYS",
      help: "UTC days YYYY-MM-DD, comma-separated, on which no window may end with bad debt (default: the issue's six crash days; none)",
    },
    chain: { type: "string", value: "NAME", help: "ethereum-l1 | l2, for the grace period (default ethereum-l1)" },
    accounts: { type: "string", value: "N", help: "accounts that attest after a margin call (default 1000)" },
    out: { type: "string", value: "F", help: "write the planned params.json (validated)" },
    "epoch-id": { type: "string", value: "N", help: "with --out: the epochId written (default: the input's + 1)" },
    json: { type: "string", value: "FILE", help: "also write the full plan as JSON to FILE" },
  },
  examples: [
    "zkmargin risk plan --confidence 0.999 --horizon 1 --out planned.json",
    "zkmargin risk plan --confidence 0.99 --horizon 4 --cash-vm --to 2024-12-31 --json plan.json",
    "zkmargin risk plan --synthetic --confidence 0.999",
  ],
  async run({ values }) {
    const { plan: runPlan, PLAN_DEFAULTS, BAR_DAYS } = await import("../../../risk/plan.ts");
    const { paramsToJson } = await import("../../../prover/validate.ts");
    const conf = str(values, "confidence") ?? String(PLAN_DEFAULTS.confidence);
    if (!/^(0?\.[0-9]{1,12}|1(\.0*)?)$/.test(conf) || Number(conf) <= 0 || Number(conf) > 1)
      throw new ValidationError("--confidence", `must be a decimal in (0, 1], e.g. 0.999 (got '${conf}')`);
    const confidence = Number(conf);
    const horizon = oneHorizon(values, "1");
    const basis = basisOption(values);
    const from = day(values, "from");
    const to = day(values, "to");
    if (from !== undefined && to !== undefined && to < from) throw new ValidationError("--to", "is before --from");
    const names = marketNames(values);
    const coll = typeof values.collateral === "string" ? values.collateral.split(",") : DEFAULT_COLLATERAL;
    if (coll.length !== M_ASSETS || coll.some((x) => !/^[A-Z0-9]{1,10}$|^-$/.test(x)) || coll[0] === "-")
      throw new ValidationError(
        "--collateral",
        `must list ${M_ASSETS} asset symbols (or -) separated by commas, the first the settlement asset`,
      );
    const barOption = str(values, "bar");
    const barDays = barOption === "none" ? [] : barOption !== undefined ? barOption.split(",") : values.synthetic === true ? [] : BAR_DAYS;
    for (const d of barDays)
      if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(d) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d)
        throw new ValidationError("--bar", `must list UTC days YYYY-MM-DD separated by commas, or none (got '${d}')`);
    const chainName = str(values, "chain") ?? "ethereum-l1";
    if (chainName !== "ethereum-l1" && chainName !== "l2")
      throw new ValidationError("--chain", `must be ethereum-l1 or l2 (got '${chainName}')`);
    const accounts = numberOption(values, "accounts", PLAN_DEFAULTS.accounts, 1, 1e9, true);
    const paramsPath = str(values, "params") ?? join(PACKAGE_ROOT, "examples", "params.json");
    const outPath = typeof values.out === "string" ? checkOutPath(values.out, [paramsPath]) : undefined;
    const jsonPath = typeof values.json === "string" ? checkOutPath(values.json, [paramsPath], "--json") : undefined;
    if (str(values, "epoch-id") !== undefined && outPath === undefined)
      throw new ValidationError("--epoch-id", "only with --out (it sets the epochId of the params written)");
    const base = validateParams(readJsonFile(paramsPath, "--params"));
    const assets = [
      ...new Set([...names.filter((a, i) => a !== "-" && base.markets[i].markPrice > 0n), ...coll.slice(1).filter((a) => a !== "-")]),
    ];
    if (!names.some((a, i) => a !== "-" && base.markets[i].markPrice > 0n))
      throw new ValidationError("--markets", "no market can hold a position (every market is - or has markPrice 0)");
    const { candles, data, history } = await loadCandles(values, "risk plan", assets, from, to);
    const started = Date.now();
    const p = await runPlan(
      base,
      names,
      coll,
      candles,
      {
        confidence,
        horizon,
        basis,
        cashVm: values["cash-vm"] === true,
        barDays,
        chain: CHAINS[chainName],
        accounts,
        from,
        to,
        synthetic: history.synthetic,
      },
      (what) => progress(what),
    );
    const seconds = (Date.now() - started) / 1000;
    if (p.windows === 0)
      throw new ValidationError(
        from !== undefined ? "--from" : to !== undefined ? "--to" : "--markets",
        `no window of ${horizon} h has every candle of ${assets.join(", ")}`,
      );
    progress(`planned in ${seconds.toFixed(1)} s`);
    const a = p.accepted;
    if (a === undefined) {
      const last = p.attempts[p.attempts.length - 1];
      throw new CliError(
        EXIT.INTERNAL,
        `refused: no parameters meet confidence ${confidence} at ${horizon} h (${basis}): even at the largest moves ${last.badWindows} of ${p.windows} windows (${(last.badFraction * 100).toFixed(3)}%; ${last.barBadWindows} on the bar's days) end with bad debt, worst ${last.maxLoss.toFixed(2)}x; nothing written`,
      );
    }
    let written: Record<string, unknown> = paramsToJson(a.params) as Record<string, unknown>;
    if (outPath !== undefined) {
      written = { ...written, epochId: String(nextEpochId(values, base.epochId)) };
      validateParams(written);
      writeAtomically(outPath, `${JSON.stringify(written, null, 2)}\n`, "--out");
    }
    const { params: _params, ...rest } = a;
    const doc = {
      data,
      seconds,
      confidence,
      horizon,
      basis,
      cashVm: p.cashVm,
      windows: p.windows,
      attempts: p.attempts,
      plan: rest,
      params: written,
      out: outPath ?? null,
    };
    if (jsonPath !== undefined) writeAtomically(jsonPath, `${JSON.stringify(doc, null, 2)}\n`, "--json");
    const pctx = (x: number) => `${(x * 100).toFixed(3)}%`;
    const lines = [
      data.source === "synthetic"
        ? "zkmargin risk plan — SYNTHETIC generated paths, NOT real prices: do not publish"
        : `zkmargin risk plan — real Binance spot 1h prices from ${data.dir}/merged (UTC)`,
      `Confidence ${confidence} at L = ${horizon} h (${basis}${p.cashVm ? ", cash variation margin" : ""}): ${a.badWindows} of ${p.windows.toLocaleString("en-US")} windows (${pctx(a.badFraction)}) end with bad debt for some provable portfolio (${barDays.length ? `none starting on ${barDays.join(", ")}` : "no bar days"}); worst ${a.maxLoss.toFixed(2)}x at ${a.maxAt}. Rates at quantile ${a.quantile}.`,
      "",
      "  market  maint  initial  impact  max lev  cap (lots)     OI cap (USD)   q move   max move   (bps)",
      ...a.markets.map(
        (m) =>
          `  ${m.asset.padEnd(6)} ${String(m.maintenanceRateBps).padStart(6)} ${String(m.initialRateBps).padStart(8)} ${String(m.impactBps).padStart(7)} ${`${m.maxLeverage}x`.padStart(8)} ${m.positionCap.padStart(11)} ${m.oiCapUsd.toLocaleString("en-US").padStart(16)} ${String(m.quantileMoveBps).padStart(8)} ${String(m.maxMoveBps).padStart(10)}`,
      ),
      "",
      "  collateral  haircut  own drop (q)  wrong-way drop   (bps)",
      ...a.collateral.map(
        (c) =>
          `  ${c.asset.padEnd(10)} ${String(c.haircutBps).padStart(8)} ${String(c.quantileDropBps).padStart(13)} ${String(c.wrongWayDropBps).padStart(15)}`,
      ),
      "",
      `  max leverage ${Number(a.maxLeverageBps) / 1e4}x; ${a.scenarios.length} stress rows (--json for them)`,
      `  grace period ${a.graceSeconds} s (fallback latency p99 ${a.latencyP99Seconds} s on ${chainName}, ${accounts} accounts; capacity ${a.capacityAccounts.toLocaleString("en-US")} accounts)`,
      `  bond ${(Number(a.bondWei) / 1e18).toFixed(4)} ETH (${a.bondWei} wei: a liquidation's gas at ${PLAN_DEFAULTS.stressGasGwei} gwei x ${PLAN_DEFAULTS.bondMargin})`,
      `  insurance fund ${(a.insuranceFundFraction * 100).toFixed(2)}%, backstop vault ${(a.backstopVaultFraction * 100).toFixed(2)}% of the equity held in worst-case books`,
      outPath !== undefined ? `Wrote ${outPath} (validated).` : "No --out: params not written (--out F writes them).",
    ];
    out(lines.join("\n"));
    return EXIT.OK;
  },
};

const simulateCmd: Command = {
  name: "risk simulate",
  summary: "replay history through the margin rule with a population of accounts: liquidations, bad debt, waterfall, frontier",
  description: `Replays the hourly history (any span; every crash day) through the margin rule of prover/model.ts
with a population of --accounts accounts: synthetic books (one to three markets, log-uniform
equity from $100 to $100k, 20% to 95% of the initial requirement used, a share holding ETH or BTC
collateral) and adversarial books (--adversarial share: the worst-portfolio search's optimum books,
opened at 90% of initial). Epochs are the hourly closes. An account below maintenance at epoch t
is taken over at the mark of epoch t + --latency hours, less its depth impact; each epoch's
takeovers move the marks by impact x net liquidated notional / depth (cascades, halving every
24 h, at most 30%). Losses run the waterfall: the account, the insurance fund (--insurance, a
fraction of the population's equity; 1% liquidation fees refill it), the backstop vault
(--vault), then socialised (auto-deleveraging). Prints liquidations, volume, bad debt (per 30-day
segment and per crash day), fund and vault drawdowns, socialised loss, the contagion map (the
liquidated notional per market by the market that moved most in that hour) and the capacity
frontier (accounts that attest within the grace period per chain and batch size, from risk
latency). Segments of 30 days run on worker threads (--workers). --json FILE writes everything.
docs/RISK.md, "Crash simulator".
Prices: --prices DIR (default ../shared/data/prices beside the checkout); without real data it
refuses (exit 1 naming --prices) unless --synthetic is given.`,
  options: {
    params: { type: "string", value: "P", help: "the epoch parameters (default examples/params.json)" },
    accounts: { type: "string", value: "N", help: "accounts in the population (default 1000)" },
    latency: { type: "string", value: "HOURS", help: "epochs from a failed check to the takeover (default 1)" },
    adversarial: { type: "string", value: "F", help: "share of adversarial books (default 0.1)" },
    insurance: { type: "string", value: "F", help: "insurance fund, a fraction of the population's equity (default 0.01)" },
    vault: { type: "string", value: "F", help: "backstop vault, a fraction of the population's equity (default 0.02)" },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    collateral: { type: "string", value: "LIST", help: `${M_ASSETS} asset symbols or -, default ${DEFAULT_COLLATERAL.join(",")}` },
    from: { type: "string", value: "DATE", help: "first UTC day YYYY-MM-DD" },
    to: { type: "string", value: "DATE", help: "last UTC day YYYY-MM-DD, inclusive" },
    seed: { type: "string", value: "N", help: "the population's seed (default 1)" },
    workers: { type: "string", value: "N", help: "worker threads (default: the cores, at most 4; 0 inline)" },
    grace: {
      type: "string",
      value: "HOURS",
      help: "margin calls instead of liquidation by proof: an account below maintenance is taken over only if still below this many hours later (default 0: by proof)",
    },
    funding: { type: "boolean", help: "pay the real funding rates (DIR/csv/<source>/futures/*funding_rate.csv): they move the cost basis" },
    json: { type: "string", value: "FILE", help: "also write the full result as JSON to FILE" },
  },
  examples: [
    "zkmargin risk simulate --accounts 10000",
    "zkmargin risk simulate --accounts 10000 --grace 1 --funding",
    "zkmargin risk simulate --params planned.json --from 2020-03-01 --to 2020-03-31 --json sim.json",
    "zkmargin risk simulate --synthetic --accounts 200",
  ],
  async run({ values }) {
    const { simulate, SIM_DEFAULTS, defaultWorkers } = await import("../../../risk/simulate.ts");
    const { BAR_DAYS } = await import("../../../risk/plan.ts");
    const { iso, syntheticLabel } = await import("../../../risk/moves.ts");
    const accounts = numberOption(values, "accounts", SIM_DEFAULTS.accounts, 1, 1_000_000, true);
    const latencyHours = numberOption(values, "latency", SIM_DEFAULTS.latencyHours, 0, 1000, true);
    const adversarialShare = numberOption(values, "adversarial", SIM_DEFAULTS.adversarialShare, 0, 1);
    const insuranceFraction = numberOption(values, "insurance", SIM_DEFAULTS.insuranceFraction, 0, 100);
    const vaultFraction = numberOption(values, "vault", SIM_DEFAULTS.vaultFraction, 0, 100);
    const seed = numberOption(values, "seed", SIM_DEFAULTS.seed, 0, 4294967295, true);
    const workers = numberOption(values, "workers", defaultWorkers(), 0, 64, true);
    const graceHours = numberOption(values, "grace", 0, 0, 1000, true);
    const from = day(values, "from");
    const to = day(values, "to");
    if (from !== undefined && to !== undefined && to < from) throw new ValidationError("--to", "is before --from");
    const names = marketNames(values);
    const coll = typeof values.collateral === "string" ? values.collateral.split(",") : DEFAULT_COLLATERAL;
    if (coll.length !== M_ASSETS || coll.some((x) => !/^[A-Z0-9]{1,10}$|^-$/.test(x)) || coll[0] === "-")
      throw new ValidationError(
        "--collateral",
        `must list ${M_ASSETS} asset symbols (or -) separated by commas, the first the settlement asset`,
      );
    const paramsPath = str(values, "params") ?? join(PACKAGE_ROOT, "examples", "params.json");
    const jsonPath = typeof values.json === "string" ? checkOutPath(values.json, [paramsPath], "--json") : undefined;
    const params = validateParams(readJsonFile(paramsPath, "--params"));
    const held = names.filter((a, i) => a !== "-" && params.markets[i].positionCap > 0n);
    if (held.length === 0) throw new ValidationError("--markets", "no market can hold a position (every market is - or has positionCap 0)");
    const assets = [...new Set([...held, ...coll.slice(1).filter((a) => a !== "-")])];
    const { candles, data, history } = await loadCandles(values, "risk simulate", assets, from, to);
    let funding: Record<string, import("../../../risk/simulate.ts").FundingSeries> | undefined;
    if (values.funding) {
      if (history.synthetic || !("dir" in data))
        throw new ValidationError("--funding", "needs real data (--prices), not --synthetic paths");
      const { readFunding } = await import("../../../risk/simulate.ts");
      funding = readFunding(data.dir);
      if (Object.keys(funding).length === 0) throw new ValidationError("--funding", `no funding rates under ${data.dir}/csv/*/futures`);
    }
    const bar = await progressBar("simulating 30-day segments", 1);
    let r;
    try {
      r = await simulate(
        params,
        names,
        coll,
        candles,
        {
          ...SIM_DEFAULTS,
          accounts,
          latencyHours,
          adversarialShare,
          insuranceFraction,
          vaultFraction,
          seed,
          workers,
          from,
          to,
          barDays: history.synthetic ? [] : BAR_DAYS,
          graceHours,
          funding,
        },
        history.synthetic ? syntheticLabel : iso,
        (done, total) => bar.update(done, "", total),
      );
    } catch (e) {
      bar.stop();
      if (e instanceof Error && /no candles in the span/.test(e.message))
        throw new ValidationError(from !== undefined ? "--from" : "--to", `no hourly prices of ${assets.join(", ")} in the span`);
      throw e;
    }
    bar.stop();
    const { segments: _segments, ...rest } = r;
    if (jsonPath !== undefined) writeAtomically(jsonPath, `${JSON.stringify({ data, ...r }, null, 2)}\n`, "--json");
    const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
    const lines = [
      data.source === "synthetic"
        ? "zkmargin risk simulate — SYNTHETIC generated paths, NOT real prices: do not publish"
        : `zkmargin risk simulate — real Binance spot 1h prices from ${data.dir}/merged (UTC)`,
      `${rest.hours.toLocaleString("en-US")} hours (${rest.first} → ${rest.last}), ${accounts.toLocaleString("en-US")} accounts, latency ${latencyHours} h: ${rest.accountHours.toLocaleString("en-US")} account-hours in ${rest.seconds.toFixed(1)} s (${Math.round(rest.accountHoursPerSecond).toLocaleString("en-US")}/s, ${rest.workers} workers)`,
      "",
      `  liquidations        ${rest.liquidations.toLocaleString("en-US")} (${rest.collateralLiquidations.toLocaleString("en-US")} holding ETH/BTC collateral), volume ${usd(rest.liquidationVolumeUsd)}`,
      `  bad debt            ${usd(rest.badDebtUsd)}; per 30-day segment p50 ${usd(rest.badDebtPerSegment.p50)}, p99 ${usd(rest.badDebtPerSegment.p99)}, max ${usd(rest.badDebtPerSegment.max)} (${rest.badDebtPerSegment.segmentsWithBadDebt} of ${rest.badDebtPerSegment.segments} segments)`,
      `  insurance fund      ${usd(rest.insuranceFundUsd)}, largest drawdown ${usd(rest.insuranceDrawdownUsd)}`,
      `  backstop vault      ${usd(rest.vaultUsd)}, largest drawdown ${usd(rest.vaultDrawdownUsd)}`,
      `  socialised          ${usd(rest.socialisedUsd)} in ${rest.adlEvents} auto-deleveraging events`,
      ...(graceHours > 0
        ? [
            `  margin calls        ${rest.marginCalls.toLocaleString("en-US")} (grace ${graceHours} h), ${rest.marginCallsCured.toLocaleString("en-US")} answered (healthy again at the deadline)`,
          ]
        : []),
      ...(funding ? [`  funding paid        ${usd(rest.fundingPaidUsd)} by the population (longs pay a positive rate)`] : []),
      "",
      "  crash day       bad debt      liquidations   volume",
      ...Object.entries(rest.badDebtPerCrash).map(
        ([d, c]) => `  ${d}  ${usd(c.badDebtUsd).padStart(12)}  ${String(c.liquidations).padStart(12)}   ${usd(c.liquidationVolumeUsd)}`,
      ),
      "",
      `  contagion (liquidated notional, $M; row: the market that moved most in the hour)`,
      `  ${"".padEnd(6)}${rest.contagion.markets.map((m) => m.padStart(9)).join("")}`,
      ...rest.contagion.notionalUsd.map(
        (row, i) => `  ${rest.contagion.markets[i].padEnd(6)}${row.map((x) => (x / 1e6).toFixed(0).padStart(9)).join("")}`,
      ),
      "",
      "  capacity frontier: accounts attesting within the grace period at 30% of block space",
      `  chain         grace ${[1, 8, 32, 128].map((b) => `batch ${b}`.padStart(10)).join("")}`,
      ...["ethereum-l1", "l2"].flatMap((c) =>
        [60, 300, 600, 1800, 3600].map(
          (g) =>
            `  ${c.padEnd(12)} ${`${g} s`.padStart(6)} ${[1, 8, 32, 128]
              .map((b) =>
                rest.frontier
                  .find((f) => f.chain === c && f.graceSeconds === g && f.batch === b)!
                  .accounts.toLocaleString("en-US")
                  .padStart(10),
              )
              .join("")}`,
        ),
      ),
    ];
    out(lines.join("\n"));
    return EXIT.OK;
  },
};

const PLOTS = ["margin", "heatmap", "losses", "frontier", "crashes", "contagion"];

const reportCmd: Command = {
  name: "risk report",
  summary: "a self-contained HTML report with SVG plots (Vega-Lite, server-side); PNG of one plot for a README",
  description: `Writes a self-contained HTML report (--out FILE.html: inline SVG, no script, no external
resource) with six plots drawn by Vega-Lite (compiled by vega-lite, rendered server-side by vega):
margin versus latency with bands (each asset's adverse move over L = 1 to 24 h: q99.9 line, q99
to max band), the bad-debt heatmap (1 h windows with bad debt per month, worst-portfolio search
on --params), the worst-portfolio loss distribution, the accounts-versus-grace frontier (risk
latency's capacity per chain and batch size), crash timelines and the contagion map (risk
simulate replays of 1,000 accounts around each crash day). --png FILE also writes one plot
(--plot NAME: ${PLOTS.join(", ")}; default margin) as PNG through @resvg/resvg-js.
Prices: --prices DIR (default ../shared/data/prices beside the checkout); without real data it
refuses (exit 1 naming --prices) unless --synthetic is given.`,
  options: {
    params: { type: "string", value: "P", help: "the epoch parameters (default examples/params.json)" },
    out: { type: "string", value: "FILE", help: "the HTML report to write" },
    png: { type: "string", value: "FILE", help: "also write one plot as PNG" },
    plot: { type: "string", value: "NAME", help: `the plot of --png: ${PLOTS.join(" | ")} (default margin)` },
    markets: { type: "string", value: "LIST", help: `${N_MARKETS} asset symbols or -, default ${DEFAULT_MARKETS.join(",")}` },
    collateral: { type: "string", value: "LIST", help: `${M_ASSETS} asset symbols or -, default ${DEFAULT_COLLATERAL.join(",")}` },
    "crash-days": { type: "string", value: "DAYS", help: "UTC days YYYY-MM-DD for the crash replays (default: the issue's six)" },
  },
  examples: [
    "zkmargin risk report --out report.html",
    "zkmargin risk report --params planned.json --out report.html --png docs/img/risk-report.png",
    "zkmargin risk report --synthetic --out report.html",
  ],
  async run({ values }) {
    const { reportData, reportHtml, pngOf } = await import("../../../risk/report.ts");
    const { BAR_DAYS } = await import("../../../risk/plan.ts");
    const { iso, syntheticLabel } = await import("../../../risk/moves.ts");
    const paramsPath = str(values, "params") ?? join(PACKAGE_ROOT, "examples", "params.json");
    const outPath = checkOutPath(required(values, "out"), [paramsPath]);
    const pngPath = typeof values.png === "string" ? checkOutPath(values.png, [paramsPath, outPath], "--png") : undefined;
    const plotName = str(values, "plot") ?? "margin";
    if (!PLOTS.includes(plotName)) throw new ValidationError("--plot", `must be one of ${PLOTS.join(", ")} (got '${plotName}')`);
    if (str(values, "plot") !== undefined && pngPath === undefined) throw new ValidationError("--plot", "only with --png");
    const names = marketNames(values);
    const coll = typeof values.collateral === "string" ? values.collateral.split(",") : DEFAULT_COLLATERAL;
    if (coll.length !== M_ASSETS || coll.some((x) => !/^[A-Z0-9]{1,10}$|^-$/.test(x)) || coll[0] === "-")
      throw new ValidationError(
        "--collateral",
        `must list ${M_ASSETS} asset symbols (or -) separated by commas, the first the settlement asset`,
      );
    const daysOption = str(values, "crash-days");
    const days = daysOption !== undefined ? daysOption.split(",") : values.synthetic === true ? [] : BAR_DAYS;
    for (const d of days)
      if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(d) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d)
        throw new ValidationError("--crash-days", `must list UTC days YYYY-MM-DD separated by commas (got '${d}')`);
    if (values.synthetic === true && days.length > 0)
      throw new ValidationError("--crash-days", "generated paths have no dates (--synthetic)");
    const params = validateParams(readJsonFile(paramsPath, "--params"));
    const held = names.filter((a, i) => a !== "-" && params.markets[i].positionCap > 0n);
    if (held.length === 0) throw new ValidationError("--markets", "no market can hold a position (every market is - or has positionCap 0)");
    const assets = [...new Set([...held, ...coll.slice(1).filter((a) => a !== "-")])];
    const { candles, history } = await loadCandles(values, "risk report", assets);
    const started = Date.now();
    const bar = await progressBar("report", 6 + days.length + 1);
    let step = 0;
    const d = await reportData(params, names, coll, candles, days, history.synthetic, history.synthetic ? syntheticLabel : iso, (what) =>
      bar.update(++step, what),
    );
    const { html, svgs } = await reportHtml(d, (name) => bar.update(++step, `plot ${name}`));
    bar.stop();
    writeAtomically(outPath, html, "--out");
    if (pngPath !== undefined) {
      const png = await pngOf(svgs[plotName]);
      const { writeFileSync, renameSync } = await import("node:fs");
      const tmp = `${pngPath}.tmp-${process.pid}`;
      writeFileSync(tmp, png);
      renameSync(tmp, pngPath);
    }
    progress(`report written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    out(
      [
        `Wrote ${outPath} (${(html.length / 1024).toFixed(0)} KiB, ${Object.keys(svgs).length} SVG plots)${pngPath ? ` and ${pngPath} (${plotName})` : ""}.`,
        ...d.summary,
      ].join("\n"),
    );
    return EXIT.OK;
  },
};

const n = (x: number) => x.toLocaleString("en-US");

export const risk: Group = {
  name: "risk",
  summary:
    "the risk engine: moves, liquidation latency, worst provable portfolio, stress scenarios, parameter plan, crash simulator, report",
  description: `Every action but risk latency reads hourly prices from --prices DIR (default ../shared/data/prices
beside the checkout) and refuses without them (exit 1 naming --prices) unless --synthetic is given;
generated paths are then said on stderr and in the output. risk latency reads no price data (it
refuses --prices and --synthetic). risk plan refuses parameters that miss its confidence with exit
3 and one line. docs/RISK.md defines every table.`,
  noun: "action",
  common: {
    prices: { type: "string", value: "DIR", help: "hourly price history (the folder holding merged/ and csv/)" },
    synthetic: { type: "boolean", help: "generated paths instead of real prices (for trying the tool, not for publishing)" },
  },
  commands: [moves, latency, worst, scenarios, plan, simulateCmd, reportCmd],
};
