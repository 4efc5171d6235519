// The Transition circuit's input object and the public signals a proof must carry. Circom twin:
// Transition(N, M, S) in circuits/transition.circom, the public and private input declarations
// and section "commitments" (main component: circuits/main/transition.circom).
// docs/SPEC.md: §7 "Transitions", "Public signals, in order" and "Private inputs".
import { BABYJUB_SUBGROUP_ORDER, BINDING_BITS } from "../constants.ts";
import { commitment, paramsHash } from "../encoding.ts";
import { pow2, toField } from "../field.ts";
import { paramsInputs, portfolioInputs, type CircuitInputs } from "../inputs.ts";
import type { Params, Portfolio } from "../types.ts";
import { ValidationError } from "../validate.ts";
import { encryptTransition, liquidationKeyHash, randomScalar, type Encrypted, type Point } from "./encryption.ts";
import { contextOf, fillCommitment, opAmount, opWord, payloadOf, type TransitionOp } from "./op.ts";
import { applyTransition, type Applied } from "./rule.ts";

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
  "oldCommitment",
  "newCommitment",
  "paramsHash",
  "context",
  "fill",
  "keyHash",
  "ephemeralKey",
  "cipher",
] as const;

export function prepareTransition(req: TransitionRequest): PreparedTransition {
  const { params, old, op, binding, liquidationKey } = req;
  if (binding < 0n || binding >= pow2(BINDING_BITS)) throw new ValidationError("binding", `must be in [0, 2^${BINDING_BITS})`);
  const applied = applyTransition(params, old, op);
  const e = req.ephemeralSecret ?? randomScalar();
  // e in [1, l): a multiple of l would make E the identity and publish the salt and payload
  if (e <= 0n || e >= BABYJUB_SUBGROUP_ORDER)
    throw new ValidationError("ephemeralSecret", "must be in [1, l) (l: the Baby Jubjub prime subgroup order)");
  const encrypted = encryptTransition(liquidationKey, e, payloadOf(op));
  const next: Portfolio = {
    sizes: applied.sizes,
    costBasis: applied.costBasis,
    entryFunding: applied.entryFunding,
    collateral: applied.collateral,
    salt: encrypted.newSalt,
  };
  // amount: moved by DEPOSIT/WITHDRAW, the fee of BUY/SELL (asset 0), claimed by REALIZE, paid by SETTLE
  const transfer = op.kind === "deposit" || op.kind === "withdraw";
  const word = opWord(op.kind, transfer ? op.asset : 0, applied.flat, opAmount(op));
  const trade = op.kind === "buy" || op.kind === "sell";
  const fill = trade ? fillCommitment(op.fill) : 0n;
  const fillInputs = trade
    ? {
        fillMarket: String(op.fill.market),
        fillSize: op.fill.size.toString(),
        fillPrice: op.fill.price.toString(),
        fillSalt: toField(op.fill.salt).toString(),
      }
    : { fillMarket: String(op.kind === "realize" || op.kind === "settle" ? op.market : 0), fillSize: "0", fillPrice: "0", fillSalt: "0" };
  // "commitments": oldCommitment = commit(old, salt), newCommitment = commit(new, newSalt)
  const publics = [
    commitment(old),
    commitment(next),
    paramsHash(params),
    contextOf(word, binding),
    fill,
    liquidationKeyHash(liquidationKey),
    encrypted.ephemeralKey,
    encrypted.cipher,
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
