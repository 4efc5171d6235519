// `zkmargin keygen | account ... | margin-call | liquidate`: the trader's and the keeper's side
// of the MarginAccounts protocol over JSON-RPC. The private state (portfolio + salt) lives in the
// --state file, encrypted with ZKMARGIN_PASSPHRASE, and is never sent anywhere.
import { existsSync } from "node:fs";
import type { JsonRpcProvider, Signer } from "ethers";
import { FIELD_MODULUS } from "../prover/field.ts";
import { MarginProver, UnhealthyError } from "../prover/prover.ts";
import { TransitionProver, TransitionRefused, checkLiquidationKey, liquidationKeyHash, liquidationKeyPair, type Fill, type Point } from "../prover/transition.ts";
import { parseInteger, validateParams, ValidationError } from "../prover/validate.ts";
import type { Params } from "../prover/types.ts";
import { ContractRevert, Trader, settleTrade, type TradeLeg, type TransitionData } from "./accounts.ts";
import { writeDurably } from "./state.ts";

export interface CliKit {
  EXIT: { OK: number; BAD_INPUT: number; UNHEALTHY: number; INTERNAL: number };
  fail: (code: number, message: string) => never;
  parse: (command: string, argv: string[], options: Record<string, { type: "string" | "boolean" }>) => { values: Record<string, string | boolean | undefined>; positionals: string[] };
  required: (values: Record<string, unknown>, name: string) => string;
  readJsonFile: (path: string, field: string) => unknown;
  checkOutPath: (path: string, inputs: string[]) => string;
  out: (text: string) => void;
  progress: (text: string) => void;
  help: (command: string) => number;
  chainSigner: (rpc: string, index?: number) => Promise<{ signer: Signer; provider: JsonRpcProvider }>;
}

interface DeploymentFile {
  rpc?: string;
  contracts?: Record<string, string>;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const json = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v));

function str(values: Record<string, unknown>, name: string): string | undefined {
  return typeof values[name] === "string" ? (values[name] as string) : undefined;
}

function passphrase(): string {
  const p = process.env.ZKMARGIN_PASSPHRASE;
  if (!p) throw new ValidationError("ZKMARGIN_PASSPHRASE", "must be set: it encrypts the account state file");
  return p;
}

function integer(values: Record<string, unknown>, name: string, kit: CliKit, max: bigint): bigint {
  const v = parseInteger(kit.required(values, name), `--${name}`);
  if (v < 0n || v >= max) throw new ValidationError(`--${name}`, `must be in [0, ${max})`);
  return v;
}

function smallInt(values: Record<string, unknown>, name: string, kit: CliKit, max: number): number {
  const raw = kit.required(values, name);
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) >= max) throw new ValidationError(`--${name}`, `must be an integer in [0, ${max})`);
  return Number(raw);
}

async function connect(values: Record<string, unknown>, kit: CliKit) {
  const d = kit.readJsonFile(kit.required(values, "deployment"), "--deployment") as DeploymentFile;
  const address = d?.contracts?.MarginAccounts;
  if (typeof address !== "string" || !ADDRESS.test(address)) throw new ValidationError("--deployment", "contracts.MarginAccounts must be an address (deploy with --accounts)");
  const { DEFAULT_RPC, contractAt } = await import("./deploy.ts");
  const rpc = str(values, "rpc") ?? d.rpc ?? DEFAULT_RPC;
  const indexRaw = str(values, "account-index");
  if (indexRaw !== undefined && !/^[0-9]{1,2}$/.test(indexRaw)) throw new ValidationError("--account-index", "must be a small non-negative integer");
  const { signer, provider } = await kit.chainSigner(rpc, indexRaw === undefined ? 0 : Number(indexRaw));
  const accounts = await contractAt("MarginAccounts", address, signer);
  return { signer, provider, accounts };
}

