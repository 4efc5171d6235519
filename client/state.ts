// The trader's private state: the portfolio (with its salt) behind the on-chain commitment.
// It never leaves this file. The file is encrypted at rest (AES-256-GCM, key from scrypt of a
// passphrase) and written atomically and durably (temp file, fsync, rename, fsync of the
// directory), so a crash at any point leaves either the old or the new file, never a torn one.
//
// Crash safety of a transition: the new portfolio is written as `pending` BEFORE the
// transaction is sent or the trade leg is signed; once mined it is promoted to `current`.
// A pending state is kept while anything could still put its commitment on-chain (a trade leg
// signed for a counterparty, a transaction handed to a node); it is dropped only when that can
// no longer happen: the account's on-chain nonce moved past the pending state's nonce with
// another commitment (every transition proof binds the account's nonce and stored commitment,
// so a proof for nonce n verifies only while the account is at nonce n). recover() matches the
// on-chain commitment and nonce against current and every pending state, in any order of events.
//
// Replay: every transition's ephemeral scalar (whose shared point with the liquidation key gives
// the new commitment's salt) is derived from a secret seed kept in this file, the account, the
// nonce and an attempt counter (ephemeralSecret). So a copy of the file of any age (a backup, a
// file whose last writes were lost) can rebuild every later state from the account's Transition
// events, as the liquidation key holder does (client/recovery.ts).
//
// One command at a time: StateLock is an exclusive lock file next to the state (O_EXCL, with the
// holder's pid, host and start time); a lock whose process is gone is taken over safely.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { BABYJUB_SUBGROUP_ORDER } from "../prover/constants.ts";
import { commitment } from "../prover/encoding.ts";
import type { Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { readBounded } from "./files.ts";

export { readBounded };

export interface StoredState {
  portfolio: Portfolio;
  commitment: bigint;
  /** the account nonce this state is the result of (0 = the empty portfolio at opening) */
  nonce: number;
  /** what produced it, e.g. "deposit 0 1000" */
  label: string;
  /** the transaction that produced it (current) or was sent to produce it (pending) */
  txHash?: string;
}

export interface AccountState {
  schema: "zkmargin/account-state/v1";
  chainId: string;
  contract: string;
  account: string;
  current: StoredState;
  pending: StoredState[];
  /**
   * 32 random bytes (hex): the seed of every transition's ephemeral scalar (ephemeralSecret), so
   * that the owner can replay its own Transition events. Absent in files written before it
   * existed: added at the next write (transitions made before cannot be replayed).
   */
  seed?: string;
  /** the ephemeral scalars drawn at the account nonce `nonce`: the next attempt is `count` */
  draws?: { nonce: number; count: number };
}

/** Attempts per nonce a restored copy skips; the replay tries twice as many (a nonce rarely sees more than a few proofs; each try is one Baby Jubjub scalar multiplication, ~45 ms). */
export const REPLAY_ATTEMPTS = 16;

/**
 * The ephemeral scalar of attempt `attempt` at account nonce `nonce`: HMAC-SHA512 under the file's
 * seed, reduced into [1, l) (512 bits mod l: bias below 2^-260). Distinct (nonce, attempt) pairs
 * give independent scalars; a scalar is never used twice (a reused one would publish the
 * difference of two payloads).
 */
export function ephemeralSecret(
  seed: string,
  st: Pick<AccountState, "chainId" | "contract" | "account">,
  nonce: number,
  attempt: number,
): bigint {
  const mac = createHmac("sha512", Buffer.from(seed, "hex"))
    .update(`zkmargin-ephemeral-v1/${st.chainId}/${st.contract.toLowerCase()}/${st.account.toLowerCase()}/${nonce}/${attempt}`)
    .digest("hex");
  return (BigInt(`0x${mac}`) % (BABYJUB_SUBGROUP_ORDER - 1n)) + 1n;
}

const MAGIC = "zkmargin-state-v1";
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** a state file is a few kilobytes; anything much larger is not one (refused before reading it) */
export const MAX_STATE_BYTES = 4 * 1024 * 1024;

const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v);
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && "$big" in (v as object) ? BigInt((v as { $big: string }).$big) : v;

function deriveKey(passphrase: string, salt: Buffer): Buffer {
  if (passphrase.length === 0) throw new ValidationError("passphrase", "must not be empty (set ZKMARGIN_PASSPHRASE)");
  return scryptSync(passphrase, salt, 32, SCRYPT);
}

