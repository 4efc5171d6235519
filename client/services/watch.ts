// Following the chain: every `pollMs` (and at once on a new block when the provider pushes them,
// e.g. a WebSocket provider), the blocks up to head - confirmations are handed on once, in order.
// A reorg guard: the hash of the last handed-on block is remembered; when the chain no longer has
// it, the cursor goes back `confirmations + 1` blocks (the services act on state read at the
// latest block, so a replayed range only re-triggers a check).
import type { Provider } from "ethers";

export interface WatchOptions {
  confirmations: number;
  pollMs: number;
  /** the last block already handled (-1: none) */
  cursor: number;
  onRange: (from: number, to: number) => Promise<void>;
  onCursor?: (cursor: number) => void;
  onError?: (e: Error) => void;
  onHead?: (head: number) => void;
}

export class ChainWatch {
  private readonly provider: Provider;
  private readonly o: WatchOptions;
  private cursor: number;
  private cursorHash?: string;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  head = -1;
  reorgs = 0;

  constructor(provider: Provider, o: WatchOptions) {
    this.provider = provider;
    this.o = o;
    this.cursor = o.cursor;
  }

  get processed(): number {
    return this.cursor;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.o.pollMs);
    void this.provider.on("block", () => void this.poll()).catch(() => {});
    void this.poll();
  }

  /** One pass now (coalesced with a pass already running). */
  async poll(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } catch (e) {
      this.o.onError?.(e as Error);
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    this.head = await this.provider.getBlockNumber();
    this.o.onHead?.(this.head);
    if (this.cursorHash !== undefined && this.cursor >= 0) {
      const b = await this.provider.getBlock(this.cursor);
      if (!b || b.hash !== this.cursorHash) {
        this.reorgs++;
        this.cursor = Math.max(-1, this.cursor - this.o.confirmations - 1);
        this.cursorHash = undefined;
      }
    }
    const safe = this.head - this.o.confirmations;
    if (safe <= this.cursor) return;
    await this.o.onRange(this.cursor + 1, safe);
    this.cursor = safe;
    this.cursorHash = (await this.provider.getBlock(safe))?.hash ?? undefined;
    this.o.onCursor?.(safe);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    void this.provider.off("block").catch(() => {});
  }
}