async function provers(kit: CliKit) {
  try {
    return { margin: await MarginProver.load(), transition: await TransitionProver.load() };
  } catch (e) {
    return kit.fail(kit.EXIT.INTERNAL, `cannot load proving artifacts (${(e as Error).message}); run 'npm run setup'`);
  }
}

function readParams(values: Record<string, unknown>, kit: CliKit): Params {
  return validateParams(kit.readJsonFile(kit.required(values, "params"), "--params"));
}

function readFill(path: string, kit: CliKit): Fill {
  const raw = kit.readJsonFile(path, "--fill") as Record<string, unknown>;
  if (raw === null || typeof raw !== "object") throw new ValidationError("--fill", "must be a JSON object {market, size, price, salt}");
  const market = raw.market;
  if (typeof market !== "number" || !Number.isInteger(market)) throw new ValidationError("fill.market", "must be an integer");
  const big = (k: string) => parseInteger(raw[k] as string, `fill.${k}`);
  const salt = big("salt");
  if (salt < 0n || salt >= FIELD_MODULUS) throw new ValidationError("fill.salt", "must be a field element");
  return { market, size: big("size"), price: big("price"), salt };
}

/** Run a trader action, mapping refusals and reverts to the CLI's exit codes. */
async function act<T>(kit: CliKit, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TransitionRefused || e instanceof UnhealthyError) kit.fail(kit.EXIT.UNHEALTHY, e.message);
    if (e instanceof ContractRevert) kit.fail(kit.EXIT.BAD_INPUT, e.message);
    throw e;
  }
}

export async function cmdKeygen(argv: string[], kit: CliKit): Promise<number> {
  const { values, positionals } = kit.parse("keygen", argv, { out: { type: "string" } });
  if (values.help) return kit.help("keygen");
  if (positionals.length) throw new ValidationError(positionals[0], "unexpected argument");
  const outPath = kit.required(values, "out");
  if (existsSync(outPath)) throw new ValidationError("--out", `${outPath} exists; refusing to overwrite a key`);
  const k = liquidationKeyPair();
  writeDurably(outPath, Buffer.from(`${json({ schema: "zkmargin/liquidation-key/v1", secret: k.secret, publicKey: k.publicKey, keyHash: liquidationKeyHash(k.publicKey) })}\n`));
  kit.out(json({ out: outPath, publicKey: k.publicKey, keyHash: liquidationKeyHash(k.publicKey) }));
  return kit.EXIT.OK;
}

/** The public half of a keygen file (or a {publicKey} file), checked to be a usable key. */
export function readLiquidationKey(path: string, kit: CliKit): Point {
  const raw = kit.readJsonFile(path, "--liquidation-key") as { publicKey?: unknown };
  const pk = raw?.publicKey;
  if (!Array.isArray(pk) || pk.length !== 2) throw new ValidationError("--liquidation-key", "must contain publicKey: [x, y]");
  const point: Point = [parseInteger(String(pk[0]), "publicKey[0]"), parseInteger(String(pk[1]), "publicKey[1]")];
  checkLiquidationKey(point);
  return point;
}

const ACCOUNT_OPTIONS = {
  deployment: { type: "string" },
  state: { type: "string" },
  rpc: { type: "string" },
  "account-index": { type: "string" },
  params: { type: "string" },
  asset: { type: "string" },
  amount: { type: "string" },
  market: { type: "string" },
  fill: { type: "string" },
  side: { type: "string" },
  counterparty: { type: "string" },
  out: { type: "string" },
  leg: { type: "string" },
  counter: { type: "string" },
  account: { type: "string" },
  address: { type: "string" },
} as const;

