// deploy and epoch post: the protocol's contracts and risk epochs over JSON-RPC.
import {
  AMOUNT_BITS,
  DEFAULT_BOND_WEI,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_TRADE_FEE,
  DEFAULT_LIQUIDATION_PENALTY_BPS,
  M_ASSETS,
} from "../../../prover/constants.ts";
import { ValidationError, validateParams } from "../../../prover/validate.ts";
import type { Command, Group } from "../command.ts";
import { address, checkOutPath, EXIT, out, progress, readJsonFile, required, str, writeAtomically, type Values } from "../io.ts";
import { chainSigner, deployedAddress, deploymentFile, rpcOf } from "./shared.ts";
import {
  DEFAULT_BREAKER_DELAY_SECONDS,
  DEFAULT_IN_FLIGHT_MOVE_BPS,
  DEFAULT_IN_FLIGHT_SECONDS,
  DEFAULT_MOVE_BPS,
  DEFAULT_TIMELOCK_SECONDS,
} from "../../oracle-defaults.ts";
import { readLiquidationKey } from "./account.ts";

import { DEFAULT_RPC } from "../../../prover/constants.ts";
const RPC = {
  rpc: {
    type: "string",
    value: "URL",
    help: `JSON-RPC endpoint (default ${DEFAULT_RPC}, e.g. a local 'npx hardhat node')`,
    env: "ZKMARGIN_RPC",
  },
} as const;

function count(values: Values, name: string, dflt: bigint, max: bigint, what: string): bigint {
  const v = str(values, name) ?? String(dflt);
  if (!/^[0-9]{1,30}$/.test(v) || BigInt(v) >= max) throw new ValidationError(`--${name}`, `must be ${what}`);
  return BigInt(v);
}

