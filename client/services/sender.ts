// How the services send transactions: one account, many transactions in flight. Every send is
// estimated first (a revert in simulation costs no nonce), then takes the next nonce under a lock;
// fees are explicit (EIP-1559 when the node has a base fee), and a transaction still not mined
// after `bumpAfterMs` is sent again with the same nonce and fees raised by `bumpPercent` (at least
// the 10% nodes require of a replacement), up to `maxBumps` times. `receiptFor` returns the
// receipt of whichever version was mined.
import { AbstractSigner, type Provider, type Signer, type TransactionRequest, type TransactionResponse } from "ethers";

export interface SenderOptions {
  bumpAfterMs?: number;
  bumpPercent?: number;
  maxBumps?: number;
  log?: (s: string) => void;
  onBump?: () => void;
}

interface InFlight {
  nonce: number;
  request: TransactionRequest;
  sentAt: number;
  bumps: number;
  /** the first version's hash: every version is recorded under it */
  original: string;
}

/** A signer wrapper for the services' Contracts: ordered nonces, explicit fees, fee bumping. */
export class ServiceSigner extends AbstractSigner {
  readonly base: Signer;
  private readonly o: Required<Omit<SenderOptions, "log" | "onBump">> & Pick<SenderOptions, "log" | "onBump">;
  private nextNonce?: number;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Map<number, InFlight>();
  private timer?: NodeJS.Timeout;
  private address?: string;
  /** every version (hash) of each transaction sent, by its first hash */
  private readonly versions = new Map<string, string[]>();
  bumps = 0;

  constructor(base: Signer, opts: SenderOptions = {}) {
    super(base.provider);
    this.base = base;
    this.o = { bumpAfterMs: 30_000, bumpPercent: 15, maxBumps: 5, ...opts };
    if (this.o.bumpPercent < 10) throw new Error("--bump-percent must be at least 10 (nodes refuse smaller replacements)");
  }

  connect(_provider: Provider | null): ServiceSigner {
    throw new Error("ServiceSigner cannot be reconnected");
  }
  async getAddress(): Promise<string> {
    return (this.address ??= await this.base.getAddress());
  }
  signTransaction(tx: TransactionRequest): Promise<string> {
    return this.base.signTransaction(tx);
  }
  signMessage(m: string | Uint8Array): Promise<string> {
    return this.base.signMessage(m);
  }
  signTypedData(...a: Parameters<Signer["signTypedData"]>): Promise<string> {
    return this.base.signTypedData(...a);
  }

  /** transactions sent and not yet seen mined */
  pending(): number {
    return this.inFlight.size;
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => {});
    return run;
  }

  private async fees(): Promise<Partial<TransactionRequest>> {
    const f = await this.provider!.getFeeData();
    if (f.maxFeePerGas != null && f.maxPriorityFeePerGas != null)
      return { type: 2, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
    return { type: 0, gasPrice: f.gasPrice ?? 1_000_000_000n };
  }

  async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const from = await this.getAddress();
    const req: TransactionRequest = { ...(await this.populateCall(tx)), from };
    // a revert shows here, before a nonce is taken
    if (req.gasLimit == null) req.gasLimit = ((await this.provider!.estimateGas(req)) * 12n) / 10n + 10_000n;
    Object.assign(req, await this.fees(), { chainId: (await this.provider!.getNetwork()).chainId });
    return this.serial(async () => {
      this.nextNonce ??= await this.provider!.getTransactionCount(from, "pending");
      const nonce = this.nextNonce;
      let sent: TransactionResponse;
      try {
        sent = await this.base.sendTransaction({ ...req, nonce });
      } catch (e) {
        this.nextNonce = undefined; // re-read from the node: the nonce may or may not be used
        throw e;
      }
      this.nextNonce = nonce + 1;
      this.versions.set(sent.hash, [sent.hash]);
      this.inFlight.set(nonce, { nonce, request: { ...req, nonce }, sentAt: Date.now(), bumps: 0, original: sent.hash });
      this.watch();
      return sent;
    });
  }

  private watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check().catch((e) => this.o.log?.(`fee bump check: ${(e as Error).message}`)), 1000);
    this.timer.unref();
  }

  /** Forget mined nonces; re-send the overdue ones with higher fees. */
  private async check(): Promise<void> {
    if (this.inFlight.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const mined = await this.provider!.getTransactionCount(await this.getAddress(), "latest");
    for (const [nonce, t] of this.inFlight) {
      if (nonce < mined) {
        this.inFlight.delete(nonce);
        continue;
      }
      if (Date.now() - t.sentAt < this.o.bumpAfterMs || t.bumps >= this.o.maxBumps) continue;
      const up = (x: bigint) => (x * BigInt(100 + this.o.bumpPercent) + 99n) / 100n + 1n;
      const r = t.request;
      const bumped: TransactionRequest =
        r.type === 2
          ? { ...r, maxFeePerGas: up(BigInt(r.maxFeePerGas!)), maxPriorityFeePerGas: up(BigInt(r.maxPriorityFeePerGas!)) }
          : { ...r, gasPrice: up(BigInt(r.gasPrice!)) };
      try {
        const again = await this.base.sendTransaction(bumped);
        this.versions.get(t.original)?.push(again.hash);
        t.request = bumped;
        t.bumps++;
        t.sentAt = Date.now();
        this.bumps++;
        this.o.onBump?.();
        this.o.log?.(`nonce ${nonce} not mined after ${this.o.bumpAfterMs / 1000} s: fees raised ${this.o.bumpPercent}% (bump ${t.bumps})`);
      } catch (e) {
        // mined meanwhile ("nonce too low") or the node keeps the old one: the next check sees it
        this.o.log?.(`fee bump of nonce ${nonce} refused: ${(e as Error).message.split("\n")[0]}`);
      }
    }
  }

  /**
   * The receipt of a transaction this signer sent, whichever version (fee bump) was mined. Needed
   * because a Contract's response (ContractTransactionResponse) loses ethers' replacement
   * detection: its wait() would never end once a bumped copy is mined.
   */
  async receiptFor(hash: string, pollMs = 250): Promise<Receipt> {
    for (;;) {
      for (const h of this.versions.get(hash) ?? [hash]) {
        const r = await this.provider!.getTransactionReceipt(h);
        if (r) {
          this.versions.delete(hash);
          return { hash: r.hash, status: r.status ?? 0, gasUsed: r.gasUsed, blockNumber: r.blockNumber };
        }
      }
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface Receipt {
  hash: string;
  status: number;
  gasUsed: bigint;
  blockNumber: number;
}

/** The receipt of a transaction sent by `signer`, whichever fee version was mined. */
export function receiptOf(tx: TransactionResponse, signer: ServiceSigner): Promise<Receipt> {
  return signer.receiptFor(tx.hash);
}
