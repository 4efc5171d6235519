// Account transitions: the TypeScript reference of circuits/transition.circom.
// Read side by side with the circuit and with docs/SPEC.md ("Transitions").
//
//   applyTransition   old portfolio + op (+ epoch) -> new portfolio      (the rule)
//   opWord            the public op encoding
//   fillCommitment    the public fill commitment both legs of a trade share
//   encryptTransition / decryptTransition / replayTransition
//                     verifiable encryption to the liquidation key and the key holder's replay
//   transitionInputs  the circuit input object and the public signals a proof must carry
import { Base8, inCurve, mulPointEscalar, subOrder, unpackPoint } from "@zk-kit/baby-jubjub";
import { randomBytes } from "node:crypto";
import { FIELD_MODULUS, abs, pow2, toField } from "./field.ts";
import { commitment, paramsHash } from "./encoding.ts";
import { poseidon } from "./hash.ts";
import { paramsInputs, portfolioInputs, type CircuitInputs } from "./inputs.ts";
import { evaluate } from "./model.ts";
import type { Params, Portfolio, Violation } from "./types.ts";
import { ValidationError } from "./validate.ts";
import { CircuitProver, type MarginProof } from "./prover.ts";
import { circuitArtifacts, type CircuitArtifacts } from "./artifacts.ts";
import { AMOUNT_BITS, COST_BITS, MARK_BITS, SIZE_BITS } from "./widths.ts";

export const TRANSITION_KINDS = ["deposit", "withdraw", "buy", "sell", "realize"] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];
export const KIND_CODE: Record<TransitionKind, number> = { deposit: 0, withdraw: 1, buy: 2, sell: 3, realize: 4 };

/** A privately agreed fill: market index, size in lots (> 0), price in quote units per lot. */
export interface Fill {
  market: number;
  size: bigint;
  price: bigint;
  salt: bigint;
}

export type TransitionOp =
  | { kind: "deposit" | "withdraw"; asset: number; amount: bigint }
  | { kind: "buy" | "sell"; fill: Fill }
  | { kind: "realize"; market: number };

/** The portfolio a transition produces, before its salt is known. */
export interface Applied {
  sizes: bigint[];
  costBasis: bigint[];
  entryFunding: bigint[];
  collateral: bigint[];
  /** PnL credited to asset 0 (REALIZE), in quote units */
  realized: bigint;
  /** every new size and cost basis is 0 (no position, no unrealised PnL) */
  flat: boolean;
  /** the initial-level violations of the new portfolio ([] for DEPOSIT, which is never refused) */
  violations: Violation[];
}

export class TransitionRefused extends Error {
  readonly violations: Violation[];
  constructor(violations: Violation[]) {
    super(`the resulting portfolio is not healthy at the initial level: ${violations.join(", ")}`);
    this.name = "TransitionRefused";
    this.violations = violations;
  }
}

/** op = kind + 2^3 * asset + 2^8 * flat + 2^9 * amount */
export function opWord(kind: TransitionKind, asset: number, flat: boolean, amount: bigint): bigint {
  return BigInt(KIND_CODE[kind]) + (BigInt(asset) << 3n) + ((flat ? 1n : 0n) << 8n) + (amount << 9n);
}

export function decodeOpWord(op: bigint): { kind: TransitionKind; asset: number; flat: boolean; amount: bigint } {
  const code = Number(op & 7n);
  if (code > 4 || op < 0n || op >= pow2(9 + AMOUNT_BITS)) throw new RangeError(`op ${op} is not a transition op word`);
  return {
    kind: TRANSITION_KINDS[code],
    asset: Number((op >> 3n) & 31n),
    flat: ((op >> 8n) & 1n) === 1n,
    amount: op >> 9n,
  };
}

/** fill = Poseidon(market, size, price, fillSalt): public, shared by both legs of a trade. */
export function fillCommitment(fill: Fill): bigint {
  return poseidon([BigInt(fill.market), fill.size, fill.price, toField(fill.salt)]);
}

