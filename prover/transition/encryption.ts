// Verifiable encryption of a transition's payload to the liquidation key K (Baby Jubjub,
// circomlib's curve; prime-order subgroup). Circom twin: Transition(N, M, S) in
// circuits/transition.circom, section "encryption". docs/SPEC.md: §7 "Transitions",
// "The rule" (step 8).
//
//   E = e * Base8 (ephemeralKey = E.y), Z = e * K, z = Z.y
//   newSalt = Poseidon(z, 0), cipher = payload + Poseidon(z, 1), keyHash = Poseidon(K.x, K.y)
import { Base8, inCurve, mulPointEscalar, unpackPoint } from "@zk-kit/baby-jubjub";
import { randomBytes } from "node:crypto";
import { BABYJUB_SUBGROUP_ORDER, EPHEMERAL_BITS } from "../constants.ts";
import { FIELD_MODULUS, pow2, toField } from "../field.ts";
import { poseidon } from "../hash.ts";
import { ValidationError } from "../validate.ts";

/** A Baby Jubjub point (twisted Edwards, circomlib's curve) as [x, y]. */
export type Point = [bigint, bigint];

export interface LiquidationKeyPair {
  secret: bigint;
  publicKey: Point;
}

/** A uniformly random scalar in [1, l) (l = the prime subgroup order, < 2^251). */
export function randomScalar(): bigint {
  for (;;) {
    const x = BigInt(`0x${randomBytes(32).toString("hex")}`) & (pow2(EPHEMERAL_BITS) - 1n);
    if (x > 0n && x < BABYJUB_SUBGROUP_ORDER) return x;
  }
}

export function liquidationKeyPair(secret: bigint = randomScalar()): LiquidationKeyPair {
  if (secret <= 0n || secret >= BABYJUB_SUBGROUP_ORDER) throw new ValidationError("liquidationSecret", "must be in [1, l)");
  return { secret, publicKey: mulPointEscalar(Base8, secret) as Point };
}

/** K is usable as a liquidation key: on the curve, x != 0, in the prime-order subgroup. */
export function checkLiquidationKey(k: Point): void {
  if (!inCurve(k) || k[0] === 0n) throw new ValidationError("liquidationKey", "is not a point of Baby Jubjub with x != 0");
  const o = mulPointEscalar(k, BABYJUB_SUBGROUP_ORDER);
  if (o[0] !== 0n || o[1] !== 1n) throw new ValidationError("liquidationKey", "is not in the prime-order subgroup");
}

/** keyHash = Poseidon(K.x, K.y): what a verifier stores instead of the key. */
export function liquidationKeyHash(k: Point): bigint {
  return poseidon([k[0], k[1]]);
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
