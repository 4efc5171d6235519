// A trader's helpers: fill new (a fill from human units), faucet (test tokens on a local
// deployment), advance (time travel on a local chain).
import { randomBytes } from "node:crypto";
import { FIELD_MODULUS, DEFAULT_RPC } from "../../../prover/constants.ts";
import { ASSETS, amountToUnits, assetOf, marketOf, marketsTable, priceToQuote, sizeToLots } from "../../../prover/markets.ts";
import { ValidationError } from "../../../prover/validate.ts";
import type { Command, Group } from "../command.ts";
import { EXIT, address, checkOutPath, json, out, progress, required, str, writeAtomically } from "../io.ts";
import { chainSigner, deployedAddress, deploymentFile, DEPLOYMENT_OPTION, RPC_OPTION, rpcOf } from "./shared.ts";

/** A uniformly random field element: the fill's salt hides it inside its public commitment. */
function randomSalt(): bigint {
  for (;;) {
    const x = BigInt(`0x${randomBytes(32).toString("hex")}`) >> 2n;
    if (x < FIELD_MODULUS) return x;
  }
}

const fillNew: Command = {
  name: "fill new",
  summary: "a fill from human units: exact lots and quote units, a random salt",
  description: `Writes {market, size, price, salt} for 'zkmargin account trade-leg --fill': size in lots, price
in quote units per lot (1 quote unit = 1e-6 USD), salt a random field element (it hides the fill
inside its public commitment: never reuse or choose one). Both counterparties use the same file.
${marketsTable()}`,
  options: {
    market: { type: "string", value: "M", help: "market symbol or index (BTC, ETH, SOL, BNB, XRP, DOGE)" },
    size: { type: "string", value: "X", help: "size in the base asset, e.g. 2 (BTC); a whole number of lots" },
    price: { type: "string", value: "USD", help: "price in USD per base unit, e.g. 97250" },
    out: { type: "string", value: "F", help: "the fill file to write (stdout when omitted)" },
  },
  examples: ["zkmargin fill new --market BTC --size 2 --price 97250 --out fill.json"],
  async run({ values }) {
    const market = marketOf(required(values, "market"));
    const lots = sizeToLots(market, required(values, "size"));
    const quote = priceToQuote(market, required(values, "price"));
    const fill = { market: market.index, size: String(lots), price: String(quote), salt: String(randomSalt()) };
    const outPath = str(values, "out");
    if (outPath !== undefined) {
      const abs = checkOutPath(outPath, []);
      writeAtomically(abs, `${JSON.stringify(fill, null, 2)}\n`, "--out");
      progress(`${values.size} ${market.symbol} = ${lots} lots at ${values.price} USD = ${quote} quote units per lot`);
    }
    out(JSON.stringify(outPath === undefined ? fill : { out: outPath, ...fill }));
    return EXIT.OK;
  },
};

export const fill: Group = {
  name: "fill",
  summary: "make a fill file from human units (zkmargin fill new)",
  noun: "action",
  commands: [fillNew],
};

export const faucet: Command = {
  name: "faucet",
  summary: "mint test tokens on a local deployment (deploy --accounts without --tokens)",
  description: `Mints AMOUNT of collateral asset J's test token to the signer (or --to). Only the test tokens that
'zkmargin deploy --accounts' deploys when no --tokens are given can be minted; real tokens are
refused. AMOUNT is in human units of the token (e.g. 200000 USD, 1.5 ETH).`,
  options: {
    ...DEPLOYMENT_OPTION,
    ...RPC_OPTION,
    "account-index": { type: "string", value: "N", help: "the node's account N receives (default 0), unless --to" },
    asset: { type: "string", value: "J", help: `asset symbol or index (${ASSETS.map((a) => a.symbol).join(", ")})` },
    amount: { type: "string", value: "X", help: "amount in human units of the token" },
    to: { type: "string", value: "ADDRESS", help: "the recipient (default: the signer)" },
  },
  examples: ["zkmargin faucet --deployment d.json --account-index 1 --asset USD --amount 200000"],
  exits: "0 minted, 1 bad input or not a test token, 3 unreachable node.",
  async run({ values }) {
    const d = deploymentFile(required(values, "deployment"));
    const asset = assetOf(required(values, "asset"));
    const units = amountToUnits(asset, required(values, "amount"));
    if (units === 0n) throw new ValidationError("--amount", "must be positive");
    const to = str(values, "to");
    if (to !== undefined) address(to, "--to");
    const token = deployedAddress(
      d,
      `TestToken${asset.token.symbol}`,
      ` (the deployment's tokens are not test tokens; the faucet mints only on 'deploy --accounts' without --tokens)`,
    );
    const { contractAt } = await import("../../contracts.ts");
    const { ContractRevert, revertMessage } = await import("../../revert.ts");
    const indexRaw = str(values, "account-index");
    if (indexRaw !== undefined && !/^[0-9]{1,2}$/.test(indexRaw))
      throw new ValidationError("--account-index", "must be a small non-negative integer");
    const { signer, provider } = await chainSigner(rpcOf(values, d), indexRaw === undefined ? 0 : Number(indexRaw));
    try {
      const t = await contractAt("TestToken", token, signer);
      const recipient = to ?? (await signer.getAddress());
      let receipt;
      try {
        receipt = await (await t.mint(recipient, units)).wait();
      } catch (e) {
        throw new ContractRevert("mint", revertMessage(e, [t]));
      }
      out(
        json({
          asset: asset.index,
          symbol: asset.symbol,
          token,
          to: recipient,
          amount: units,
          balance: BigInt(await t.balanceOf(recipient)),
          gasUsed: receipt.gasUsed,
        }),
      );
      return EXIT.OK;
    } finally {
      provider.destroy();
    }
  },
};

export const advance: Command = {
  name: "advance",
  summary: "move a local chain's clock forward (hardhat node, anvil): e.g. past a grace period",
  description: "Calls evm_increaseTime and evm_mine on the node. Public chains refuse both.",
  options: {
    seconds: { type: "string", value: "N", help: "how many seconds" },
    rpc: { type: "string", value: "URL", help: `JSON-RPC endpoint (default ${DEFAULT_RPC})`, env: "ZKMARGIN_RPC" },
  },
  examples: ["zkmargin advance --seconds 601"],
  exits: "0 advanced, 1 bad input or a node that refuses time travel, 3 unreachable node.",
  async run({ values }) {
    const raw = required(values, "seconds");
    if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) === 0)
      throw new ValidationError("--seconds", "must be a positive whole number below 10^9");
    const { provider } = await chainSigner(rpcOf(values));
    try {
      try {
        await provider.send("evm_increaseTime", [Number(raw)]);
        await provider.send("evm_mine", []);
      } catch (e) {
        throw new ValidationError(
          "--rpc",
          `the node refuses time travel (${(e as Error).message.split("\n")[0]}); only local development chains allow it`,
        );
      }
      const block = await provider.getBlock("latest");
      out(json({ advanced: Number(raw), timestamp: block?.timestamp, time: new Date(Number(block?.timestamp ?? 0) * 1000).toISOString() }));
      return EXIT.OK;
    } finally {
      provider.destroy();
    }
  },
};
