// The services' job journal: an append-only file of JSON lines, one per change, each fsynced
// before the change is acted on. Replayed at start (a torn last line from a crash is ignored), then
// compacted (written durably: temp file, fsync, rename). The journal holds only what is public or
// worthless to others: accounts, epochs, nonces, proofs (zero-knowledge), transaction hashes.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { writeDurably } from "../state.ts";
import { decode, encode } from "./codec.ts";

export class Journal<E extends { key: string }> {
  readonly path: string;
  private readonly entries = new Map<string, E>();
  private fd: number;
  /** lines that did not parse at start (a torn write at a crash) */
  readonly skipped: number;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    let skipped = 0;
    if (existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          const e = decode<E & { deleted?: boolean }>(line);
          if (e.deleted) this.entries.delete(e.key);
          else this.entries.set(e.key, e);
        } catch {
          skipped++;
        }
      }
    }
    this.skipped = skipped;
    writeDurably(path, Buffer.from([...this.entries.values()].map((e) => `${encode(e)}\n`).join("")));
    this.fd = openSync(path, "a");
  }

  get(key: string): E | undefined {
    return this.entries.get(key);
  }

  values(): E[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Record `e` durably (the line is on disk when this returns). */
  put(e: E): void {
    this.entries.set(e.key, e);
    writeSync(this.fd, `${encode(e)}\n`);
    fsyncSync(this.fd);
  }

  delete(key: string): void {
    if (!this.entries.delete(key)) return;
    writeSync(this.fd, `${encode({ key, deleted: true })}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