export async function cmdAccount(argv: string[], kit: CliKit): Promise<number> {
  const { values, positionals } = kit.parse("account", argv, ACCOUNT_OPTIONS as never);
  if (values.help || positionals.length === 0) return kit.help("account");
  const [sub, ...extra] = positionals;
  if (extra.length) throw new ValidationError(extra[0], "unexpected argument");
  const subs = ["open", "show", "sync", "deposit", "withdraw", "realize", "trade-leg", "trade", "prove-margin", "watchtower"];
  if (!subs.includes(sub)) kit.fail(kit.EXIT.BAD_INPUT, `account: unknown action '${sub}' (${subs.join(", ")})`);
  const statePath = kit.required(values, "state");
  const pass = passphrase();

  if (sub === "show") {
    const { StateStore } = await import("./state.ts");
    const s = StateStore.open(statePath, pass).state;
    kit.out(json({ account: s.account, chainId: s.chainId, contract: s.contract, nonce: s.current.nonce, commitment: s.current.commitment, portfolio: s.current.portfolio, pending: s.pending.length }));
    return kit.EXIT.OK;
  }

  // validate every local input before touching the chain or loading artifacts
  const params = ["deposit", "withdraw", "realize", "trade-leg", "prove-margin"].includes(sub) ? readParams(values, kit) : undefined;
  const asset = sub === "deposit" || sub === "withdraw" ? smallInt(values, "asset", kit, 4) : 0;
  const amount = sub === "deposit" || sub === "withdraw" ? integer(values, "amount", kit, 1n << 96n) : 0n;
  if ((sub === "deposit" || sub === "withdraw") && amount === 0n) throw new ValidationError("--amount", "must be positive");
  const market = sub === "realize" ? smallInt(values, "market", kit, 8) : 0;
  const fill = sub === "trade-leg" ? readFill(kit.required(values, "fill"), kit) : undefined;
  const side = sub === "trade-leg" ? kit.required(values, "side") : undefined;
  const counterparty = sub === "trade-leg" ? kit.required(values, "counterparty") : undefined;
  if (counterparty !== undefined && !ADDRESS.test(counterparty)) throw new ValidationError("--counterparty", "must be a 0x-prefixed 20-byte address");
  if (side !== undefined && side !== "buy" && side !== "sell") throw new ValidationError("--side", "must be buy or sell");
  const legOut = sub === "trade-leg" ? kit.checkOutPath(kit.required(values, "out"), [statePath]) : undefined;
  const watch = sub === "watchtower" ? kit.required(values, "address") : undefined;
  if (watch !== undefined && !ADDRESS.test(watch)) throw new ValidationError("--address", "must be a 0x-prefixed 20-byte address");
  const forAccount = str(values, "account");
  if (forAccount !== undefined && !ADDRESS.test(forAccount)) throw new ValidationError("--account", "must be a 0x-prefixed 20-byte address");
  if (sub === "prove-margin" && forAccount !== undefined && !existsSync(statePath)) throw new ValidationError("--state", `${statePath} does not exist`);
  if (sub !== "open" && !existsSync(statePath)) throw new ValidationError("--state", `${statePath} does not exist (run 'zkmargin account open' first)`);
  const legs = sub === "trade" ? [readLeg(kit.required(values, "leg"), "--leg", kit), readLeg(kit.required(values, "counter"), "--counter", kit)] : undefined;

  const { signer, provider, accounts } = await connect(values, kit);
  try {
    if (sub === "watchtower") {
      const tx = await act(kit, async () => {
        try {
          return await (await accounts.setWatchtower(watch)).wait();
        } catch (e) {
          throw new ContractRevert("setWatchtower", (await import("./accounts.ts")).revertReason(accounts, e));
        }
      });
      kit.out(json({ watchtower: watch, gasUsed: tx.gasUsed }));
      return kit.EXIT.OK;
    }
    if (sub === "prove-margin" && forAccount !== undefined) {
      // watchtower mode: the state file is the account's, the signer is the watchtower
      const { StateStore } = await import("./state.ts");
      const { bindingOf, MARGIN_DOMAIN } = await import("./accounts.ts");
      const store = StateStore.open(statePath, pass);
      const a = await accounts.accounts(forAccount);
      store.recover(BigInt(a.commitment), Number(a.nonce));
      const pr = await provers(kit);
      const chainId = (await provider.getNetwork()).chainId;
      const proof = await act(kit, () => pr.margin.prove(params!, store.state.current.portfolio, "maintenance", bindingOf(MARGIN_DOMAIN, chainId, String(accounts.target), forAccount, BigInt(a.nonce))));
      const { solidityCalldata } = await import("../prover/prover.ts");
      const { a: pa, b, c } = await solidityCalldata(proof);
      const r = await act(kit, async () => {
        try {
          return await (await accounts.proveMargin(forAccount, params!.epochId, { a: pa, b, c })).wait();
        } catch (e) {
          throw new ContractRevert("proveMargin", (await import("./accounts.ts")).revertReason(accounts, e));
        }
      });
      kit.out(json({ account: forAccount, epochId: params!.epochId, gasUsed: r.gasUsed }));
      return kit.EXIT.OK;
    }
    const pr = await provers(kit);
    const { trader, opened } = await act(kit, () => Trader.attach(signer, accounts, pr, statePath, pass));
    const report = (x: { txHash: string; gasUsed: bigint }) => kit.out(json({ account: trader.address, action: sub, tx: x.txHash, gasUsed: x.gasUsed, nonce: trader.store.state.current.nonce, commitment: trader.store.state.current.commitment }));
    switch (sub) {
      case "open":
        kit.out(json({ account: trader.address, opened: opened !== undefined, gasUsed: opened?.gasUsed ?? 0n, state: statePath }));
        return kit.EXIT.OK;
      case "sync":
        kit.out(json({ account: trader.address, nonce: trader.store.state.current.nonce, commitment: trader.store.state.current.commitment }));
        return kit.EXIT.OK;
      case "deposit":
        report(await act(kit, () => trader.deposit(asset, amount, params!)));
        return kit.EXIT.OK;
      case "withdraw":
        report(await act(kit, () => trader.withdraw(asset, amount, params!)));
        return kit.EXIT.OK;
      case "realize":
        report(await act(kit, () => trader.realize(market, params!)));
        return kit.EXIT.OK;
      case "prove-margin": {
        const r = await act(kit, () => trader.proveMargin(params!));
        kit.out(json({ account: trader.address, epochId: params!.epochId, tx: r.txHash, gasUsed: r.gasUsed }));
        return kit.EXIT.OK;
      }
      case "trade-leg": {
        const leg = await act(kit, () => trader.tradeLeg(fill!, side as "buy" | "sell", params!, counterparty!));
        const file = { schema: "zkmargin/trade-leg/v1", account: leg.account, counterparty, side: leg.side, fill: leg.fill, epochId: params!.epochId, data: leg.data, signature: leg.signature, pending: leg.pending };
        try {
          kit.checkOutPath(legOut!, [statePath]);
          writeDurably(legOut!, Buffer.from(`${json(file)}\n`));
        } catch (e) {
          trader.store.dropPending(leg.pending);
          throw e;
        }
        kit.out(json({ out: legOut, account: leg.account, side: leg.side, fill: leg.fill }));
        return kit.EXIT.OK;
      }
      case "trade": {
        const [mine, theirs] = legs!;
        if (mine.account.toLowerCase() !== trader.address.toLowerCase()) throw new ValidationError("--leg", `is account ${mine.account}'s leg, not the signer's (${trader.address})`);
        if (mine.fill !== theirs.fill) throw new ValidationError("--counter", "commits to another fill than --leg");
        if (mine.epochId !== theirs.epochId) throw new ValidationError("--counter", "was proven for another epoch than --leg");
        if (theirs.counterparty.toLowerCase() !== trader.address.toLowerCase()) throw new ValidationError("--counter", `was signed for counterparty ${theirs.counterparty}, not ${trader.address}`);
        const asLeg = (l: LegFile): TradeLeg => ({ side: l.side, account: l.account, data: l.data, pending: l.pending, fill: l.fill, signature: l.signature });
        // the counterparty's state lives in its own file (it reconciles with `account sync`)
        const r = await act(kit, () => settleTrade({ ...asLeg(mine), trader }, asLeg(theirs), mine.epochId));
        report(r);
        return kit.EXIT.OK;
      }
    }
    return kit.EXIT.INTERNAL;
  } finally {
    provider.destroy();
  }
}