export const deploy: Command = {
  name: "deploy",
  summary: "deploy the verifiers, the risk epoch registry (and with --accounts the clearinghouse)",
  description: `Deploys the margin verifier, its wrapper, the Poseidon contracts and the RiskEpochRegistry over
JSON-RPC. The signer is ZKMARGIN_PRIVATE_KEY if set, else the node's first unlocked account
(admin and, unless --publisher is given, publisher). Writes the addresses to F (atomically).
--accounts also deploys the transition verifier and MarginAccounts: KEY is a 'zkmargin keygen'
file (only its publicKey is read); the collateral tokens default to ${M_ASSETS} test tokens anyone can mint.`,
  options: {
    out: { type: "string", value: "F", help: "the deployment file to write" },
    ...RPC,
    publisher: { type: "string", value: "ADDRESS", help: "the risk publisher (default: the deployer)" },
    "max-age": { type: "string", value: "SECONDS", help: `how long an epoch stays fresh (default ${DEFAULT_MAX_AGE_SECONDS})` },
    "max-move-bps": {
      type: "string",
      value: "BPS",
      help: `the largest move of a price per post, bps of the previous epoch's, every market and asset (default ${DEFAULT_MOVE_BPS})`,
    },
    "breaker-delay": {
      type: "string",
      value: "SECONDS",
      help: `how long prices beyond that bound are held before they can be posted (default ${DEFAULT_BREAKER_DELAY_SECONDS})`,
    },
    timelock: {
      type: "string",
      value: "SECONDS",
      help: `delay before new risk parameters or a new config take effect (default ${DEFAULT_TIMELOCK_SECONDS})`,
    },
    accounts: { type: "boolean", help: "also deploy the MarginAccounts clearinghouse" },
    "liquidation-key": { type: "string", value: "KEY", help: "with --accounts: the liquidation key file (zkmargin keygen)" },
    tokens: { type: "string", value: "T0,...", help: `with --accounts: ${M_ASSETS} comma-separated ERC-20 addresses` },
    bond: { type: "string", value: "WEI", help: `with --accounts: the account bond (default ${DEFAULT_BOND_WEI})` },
    grace: { type: "string", value: "SECONDS", help: `with --accounts: the margin-call grace period (default ${DEFAULT_GRACE_SECONDS})` },
    "trade-fee": {
      type: "string",
      value: "UNITS",
      help: `with --accounts: the flat fee per trade leg, quote units, paid into the insurance fund (default ${DEFAULT_TRADE_FEE}: $0.50)`,
    },
    "in-flight-window": {
      type: "string",
      value: "SECONDS",
      help: `with --accounts: a withdrawal, trade or realisation proven against an epoch still settles this long after the next post (default ${DEFAULT_IN_FLIGHT_SECONDS}; 0: off)`,
    },
    backstop: {
      type: "string",
      value: "ADDRESS",
      help: "with --accounts: the account that takes liquidated books over (default: the deployer; it must open an account and deposit)",
    },
    "liquidation-penalty": {
      type: "string",
      value: "BPS",
      help: `with --accounts: the takeover penalty into the insurance fund, bps of the book's gross notional (default ${DEFAULT_LIQUIDATION_PENALTY_BPS})`,
    },
    "in-flight-move": {
      type: "string",
      value: "BPS",
      help: `with --accounts: ... if that post moved no price by more than this (default ${DEFAULT_IN_FLIGHT_MOVE_BPS})`,
    },
  },
  examples: ["zkmargin deploy --out deployment.json", "zkmargin deploy --out d.json --accounts --liquidation-key liquidation-key.json"],
  exits: "0 deployed, 1 bad input, 3 unreachable node.",
  async run({ values }) {
    const outPath = checkOutPath(required(values, "out"), []);
    const maxAge = count(values, "max-age", DEFAULT_MAX_AGE_SECONDS, 2n ** 64n, "an integer number of seconds below 2^64");
    const publisher = str(values, "publisher");
    if (publisher !== undefined) address(publisher, "--publisher");
    const { oracleConfig } = await import("../../chain.ts");
    const oracle = oracleConfig({
      moveBps: count(values, "max-move-bps", DEFAULT_MOVE_BPS, 65_536n, "an integer number of bps in [1, 65535]"),
      breakerDelay: count(values, "breaker-delay", DEFAULT_BREAKER_DELAY_SECONDS, 86_401n, "an integer number of seconds up to 86400"),
      timelock: count(
        values,
        "timelock",
        DEFAULT_TIMELOCK_SECONDS,
        30n * 86_400n + 1n,
        "an integer number of seconds up to 2592000 (30 days)",
      ),
    });
    if (oracle.markMoveBps[0] === 0n) throw new ValidationError("--max-move-bps", "must be an integer number of bps in [1, 65535]");
    let accounts: import("../../chain.ts").AccountsOptions | undefined;
    if (values.accounts) {
      const keyPath = str(values, "liquidation-key");
      if (!keyPath)
        throw new ValidationError("--liquidation-key", "is required with --accounts (a 'zkmargin keygen' file or {publicKey: [x, y]})");
      const liquidationKey = await readLiquidationKey(keyPath);
      const tokens = str(values, "tokens")?.split(",");
      if (tokens && (tokens.length !== M_ASSETS || tokens.some((t) => !/^0x[0-9a-fA-F]{40}$/.test(t))))
        throw new ValidationError("--tokens", `must be ${M_ASSETS} comma-separated ERC-20 addresses`);
      const bondWei = count(values, "bond", DEFAULT_BOND_WEI, 10n ** 30n, "a non-negative integer");
      const gracePeriod = count(values, "grace", DEFAULT_GRACE_SECONDS, 10n ** 30n, "a non-negative integer");
      if (gracePeriod >= 2n ** 64n) throw new ValidationError("--grace", "must be below 2^64 seconds");
      const tradeFee = count(values, "trade-fee", DEFAULT_TRADE_FEE, 2n ** BigInt(AMOUNT_BITS), "a non-negative integer below 2^96");
      const inFlightWindow = count(values, "in-flight-window", DEFAULT_IN_FLIGHT_SECONDS, 2n ** 64n, "a non-negative integer below 2^64");
      const inFlightMoveBps = count(values, "in-flight-move", DEFAULT_IN_FLIGHT_MOVE_BPS, 255n, "an integer in [0, 254]");
      const backstop = str(values, "backstop");
      if (backstop !== undefined) address(backstop, "--backstop");
      const liquidationPenaltyBps = count(
        values,
        "liquidation-penalty",
        DEFAULT_LIQUIDATION_PENALTY_BPS,
        10_001n,
        "an integer number of bps in [0, 10000]",
      );
      accounts = {
        tokens,
        bondWei,
        gracePeriod,
        liquidationKey,
        tradeFee,
        inFlightWindow,
        inFlightMoveBps,
        backstop,
        liquidationPenaltyBps,
      };
    }
    const rpc = rpcOf(values);
    const { signer, provider } = await chainSigner(rpc);
    try {
      const { deployProtocol } = await import("../../chain.ts");
      const d = await deployProtocol(signer, { publisher, maxAge, oracle, accounts, log: progress });
      writeAtomically(outPath, `${JSON.stringify({ ...d, rpc }, null, 2)}\n`, "--out");
      out(
        JSON.stringify({
          out: outPath,
          chainId: d.chainId,
          registry: d.contracts.RiskEpochRegistry,
          wrapper: d.contracts.MarginProofVerifier,
          accounts: d.contracts.MarginAccounts,
        }),
      );
      return EXIT.OK;
    } finally {
      provider.destroy();
    }
  },
};

