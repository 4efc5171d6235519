// The trader's private state: the portfolio (with its salt) behind the on-chain commitment.
// It never leaves this file. The file is encrypted at rest (AES-256-GCM, key from scrypt of a
// passphrase) and written atomically (temp file, fsync, rename), so a crash at any point leaves
// either the old or the new file, never a torn one.
//
// Crash safety of a transition: the new portfolio is written as `pending` BEFORE the
// transaction is sent; once mined it is promoted to `current`. If anything fails in between,
// recover() matches the on-chain commitment against current and every pending state.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { commitment } from "../prover/encoding.ts";
import type { Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";

export interface StoredState {
  portfolio: Portfolio;
  commitment: bigint;
  /** the account nonce this state is the result of (0 = the empty portfolio at opening) */
  nonce: number;
  /** what produced it, e.g. "deposit 0 1000" */
  label: string;
  txHash?: string;
}

export interface AccountState {
  schema: "zkmargin/account-state/v1";
  chainId: string;
  contract: string;
  account: string;
  current: StoredState;
  pending: StoredState[];
}

const MAGIC = "zkmargin-state-v1";
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v);
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && "$big" in (v as object) ? BigInt((v as { $big: string }).$big) : v;

function deriveKey(passphrase: string, salt: Buffer): Buffer {
  if (passphrase.length === 0) throw new ValidationError("passphrase", "must not be empty (set ZKMARGIN_PASSPHRASE)");
  return scryptSync(passphrase, salt, 32, SCRYPT);
}

export function encryptState(state: AccountState, passphrase: string): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(passphrase, salt), iv);
  cipher.setAAD(Buffer.from(MAGIC));
  const body = Buffer.concat([cipher.update(JSON.stringify(state, replacer), "utf8"), cipher.final()]);
  const envelope = {
    magic: MAGIC,
    kdf: { name: "scrypt", ...SCRYPT, salt: salt.toString("hex") },
    iv: iv.toString("hex"),
    tag: cipher.getAuthTag().toString("hex"),
    data: body.toString("base64"),
  };
  return Buffer.from(`${JSON.stringify(envelope)}\n`);
}

export function decryptState(file: Buffer, passphrase: string): AccountState {
  let env: { magic?: string; kdf?: { salt?: string }; iv?: string; tag?: string; data?: string };
  try {
    env = JSON.parse(file.toString("utf8"));
  } catch {
    throw new ValidationError("--state", "is not a zkmargin account state file");
  }
  if (env.magic !== MAGIC || !env.kdf?.salt || !env.iv || !env.tag || !env.data)
    throw new ValidationError("--state", "is not a zkmargin account state file");
  const decipher = createDecipheriv("aes-256-gcm", deriveKey(passphrase, Buffer.from(env.kdf.salt, "hex")), Buffer.from(env.iv, "hex"));
  decipher.setAAD(Buffer.from(MAGIC));
  decipher.setAuthTag(Buffer.from(env.tag, "hex"));
  let plain: string;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(env.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new ValidationError("passphrase", "does not decrypt the state file (wrong passphrase or a modified file)");
  }
  return JSON.parse(plain, reviver) as AccountState;
}

/** Write a file atomically and durably: temp file in the same directory, fsync, rename. */
export function writeDurably(path: string, data: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
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
}

/** The account state file, re-encrypted on every change. */
export class StateStore {
  readonly path: string;
  private readonly passphrase: string;
  state: AccountState;

  private constructor(path: string, passphrase: string, state: AccountState) {
    this.path = path;
    this.passphrase = passphrase;
    this.state = state;
  }

  static exists(path: string): boolean {
    return existsSync(path);
  }

  /** Create a new state file; refuses to overwrite an existing one (never lose user data). */
  static create(path: string, passphrase: string, init: Omit<AccountState, "schema" | "pending">): StateStore {
    if (existsSync(path)) throw new ValidationError("--state", `${path} already exists; refusing to overwrite an account state`);
    const store = new StateStore(path, passphrase, { schema: "zkmargin/account-state/v1", ...init, pending: [] });
    store.save();
    return store;
  }

  static open(path: string, passphrase: string): StateStore {
    if (!existsSync(path)) throw new ValidationError("--state", `${path} does not exist`);
    return new StateStore(path, passphrase, decryptState(readFileSync(path), passphrase));
  }

  save(): void {
    writeDurably(this.path, encryptState(this.state, this.passphrase));
  }

  /** Record the state a transaction will produce, before sending it. */
  addPending(portfolio: Portfolio, nonce: number, label: string): StoredState {
    const s: StoredState = { portfolio, commitment: commitment(portfolio), nonce, label };
    this.state.pending.push(s);
    this.save();
    return s;
  }

  /** The transaction producing `c` is mined: it becomes current, other pending states go. */
  promote(c: bigint, txHash?: string): void {
    const s = this.state.pending.find((p) => p.commitment === c);
    if (!s) throw new Error(`no pending state has commitment ${c}`);
    this.state.current = { ...s, txHash };
    this.state.pending = [];
    this.save();
  }

  /** Drop a pending state whose transaction failed or was never sent. */
  dropPending(c: bigint): void {
    this.state.pending = this.state.pending.filter((p) => p.commitment !== c);
    this.save();
  }

  /**
   * Match the on-chain commitment against the stored states after a crash: the current state
   * stays (pending states for the next nonce are kept: a trade leg may still be settled by the
   * counterparty; older ones are pruned), or the pending one that was mined is promoted.
   * Throws when none matches.
   */
  recover(onChain: bigint, onChainNonce: number): "current" | "promoted" {
    if (this.state.current.commitment === onChain) {
      const live = this.state.pending.filter((p) => p.nonce > this.state.current.nonce);
      if (live.length !== this.state.pending.length) {
        this.state.pending = live;
        this.save();
      }
      return "current";
    }
    const hit = this.state.pending.find((p) => p.commitment === onChain && p.nonce === onChainNonce);
    if (!hit) {
      throw new Error(
        `no stored state opens the on-chain commitment ${onChain} (nonce ${onChainNonce}); the state file is not this account's latest`,
      );
    }
    this.promote(onChain);
    return "promoted";
  }
}