interface LegFile {
  account: string;
  counterparty: string;
  side: "buy" | "sell";
  fill: bigint;
  epochId: bigint;
  data: TransitionData;
  signature: string;
  pending: bigint;
}

function readLeg(path: string, field: string, kit: CliKit): LegFile {
  const raw = kit.readJsonFile(path, field) as Record<string, any>;
  if (raw?.schema !== "zkmargin/trade-leg/v1") throw new ValidationError(field, "is not a zkmargin trade leg (zkmargin account trade-leg)");
  if (!ADDRESS.test(String(raw.account))) throw new ValidationError(`${field}: account`, "must be an address");
  if (!ADDRESS.test(String(raw.counterparty))) throw new ValidationError(`${field}: counterparty`, "must be an address");
  if (raw.side !== "buy" && raw.side !== "sell") throw new ValidationError(`${field}: side`, "must be buy or sell");
  const d = raw.data ?? {};
  const big = (v: unknown, name: string) => parseInteger(String(v), `${field}: ${name}`);
  return {
    account: raw.account,
    counterparty: raw.counterparty,
    side: raw.side,
    fill: big(raw.fill, "fill"),
    epochId: big(raw.epochId, "epochId"),
    signature: String(raw.signature),
    pending: big(raw.pending, "pending"),
    data: { newCommitment: big(d.newCommitment, "data.newCommitment"), ephemeralKey: big(d.ephemeralKey, "data.ephemeralKey"), cipher: big(d.cipher, "data.cipher"), flat: d.flat === true, proof: d.proof },
  };
}

