// Transition ops as JSON (the vector files and the CLI). Circom twin: none (the circuit sees an
// op only as its word, op.ts); the values parsed here are range-checked by rule.ts checkOp, the
// twin of the "context = op + 2^105 * binding" and "fill" sections of circuits/transition.circom.
// docs/SPEC.md: §7 "Transitions"; the JSON shape is in docs/VECTORS.md.
import { ValidationError } from "../validate.ts";
import { TRANSITION_KINDS, type TransitionOp } from "./op.ts";

/** An op from JSON: {kind, asset, amount} | {kind, fill: {market, size, price, salt}, fee?} | {kind: realize|settle, market, amount}. */
export function parseOp(x: unknown): TransitionOp {
  if (x === null || typeof x !== "object" || Array.isArray(x)) throw new ValidationError("op", "must be a JSON object");
  const o = x as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== "string" || !(TRANSITION_KINDS as readonly string[]).includes(kind))
    throw new ValidationError("kind", `must be one of ${TRANSITION_KINDS.join(", ")}`);
  const int = (v: unknown, field: string): number => {
    if (typeof v !== "number" || !Number.isInteger(v)) throw new ValidationError(field, "must be an integer");
    return v;
  };
  const big = (v: unknown, field: string): bigint => {
    if (typeof v !== "string" || !/^-?(0|[1-9][0-9]{0,79})$/.test(v)) throw new ValidationError(field, "must be a decimal string");
    return BigInt(v);
  };
  const only = (keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ValidationError(k, `unexpected key for a ${kind} op`);
  };
  if (kind === "deposit" || kind === "withdraw") {
    only(["kind", "asset", "amount"]);
    return { kind, asset: int(o.asset, "asset"), amount: big(o.amount, "amount") };
  }
  if (kind === "realize" || kind === "settle") {
    only(["kind", "market", "amount"]);
    return { kind, market: int(o.market, "market"), amount: big(o.amount, "amount") };
  }
  only(["kind", "fill", "fee"]);
  const f = o.fill as Record<string, unknown> | undefined;
  if (f === null || typeof f !== "object") throw new ValidationError("fill", "must be an object {market, size, price, salt}");
  for (const k of Object.keys(f))
    if (!["market", "size", "price", "salt"].includes(k)) throw new ValidationError(`fill.${k}`, "unexpected key");
  const fill = {
    market: int(f.market, "fill.market"),
    size: big(f.size, "fill.size"),
    price: big(f.price, "fill.price"),
    salt: big(f.salt, "fill.salt"),
  };
  // the trade fee (decimal string, asset 0 units) is optional: 0 when absent
  return o.fee === undefined ? { kind: kind as "buy" | "sell", fill } : { kind: kind as "buy" | "sell", fill, fee: big(o.fee, "fee") };
}

export function opToJson(op: TransitionOp): Record<string, unknown> {
  if ("fill" in op)
    return {
      kind: op.kind,
      fill: { market: op.fill.market, size: String(op.fill.size), price: String(op.fill.price), salt: String(op.fill.salt) },
      ...(op.fee === undefined ? {} : { fee: String(op.fee) }),
    };
  if ("market" in op) return { kind: op.kind, market: op.market, amount: String(op.amount) };
  return { kind: op.kind, asset: op.asset, amount: String(op.amount) };
}