export function describeOp(op: TransitionOp): string {
  if ("fill" in op) return `${op.kind} ${op.fill.size} lots @ ${op.fill.price} in market ${op.fill.market}`;
  if ("market" in op) return `realize market ${op.market}`;
  return `${op.kind} ${op.amount} of asset ${op.asset}`;
}

/** The encrypted payload: m + 2^8 * q + 2^48 * px (0 for DEPOSIT/WITHDRAW, m for REALIZE). */
export function payloadOf(op: TransitionOp): bigint {
  if (op.kind === "buy" || op.kind === "sell") {
    return BigInt(op.fill.market) + (op.fill.size << 8n) + (op.fill.price << BigInt(8 + SIZE_BITS));
  }
  if (op.kind === "realize") return BigInt(op.market);
  return 0n;
}

function checkOp(params: Params, old: Portfolio, op: TransitionOp): void {
  const N = params.markets.length;
  const M = params.collateral.length;
  if (!(TRANSITION_KINDS as readonly string[]).includes(op.kind)) throw new ValidationError("kind", `must be one of ${TRANSITION_KINDS.join(", ")}`);
  if (op.kind === "deposit" || op.kind === "withdraw") {
    if (!Number.isInteger(op.asset) || op.asset < 0 || op.asset >= M) throw new ValidationError("asset", `must be an integer in [0, ${M})`);
    if (op.amount <= 0n || op.amount >= pow2(AMOUNT_BITS)) throw new ValidationError("amount", `must be in [1, 2^${AMOUNT_BITS})`);
    if (op.kind === "withdraw" && op.amount > old.collateral[op.asset]) {
      throw new ValidationError("amount", `exceeds the account's balance of asset ${op.asset} (${old.collateral[op.asset]})`);
    }
  } else if (op.kind === "realize") {
    if (!Number.isInteger(op.market) || op.market < 0 || op.market >= N) throw new ValidationError("market", `must be an integer in [0, ${N})`);
  } else if (op.kind === "buy" || op.kind === "sell") {
    const { market, size, price, salt } = op.fill;
    if (!Number.isInteger(market) || market < 0 || market >= N) throw new ValidationError("fill.market", `must be an integer in [0, ${N})`);
    if (size <= 0n || size >= pow2(SIZE_BITS)) throw new ValidationError("fill.size", `must be in [1, 2^${SIZE_BITS})`);
    if (price < 0n || price >= pow2(MARK_BITS)) throw new ValidationError("fill.price", `must be in [0, 2^${MARK_BITS})`);
    if (salt < 0n || salt >= FIELD_MODULUS) throw new ValidationError("fill.salt", "must be a field element");
  }
}

/**
 * The transition rule (circuits/transition.circom, "new portfolio"). Funding is settled on every
 * market first (c_i += s_i * (F_i - f_i), f_i = F_i); then DEPOSIT/WITHDRAW move `amount` of
 * `asset`, BUY/SELL add +-q lots at px to market m (c_m += +-q * px), REALIZE credits
 * U_m = s_m * P_m - c_m to asset 0 and resets c_m = s_m * P_m. Throws ValidationError (naming the
 * field) when the op or a resulting value is out of range.
 */