/** Tells a wrong passphrase from a modified file: an HMAC of a constant under the derived key. */
const keyCheck = (key: Buffer): string => createHmac("sha256", key).update("zkmargin-state-key-check").digest("hex").slice(0, 32);

interface Key {
  salt: Buffer;
  key: Buffer;
}

function encryptWith(state: AccountState, k: Key): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", k.key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(MAGIC));
  const body = Buffer.concat([cipher.update(JSON.stringify(state, replacer), "utf8"), cipher.final()]);
  const envelope = {
    magic: MAGIC,
    kdf: { name: "scrypt", ...SCRYPT, salt: k.salt.toString("hex") },
    check: keyCheck(k.key),
    iv: iv.toString("hex"),
    tag: cipher.getAuthTag().toString("hex"),
    data: body.toString("base64"),
  };
  return Buffer.from(`${JSON.stringify(envelope)}\n`);
}

export function encryptState(state: AccountState, passphrase: string): Buffer {
  const salt = randomBytes(16);
  return encryptWith(state, { salt, key: deriveKey(passphrase, salt) });
}

const HEX = (bytes: number) => new RegExp(`^[0-9a-f]{${2 * bytes}}$`);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decryptWith(file: Buffer, passphrase: string, name: string): { state: AccountState; key: Key } {
  const damaged = (why: string) => new ValidationError("--state", `${name} is not a readable zkmargin account state file (${why})`);
  let env: { magic?: unknown; kdf?: { name?: unknown; salt?: unknown }; check?: unknown; iv?: unknown; tag?: unknown; data?: unknown };
  try {
    env = JSON.parse(file.toString("utf8"));
  } catch {
    throw damaged("not JSON: truncated or corrupted?");
  }
  if (env === null || typeof env !== "object" || env.magic !== MAGIC) throw damaged(`no "${MAGIC}" header`);
  const salt = env.kdf?.salt;
  if (env.kdf?.name !== "scrypt" || typeof salt !== "string" || !HEX(16).test(salt)) throw damaged("bad key derivation salt");
  if (typeof env.iv !== "string" || !HEX(12).test(env.iv)) throw damaged("bad nonce");
  if (typeof env.tag !== "string" || !HEX(16).test(env.tag))
    throw damaged(
      `the authentication tag must be 16 bytes of hex, got ${typeof env.tag === "string" ? `${env.tag.length / 2} bytes` : "none"}`,
    );
  if (typeof env.data !== "string" || !BASE64.test(env.data)) throw damaged("the ciphertext is not base64");
  if (env.check !== undefined && (typeof env.check !== "string" || !HEX(16).test(env.check))) throw damaged("bad key check");
  const saltBytes = Buffer.from(salt, "hex");
  const key = deriveKey(passphrase, saltBytes);
  if (typeof env.check === "string" && !timingSafeEqual(Buffer.from(env.check, "hex"), Buffer.from(keyCheck(key), "hex")))
    throw new ValidationError("passphrase", `does not open ${name} (wrong ZKMARGIN_PASSPHRASE)`);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(env.iv, "hex"), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(MAGIC));
  decipher.setAuthTag(Buffer.from(env.tag, "hex"));
  let plain: string;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(env.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new ValidationError(
      "passphrase",
      typeof env.check === "string"
        ? `is right, but ${name} was modified or corrupted (authentication failed); restore it from a backup`
        : `does not decrypt ${name} (wrong passphrase or a modified file)`,
    );
  }
  let state: AccountState;
  try {
    state = JSON.parse(plain, reviver) as AccountState;
  } catch {
    throw damaged("the decrypted contents are not JSON");
  }
  if (state?.schema !== "zkmargin/account-state/v1" || !state.current || !Array.isArray(state.pending))
    throw damaged("the decrypted contents are not an account state");
  return { state, key: { salt: saltBytes, key } };
}

export function decryptState(file: Buffer, passphrase: string, name = "the state file"): AccountState {
  return decryptWith(file, passphrase, name).state;
}

/** fsync a directory, so that a rename in it survives a power loss (a no-op where directories cannot be synced). */
export function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch (e) {
    if (["EISDIR", "EPERM", "EACCES"].includes((e as NodeJS.ErrnoException).code ?? "")) return; // Windows
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!["EINVAL", "ENOTSUP", "EBADF", "EPERM"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
  } finally {
    closeSync(fd);
  }
}