const post: Command = {
  name: "epoch post",
  summary: "validate a params.json and post it to the deployment's RiskEpochRegistry",
  description: `Validates P (exit 1 naming the field) and posts it: risk parameters, funding indices and prices
(--prices-only: prices alone, reusing the posted risk and funding). Checks that the on-chain
paramsHash equals the locally computed one and prints {epochId, paramsHash, steps: [{step, tx, gasUsed}]}.
Epoch ids advance by exactly one. Risk parameters equal to the registry's are not posted again;
before the first epoch they take effect at once. Different ones wait out the registry's timelock:
exit 1 naming it, or with --queue they are queued and {queued: {riskHash, eta}} is printed — run
the same command again at or after eta. A price beyond the registry's per-post bound exits 1
naming it (e.g. markets[0].markPrice, MoveTooLarge); --hold holds the prices instead (the circuit
breaker: no epoch is fresh meanwhile) and prints {held: {epochId, eta}}; post them with
--prices-only at or after eta.`,
  options: {
    deployment: { type: "string", value: "F", help: "the deployment file (zkmargin deploy)", env: "ZKMARGIN_DEPLOYMENT" },
    params: { type: "string", value: "P", help: "the epoch to post (params.json)" },
    ...RPC,
    "prices-only": { type: "boolean", help: "post the prices alone" },
    queue: { type: "boolean", help: "queue risk parameters that differ from the registry's behind its timelock" },
    hold: { type: "boolean", help: "hold prices beyond the per-post bound (they can be posted after the breaker delay)" },
  },
  examples: [
    "zkmargin epoch post --deployment deployment.json --params examples/params.json",
    "zkmargin epoch post --deployment deployment.json --params new-risk.json --queue",
  ],
  exits:
    "0 posted, queued or held; 1 bad input, a registry revert naming the field (e.g. epochId when it is not latest + 1, markets[i].markPrice beyond the bound) or risk parameters behind the timelock; 3 unreachable node.",
  async run({ values }) {
    const params = validateParams(readJsonFile(required(values, "params"), "--params"));
    const deployment = deploymentFile(required(values, "deployment"));
    const registryAt = deployedAddress(deployment, "RiskEpochRegistry");
    const chain = await import("../../chain.ts");
    const { contractAt } = await import("../../contracts.ts");
    const { decodeRevert } = await import("../../revert.ts");
    const rpc = rpcOf(values, deployment);
    const { signer, provider } = await chainSigner(rpc);
    try {
      const registry = await contractAt("RiskEpochRegistry", registryAt, signer);
      try {
        if (values.hold === true) {
          const h = await chain.holdPrices(registry, params);
          out(JSON.stringify({ held: { epochId: h.epochId, eta: h.eta }, steps: [{ step: "hold", tx: h.tx, gasUsed: h.gasUsed }] }));
        } else {
          out(
            JSON.stringify(
              await chain.postEpoch(registry, params, { pricesOnly: values["prices-only"] === true, queue: values.queue === true }),
            ),
          );
        }
      } catch (e) {
        if (e instanceof chain.RiskTimelockError) throw new ValidationError("--params", e.message);
        const d = decodeRevert(e, [registry]);
        if (d) {
          const hint = d.name === "MoveTooLarge" ? " (hold the prices with --hold and post them after the breaker delay)" : "";
          throw new ValidationError(chain.revertField(d.name, d.args), `rejected by the registry: ${d.text}${hint}`);
        }
        throw e;
      }
      return EXIT.OK;
    } finally {
      provider.destroy();
    }
  },
};

export const epoch: Group = {
  name: "epoch",
  summary: "post a risk epoch to a deployed registry (zkmargin epoch post)",
  noun: "action",
  commands: [post],
};
