// The trader's side of the MarginAccounts protocol (docs/PROTOCOL.md) over ethers v6: prove a
// transition locally, record the resulting private state before sending, send, promote once
// mined. Used by the demo, the tests and `zkmargin account ...`.
import { AbiCoder, Contract, keccak256, toUtf8Bytes, type Signer } from "ethers";
import {
  BINDING_SHIFT,
  FIELD_MODULUS,
  M_ASSETS,
  MARGIN_DOMAIN as MARGIN_DOMAIN_NAME,
  LIQUIDATION_DOMAIN as LIQUIDATION_DOMAIN_NAME,
  N_MARKETS,
  TRANSITION_DOMAIN as TRANSITION_DOMAIN_NAME,
} from "../prover/constants.ts";
import { paramsHash } from "../prover/encoding.ts";
import { solidityCalldata, type MarginProof, type MarginProver } from "../prover/prover.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { describeOp, fillCommitment, type Fill, type TransitionOp } from "../prover/transition/op.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import type { Point } from "../prover/transition/encryption.ts";
import type { TransitionProver } from "../prover/transition/prover.ts";
import { ContractRevert, revertData, revertMessage } from "./revert.ts";
import { syncState } from "./recovery.ts";
import { StateStore, checkDeployment } from "./state.ts";
import { legHash, signTradeLeg, tradeDomain } from "./typed-data.ts";

export { ContractRevert };

export const TRANSITION_DOMAIN = keccak256(toUtf8Bytes(TRANSITION_DOMAIN_NAME));
export const MARGIN_DOMAIN = keccak256(toUtf8Bytes(MARGIN_DOMAIN_NAME));
export const LIQUIDATION_DOMAIN = keccak256(toUtf8Bytes(LIQUIDATION_DOMAIN_NAME));

const bindingHash = (domain: string, chainId: bigint, contract: string, account: string, nonce: bigint): bigint =>
  BigInt(
    keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "uint256", "address", "address", "uint64"],
        [domain, chainId, contract, account, nonce],
      ),
    ),
  );

/** Margin proofs: binding = keccak256(abi.encode(MARGIN_DOMAIN, chainId, contract, account, nonce)) mod r */
export function bindingOf(domain: string, chainId: bigint, contract: string, account: string, nonce: bigint): bigint {
  return bindingHash(domain, chainId, contract, account, nonce) % FIELD_MODULUS;
}

/** Transition proofs: the top 106 bits of keccak256(abi.encode(TRANSITION_DOMAIN, chainId, contract, account, nonce)) */
export function transitionBinding(chainId: bigint, contract: string, account: string, nonce: bigint): bigint {
  return bindingHash(TRANSITION_DOMAIN, chainId, contract, account, nonce) >> BigInt(BINDING_SHIFT);
}

export interface Provers {
  margin: MarginProver;
  transition: TransitionProver;
}

export interface ProofArg {
  a: [string, string];
  b: [[string, string], [string, string]];
  c: [string, string];
}

export interface TransitionData {
  newCommitment: bigint;
  ephemeralKey: bigint;
  cipher: bigint;
  flat: boolean;
  proof: ProofArg;
}

export interface Sent {
  txHash: string;
  gasUsed: bigint;
  /** every byte of calldata and event data the transaction produced, for leakage scans */
  calldata: string;
  logs: string[];
}

async function proofArg(p: MarginProof): Promise<ProofArg> {
  const { a, b, c } = await solidityCalldata(p);
  return { a, b, c };
}

export async function send(
  contract: Contract,
  what: string,
  f: () => Promise<any>,
  progress: (s: string) => void = () => {},
  decoders: Contract[] = [],
): Promise<Sent> {
  let tx;
  progress(`sending ${what}`);
  try {
    tx = await f();
  } catch (e) {
    throw new ContractRevert(what, revertMessage(e, [contract, ...decoders]));
  }
  progress(`sent ${what} ${tx.hash}, waiting for inclusion`);
  const r = await tx.wait();
  if (!r || r.status !== 1) throw new ContractRevert(what, "transaction failed");
  return {
    txHash: tx.hash,
    gasUsed: r.gasUsed as bigint,
    calldata: tx.data as string,
    logs: r.logs.map((l: { data: string; topics: string[] }) => l.data + l.topics.join("")),
  };
}

