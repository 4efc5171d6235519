// keygen, account <action>, margin-call, liquidate: the trader's, the key holder's and the
// keeper's side of the MarginAccounts protocol over JSON-RPC. The private state (portfolio and
// salt) lives in the --state file, encrypted with ZKMARGIN_PASSPHRASE, and is never sent anywhere.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Contract, JsonRpcProvider, Signer } from "ethers";
import { FIELD_MODULUS, M_ASSETS, N_MARKETS } from "../../../prover/constants.ts";
import type { Params } from "../../../prover/types.ts";
import { ValidationError, parseInteger, validateParams } from "../../../prover/validate.ts";
import type { Fill, Point } from "../../../prover/transition/index.ts";
import type { Trader, TransitionData, TradeLeg } from "../../accounts.ts";
import type { ChainStatus } from "../../preflight.ts";
import type { StateLock } from "../../state.ts";
import type { Command, Group } from "../command.ts";
import {
  CliError,
  EXIT,
  address,
  bigOption,
  checkOutPath,
  indexOption,
  iso,
  json,
  out,
  progress,
  readJsonFile,
  relative,
  required,
  str,
  type Values,
} from "../io.ts";

/** the on-chain checks, loaded with ethers when an action connects */
const preflight = () => import("../../preflight.ts");
import {
  DEPLOYMENT_OPTION,
  RPC_OPTION,
  chainSigner,
  deployedAddress,
  deploymentFile,
  loadLiquidationProver,
  loadTakeoverProver,
  loadMarginProver,
  loadTransitionProver,
  rpcOf,
} from "./shared.ts";

// ------------------------------------------------------------------------------- keys

export const keygen: Command = {
  name: "keygen",
  summary: "generate the protocol's Baby Jubjub liquidation key pair",
  description: `Generates the liquidation key pair (Baby Jubjub, prime-order subgroup) and writes
{secret, publicKey, keyHash} to F (mode 0600; never overwrites). Keep the secret with the
insurance process: it decrypts every account's transition log (docs/PROTOCOL.md).`,
  options: { out: { type: "string", value: "F", help: "the key file to create" } },
  examples: ["zkmargin keygen --out liquidation-key.json"],
  async run({ values }) {
    const outPath = required(values, "out");
    if (existsSync(outPath)) throw new ValidationError("--out", `${outPath} exists; refusing to overwrite a key`);
    checkOutPath(outPath, []);
    const { liquidationKeyHash, liquidationKeyPair } = await import("../../../prover/transition/encryption.ts");
    const { writeDurably } = await import("../../state.ts");
    const k = liquidationKeyPair();
    const keyHash = liquidationKeyHash(k.publicKey);
    writeDurably(
      outPath,
      Buffer.from(`${json({ schema: "zkmargin/liquidation-key/v1", secret: k.secret, publicKey: k.publicKey, keyHash })}\n`),
    );
    out(json({ out: outPath, publicKey: k.publicKey, keyHash }));
    return EXIT.OK;
  },
};

/** The public half of a keygen file (or a {publicKey} file), checked to be a usable key. */
export async function readLiquidationKey(path: string): Promise<Point> {
  const raw = readJsonFile(path, "--liquidation-key") as { publicKey?: unknown };
  const pk = raw?.publicKey;
  if (!Array.isArray(pk) || pk.length !== 2) throw new ValidationError("--liquidation-key", "must contain publicKey: [x, y]");
  const point: Point = [parseInteger(String(pk[0]), "publicKey[0]"), parseInteger(String(pk[1]), "publicKey[1]")];
  const { checkLiquidationKey } = await import("../../../prover/transition/encryption.ts");
  checkLiquidationKey(point);
  return point;
}

// ------------------------------------------------------------------------------- connection

const CONNECTION = {
  ...DEPLOYMENT_OPTION,
  ...RPC_OPTION,
  "account-index": { type: "string", value: "N", help: "the node's account N signs (default 0), unless ZKMARGIN_PRIVATE_KEY is set" },
} as const;

interface Connection {
  signer: Signer;
  provider: JsonRpcProvider;
  accounts: Contract;
}

async function connect(values: Values): Promise<Connection> {
  const d = deploymentFile(required(values, "deployment"));
  const at = deployedAddress(d, "MarginAccounts", " (deploy with --accounts)");
  const { contractAt } = await import("../../contracts.ts");
  const rpc = rpcOf(values, d);
  const indexRaw = str(values, "account-index");
  if (indexRaw !== undefined && !/^[0-9]{1,2}$/.test(indexRaw))
    throw new ValidationError("--account-index", "must be a small non-negative integer");
  const { signer, provider } = await chainSigner(rpc, indexRaw === undefined ? 0 : Number(indexRaw));
  return { signer, provider, accounts: await contractAt("MarginAccounts", at, signer) };
}

/** Connect, run, and always release the provider. */
async function connected(values: Values, f: (c: Connection) => Promise<number>): Promise<number> {
  const c = await connect(values);
  try {
    return await f(c);
  } finally {
    c.provider.destroy();
  }
}

/** Send a transaction, naming its custom error when it reverts. */
async function sendTx(contract: Contract, what: string, f: () => Promise<any>): Promise<{ gasUsed: bigint }> {
  const { ContractRevert, revertMessage } = await import("../../revert.ts");
  const { projectInterfaces } = await import("../../contracts.ts");
  try {
    return await (await f()).wait();
  } catch (e) {
    throw new ContractRevert(what, revertMessage(e, [contract, ...(await projectInterfaces())]));
  }
}

// ------------------------------------------------------------------------------- account actions

function passphrase(): string {
  const p = process.env.ZKMARGIN_PASSPHRASE;
  if (!p) throw new ValidationError("ZKMARGIN_PASSPHRASE", "must be set: it encrypts the account state file");
  return p;
}