export async function cmdMarginCall(argv: string[], kit: CliKit): Promise<number> {
  const { values, positionals } = kit.parse("margin-call", argv, { deployment: { type: "string" }, rpc: { type: "string" }, "account-index": { type: "string" } });
  if (values.help) return kit.help("margin-call");
  if (positionals.length) throw new ValidationError(positionals[0], "unexpected argument");
  const { provider, accounts } = await connect(values, kit);
  try {
    const r = await act(kit, async () => {
      try {
        return await (await accounts.marginCall()).wait();
      } catch (e) {
        throw new ContractRevert("marginCall", (await import("./accounts.ts")).revertReason(accounts, e));
      }
    });
    kit.out(json({ epochId: BigInt(await accounts.marginCallEpoch()), deadline: BigInt(await accounts.marginCallDeadline()), gasUsed: r.gasUsed }));
    return kit.EXIT.OK;
  } finally {
    provider.destroy();
  }
}

export async function cmdLiquidate(argv: string[], kit: CliKit): Promise<number> {
  const { values, positionals } = kit.parse("liquidate", argv, { deployment: { type: "string" }, rpc: { type: "string" }, "account-index": { type: "string" }, account: { type: "string" } });
  if (values.help) return kit.help("liquidate");
  if (positionals.length) throw new ValidationError(positionals[0], "unexpected argument");
  const target = kit.required(values, "account");
  if (!ADDRESS.test(target)) throw new ValidationError("--account", "must be a 0x-prefixed 20-byte address");
  const { provider, accounts } = await connect(values, kit);
  try {
    const r = await act(kit, async () => {
      try {
        return await (await accounts.liquidate(target)).wait();
      } catch (e) {
        throw new ContractRevert("liquidate", (await import("./accounts.ts")).revertReason(accounts, e));
      }
    });
    kit.out(json({ account: target, liquidated: true, bondWei: BigInt(await accounts.bond()), gasUsed: r.gasUsed }));
    return kit.EXIT.OK;
  } finally {
    provider.destroy();
  }
}