export function applyTransition(params: Params, old: Portfolio, op: TransitionOp): Applied {
  checkOp(params, old, op);
  const sizes = [...old.sizes];
  const costBasis = old.costBasis.map((c, i) => c + old.sizes[i] * (params.markets[i].fundingIndex - old.entryFunding[i]));
  const entryFunding = params.markets.map((m) => m.fundingIndex);
  const collateral = [...old.collateral];
  let realized = 0n;
  if (op.kind === "deposit") collateral[op.asset] += op.amount;
  else if (op.kind === "withdraw") collateral[op.asset] -= op.amount;
  else if (op.kind === "buy" || op.kind === "sell") {
    const d = op.kind === "buy" ? op.fill.size : -op.fill.size;
    sizes[op.fill.market] += d;
    costBasis[op.fill.market] += d * op.fill.price;
  } else if (op.kind === "realize") {
    const m = op.market;
    const mark = sizes[m] * params.markets[m].markPrice;
    realized = mark - costBasis[m];
    costBasis[m] = mark;
    collateral[0] += realized;
  }
  sizes.forEach((s, i) => {
    if (abs(s) >= pow2(SIZE_BITS)) throw new ValidationError(`sizes[${i}]`, `the new size ${s} leaves (-2^${SIZE_BITS}, 2^${SIZE_BITS})`);
  });
  costBasis.forEach((c, i) => {
    if (abs(c) >= pow2(COST_BITS)) throw new ValidationError(`costBasis[${i}]`, `the new cost basis ${c} leaves (-2^${COST_BITS}, 2^${COST_BITS})`);
  });
  collateral.forEach((a, j) => {
    if (a < 0n) throw new ValidationError(`collateral[${j}]`, `the new balance ${a} is negative (a realised loss larger than the balance of asset 0)`);
    if (a >= pow2(AMOUNT_BITS)) throw new ValidationError(`collateral[${j}]`, `the new balance ${a} is not below 2^${AMOUNT_BITS}`);
  });
  const next = { sizes, costBasis, entryFunding, collateral, salt: 0n };
  const violations = op.kind === "deposit" ? [] : evaluate(params, next, "initial").violations;
  const flat = sizes.every((s) => s === 0n) && costBasis.every((c) => c === 0n);
  return { sizes, costBasis, entryFunding, collateral, realized, flat, violations };
}

// ------------------------------------------------------------------------------ encryption

/** A Baby Jubjub point (twisted Edwards, circomlib's curve) as [x, y]. */
export type Point = [bigint, bigint];

export interface LiquidationKeyPair {
  secret: bigint;
  publicKey: Point;
}

/** A uniformly random scalar in [1, l) (l = the prime subgroup order, < 2^251). */
export function randomScalar(): bigint {
  for (;;) {
    const x = BigInt(`0x${randomBytes(32).toString("hex")}`) & (pow2(251) - 1n);
    if (x > 0n && x < subOrder) return x;
  }
}

export function liquidationKeyPair(secret: bigint = randomScalar()): LiquidationKeyPair {
  if (secret <= 0n || secret >= subOrder) throw new ValidationError("liquidationSecret", "must be in [1, l)");
  return { secret, publicKey: mulPointEscalar(Base8, secret) as Point };
}

/** K is usable as a liquidation key: on the curve, x != 0, in the prime-order subgroup. */
export function checkLiquidationKey(k: Point): void {
  if (!inCurve(k) || k[0] === 0n) throw new ValidationError("liquidationKey", "is not a point of Baby Jubjub with x != 0");
  const o = mulPointEscalar(k, subOrder);
  if (o[0] !== 0n || o[1] !== 1n) throw new ValidationError("liquidationKey", "is not in the prime-order subgroup");
}

export interface Encrypted {
  /** y of E = e * Base8 */
  ephemeralKey: bigint;
  /** payload + Poseidon(z, 1) */
  cipher: bigint;
  /** Poseidon(z, 0): the new commitment's salt */
  newSalt: bigint;
}

function keystream(z: bigint): { salt: bigint; pad: bigint } {
  return { salt: poseidon([z, 0n]), pad: poseidon([z, 1n]) };
}

export function encryptTransition(liquidationKey: Point, ephemeralSecret: bigint, payload: bigint): Encrypted {
  const E = mulPointEscalar(Base8, ephemeralSecret);
  const Z = mulPointEscalar(liquidationKey, ephemeralSecret);
  const { salt, pad } = keystream(Z[1]);
  return { ephemeralKey: E[1], cipher: (payload + pad) % FIELD_MODULUS, newSalt: salt };
}

/** The key holder's side: sk * (+-E) has the same y as e * K. */
export function decryptTransition(secret: bigint, ephemeralKey: bigint, cipher: bigint): { payload: bigint; newSalt: bigint } {
  const E = unpackPoint(ephemeralKey);
  if (E === null) throw new ValidationError("ephemeralKey", "is not the y coordinate of a Baby Jubjub point");
  const Z = mulPointEscalar(E, secret);
  const { salt, pad } = keystream(Z[1]);
  return { payload: toField(cipher - pad), newSalt: salt };
}