/** Write a file atomically and durably: temp file in the same directory, fsync, rename, fsync of the directory. */
export function writeDurably(path: string, data: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(dirname(resolve(path)));
}

/**
 * Test-only crash points: with ZKMARGIN_TEST_PAUSE=<point>[,<point>] the process stops at that
 * point, once what precedes it is durable, and waits to be killed (test/contracts/state-crash).
 *   pending  the pending state is written, nothing signed or sent yet
 *   sent     the transaction was handed to the node (its hash recorded), not known to be mined
 *   mined    the transaction is mined, the state file does not know it yet
 */
function checkpoint(point: string): void {
  const want = process.env.ZKMARGIN_TEST_PAUSE;
  if (!want || !want.split(",").includes(point)) return;
  process.stderr.write(`zkmargin: test pause at ${point} (pid ${process.pid})\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, 600_000);
  process.exit(97);
}

const fileError = (path: string, e: unknown, doing: string) =>
  new ValidationError("--state", `cannot ${doing} ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);

/** The account state file, re-encrypted on every change. */
export class StateStore {
  readonly path: string;
  private readonly key: Key;
  state: AccountState;

  private constructor(path: string, key: Key, state: AccountState) {
    this.path = path;
    this.key = key;
    this.state = state;
  }

  static exists(path: string): boolean {
    return existsSync(path);
  }

  /** Create a new state file; refuses to overwrite an existing one (never lose user data). */
  static create(path: string, passphrase: string, init: Omit<AccountState, "schema" | "pending">): StateStore {
    if (existsSync(path)) throw new ValidationError("--state", `${path} already exists; refusing to overwrite an account state`);
    const salt = randomBytes(16);
    const store = new StateStore(
      path,
      { salt, key: deriveKey(passphrase, salt) },
      { schema: "zkmargin/account-state/v1", ...init, pending: [], seed: randomBytes(32).toString("hex") },
    );
    store.save();
    return store;
  }

  static open(path: string, passphrase: string): StateStore {
    if (!existsSync(path)) throw new ValidationError("--state", `${path} does not exist`);
    let file: Buffer | null;
    try {
      file = readBounded(path, MAX_STATE_BYTES);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EISDIR") throw new ValidationError("--state", `${path} is a directory, not a state file`);
      throw fileError(path, e, "read");
    }
    if (file === null) throw new ValidationError("--state", `${path} is larger than ${MAX_STATE_BYTES} bytes: not an account state file`);
    const { state, key } = decryptWith(file, passphrase, path);
    if (state.seed !== undefined && (typeof state.seed !== "string" || !HEX(32).test(state.seed)))
      throw new ValidationError("--state", `${path} is not a readable zkmargin account state file (bad seed)`);
    state.seed ??= randomBytes(32).toString("hex"); // an older file: saved with the next write
    return new StateStore(path, key, state);
  }

  save(): void {
    try {
      writeDurably(this.path, encryptWith(this.state, this.key));
    } catch (e) {
      throw fileError(this.path, e, "write");
    }
  }

  /**
   * The ephemeral scalar of the next proof at account nonce `nonce` (never the same twice). The
   * counter is saved with the pending state the proof produces (addPending), before anything
   * leaves this process; a proof that never leaves it may see its scalar drawn again.
   */
  nextEphemeral(nonce: number): bigint {
    const st = this.state;
    st.seed ??= randomBytes(32).toString("hex");
    if (st.draws?.nonce !== nonce) st.draws = { nonce, count: 0 };
    return ephemeralSecret(st.seed, st, nonce, st.draws.count++);
  }

  /** Record the state a transaction (or a signed trade leg) will produce, before sending or signing. */
  addPending(portfolio: Portfolio, nonce: number, label: string): StoredState {
    const s: StoredState = { portfolio, commitment: commitment(portfolio), nonce, label };
    this.state.pending.push(s);
    this.save();
    checkpoint("pending");
    return s;
  }

  /**
   * The transaction meant to produce pending state `c` was handed to the node: record its hash.
   * The pending state itself is already durable, so a failure to save only loses the hash.
   */
  markSent(c: bigint, txHash: string): void {
    const s = this.state.pending.find((p) => p.commitment === c);
    if (!s) return;
    s.txHash = txHash;
    try {
      this.save();
    } catch {
      /* the pending state is on disk; recover() does not need the hash */
    }
    checkpoint("sent");
  }

  /**
   * The transaction producing `c` is mined: it becomes current. Pending states for this nonce or
   * older go (they can never be mined now); later ones stay. Idempotent.
   */
  promote(c: bigint, txHash?: string): void {
    if (txHash !== undefined) checkpoint("mined");
    const cur = this.state.current;
    const s = this.state.pending.find((p) => p.commitment === c);
    if (!s) {
      if (cur.commitment === c) {
        if (txHash !== undefined && cur.txHash === undefined) {
          cur.txHash = txHash;
          this.save();
        }
        return;
      }
      throw new Error(`no pending state has commitment ${c}`);
    }
    this.state.current = { ...s, txHash: txHash ?? s.txHash };
    this.state.pending = this.state.pending.filter((p) => p.nonce > s.nonce);
    this.save();
  }

  /**
   * Drop a pending state. Only for one that can never be mined: its transaction was refused
   * before it was broadcast, or its trade leg was never signed or handed over. A pending state
   * whose leg or transaction left this process is kept until recover() sees the nonce move past it.
   */
  dropPending(c: bigint): void {
    this.state.pending = this.state.pending.filter((p) => p.commitment !== c);
    this.save();
  }

  /**
   * The state `s` (replayed from the chain's Transition events, or by another recovery strategy)
   * opens the on-chain commitment: it becomes current; pending states for its nonce or older go.
   * The ephemeral attempts at its nonce a lost copy of this file may have used are skipped, so
   * that no scalar is drawn twice.
   */
  adopt(s: StoredState): void {
    this.state.current = s;
    this.state.pending = this.state.pending.filter((p) => p.nonce > s.nonce);
    const count = this.state.draws?.nonce === s.nonce ? this.state.draws.count : 0;
    this.state.draws = { nonce: s.nonce, count: Math.max(count, REPLAY_ATTEMPTS) };
    this.save();
  }

  /** The stored state (current or pending) whose commitment and nonce are these, if any. */
  find(c: bigint, nonce: number): StoredState | undefined {
    const cur = this.state.current;
    if (cur.commitment === c && cur.nonce === nonce) return cur;
    return this.state.pending.find((p) => p.commitment === c && p.nonce === nonce);
  }

  /**
   * Match the on-chain commitment and nonce against the stored states, in any order of events:
   *  - the chain is at the current state: pending states for a later nonce are kept (a trade leg
   *    may still be settled by the counterparty, a sent transaction may still be mined); those
   *    for this nonce or older are pruned (the nonce moved past them with the current commitment);
   *  - the chain is at a pending state (mined, or settled by the counterparty, while this client
   *    crashed, failed or was not running): it is promoted, and pending states for its nonce or
   *    older are pruned;
   *  - neither: throws and changes nothing (the file is not this account's latest: another copy
   *    of it moved on, or it belongs to another deployment).
   */
  recover(onChain: bigint, onChainNonce: number): "current" | "promoted" {
    const cur = this.state.current;
    if (cur.commitment === onChain && cur.nonce === onChainNonce) {
      const live = this.state.pending.filter((p) => p.nonce > cur.nonce);
      if (live.length !== this.state.pending.length) {
        this.state.pending = live;
        this.save();
      }
      return "current";
    }
    const hit = this.state.pending.find((p) => p.commitment === onChain && p.nonce === onChainNonce);
    if (!hit) {
      throw new ValidationError(
        "--state",
        `no stored state opens the on-chain commitment ${onChain} (nonce ${onChainNonce}); ${this.path} is not this account's latest state file`,
      );
    }
    this.promote(onChain);
    return "promoted";
  }
}

// ------------------------------------------------------------------------------- the lock

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  command?: string;
  /** random: tells this lock from a later one at the same path */
  token?: string;
}