/** One trader: its signer, its private state file and the deployed protocol. */
export class Trader {
  readonly signer: Signer;
  readonly address: string;
  readonly accounts: Contract;
  readonly provers: Provers;
  readonly store: StateStore;
  readonly liquidationKey: Point;
  readonly chainId: bigint;
  /** the backstop's operator only: the liquidation key's secret (sync after takeovers) */
  liquidationSecret?: bigint;
  /** progress lines of the slow steps (proving, sending, waiting for inclusion); silent by default */
  progress: (s: string) => void = () => {};
  /** contracts whose errors a revert may carry besides MarginAccounts' (tokens, registry) */
  decoders: Contract[] = [];

  private constructor(
    signer: Signer,
    address: string,
    accounts: Contract,
    provers: Provers,
    store: StateStore,
    key: Point,
    chainId: bigint,
  ) {
    this.signer = signer;
    this.address = address;
    this.accounts = accounts;
    this.provers = provers;
    this.store = store;
    this.liquidationKey = key;
    this.chainId = chainId;
  }

  /**
   * Attach to the account of `signer`: open it on-chain (paying the bond) and create the state
   * file if it does not exist, otherwise reopen the file and reconcile it with the chain. With
   * `reopen`, a closed account is opened again (the bond paid again; its commitment unchanged).
   */
  static async attach(
    signer: Signer,
    accounts: Contract,
    provers: Provers,
    statePath: string,
    passphrase: string,
    dims = { N: N_MARKETS, M: M_ASSETS },
    opts: { reopen?: boolean; liquidationSecret?: bigint } = {},
  ): Promise<{ trader: Trader; opened?: Sent }> {
    const address = await signer.getAddress();
    const contract = accounts.connect(signer) as Contract;
    const chainId = (await signer.provider!.getNetwork()).chainId;
    const key: Point = [BigInt(await accounts.liquidationKeyX()), BigInt(await accounts.liquidationKeyY())];
    const onChain = await accounts.accounts(address);
    let opened: Sent | undefined;
    if (Number(onChain.status) === 0 || (opts.reopen && Number(onChain.status) === 3)) {
      const bond = BigInt(await accounts.bond());
      opened = await send(contract, "open", () => contract.open({ value: bond }));
    }
    const empty = emptyPortfolio(dims.N, dims.M);
    if (!StateStore.exists(statePath) && BigInt(onChain.nonce) > 0n)
      throw new ValidationError(
        "--state",
        `${statePath} does not exist, but account ${address} has made ${onChain.nonce} transitions: a new state file cannot open its commitment; restore the account's state file (a backup of any age catches up with sync)`,
      );
    const store = StateStore.exists(statePath)
      ? StateStore.open(statePath, passphrase)
      : StateStore.create(statePath, passphrase, {
          chainId: String(chainId),
          contract: await accounts.getAddress(),
          account: address,
          current: { portfolio: empty, commitment: BigInt(await accounts.EMPTY_COMMITMENT()), nonce: 0, label: "open" },
        });
    if (store.state.account.toLowerCase() !== address.toLowerCase())
      throw new ValidationError("--state", `belongs to account ${store.state.account}, not ${address}`);
    checkDeployment(store, chainId, await accounts.getAddress());
    const trader = new Trader(signer, address, contract, provers, store, key, chainId);
    trader.liquidationSecret = opts.liquidationSecret;
    await trader.sync();
    return { trader, opened };
  }

  get portfolio(): Portfolio {
    return this.store.state.current.portfolio;
  }

  /**
   * Close the flat account: its bond comes back and nothing can be attested or traded until it
   * is reopened; what it holds stays withdrawable (and the state file stays the key to it).
   */
  async close(): Promise<Sent> {
    return send(this.accounts, "close", () => this.accounts.close());
  }

  /**
   * Reconcile the state file with the on-chain commitment (crash recovery): a kept state, else a
   * replay of the account's Transition events (client/recovery.ts, RECOVERY_STRATEGIES).
   */
  async sync(): Promise<string> {
    const a = await this.accounts.accounts(this.address);
    return syncState({
      store: this.store,
      accounts: this.accounts,
      account: this.address,
      liquidationKey: this.liquidationKey,
      onChain: { commitment: BigInt(a.commitment), nonce: Number(a.nonce) },
      liquidationSecret: this.liquidationSecret,
    });
  }

  async nonce(): Promise<bigint> {
    return BigInt((await this.accounts.accounts(this.address)).nonce);
  }