/** The empty portfolio every account starts from (salt 0: nothing to hide yet). */
export function emptyPortfolio(N: number, M: number): Portfolio {
  return {
    sizes: Array(N).fill(0n),
    costBasis: Array(N).fill(0n),
    entryFunding: Array(N).fill(0n),
    collateral: Array(M).fill(0n),
    salt: 0n,
  };
}

/** One published transition as the key holder sees it on-chain. */
export interface TransitionRecord {
  op: bigint;
  ephemeralKey: bigint;
  cipher: bigint;
  newCommitment: bigint;
  /** the epoch the proof was made against */
  params: Params;
}

/**
 * The liquidation key holder's replay step: decrypt the payload, apply the public op to the
 * previous portfolio and check the result against the published commitment.
 */
export function replayTransition(secret: bigint, previous: Portfolio, record: TransitionRecord): Portfolio {
  const { kind, asset, amount } = decodeOpWord(record.op);
  const { payload, newSalt } = decryptTransition(secret, record.ephemeralKey, record.cipher);
  const market = Number(payload & 255n);
  let op: TransitionOp;
  if (kind === "buy" || kind === "sell") {
    const size = (payload >> 8n) & (pow2(SIZE_BITS) - 1n);
    const price = payload >> BigInt(8 + SIZE_BITS);
    op = { kind, fill: { market, size, price, salt: 0n } };
  } else if (kind === "realize") op = { kind, market };
  else op = { kind, asset, amount };
  const a = applyTransition(record.params, previous, op);
  const next: Portfolio = { sizes: a.sizes, costBasis: a.costBasis, entryFunding: a.entryFunding, collateral: a.collateral, salt: newSalt };
  if (commitment(next) !== record.newCommitment) {
    throw new Error("replay: the decrypted transition does not open the published commitment");
  }
  return next;
}

// ------------------------------------------------------------------------------ circuit inputs

export interface TransitionRequest {
  params: Params;
  old: Portfolio;
  op: TransitionOp;
  /** the verifier's context tag, < 2^106 (MarginAccounts: keccak(domain, chain, contract, account, nonce) >> 150) */
  binding: bigint;
  liquidationKey: Point;
  /** fresh per transition; random when omitted */
  ephemeralSecret?: bigint;
}

export interface PreparedTransition {
  inputs: CircuitInputs;
  /** public signals in circuit order */
  publicSignals: string[];
  next: Portfolio;
  applied: Applied;
  encrypted: Encrypted;
  op: bigint;
  fill: bigint;
}

/** Public signal indices of the Transition circuit. */
export const TRANSITION_SIGNALS = [
  "oldCommitment", "newCommitment", "paramsHash", "context", "fill", "keyHash", "ephemeralKey", "cipher",
] as const;

/** Width of the verifier's binding tag inside context (context = op + 2^105 * binding). */
export const BINDING_BITS = 106;

/** context = op + 2^105 * binding */
export function contextOf(op: bigint, binding: bigint): bigint {
  return op + (binding << BigInt(9 + AMOUNT_BITS));
}

/** keyHash = Poseidon(K.x, K.y): what a verifier stores instead of the key. */
export function liquidationKeyHash(k: Point): bigint {
  return poseidon([k[0], k[1]]);
}

