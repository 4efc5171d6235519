// Takeover (issue #9): the TypeScript twin of Takeover(N, M, S) in circuits/takeover.circom
// (artifacts/takeover/). The liquidation key holder unwinds a frozen account into the backstop
// account at the epoch's mark price: the backstop takes every position, buys the frozen account's
// non-settlement collateral at its haircut value, the net loss is collected into the PnL pool, a
// bounded penalty goes to the insurance fund, the insurance fund and then the backstop cover any
// bad debt, and the owner keeps the residual (and any unrealised profit, as a claim on the pool).
// Read side by side with the circuit; docs/SPEC.md ("Takeover") states the same formulas.
import { circuitArtifacts, type CircuitArtifacts } from "./artifacts.ts";
import { AMOUNT_BITS, BINDING_BITS, BPS_BITS, COST_BITS, SIZE_BITS } from "./constants.ts";
import { commitment, paramsHash } from "./encoding.ts";
import { abs, ceilDiv, toField } from "./field.ts";
import { poseidon } from "./hash.ts";
import { paramsInputs, portfolioInputs, type CircuitInputs } from "./inputs.ts";
import { collateralValue, evaluate } from "./model.ts";
import { CircuitProver, solidityCalldata, type MarginProof, type SolidityCalldata } from "./prover.ts";
import { settlementCash } from "./transition/rule.ts";
import type { Params, Portfolio, Violation } from "./types.ts";
import { BPS_ONE, ceilLog2 } from "./widths.ts";

/** public signals: [frozenCommitment, residualCommitment, backstopCommitment, backstopNewCommitment, paramsHash, context, flows, cover] */
export const TAKEOVER_PUBLIC_SIGNALS = 8;
export const TAKEOVER_SIGNALS = [
  "frozenCommitment",
  "residualCommitment",
  "backstopCommitment",
  "backstopNewCommitment",
  "paramsHash",
  "context",
  "flows",
  "cover",
] as const;

/** |U| < N * 2^105: the net PnL's signed width, and the width of settled and badDebt in their words */
export const takeoverPnlBits = (N: number) => 105 + ceilLog2(N);
/** cash = a_0 + V - settled: |cash| < 2^136 */
export const TAKEOVER_CASH_BITS = 136;
/** the residual portfolio's salt is Poseidon(salt, RESIDUAL_SALT_TAG), the backstop's Poseidon(salt, BACKSTOP_SALT_TAG) */
export const RESIDUAL_SALT_TAG = 2n;
export const BACKSTOP_SALT_TAG = 3n;

/** Why the backstop refuses a takeover (no witness exists): the waterfall does not reach it. */
export type BackstopRefusal = Violation | "CASH" | "BALANCE" | "RANGE";

/** The backstop cannot take the book over: it would break its own initial margin or cash. */
export class BackstopRefused extends Error {
  readonly reasons: BackstopRefusal[];
  constructor(reasons: BackstopRefusal[]) {
    super(`the backstop refuses the takeover: it would violate ${reasons.join(", ")} after it`);
    this.name = "BackstopRefused";
    this.reasons = reasons;
  }
}

/** A takeover's effect, every amount in quote units of asset 0. */
export interface Takeover {
  /** the frozen account after: no position, [residual, 0, ..] collateral, cost basis -claim on market 0 */
  residual: Portfolio;
  /** the backstop after */
  backstop: Portfolio;
  /** U = sum_i (s_i P_i - c~_i), the frozen book's net unrealised PnL */
  pnl: bigint;
  /** max(U, 0): stays with the owner as a claim on the PnL pool */
  claim: bigint;
  /** max(-U, 0): collected into the PnL pool (from L's cash, then the covers) */
  settled: bigint;
  /** V: the haircut value of L's non-settlement collateral, paid by the backstop */
  converted: bigint;
  /** ceil(penaltyBps * G / 10000) */
  penaltyDue: bigint;
  /** min(penaltyDue, max(cash, 0)): to the insurance fund */
  penalty: bigint;
  /** what the owner keeps in asset 0 */
  residualCash: bigint;
  /** max(-cash, 0): the loss the account could not pay */
  badDebt: bigint;
  /** min(badDebt, insuranceFund) */
  insuranceCover: bigint;
  /** badDebt - insuranceCover: paid by the backstop from its settlement balance */
  vaultCover: bigint;
  residualFlat: boolean;
  backstopFlat: boolean;
}

const zeros = (n: number) => Array.from({ length: n }, () => 0n);