  private async checkEpoch(params: Params): Promise<void> {
    const registry = new Contract(await this.accounts.registry(), ["function paramsHashOf(uint64) view returns (uint256)"], this.signer);
    const onChain = BigInt(await registry.paramsHashOf(params.epochId));
    if (onChain !== paramsHash(params))
      throw new ValidationError("params", `epoch ${params.epochId}'s on-chain paramsHash differs from these parameters`);
  }

  /** Prove a transition of this account and record its result as pending. */
  async prepare(op: TransitionOp, params: Params): Promise<{ data: TransitionData; pending: bigint; nonce: bigint }> {
    await this.checkEpoch(params);
    await this.sync(); // prove from the state the chain has (a leg may have been settled meanwhile)
    const nonce = await this.nonce();
    const binding = transitionBinding(this.chainId, await this.accounts.getAddress(), this.address, nonce);
    this.progress(`proving ${describeOp(op)} (transition circuit, a few seconds)`);
    const started = Date.now();
    const { proof, prepared } = await this.provers.transition.prove({
      params,
      old: this.portfolio,
      op,
      binding,
      liquidationKey: this.liquidationKey,
      // derived from the state file's seed, so that sync can replay this transition from the chain
      ephemeralSecret: this.store.nextEphemeral(Number(nonce)),
    });
    this.progress(`proved in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const pending = this.store.addPending(prepared.next, Number(nonce) + 1, describeOp(op));
    const data: TransitionData = {
      newCommitment: pending.commitment,
      ephemeralKey: prepared.encrypted.ephemeralKey,
      cipher: prepared.encrypted.cipher,
      flat: prepared.applied.flat,
      proof: await proofArg(proof),
    };
    return { data, pending: pending.commitment, nonce };
  }

  /**
   * Send, then promote the pending state once mined. The pending state is dropped only when the
   * node refused the transaction before broadcasting it (a revert in its simulation: the proof
   * never left this process); after any other failure (an RPC error while sending or waiting) it
   * is kept, and sync() promotes it if the transaction was mined after all.
   */
  private async finish(pending: bigint, what: string, f: () => Promise<any>): Promise<Sent> {
    let refused = false;
    const sendAndRecord = async () => {
      let tx;
      try {
        tx = await f();
      } catch (e) {
        refused = revertData(e) !== undefined;
        throw e;
      }
      this.store.markSent(pending, tx.hash);
      return tx;
    };
    let sent: Sent;
    try {
      sent = await send(this.accounts, what, sendAndRecord, this.progress, this.decoders);
    } catch (e) {
      if (refused) this.store.dropPending(pending);
      else await syncQuietly(this);
      throw e;
    }
    this.store.promote(pending, sent.txHash);
    return sent;
  }

  async deposit(asset: number, amount: bigint, params: Params): Promise<Sent> {
    const token = new Contract(await this.accounts.token(asset), ["function approve(address,uint256) returns (bool)"], this.signer);
    this.progress(`approving ${amount} of asset ${asset} for the clearinghouse`);
    await (await token.approve(await this.accounts.getAddress(), amount)).wait();
    const { data, pending } = await this.prepare({ kind: "deposit", asset, amount }, params);
    return this.finish(pending, "deposit", () => this.accounts.deposit(asset, amount, params.epochId, data));
  }

  async withdraw(asset: number, amount: bigint, params: Params): Promise<Sent> {
    const { data, pending } = await this.prepare({ kind: "withdraw", asset, amount }, params);
    return this.finish(pending, "withdraw", () => this.accounts.withdraw(asset, amount, params.epochId, data));
  }

  /** Claim `amount` of net profit from the PnL pool into asset 0 (client/settlement.ts plans it). */
  async realize(market: number, amount: bigint, params: Params): Promise<Sent> {
    const { data, pending } = await this.prepare({ kind: "realize", market, amount }, params);
    return this.finish(pending, "realize", () => this.accounts.realize(amount, params.epochId, data));
  }

  /** Pay `amount` of loss from asset 0 into the PnL pool. */
  async settle(market: number, amount: bigint, params: Params): Promise<Sent> {
    const { data, pending } = await this.prepare({ kind: "settle", market, amount }, params);
    return this.finish(pending, "settle", () => this.accounts.settle(amount, params.epochId, data));
  }

  /**
   * One leg of a privately agreed fill with `counterparty`: the proof, the pending state and
   * the owner's EIP-712 signature authorising exactly this leg, for this counterparty to submit.
   * The typed data (client/typed-data.ts) is built here from the chain id and contract address
   * this client knows: no digest is taken from the RPC.
   */
  async tradeLeg(fill: Fill, side: "buy" | "sell", params: Params, counterparty: string): Promise<TradeLeg & { trader: Trader }> {
    // every leg pays the clearinghouse's flat fee from its settlement balance (the op word's amount)
    const fee = BigInt(await this.accounts.tradeFee());
    const { data, pending, nonce } = await this.prepare({ kind: side, fill, fee }, params);
    const f = fillCommitment(fill);
    try {
      const domain = tradeDomain(this.chainId, await this.accounts.getAddress());
      const message = {
        fill: f,
        account: this.address,
        nonce,
        counterparty,
        buy: side === "buy",
        epochId: params.epochId,
        leg: legHash(data),
      };
      const signature = await signTradeLeg(this.signer, domain, message);
      return { trader: this, side, account: this.address, data, pending, fill: f, signature };
    } catch (e) {
      this.store.dropPending(pending);
      throw e;
    }
  }

  /** Maintenance-level margin proof of the current state for `params` (the latest epoch). */
  async marginProof(params: Params): Promise<MarginProof> {
    await this.sync();
    const nonce = await this.nonce();
    const binding = bindingOf(MARGIN_DOMAIN, this.chainId, await this.accounts.getAddress(), this.address, nonce);
    this.progress(`proving maintenance margin for epoch ${params.epochId} (a few seconds)`);
    return this.provers.margin.prove(params, this.portfolio, "maintenance", binding);
  }

  async proveMargin(params: Params, sender: Signer = this.signer): Promise<Sent> {
    const proof = await proofArg(await this.marginProof(params));
    const c = this.accounts.connect(sender) as Contract;
    return send(c, "proveMargin", () => c.proveMargin(this.address, params.epochId, proof), this.progress, this.decoders);
  }
}

export interface TradeLeg {
  /** the leg owner's client when it runs in this process (its pending state is promoted here) */
  trader?: Trader;
  side: "buy" | "sell";
  account: string;
  data: TransitionData;
  pending: bigint;
  fill: bigint;
  signature: string;
}

/** Reconcile after a failure, never masking it: an error here shows again at the next sync. */
async function syncQuietly(t: Trader): Promise<void> {
  try {
    await t.sync();
  } catch {
    /* the next sync reports it */
  }
}

/**
 * Settle both legs in one call, sent by `sender`'s owner with the other leg's signature. Pending
 * states are promoted for the legs whose client runs here; a counterparty in another process
 * reconciles with `sync()`. On failure no pending state is dropped: each leg is signed and held
 * by the other party, who may still settle it (or may have settled it first: the sync that
 * follows a failure then promotes it); they go once the account's nonce moves past them.
 */
export async function settleTrade(sender: TradeLeg & { trader: Trader }, other: TradeLeg, epochId: bigint): Promise<Sent> {
  if (sender.fill !== other.fill) throw new ValidationError("fill", "the two legs commit to different fills");
  if (sender.side === other.side) throw new ValidationError("side", "the two legs must have opposite sides");
  const own = sender.trader.store.state;
  if (own.current.commitment !== sender.pending && !own.pending.some((p) => p.commitment === sender.pending))
    throw new ValidationError(
      "leg",
      "the state this leg produces is not in the sender's state file (made with another copy of it, or pruned because the account moved past its nonce): refusing to settle a state that would be lost",
    );
  const [buy, sell] = sender.side === "buy" ? [sender, other] : [other, sender];
  const c = sender.trader.accounts;
  const here = [sender, other].filter((l): l is TradeLeg & { trader: Trader } => l.trader !== undefined);
  let sent: Sent;
  try {
    sent = await send(
      c,
      "trade",
      async () => {
        const tx = await c.trade(
          { account: buy.account, t: buy.data },
          { account: sell.account, t: sell.data },
          sender.fill,
          epochId,
          other.signature,
        );
        for (const l of here) l.trader.store.markSent(l.pending, tx.hash);
        return tx;
      },
      sender.trader.progress,
      sender.trader.decoders,
    );
  } catch (e) {
    for (const l of here) await syncQuietly(l.trader);
    throw e;
  }
  for (const l of here) l.trader.store.promote(l.pending, sent.txHash);
  return sent;
}