export function prepareTransition(req: TransitionRequest): PreparedTransition {
  const { params, old, op, binding, liquidationKey } = req;
  if (binding < 0n || binding >= pow2(BINDING_BITS)) throw new ValidationError("binding", `must be in [0, 2^${BINDING_BITS})`);
  const applied = applyTransition(params, old, op);
  const e = req.ephemeralSecret ?? randomScalar();
  // e in [1, l): a multiple of l would make E the identity and publish the salt and payload
  if (e <= 0n || e >= subOrder) throw new ValidationError("ephemeralSecret", "must be in [1, l) (l: the Baby Jubjub prime subgroup order)");
  const encrypted = encryptTransition(liquidationKey, e, payloadOf(op));
  const next: Portfolio = {
    sizes: applied.sizes,
    costBasis: applied.costBasis,
    entryFunding: applied.entryFunding,
    collateral: applied.collateral,
    salt: encrypted.newSalt,
  };
  const transfer = op.kind === "deposit" || op.kind === "withdraw";
  const word = opWord(op.kind, transfer ? op.asset : 0, applied.flat, transfer ? op.amount : 0n);
  const trade = op.kind === "buy" || op.kind === "sell";
  const fill = trade ? fillCommitment(op.fill) : 0n;
  const fillInputs = trade
    ? { fillMarket: String(op.fill.market), fillSize: op.fill.size.toString(), fillPrice: op.fill.price.toString(), fillSalt: toField(op.fill.salt).toString() }
    : { fillMarket: String(op.kind === "realize" ? op.market : 0), fillSize: "0", fillPrice: "0", fillSalt: "0" };
  const publics = [
    commitment(old), commitment(next), paramsHash(params), contextOf(word, binding), fill,
    liquidationKeyHash(liquidationKey), encrypted.ephemeralKey, encrypted.cipher,
  ].map((x) => x.toString());
  const inputs: CircuitInputs = {
    oldCommitment: publics[0],
    newCommitment: publics[1],
    paramsHash: publics[2],
    context: publics[3],
    fill: publics[4],
    keyHash: publics[5],
    ephemeralKey: publics[6],
    cipher: publics[7],
    ...paramsInputs(params),
    ...portfolioInputs(old),
    ...fillInputs,
    ephemeralSecret: e.toString(),
    liquidationKey: [liquidationKey[0].toString(), liquidationKey[1].toString()],
  };
  return { inputs, publicSignals: publics, next, applied, encrypted, op: word, fill };
}

// ------------------------------------------------------------------------------ prover

export interface ProvenTransition {
  proof: MarginProof;
  prepared: PreparedTransition;
}

export class TransitionProver extends CircuitProver {
  static async load(artifacts: CircuitArtifacts = circuitArtifacts("transition")): Promise<TransitionProver> {
    return new TransitionProver(...(await CircuitProver.parts(artifacts)));
  }

  /**
   * Prove a transition. Refuses (TransitionRefused) without touching the circuit when the
   * reference model finds the result unhealthy at the initial level; ValidationError names
   * the field of an invalid op.
   */
  async prove(req: TransitionRequest): Promise<ProvenTransition> {
    const prepared = prepareTransition(req);
    if (prepared.applied.violations.length > 0) throw new TransitionRefused(prepared.applied.violations);
    const proof = await this.proveInputs(prepared.inputs, prepared.publicSignals);
    return { proof, prepared };
  }
}

// ------------------------------------------------------------------------------ JSON

/** An op from JSON: {kind, asset, amount} | {kind, fill: {market, size, price, salt}} | {kind, market}. */
export function parseOp(x: unknown): TransitionOp {
  if (x === null || typeof x !== "object" || Array.isArray(x)) throw new ValidationError("op", "must be a JSON object");
  const o = x as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== "string" || !(TRANSITION_KINDS as readonly string[]).includes(kind)) throw new ValidationError("kind", `must be one of ${TRANSITION_KINDS.join(", ")}`);
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
  if (kind === "realize") {
    only(["kind", "market"]);
    return { kind, market: int(o.market, "market") };
  }
  only(["kind", "fill"]);
  const f = o.fill as Record<string, unknown> | undefined;
  if (f === null || typeof f !== "object") throw new ValidationError("fill", "must be an object {market, size, price, salt}");
  for (const k of Object.keys(f)) if (!["market", "size", "price", "salt"].includes(k)) throw new ValidationError(`fill.${k}`, "unexpected key");
  return { kind: kind as "buy" | "sell", fill: { market: int(f.market, "fill.market"), size: big(f.size, "fill.size"), price: big(f.price, "fill.price"), salt: big(f.salt, "fill.salt") } };
}

export function opToJson(op: TransitionOp): Record<string, unknown> {
  if ("fill" in op) return { kind: op.kind, fill: { market: op.fill.market, size: String(op.fill.size), price: String(op.fill.price), salt: String(op.fill.salt) } };
  if ("market" in op) return { kind: op.kind, market: op.market };
  return { kind: op.kind, asset: op.asset, amount: String(op.amount) };
}