/** How old an empty or unreadable lock file must be before it is considered abandoned (its writer died mid-write). */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

const held = new Set<StateLock>();
let exitHook = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock file's identity: inode, birth time (not changed by rename) and exact contents. */
function identity(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.ino}/${st.birthtimeNs}/${readFileSync(path, "utf8")}`;
}

/**
 * One command per state file: `<state>.lock`, created with O_EXCL, holds the owner's pid, host,
 * start time and a random token. A second command on the same state is refused (ValidationError
 * naming --state). A lock left by a process that is gone (killed, crashed; same host, pid not
 * alive) is taken over: it is renamed away atomically and removed only if it is still the stale
 * lock that was examined (same inode, birth time and contents); otherwise it is put back.
 * Released by release() (only while the file is still this lock's), and at process exit.
 */
export class StateLock {
  readonly path: string;
  private readonly contents: string;
  private released = false;

  private constructor(path: string, contents: string) {
    this.path = path;
    this.contents = contents;
  }

  static lockPath(statePath: string): string {
    return `${resolve(statePath)}.lock`;
  }

  static acquire(statePath: string, command = "zkmargin"): StateLock {
    const path = StateLock.lockPath(statePath);
    const dir = dirname(path);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ValidationError("--state", `directory ${dir} does not exist`);
    for (let attempt = 0; attempt < 5; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, "wx", 0o600);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "EEXIST")
          throw new ValidationError(
            "--state",
            `cannot create the lock file ${path} (${code ?? (e as Error).message}): the folder must be writable`,
          );
        StateLock.takeOverIfStale(path, statePath);
        continue;
      }
      const info: LockInfo = {
        pid: process.pid,
        host: hostname(),
        since: new Date().toISOString(),
        command,
        token: randomBytes(8).toString("hex"),
      };
      const contents = `${JSON.stringify(info)}\n`;
      try {
        writeSync(fd, contents);
        fsyncSync(fd);
      } catch (e) {
        closeSync(fd);
        rmSync(path, { force: true });
        throw new ValidationError(
          "--state",
          `cannot write the lock file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
      }
      closeSync(fd);
      const lock = new StateLock(path, contents);
      held.add(lock);
      if (!exitHook) {
        exitHook = true;
        process.on("exit", () => {
          for (const l of held) l.release();
        });
      }
      return lock;
    }
    throw new ValidationError("--state", `another zkmargin command holds ${statePath} (its lock ${path} keeps changing)`);
  }

  /** Throws naming the holder when the lock is live; removes it when its process is gone. */
  private static takeOverIfStale(path: string, statePath: string): void {
    let seen: string;
    let mtime: number;
    let info: LockInfo | undefined;
    try {
      seen = identity(path);
      mtime = statSync(path).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // released meanwhile: try again
      throw new ValidationError("--state", `cannot read the lock file ${path} (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      const raw = JSON.parse(readFileSync(path, "utf8"));
      if (Number.isSafeInteger(raw?.pid) && raw.pid > 0 && typeof raw.host === "string") info = raw as LockInfo;
    } catch {
      info = undefined; // empty or half-written
    }
    const busy = () => {
      const who = info ? `pid ${info.pid}${info.host !== hostname() ? ` on ${info.host}` : ""}, since ${info.since}` : "being created";
      return new ValidationError(
        "--state",
        `another zkmargin command holds ${statePath} (${who}); wait for it to finish (if no zkmargin command is running, remove ${path})`,
      );
    };
    if (info === undefined) {
      if (Date.now() - mtime < UNREADABLE_LOCK_GRACE_MS) throw busy();
    } else if (info.host !== hostname() || (info.pid !== process.pid && alive(info.pid))) {
      throw busy();
    } else if (info.pid === process.pid && [...held].some((l) => l.path === path)) {
      throw busy(); // this process holds it already
    }
    // stale: move it aside atomically, then make sure it is the one examined
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // someone else took it over: compete again
      throw new ValidationError("--state", `cannot take over the stale lock ${path} (${(e as NodeJS.ErrnoException).code})`);
    }
    let same = false;
    try {
      same = identity(aside) === seen;
    } catch {
      /* unreadable: treat as another's */
    }
    if (same) {
      rmSync(aside, { force: true });
      return;
    }
    // another process replaced the stale lock with its own meanwhile: put it back
    try {
      linkSync(aside, path);
    } catch {
      /* a third process created a lock meanwhile (docs/THREAT-MODEL.md: residual risk) */
    } finally {
      rmSync(aside, { force: true });
    }
    throw busy();
  }

  /** Remove the lock file, if it is still this lock's. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    try {
      if (readFileSync(this.path, "utf8") === this.contents) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}

/** The state file must belong to this chain and clearinghouse: a file for another deployment would never open its commitments here. */
export function checkDeployment(store: StateStore, chainId: bigint, contract: string): void {
  const st = store.state;
  if (st.chainId !== String(chainId) || st.contract.toLowerCase() !== contract.toLowerCase()) {
    throw new ValidationError(
      "--state",
      `belongs to the clearinghouse ${st.contract} on chain ${st.chainId}, not ${contract} on chain ${chainId}`,
    );
  }
}