/** The frozen side of a takeover: what the owner keeps and what the book pays (no backstop needed). */
export type FrozenSide = Pick<
  Takeover,
  "residual" | "pnl" | "claim" | "settled" | "converted" | "penaltyDue" | "penalty" | "residualCash" | "badDebt" | "residualFlat"
> & { markValue: bigint[] };

/**
 * The frozen account's side of a takeover at `params` with the contract's penalty: the owner's
 * residual portfolio (what `sync` adopts after a TakenOver event) and the amounts the book pays.
 */
export function takeoverResidual(params: Params, frozen: Portfolio, penaltyBps: bigint): FrozenSide {
  const N = params.markets.length;
  const M = params.collateral.length;
  if (penaltyBps < 0n || penaltyBps >= 1n << BigInt(BPS_BITS)) throw new RangeError(`penaltyBps ${penaltyBps} must be below 2^${BPS_BITS}`);
  const P = params.markets.map((m) => m.markPrice);
  const F = params.markets.map((m) => m.fundingIndex);
  const s = frozen.sizes;

  // the frozen book at mark
  const markValue = s.map((x, i) => x * P[i]);
  const settledCost = frozen.costBasis.map((c, i) => c + s[i] * (F[i] - frozen.entryFunding[i]));
  const pnl = markValue.reduce((acc, v, i) => acc + v - settledCost[i], 0n);
  const gross = s.reduce((acc, x, i) => acc + abs(x) * P[i], 0n);
  const claim = pnl > 0n ? pnl : 0n;
  const settled = claim - pnl;

  // conversion: floor values of assets 1..M-1
  let converted = 0n;
  for (let j = 1; j < M; j++)
    converted += collateralValue(frozen.collateral[j], params.collateral[j].priceE18, params.collateral[j].haircutBps);

  const cash = frozen.collateral[0] + converted - settled;
  const positive = cash > 0n ? cash : 0n;
  const badDebt = positive - cash;
  const penaltyDue = ceilDiv(penaltyBps * gross, BPS_ONE);
  const penalty = penaltyDue < positive ? penaltyDue : positive;
  const residualCash = positive - penalty;

  const residual: Portfolio = {
    sizes: zeros(N),
    costBasis: zeros(N).map((_, i) => (i === 0 ? -claim : 0n)),
    entryFunding: [...F],
    collateral: zeros(M).map((_, j) => (j === 0 ? residualCash : 0n)),
    salt: poseidon([frozen.salt, RESIDUAL_SALT_TAG]),
  };
  return { residual, pnl, claim, settled, converted, penaltyDue, penalty, residualCash, badDebt, residualFlat: claim === 0n, markValue };
}

/**
 * Apply a takeover of `frozen` into `backstop` at the epoch `params` with the contract's
 * penalty and the insurance fund's balance before it. Throws BackstopRefused when the backstop
 * would not be healthy at the initial level afterwards (MarginCheck, CASH, a'_0 >= 0, widths).
 */
export function takeover(params: Params, frozen: Portfolio, backstop: Portfolio, penaltyBps: bigint, insuranceFund: bigint): Takeover {
  const f = takeoverResidual(params, frozen, penaltyBps);
  const { residual, pnl, claim, settled, converted, penaltyDue, penalty, residualCash, badDebt, markValue } = f;
  const F = params.markets.map((m) => m.fundingIndex);
  const s = frozen.sizes;
  const insuranceCover = badDebt < insuranceFund ? badDebt : insuranceFund;
  const vaultCover = badDebt - insuranceCover;

  const next: Portfolio = {
    sizes: backstop.sizes.map((x, i) => x + s[i]),
    costBasis: backstop.costBasis.map((c, i) => c + backstop.sizes[i] * (F[i] - backstop.entryFunding[i]) + markValue[i]),
    entryFunding: [...F],
    collateral: backstop.collateral.map((a, j) => (j === 0 ? a - converted - vaultCover : a + frozen.collateral[j])),
    salt: poseidon([backstop.salt, BACKSTOP_SALT_TAG]),
  };

  const reasons: BackstopRefusal[] = [];
  const amountMax = 1n << BigInt(AMOUNT_BITS);
  const costMax = 1n << BigInt(COST_BITS);
  const sizeMax = 1n << BigInt(SIZE_BITS);
  if (next.collateral[0] < 0n) reasons.push("BALANCE");
  if (
    residualCash >= amountMax ||
    claim >= costMax ||
    next.collateral.some((a) => a >= amountMax) ||
    next.sizes.some((x) => abs(x) >= sizeMax) ||
    next.costBasis.some((c) => abs(c) >= costMax)
  )
    reasons.push("RANGE");
  if (reasons.length === 0) {
    reasons.push(...evaluate(params, next, "initial").violations);
    if (settlementCash(params, next.sizes, next.costBasis, next.collateral[0]) < 0n) reasons.push("CASH");
  }
  if (reasons.length > 0) throw new BackstopRefused(reasons);

  return {
    residual,
    backstop: next,
    pnl,
    claim,
    settled,
    converted,
    penaltyDue,
    penalty,
    residualCash,
    badDebt,
    insuranceCover,
    vaultCover,
    residualFlat: claim === 0n,
    backstopFlat: next.sizes.every((x) => x === 0n) && next.costBasis.every((c) => c === 0n),
  };
}