/** The state locks this process holds: released when its action ends, whatever the outcome (and at exit). */
const locks: StateLock[] = [];

/**
 * The state file and its passphrase: every account action starts here. Every action that may
 * write the state takes its lock (one zkmargin command per state file at a time); `show` only
 * reads a consistent snapshot (the file is replaced atomically) and takes none.
 */
async function stateOf(values: Values, opts: { lock: boolean } = { lock: true }): Promise<{ path: string; pass: string }> {
  const path = required(values, "state");
  const pass = passphrase();
  if (existsSync(path) && statSync(path).isDirectory()) throw new ValidationError("--state", `${path} is a directory, not a state file`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ValidationError("--state", `directory ${dir} does not exist`);
  if (opts.lock) {
    const { StateLock } = await import("../../state.ts");
    locks.push(StateLock.acquire(path, `zkmargin ${process.argv.slice(2, 4).join(" ")}`));
  }
  return { path, pass };
}

/** An account action that releases the state lock it took when it ends (success or error). */
function releasingLocks(c: Command): Command {
  return {
    ...c,
    async run(ctx) {
      try {
        return await c.run(ctx);
      } finally {
        while (locks.length > 0) locks.pop()!.release();
      }
    },
  };
}

function requireState(path: string): void {
  if (!existsSync(path)) throw new ValidationError("--state", `${path} does not exist (run 'zkmargin account open' first)`);
}

/** --params when given (validated before anything connects), else undefined: the chain's latest fresh epoch is used. */
const readParams = (values: Values): Params | undefined =>
  values.params === undefined ? undefined : validateParams(readJsonFile(required(values, "params"), "--params"));

/** The epoch to act on: --params, or the latest fresh epoch rebuilt from the registry's logs (paramsHash checked). */
async function epochOf(file: Params | undefined, registry: Contract): Promise<Params> {
  if (file) return file;
  const { latestFreshEpoch } = await import("../../epochs.ts");
  try {
    const e = await latestFreshEpoch(registry);
    progress(`epoch ${e.params.epochId} from the chain (fresh until ${iso(e.freshUntil)})`);
    return e.params;
  } catch (e) {
    throw new ValidationError("--params", `${(e as Error).message}; pass the epoch's params.json with --params`);
  }
}

interface Preflight {
  status: ChainStatus;
  registry: Contract;
  accounts: Contract;
  signer: Signer;
}

/** Print a pending or missed margin call: every account action shows it first. */
function announceMarginCall(s: ChainStatus): void {
  const call = s.marginCall;
  if (!call || call.attested || s.state !== "active" || s.isFlat) return;
  if (!call.expired)
    progress(
      `margin call: epoch ${call.epochId}, deadline ${relative(call.deadline, s.now)} (${iso(call.deadline)}); attest with 'zkmargin account prove-margin'`,
    );
  else
    progress(
      `margin call of epoch ${call.epochId} missed at ${iso(call.deadline)}: the account can be liquidated; attest for epoch ${call.epochId} or later now`,
    );
}

/**
 * Connect; check what can be checked on-chain in a few calls (status, epoch, fill, balance —
 * `check`) before any proof is made; then attach the signer's trader to its state file
 * (reconciled with the chain) and run.
 */
async function withTrader(
  values: Values,
  state: { path: string; pass: string },
  opts: { action: string; check?: (p: Preflight) => Promise<void> },
  f: (t: Trader, opened?: { gasUsed: bigint }) => Promise<number>,
): Promise<number> {
  return connected(values, async ({ signer, accounts }) => {
    const registry = await (await preflight()).registryOf(accounts, signer);
    const status = await (await preflight()).chainStatus(accounts, registry, await signer.getAddress());
    if (!["open", "sync"].includes(opts.action))
      (await preflight()).requireActive(status, opts.action === "withdraw" || opts.action === "realize");
    announceMarginCall(status);
    await opts.check?.({ status, registry, accounts, signer });
    const provers = { margin: await loadMarginProver(), transition: await loadTransitionProver() };
    const { Trader } = await import("../../accounts.ts");
    const { contractAt } = await import("../../contracts.ts");
    const keyFile = str(values, "liquidation-key");
    const { trader, opened } = await Trader.attach(signer, accounts, provers, state.path, state.pass, undefined, {
      reopen: opts.action === "open",
      liquidationSecret: keyFile === undefined ? undefined : readLiquidationSecret(keyFile),
    });
    trader.progress = progress;
    trader.decoders = [registry, await contractAt("TestToken", String(await accounts.token(0)), signer)];
    return f(trader, opened);
  });
}

function reportSent(trader: Trader, action: string, x: { txHash: string; gasUsed: bigint }): number {
  const c = trader.store.state.current;
  out(json({ account: trader.address, action, tx: x.txHash, gasUsed: x.gasUsed, nonce: c.nonce, commitment: c.commitment }));
  return EXIT.OK;
}

const PARAMS = {
  params: {
    type: "string",
    value: "P",
    help: "an epoch's params.json (default: the latest fresh epoch, rebuilt from the chain; either way checked against the registry)",
  },
} as const;
const ASSET = { asset: { type: "string", value: "J", help: `collateral asset index, 0..${M_ASSETS - 1} (0 settles)` } } as const;
const AMOUNT = { amount: { type: "string", value: "X", help: "amount in the token's smallest unit" } } as const;
const EX = "zkmargin account";
const CONN = "--deployment d.json --state alice.state --account-index 1";

const open: Command = {
  name: "account open",
  summary: "open the account (pays the bond) and create the state file",
  options: {},
  examples: [`${EX} open ${CONN}`],
  async run({ values }) {
    const state = await stateOf(values);
    return withTrader(values, state, { action: "open" }, async (trader, opened) => {
      out(json({ account: trader.address, opened: opened !== undefined, gasUsed: opened?.gasUsed ?? 0n, state: state.path }));
      return EXIT.OK;
    });
  },
};

const show: Command = {
  name: "account show",
  summary: "print the decrypted state (portfolio, nonce, commitment)",
  options: {},
  examples: [`${EX} show --state alice.state`],
  async run({ values }) {
    const state = await stateOf(values, { lock: false });
    const { StateStore } = await import("../../state.ts");
    const s = StateStore.open(state.path, state.pass).state;
    progress("the local state file; 'zkmargin account status' shows the account on-chain (active or liquidated, health, margin call)");
    out(
      json({
        account: s.account,
        chainId: s.chainId,
        contract: s.contract,
        nonce: s.current.nonce,
        commitment: s.current.commitment,
        portfolio: s.current.portfolio,
        pending: s.pending.length,
      }),
    );
    return EXIT.OK;
  },
};

const status: Command = {
  name: "account status",
  summary: "active or liquidated, health in dollars at the latest epoch, a pending margin call",
  description: `Reads the account on-chain and the portfolio from S (reconciled with the on-chain commitment, never
sent anywhere) and prints one JSON document: status (active, liquidated, not open), equity,
requirement and headroom in USD at the maintenance and initial levels for the latest fresh epoch
(rebuilt from the chain; or --params), the margin call that counts for the account (the oldest it
has not answered; epoch, deadline as ISO time and "in N min", the fresh-oracle seconds left,
attested or not), whether the account can be liquidated now, and its settlement: the PnL pool, its
net unrealised PnL, what it can claim now (\`account realize\`), the loss it owes the pool
(\`account settle\`) and whether its balance of asset 0 covers that loss (the CASH rule). Status is
active, liquidated, closed or not open.`,
  options: { ...PARAMS },
  examples: [`${EX} status ${CONN}`],
  async run({ values }) {
    const state = await stateOf(values);
    requireState(state.path);
    const file = readParams(values);
    return connected(values, async ({ signer, accounts }) => {
      const pf = await preflight();
      const { StateStore } = await import("../../state.ts");
      const { evaluate } = await import("../../../prover/model.ts");
      const { formatUsd } = await import("../../../prover/markets.ts");
      const registry = await pf.registryOf(accounts, signer);
      const store = StateStore.open(state.path, state.pass);
      const { checkDeployment } = await import("../../state.ts");
      checkDeployment(store, (await signer.provider!.getNetwork()).chainId, String(accounts.target));
      const s = await pf.chainStatus(accounts, registry, store.state.account);
      if (s.state !== "none") await (await import("../../recovery.ts")).syncStore(store, accounts, s.account);
      const latest = "epochId" in s.latest ? s.latest : null;
      let health: Record<string, unknown> | undefined;
      const params = file ?? (latest ? await epochOf(undefined, registry) : undefined);
      if (params) {
        if (latest && params.epochId !== latest.epochId)
          progress(`--params is epoch ${params.epochId}; the latest fresh epoch is ${latest.epochId}`);
        health = { epochId: params.epochId };
        for (const level of ["maintenance", "initial"] as const) {
          const ev = evaluate(params, store.state.current.portfolio, level);
          health[level] = {
            healthy: ev.healthy,
            violations: ev.violations,
            equity: formatUsd(ev.equity),
            requirement: formatUsd(ev.requirement),
            headroom: formatUsd(ev.equity - ev.requirement),
          };
        }
      }
      let settlement: Record<string, unknown> | undefined;
      if (params) {
        const { unrealised } = await import("../../settlement.ts");
        const pfo = store.state.current.portfolio;
        const net = unrealised(params, pfo).reduce((a, b) => a + b, 0n);
        const pool = BigInt(await accounts.pnlPool());
        settlement = {
          pnlPool: formatUsd(pool),
          unrealisedPnl: formatUsd(net),
          claimableNow: formatUsd(net > 0n ? (net < pool ? net : pool) : 0n),
          lossToSettle: formatUsd(net < 0n ? -net : 0n),
          settlementCash: formatUsd(pfo.collateral[0] + net),
          cashCovered: pfo.collateral[0] + net >= 0n,
        };
      }
      const call = s.marginCall;
      out(
        json(
          {
            account: s.account,
            status: s.state === "frozen" ? "liquidated" : s.state === "none" ? "not open" : s.state,
            nonce: s.nonce,
            flat: s.isFlat,
            lastAttestedEpoch: s.lastAttestedEpoch,
            latestFreshEpoch: latest
              ? { epochId: latest.epochId, freshUntil: iso(latest.freshUntil), freshFor: relative(latest.freshUntil, s.now) }
              : { error: (s.latest as { error: string }).error },
            health: health ?? "no fresh epoch: pass an epoch's params.json with --params for equity, requirement and headroom",
            marginCall: call
              ? {
                  epochId: call.epochId,
                  deadline: iso(call.deadline),
                  deadlineIn: relative(call.deadline, s.now),
                  freshSecondsLeft: call.freshSecondsLeft,
                  attested: call.attested,
                  missed: call.expired && !call.attested,
                }
              : null,
            liquidatable: s.liquidatable,
            ...(settlement ? { settlement } : {}),
          },
          2,
        ),
      );
      return EXIT.OK;
    });
  },
};

const sync: Command = {
  name: "account sync",
  summary: "reconcile the state file with the on-chain commitment",
  options: {
    "liquidation-key": {
      type: "string",
      value: "F",
      help: "the backstop's operator: the key holder's 'zkmargin keygen' file (a takeover changes the backstop's book)",
    },
  },
  examples: [`${EX} sync ${CONN}`],
  async run({ values }) {
    const state = await stateOf(values);
    requireState(state.path);
    return withTrader(values, state, { action: "sync" }, async (trader) => {
      out(json({ account: trader.address, nonce: trader.store.state.current.nonce, commitment: trader.store.state.current.commitment }));
      return EXIT.OK;
    });
  },
};

function transfer(kind: "deposit" | "withdraw"): Command {
  return {
    name: `account ${kind}`,
    summary:
      kind === "deposit"
        ? "pull X of token J into the account (approve + proven deposit)"
        : "proven withdrawal of X of token J (initial margin of the rest)",
    options: { ...ASSET, ...AMOUNT, ...PARAMS },
    examples: [`${EX} ${kind} ${CONN} --asset 0 --amount 200000000000`],
    async run({ values }) {
      const state = await stateOf(values);
      const file = readParams(values);
      let params!: Params;
      const asset = indexOption(values, "asset", M_ASSETS);
      const amount = bigOption(values, "amount", 1n << 96n);
      if (amount === 0n) throw new ValidationError("--amount", "must be positive");
      requireState(state.path);
      const check = async ({ status, registry, accounts, signer }: Preflight) => {
        params = await epochOf(file, registry);
        await (await preflight()).checkEpoch(status, registry, params, kind);
        if (kind === "deposit") await (await preflight()).checkBalance(accounts, asset, status.account, amount, signer);
      };
      return withTrader(values, state, { action: kind, check }, async (t) =>
        reportSent(t, kind, await (kind === "deposit" ? t.deposit(asset, amount, params) : t.withdraw(asset, amount, params))),
      );
    },
  };
}

function settlement(kind: "realize" | "settle"): Command {
  return {
    name: `account ${kind}`,
    summary:
      kind === "realize"
        ? "claim net profit from the PnL pool into asset 0 (paid only from settled losses)"
        : "pay net loss from asset 0 into the PnL pool (never refused for margin)",
    options: {
      market: {
        type: "string",
        value: "I",
        help: `the hidden market whose cost basis moves, 0..${N_MARKETS - 1} (default: the one with the ${kind === "realize" ? "largest" : "smallest"} unrealised PnL)`,
      },
      amount: {
        type: "string",
        value: "X",
        help:
          kind === "realize"
            ? "profit to claim, quote units (default: all of it, at most the pool)"
            : "loss to pay, quote units (default: all of it, at most the balance of asset 0)",
      },
      ...PARAMS,
    },
    examples: [`${EX} ${kind} ${CONN}`, `${EX} ${kind} ${CONN} --market 0 --amount 1000000`],
    async run({ values }) {
      const state = await stateOf(values);
      const file = readParams(values);
      let params!: Params;
      const market = values.market === undefined ? undefined : indexOption(values, "market", N_MARKETS);
      const amount = values.amount === undefined ? undefined : bigOption(values, "amount", 1n << 96n);
      requireState(state.path);
      const check = async ({ status, registry }: Preflight) => {
        params = await epochOf(file, registry);
        await (await preflight()).checkEpoch(status, registry, params, kind);
      };
      return withTrader(values, state, { action: kind, check }, async (t) => {
        const { planRealize, planSettle } = await import("../../settlement.ts");
        if (kind === "realize") {
          const pool = BigInt(await t.accounts.pnlPool());
          const plan = planRealize(params, t.portfolio, pool, amount, market);
          return reportSent(t, kind, await t.realize(plan.market, plan.amount, params));
        }
        const plan = planSettle(params, t.portfolio, amount, market);
        return reportSent(t, kind, await t.settle(plan.market, plan.amount, params));
      });
    },
  };
}
const realize = settlement("realize");
const settle = settlement("settle");

function readFill(path: string): Fill {
  const raw = readJsonFile(path, "--fill") as Record<string, unknown>;
  if (raw === null || typeof raw !== "object") throw new ValidationError("--fill", "must be a JSON object {market, size, price, salt}");
  const market = raw.market;
  if (typeof market !== "number" || !Number.isInteger(market)) throw new ValidationError("fill.market", "must be an integer");
  const big = (k: string) => parseInteger(raw[k] as string, `fill.${k}`);
  const salt = big("salt");
  if (salt < 0n || salt >= FIELD_MODULUS) throw new ValidationError("fill.salt", "must be a field element");
  // the fill commitment Poseidon(market, size, price, salt) is public: a guessable salt lets anyone
  // recover market, size and price by trying them (a random salt below 2^128 has odds 2^-126)
  if (salt < 1n << 128n)
    throw new ValidationError(
      "fill.salt",
      "must be a random field element (zkmargin fill new draws one): a small salt lets anyone recover the fill from its public commitment",
    );
  return { market, size: big("size"), price: big("price"), salt };
}

const tradeLeg: Command = {
  name: "account trade-leg",
  summary: "prove one leg of a fill agreed off-chain with a counterparty",
  description: `F: {market, size, price, salt} (size in lots, price in quote units per lot, salt random). LEG
holds the proof and the owner's signature of exactly this leg for the counterparty to submit,
never the portfolio. The counterparty makes its own leg with the other side; either one settles
both with 'zkmargin account trade'.`,
  options: {
    fill: { type: "string", value: "F", help: "the agreed fill {market, size, price, salt}" },
    side: { type: "string", value: "S", help: "buy | sell" },
    counterparty: { type: "string", value: "C", help: "the counterparty's account address" },
    out: { type: "string", value: "LEG", help: "where to write the leg" },
    ...PARAMS,
  },
  examples: [`${EX} trade-leg ${CONN} --fill fill.json --side buy --counterparty 0xBob... --out alice.leg`],
  async run({ values }) {
    const state = await stateOf(values);
    const file = readParams(values);
    let params!: Params;
    const fill = readFill(required(values, "fill"));
    const side = required(values, "side");
    const counterparty = address(required(values, "counterparty"), "--counterparty");
    if (side !== "buy" && side !== "sell") throw new ValidationError("--side", "must be buy or sell");
    const legOut = checkOutPath(required(values, "out"), [state.path]);
    requireState(state.path);
    const { writeDurably } = await import("../../state.ts");
    const { fillCommitment } = await import("../../../prover/transition/op.ts");
    const check = async ({ status, registry, accounts }: Preflight) => {
      params = await epochOf(file, registry);
      await (await preflight()).checkEpoch(status, registry, params, "trade");
      await (await preflight()).checkFillFresh(accounts, fillCommitment(fill));
    };
    return withTrader(values, state, { action: "trade-leg", check }, async (trader) => {
      const leg = await trader.tradeLeg(fill, side, params, counterparty);
      const file = {
        schema: "zkmargin/trade-leg/v1",
        account: leg.account,
        counterparty,
        side: leg.side,
        fill: leg.fill,
        epochId: params.epochId,
        data: leg.data,
        signature: leg.signature,
        pending: leg.pending,
      };
      try {
        checkOutPath(legOut, [state.path]);
        writeDurably(legOut, Buffer.from(`${json(file)}\n`));
      } catch (e) {
        // the signed leg was never handed over unless the file exists: only then is its state kept
        if (!existsSync(legOut)) trader.store.dropPending(leg.pending);
        if (e instanceof ValidationError) throw e;
        throw new ValidationError("--out", `cannot write ${legOut} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      out(json({ out: legOut, account: leg.account, side: leg.side, fill: leg.fill }));
      return EXIT.OK;
    });
  },
};

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

function readLeg(path: string, field: string): LegFile {
  const raw = readJsonFile(path, field) as Record<string, any>;
  if (raw?.schema !== "zkmargin/trade-leg/v1") throw new ValidationError(field, "is not a zkmargin trade leg (zkmargin account trade-leg)");
  address(String(raw.account), `${field}: account`);
  address(String(raw.counterparty), `${field}: counterparty`);
  if (raw.side !== "buy" && raw.side !== "sell") throw new ValidationError(`${field}: side`, "must be buy or sell");
  const d = raw.data ?? {};
  const big = (v: unknown, name: string) => {
    const x = parseInteger(String(v), `${field}: ${name}`);
    if (x < 0n || x >= 1n << 256n) throw new ValidationError(`${field}: ${name}`, "must be a uint256");
    return x;
  };
  // the proof's shape, checked here so that a malformed leg is named before anything is sent
  const word = (v: unknown, name: string): string => {
    if (typeof v === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(v)) return v; // solidityCalldata's hex
    return big(v, name).toString();
  };
  const pair = (v: unknown, name: string): [string, string] => {
    if (!Array.isArray(v) || v.length !== 2) throw new ValidationError(`${field}: ${name}`, "must be a pair of integers");
    return [word(v[0], `${name}[0]`), word(v[1], `${name}[1]`)];
  };
  const p = d.proof ?? {};
  if (!Array.isArray(p.b) || p.b.length !== 2) throw new ValidationError(`${field}: data.proof.b`, "must be two pairs of integers");
  const proof = {
    a: pair(p.a, "data.proof.a"),
    b: [pair(p.b[0], "data.proof.b[0]"), pair(p.b[1], "data.proof.b[1]")],
    c: pair(p.c, "data.proof.c"),
  };
  if (typeof raw.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(raw.signature))
    throw new ValidationError(`${field}: signature`, "must be a 65-byte 0x-hex signature");
  if (typeof d.flat !== "boolean") throw new ValidationError(`${field}: data.flat`, "must be true or false");
  return {
    account: raw.account,
    counterparty: raw.counterparty,
    side: raw.side,
    fill: big(raw.fill, "fill"),
    epochId: big(raw.epochId, "epochId"),
    signature: raw.signature,
    pending: big(raw.pending, "pending"),
    data: {
      newCommitment: big(d.newCommitment, "data.newCommitment"),
      ephemeralKey: big(d.ephemeralKey, "data.ephemeralKey"),
      cipher: big(d.cipher, "data.cipher"),
      flat: d.flat,
      proof: proof as TransitionData["proof"],
    },
  };
}

const trade: Command = {
  name: "account trade",
  summary: "settle both legs of a fill in one call",
  description: "The counterparty's state lives in its own file (it reconciles with 'zkmargin account sync').",
  options: {
    leg: { type: "string", value: "MINE", help: "this account's leg (zkmargin account trade-leg)" },
    counter: { type: "string", value: "THEIRS", help: "the counterparty's leg, signed for this account" },
  },
  examples: [`${EX} trade ${CONN} --leg alice.leg --counter bob.leg`],
  async run({ values }) {
    const state = await stateOf(values);
    requireState(state.path);
    const mine = readLeg(required(values, "leg"), "--leg");
    const theirs = readLeg(required(values, "counter"), "--counter");
    const { settleTrade } = await import("../../accounts.ts");
    const check = async ({ accounts }: Preflight) => (await preflight()).checkFillFresh(accounts, mine.fill);
    return withTrader(values, state, { action: "trade", check }, async (trader) => {
      if (mine.account.toLowerCase() !== trader.address.toLowerCase())
        throw new ValidationError("--leg", `is account ${mine.account}'s leg, not the signer's (${trader.address})`);
      if (mine.fill !== theirs.fill) throw new ValidationError("--counter", "commits to another fill than --leg");
      if (mine.epochId !== theirs.epochId) throw new ValidationError("--counter", "was proven for another epoch than --leg");
      if (theirs.counterparty.toLowerCase() !== trader.address.toLowerCase())
        throw new ValidationError("--counter", `was signed for counterparty ${theirs.counterparty}, not ${trader.address}`);
      const s = trader.store.state;
      if (s.current.commitment !== mine.pending && !s.pending.some((p) => p.commitment === mine.pending))
        throw new ValidationError(
          "--leg",
          `its state is not in ${state.path} (made with another state file, or the account has moved past its nonce): refusing to settle a state that would be lost`,
        );
      const asLeg = (l: LegFile): TradeLeg => ({
        side: l.side,
        account: l.account,
        data: l.data,
        pending: l.pending,
        fill: l.fill,
        signature: l.signature,
      });
      return reportSent(trader, "trade", await settleTrade({ ...asLeg(mine), trader }, asLeg(theirs), mine.epochId));
    });
  },
};

const proveMargin: Command = {
  name: "account prove-margin",
  summary: "attest maintenance margin for the latest epoch (as a watchtower with --account)",
  description: `With --account A, the state file is A's and the signer is A's watchtower (zkmargin account watchtower).
With --account A1,A2,... --state S1,S2,... (same order, one passphrase), the watchtower proves for
every account and attests them all in one proveMarginBatch call (one random linear combination of
the proofs; docs/PROTOCOL.md, "Batched attestations"). Prints {accounts, epochId, tx, gasUsed,
gasPerAccount}.`,
  options: {
    ...PARAMS,
    account: { type: "string", value: "A", help: "attest for account A (or A1,A2,... in one batch) as its watchtower" },
  },
  examples: [`${EX} prove-margin ${CONN}`, `${EX} prove-margin --deployment d.json --account 0xA..,0xB.. --state a.state,b.state`],
  async run({ values }) {
    if (str(values, "account")?.includes(",")) return proveMarginBatch(values);
    const state = await stateOf(values);
    const file = readParams(values);
    let params!: Params;
    const forAccount = str(values, "account");
    if (forAccount !== undefined) address(forAccount, "--account");
    requireState(state.path);
    if (forAccount === undefined) {
      const check = async ({ status, registry }: Preflight) => {
        params = await epochOf(file, registry);
        await (await preflight()).checkEpoch(status, registry, params, "prove-margin");
      };
      return withTrader(values, state, { action: "prove-margin", check }, async (trader) => {
        const r = await trader.proveMargin(params);
        out(json({ account: trader.address, epochId: params.epochId, tx: r.txHash, gasUsed: r.gasUsed }));
        return EXIT.OK;
      });
    }
    // watchtower mode: the state file is the account's, the signer is the watchtower
    return connected(values, async ({ provider, accounts, signer }) => {
      const registry = await (await preflight()).registryOf(accounts, signer);
      const status = await (await preflight()).chainStatus(accounts, registry, forAccount);
      (await preflight()).requireActive(status);
      announceMarginCall(status);
      params = await epochOf(file, registry);
      await (await preflight()).checkEpoch(status, registry, params, "prove-margin");
      const { StateStore } = await import("../../state.ts");
      const { bindingOf, MARGIN_DOMAIN } = await import("../../accounts.ts");
      const { solidityCalldata } = await import("../../../prover/prover.ts");
      const store = StateStore.open(state.path, state.pass);
      const { checkDeployment } = await import("../../state.ts");
      checkDeployment(store, (await provider.getNetwork()).chainId, String(accounts.target));
      await (await import("../../recovery.ts")).syncStore(store, accounts, forAccount);
      const a = await accounts.accounts(forAccount);
      const prover = await loadMarginProver();
      progress(`proving maintenance margin for ${forAccount}, epoch ${params.epochId} (a few seconds)`);
      const chainId = (await provider.getNetwork()).chainId;
      const proof = await prover.prove(
        params,
        store.state.current.portfolio,
        "maintenance",
        bindingOf(MARGIN_DOMAIN, chainId, String(accounts.target), forAccount, BigInt(a.nonce)),
      );
      const { a: pa, b, c } = await solidityCalldata(proof);
      const r = await sendTx(accounts, "proveMargin", () => accounts.proveMargin(forAccount, params.epochId, { a: pa, b, c }));
      out(json({ account: forAccount, epochId: params.epochId, gasUsed: r.gasUsed }));
      return EXIT.OK;
    });
  },
};

const close: Command = {
  name: "account close",
  summary: "close the flat account and recover its bond (what it holds stays withdrawable)",
  description: `Closes the account when it holds no position and no unrealised PnL (flat): the bond comes
back, the watchtower is cleared, and no trade, realisation or attestation is possible until
'zkmargin account open' reopens it (paying the bond again). Its collateral stays behind its
commitment and stays withdrawable with 'zkmargin account withdraw'; keep the state file.
Prints {account, closed, bondWei, gasUsed}.`,
  options: {},
  examples: [`${EX} close ${CONN}`],
  exits: "0 closed, 1 not flat, not open or already closed (named), 3 unreachable node.",
  async run({ values }) {
    const state = await stateOf(values);
    requireState(state.path);
    const check = async ({ status }: Preflight) => {
      if (!status.isFlat)
        throw new ValidationError(
          "--state",
          `account ${status.account} is not flat (it holds a position or unrealised PnL): close its positions and realise first`,
        );
    };
    return withTrader(values, state, { action: "close", check }, async (trader) => {
      const r = await trader.close();
      out(json({ account: trader.address, closed: true, bondWei: BigInt(await trader.accounts.bond()), gasUsed: r.gasUsed }));
      return EXIT.OK;
    });
  },
};

/** prove-margin for many accounts in one batch (watchtower mode with comma-separated lists). */
async function proveMarginBatch(values: Values): Promise<number> {
  const addresses = required(values, "account")
    .split(",")
    .map((a, i) => address(a.trim(), `--account[${i}]`));
  const paths = required(values, "state").split(",");
  if (paths.length !== addresses.length)
    throw new ValidationError(
      "--state",
      `${paths.length} state files for ${addresses.length} accounts: give one per account, in the same order`,
    );
  if (new Set(addresses.map((a) => a.toLowerCase())).size !== addresses.length)
    throw new ValidationError("--account", "an account appears twice");
  const states: { path: string; pass: string; account: string }[] = [];
  for (const [i, path] of paths.entries()) {
    const st = await stateOf({ ...values, state: path.trim() });
    requireState(st.path);
    states.push({ ...st, account: addresses[i] });
  }
  const file = readParams(values);
  return connected(values, async ({ provider, accounts, signer }) => {
    const pf = await preflight();
    const registry = await pf.registryOf(accounts, signer);
    const params = await epochOf(file, registry);
    const { StateStore, checkDeployment } = await import("../../state.ts");
    const chainId = (await provider.getNetwork()).chainId;
    const items = [];
    for (const st of states) {
      const status = await pf.chainStatus(accounts, registry, st.account);
      pf.requireActive(status);
      await pf.checkEpoch(status, registry, params, "prove-margin");
      const store = StateStore.open(st.path, st.pass);
      checkDeployment(store, chainId, String(accounts.target));
      if (store.state.account.toLowerCase() !== st.account.toLowerCase())
        throw new ValidationError("--state", `${st.path} belongs to account ${store.state.account}, not ${st.account}`);
      await (await import("../../recovery.ts")).syncStore(store, accounts, st.account);
      items.push({ account: st.account, portfolio: store.state.current.portfolio });
    }
    const { prepareBatch, sendBatch } = await import("../../batch.ts");
    const prover = await loadMarginProver();
    const call = await prepareBatch(accounts, prover, items, params, (done, total) =>
      progress(`proved maintenance margin ${done}/${total} for epoch ${params.epochId}`),
    );
    const r = await sendBatch(accounts, call, progress);
    out(
      json({
        accounts: call.accounts,
        epochId: params.epochId,
        tx: r.txHash,
        gasUsed: r.gasUsed,
        gasPerAccount: r.gasUsed / BigInt(call.accounts.length),
      }),
    );
    return EXIT.OK;
  });
}

const watchtower: Command = {
  name: "account watchtower",
  summary: "allow W to submit margin attestations for this account (never transitions)",
  options: { address: { type: "string", value: "W", help: "the watchtower's address" } },
  examples: [`${EX} watchtower ${CONN} --address 0xWatch...`],
  async run({ values }) {
    await stateOf(values);
    const watch = address(required(values, "address"), "--address");
    requireState(required(values, "state"));
    return connected(values, async ({ accounts }) => {
      const tx = await sendTx(accounts, "setWatchtower", () => accounts.setWatchtower(watch));
      out(json({ watchtower: watch, gasUsed: tx.gasUsed }));
      return EXIT.OK;
    });
  },
};

export const account: Group = {
  name: "account",
  summary:
    "a private margin account: open | show | status | sync | deposit | withdraw | realize | settle | trade-leg | trade | prove-margin | watchtower | close",
  description: `The private state (portfolio and salt) lives in S, encrypted with ZKMARGIN_PASSPHRASE, and is
never sent anywhere. Pending states are written before a transaction is sent and promoted once it
is mined; every action first reconciles S with the on-chain commitment. The signer is
ZKMARGIN_PRIVATE_KEY, else the node's account N (default 0).
Exit codes: 0 ok, 1 bad input or a contract revert (named), 2 the result would not be healthy
(nothing is sent), 3 internal error or unreachable node.`,
  noun: "action",
  common: {
    ...CONNECTION,
    state: { type: "string", value: "S", help: "the encrypted state file (ZKMARGIN_PASSPHRASE)", env: "ZKMARGIN_STATE" },
  },
  commands: [
    open,
    show,
    status,
    sync,
    transfer("deposit"),
    transfer("withdraw"),
    realize,
    settle,
    tradeLeg,
    trade,
    proveMargin,
    watchtower,
    close,
  ].map(releasingLocks),
};

// ------------------------------------------------------------------------------- keeper and publisher

export const marginCall: Command = {
  name: "margin-call",
  summary: "(risk publisher) call margin for the latest epoch",
  description:
    "Every account with open exposure must attest margin for the latest epoch (or a later one) within\nthe grace period of fresh-oracle time: seconds while the oracle is stale do not count, and a\nlater call never moves the deadline of one an account has not answered. Prints {epochId,\ndeadline (the earliest it can pass), deadlineIso, deadlineIn, graceSeconds, gasUsed}.",
  options: CONNECTION,
  examples: ["zkmargin margin-call --deployment d.json"],
  exits: "0 called, 1 naming the revert, 3 unreachable node.",
  async run({ values }) {
    return connected(values, async ({ accounts }) => {
      const r = await sendTx(accounts, "marginCall", () => accounts.marginCall());
      const deadline = BigInt(await accounts.marginCallDeadline());
      const now = BigInt((await accounts.runner!.provider!.getBlock("latest"))!.timestamp);
      out(
        json({
          epochId: BigInt(await accounts.marginCallEpoch()),
          deadline,
          deadlineIso: iso(deadline),
          deadlineIn: relative(deadline, now),
          graceSeconds: BigInt(await accounts.gracePeriod()),
          gasUsed: r.gasUsed,
        }),
      );
      return EXIT.OK;
    });
  },
};

export const liquidate: Command = {
  name: "liquidate",
  summary: "liquidate an account that missed a margin call, or (key holder) one below maintenance by proof",
  description: `Liquidates A: frozen, its bond paid to the caller. Two paths (docs/PROTOCOL.md):
- default: A missed a margin call (the oldest it has not answered, after a whole grace period of
  fresh-oracle time). GracePeriodRunning names the fresh-oracle seconds left.
- --by-proof --liquidation-key F (the holder of the liquidation key, a 'zkmargin keygen' file
  with its secret): replays A's hidden portfolio from its encrypted transition log, checks it
  against the latest fresh epoch (rebuilt from the chain; or --params) and, if it is below
  maintenance, proves it with the liquidation circuit and liquidates at once (no margin call).
- --takeover --liquidation-key F (with or without --by-proof): unwinds the frozen A into the
  backstop account at the latest fresh epoch's marks with a takeover proof (docs/PROTOCOL.md,
  "Takeover and the loss waterfall"): A's loss into the PnL pool, the penalty into the insurance
  fund, any bad debt from the insurance fund then the backstop; A is Closed with its residual.
Prints {account, liquidated, byProof, epochId, bondWei, gasUsed, proveMs} and, with --takeover,
{takenOver, settled, penalty, badDebt, insuranceCover, vaultCover, takeoverGasUsed, takeoverProveMs}.`,
  options: {
    ...CONNECTION,
    account: { type: "string", value: "A", help: "the account to liquidate" },
    "by-proof": { type: "boolean", help: "prove that A is below maintenance (needs --liquidation-key with the secret)" },
    takeover: { type: "boolean", help: "unwind the frozen A into the backstop by proof (needs --liquidation-key)" },
    "liquidation-key": { type: "string", value: "F", help: "with --by-proof or --takeover: the key holder's 'zkmargin keygen' file" },
    ...PARAMS,
  },
  examples: [
    "zkmargin liquidate --deployment d.json --account 0xBob...",
    "zkmargin liquidate --deployment d.json --account 0xBob... --by-proof --liquidation-key liquidation-key.json",
    "zkmargin liquidate --deployment d.json --account 0xBob... --by-proof --takeover --liquidation-key liquidation-key.json",
  ],
  exits:
    "0 liquidated; 1 bad input or naming the revert (GracePeriodRunning, AlreadyAttested, AccountFlat, NotActive, NoMarginCall, NotLatestEpoch, StaleEpoch); 2 (--by-proof) A is healthy at maintenance, or (--takeover) the backstop would break its initial margin: no proof exists, nothing sent; 3 unreachable node or artifacts.",
  async run({ values }) {
    const target = address(required(values, "account"), "--account");
    if (!values["by-proof"] && !values.takeover) {
      if (values["liquidation-key"] !== undefined) throw new ValidationError("--liquidation-key", "only with --by-proof or --takeover");
      return connected(values, async ({ accounts }) => {
        const r = await sendTx(accounts, "liquidate", () => accounts.liquidate(target));
        out(json({ account: target, liquidated: true, byProof: false, bondWei: BigInt(await accounts.bond()), gasUsed: r.gasUsed }));
        return EXIT.OK;
      });
    }
    const secret = readLiquidationSecret(required(values, "liquidation-key"));
    const file = readParams(values);
    return connected(values, async ({ accounts, signer }) => {
      const pf = await preflight();
      const registry = await pf.registryOf(accounts, signer);
      const { fetchEpoch } = await import("../../epochs.ts");
      const { replayAccount, liquidateByProof } = await import("../../liquidator.ts");
      const params = await epochOf(file, registry);
      const status = await pf.chainStatus(accounts, registry, target);
      const epochs = new Map();
      const result: Record<string, unknown> = { account: target };
      if (values["by-proof"]) {
        if (status.state !== "active") throw new ValidationError("--account", `account ${target} is ${status.state}, not active`);
        if (status.isFlat) throw new ValidationError("--account", `account ${target} is flat: a flat account is never liquidatable`);
        await pf.checkEpoch(status, registry, params, "trade"); // the latest fresh epoch, hash checked
        progress(`replaying ${target}'s encrypted transition log`);
        const r = await replayAccount(accounts, secret, target, (id) => fetchEpoch(registry, id), epochs);
        const prover = await loadLiquidationProver();
        const sent = await liquidateByProof(accounts, prover, r, params, progress);
        Object.assign(result, {
          liquidated: true,
          byProof: true,
          epochId: params.epochId,
          bondWei: BigInt(await accounts.bond()),
          gasUsed: sent.gasUsed,
          proveMs: Math.round(sent.proveMs),
        });
      } else if (status.state !== "frozen") {
        throw new ValidationError("--account", `account ${target} is ${status.state}, not frozen: only a frozen account is taken over`);
      }
      if (values.takeover) {
        const { takeoverByProof } = await import("../../liquidator.ts");
        const { BackstopRefused } = await import("../../../prover/takeover.ts");
        if (!values["by-proof"]) await pf.checkEpoch(status, registry, params, "trade");
        const backstop = String(await accounts.backstop());
        progress(`replaying ${target} and the backstop ${backstop}`);
        const frozen = await replayAccount(accounts, secret, target, (id) => fetchEpoch(registry, id), epochs);
        const back = await replayAccount(accounts, secret, backstop, (id) => fetchEpoch(registry, id), epochs);
        const prover = await loadTakeoverProver();
        try {
          const sent = await takeoverByProof(accounts, prover, frozen, back, params, progress);
          const x = sent.result;
          Object.assign(result, {
            takenOver: true,
            epochId: params.epochId,
            settled: x.settled,
            penalty: x.penalty,
            badDebt: x.badDebt,
            insuranceCover: x.insuranceCover,
            vaultCover: x.vaultCover,
            takeoverGasUsed: sent.gasUsed,
            takeoverProveMs: Math.round(sent.proveMs),
          });
        } catch (e) {
          if (!(e instanceof BackstopRefused)) throw e;
          if (values["by-proof"]) out(json(result)); // the liquidation went through
          throw new CliError(EXIT.UNHEALTHY, `${(e as Error).message}; nothing sent for the takeover (${target} stays frozen)`);
        }
      }
      out(json(result));
      return EXIT.OK;
    });
  },
};

/** The secret of a 'zkmargin keygen' file (the liquidation key holder's). */
function readLiquidationSecret(path: string): bigint {
  const raw = readJsonFile(path, "--liquidation-key") as { secret?: unknown };
  if (raw?.secret === undefined)
    throw new ValidationError("--liquidation-key", "has no secret (a public key file cannot decrypt the logs)");
  const secret = parseInteger(String(raw.secret), "secret");
  if (secret <= 0n) throw new ValidationError("--liquidation-key", "secret must be a positive integer");
  return secret;
}
