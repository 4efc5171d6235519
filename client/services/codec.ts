// Proof jobs cross thread and machine boundaries as JSON: bigints are tagged ({"$big": "…"}, the
// convention of client/state.ts). Over Redis every payload is also sealed (AES-256-GCM under a key
// shared by the service and its workers, ZKMARGIN_QUEUE_KEY): a portfolio never sits in Redis in
// the clear, and a job or result that was not made with the key is refused (a poisoned queue).
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";

const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v);
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && "$big" in (v as object) && Object.keys(v as object).length === 1
    ? BigInt((v as { $big: string }).$big)
    : v;

export const encode = (x: unknown): string => JSON.stringify(x, replacer);
export const decode = <T>(s: string): T => JSON.parse(s, reviver) as T;

/** The sealing key of a queue: scrypt of the shared secret, salted with the queue's name. */
export function queueKey(secret: string, queue: string): Buffer {
  if (secret.length < 16) throw new Error("ZKMARGIN_QUEUE_KEY must be at least 16 characters (a shared secret)");
  return scryptSync(secret, `zkmargin-queue:${queue}`, 32, { N: 1 << 14, r: 8, p: 1 });
}

/** AES-256-GCM; `context` (the job's id and direction) is authenticated, so a sealed blob cannot be replayed elsewhere. */
export function seal(key: Buffer, context: string, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(context));
  const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return `${iv.toString("base64")}.${c.getAuthTag().toString("base64")}.${body.toString("base64")}`;
}

export function unseal(key: Buffer, context: string, sealed: unknown): string {
  if (typeof sealed !== "string") throw new Error("queue payload is not a sealed string");
  const [iv, tag, body] = sealed.split(".");
  if (!iv || !tag || body === undefined) throw new Error("queue payload is not sealed");
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
  d.setAAD(Buffer.from(context));
  d.setAuthTag(Buffer.from(tag, "base64"));
  try {
    return Buffer.concat([d.update(Buffer.from(body, "base64")), d.final()]).toString("utf8");
  } catch {
    throw new Error("queue payload failed authentication (another ZKMARGIN_QUEUE_KEY, or a forged or modified job)");
  }
}