// ---------------------------------------------------------------- public words
/** context = binding + 2^106 * (penaltyBps + 2^14 * residualFlat + 2^15 * backstopFlat) */
export function takeoverContext(binding: bigint, penaltyBps: bigint, residualFlat: boolean, backstopFlat: boolean): bigint {
  const flags = penaltyBps + (residualFlat ? 1n << BigInt(BPS_BITS) : 0n) + (backstopFlat ? 1n << BigInt(BPS_BITS + 1) : 0n);
  return binding + (flags << BigInt(BINDING_BITS));
}

/** a + 2^takeoverPnlBits(N) * b: flows = settled + 2^108 penalty, cover = badDebt + 2^108 vaultCover */
export function takeoverWord(low: bigint, high: bigint, N: number): bigint {
  return low + (high << BigInt(takeoverPnlBits(N)));
}

export interface TakeoverInputs {
  inputs: CircuitInputs;
  result: Takeover;
  publicSignals: string[];
}

/**
 * Circuit inputs and expected public signals of a takeover (throws BackstopRefused when no
 * witness exists). `binding` is the contract's takeoverBindingOf(account, nonce, backstopNonce,
 * sender) (< 2^106).
 */
export function takeoverInputs(
  params: Params,
  frozen: Portfolio,
  backstop: Portfolio,
  binding: bigint,
  penaltyBps: bigint,
  insuranceFund: bigint,
): TakeoverInputs {
  if (binding < 0n || binding >= 1n << BigInt(BINDING_BITS)) throw new RangeError(`binding must be below 2^${BINDING_BITS}`);
  const N = params.markets.length;
  const result = takeover(params, frozen, backstop, penaltyBps, insuranceFund);
  const back = portfolioInputs(backstop);
  const publicValues = [
    commitment(frozen),
    commitment(result.residual),
    commitment(backstop),
    commitment(result.backstop),
    paramsHash(params),
    takeoverContext(binding, penaltyBps, result.residualFlat, result.backstopFlat),
    takeoverWord(result.settled, result.penalty, N),
    takeoverWord(result.badDebt, result.vaultCover, N),
  ].map((x) => toField(x).toString());
  const inputs: CircuitInputs = {};
  TAKEOVER_SIGNALS.forEach((name, k) => (inputs[name] = publicValues[k]));
  Object.assign(inputs, paramsInputs(params), portfolioInputs(frozen), {
    backSizes: back.sizes,
    backCostBasis: back.costBasis,
    backEntryFunding: back.entryFunding,
    backCollateral: back.collateral,
    backSalt: back.salt,
  });
  return { inputs, result, publicSignals: publicValues };
}

/** Takeover's prover: wasm, zkey and verification key read once, then proves repeatedly. */
export class TakeoverProver extends CircuitProver {
  static async load(artifacts: CircuitArtifacts = circuitArtifacts("takeover")): Promise<TakeoverProver> {
    return new TakeoverProver(...(await CircuitProver.parts(artifacts)));
  }

  /** Full witness (wire 0 = 1) of the raw inputs (tests and audits). */
  witnessOf(inputs: CircuitInputs): Promise<bigint[]> {
    return this.rawWitness(inputs);
  }

  /** Prove a takeover; throws BackstopRefused (no circuit run) when the backstop would break its margin. */
  async prove(
    params: Params,
    frozen: Portfolio,
    backstop: Portfolio,
    binding: bigint,
    penaltyBps: bigint,
    insuranceFund: bigint,
  ): Promise<{ proof: MarginProof; result: Takeover }> {
    const x = takeoverInputs(params, frozen, backstop, binding, penaltyBps, insuranceFund);
    return { proof: await this.proveInputs(x.inputs, x.publicSignals), result: x.result };
  }

  /** Arguments for the generated TakeoverVerifier's verifyProof(a, b, c, uint256[8]). */
  solidityCalldata(proof: MarginProof): Promise<SolidityCalldata> {
    return solidityCalldata(proof);
  }
}
