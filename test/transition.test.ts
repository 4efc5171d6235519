// The Transition circuit against its TypeScript reference (prover/transition/): every op,
// refusals, raw inputs that go around the TypeScript checks, edited witnesses, encryption and
// the key holder's replay.
import { expect } from "chai";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { FIELD_MODULUS, abs, pow2, toField } from "../prover/field.ts";
import { amountWords, commitment, positionWord } from "../prover/encoding.ts";
import { chainHash } from "../prover/hash.ts";
import { acceptsMutation, firstFailingConstraint, readR1cs, readSym, readSymWires } from "../tools/r1cs.ts";
import { circuitArtifacts } from "../prover/artifacts.ts";
import {
  applyTransition,
  contextOf,
  decodeOpWord,
  decryptTransition,
  emptyPortfolio,
  encryptTransition,
  liquidationKeyPair,
  marginLevel,
  opWord,
  payloadOf,
  prepareTransition,
  replayTransition,
  TransitionRefused,
  type TransitionOp,
} from "../prover/transition/index.ts";
import { evaluate } from "../prover/model.ts";
import type { Level, Params, Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { arbTransitionOp, baseParams, basePortfolio, clone, example } from "../tools/fixtures.ts";
import { transitionProver } from "./helpers.ts";
import { M_ASSETS, N_MARKETS } from "../prover/constants.ts";

const key = liquidationKeyPair(123456789n);

async function witness(inputs: Record<string, unknown>): Promise<bigint[] | null> {
  try {
    return await (await transitionProver()).rawWitness(inputs as never);
  } catch {
    return null;
  }
}

function funded(): { params: Params; q: Portfolio } {
  const { params, portfolio } = example();
  return { params, q: clone(portfolio) };
}

/** The circuit's margin level (1 - reduceOnly; `level` itself is a linear signal the optimiser folds away). */
let reduceOnlyWire: number | undefined;
function circuitLevel(w: bigint[]): Level {
  reduceOnlyWire ??= readSym(circuitArtifacts("transition").sym).find((x) => x.name === "main.reduceOnly")!.wire;
  expect(reduceOnlyWire).to.be.greaterThan(0);
  const r = w[reduceOnlyWire];
  expect(r === 0n || r === 1n, "reduceOnly is a bit").to.equal(true);
  return r === 1n ? "maintenance" : "initial";
}

/** commit(q) with every value taken mod r, as the circuit computes it (a negative balance wraps). */
function fieldCommitment(q: Portfolio): bigint {
  const words = q.sizes.map((s, i) => positionWord(s, q.costBasis[i], q.entryFunding[i]));
  return chainHash([...words, ...amountWords(q.collateral), q.salt].map(toField));
}

/**
 * The reduce-only boundary fixture (baseParams: price 1000 per lot, maintenance 500 / initial
 * 1000 bps, no impact, no stress): `sizes` lots in markets 0 and 1 at cost, 7,000 of asset 1
 * (price 1, no haircut) and `a0` of asset 0. With a0 paying only the fee, a result with
 * 70 < |s'_0| + |s'_1| <= 140 lots sits between the two levels (requirement 50 per lot at
 * maintenance, 100 at initial): healthy at maintenance, not at initial, so the proof exists iff
 * the level is maintenance.
 */
function between(a0 = 0n, sizes: bigint[] = [100n, 100n]): { params: Params; q: Portfolio } {
  const params = baseParams();
  const q = basePortfolio();
  sizes.forEach((s, i) => {
    q.sizes[i] = s;
    q.costBasis[i] = s * 1000n;
  });
  q.collateral[0] = a0;
  q.collateral[1] = 7000n;
  return { params, q };
}

describe("Transition circuit vs the TypeScript reference", function () {
  this.timeout(900_000);

  it("every op: the circuit's public signals are the reference's, and the key holder replays the chain", async () => {
    const { params } = example();
    let q = emptyPortfolio(N_MARKETS, M_ASSETS);
    let replayed = emptyPortfolio(N_MARKETS, M_ASSETS);
    const ops: TransitionOp[] = [
      { kind: "deposit", asset: 0, amount: 10n ** 12n },
      { kind: "deposit", asset: 2, amount: 3n * 10n ** 8n },
      { kind: "buy", fill: { market: 1, size: 300n, price: params.markets[1].markPrice + 7n, salt: 1n }, fee: 500_000n },
      { kind: "sell", fill: { market: 1, size: 100n, price: params.markets[1].markPrice - 9n, salt: 2n }, fee: 1n },
      { kind: "sell", fill: { market: 4, size: 2n ** 12n, price: params.markets[4].markPrice, salt: FIELD_MODULUS - 1n } },
      { kind: "settle", market: 1, amount: 3000n },
      { kind: "sell", fill: { market: 1, size: 200n, price: params.markets[1].markPrice + 3n, salt: 4n }, fee: 0n },
      { kind: "realize", market: 1, amount: 600n },
      { kind: "withdraw", asset: 2, amount: 10n ** 8n },
      { kind: "buy", fill: { market: 4, size: 2n ** 12n, price: params.markets[4].markPrice, salt: 3n } },
      { kind: "settle", market: 4, amount: 0n },
    ];
    for (const op of ops) {
      const t = prepareTransition({ params, old: q, op, binding: 99n, liquidationKey: key.publicKey });
      const w = await witness(t.inputs);
      expect(w, op.kind).to.not.equal(null);
      expect(w!.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
      expect(circuitLevel(w!), op.kind).to.equal(t.applied.level);
      expect(decodeOpWord(t.op).amount).to.equal(
        op.kind === "buy" || op.kind === "sell" ? (op.fee ?? 0n) : "amount" in op ? op.amount : 0n,
      );
      replayed = replayTransition(key.secret, replayed, {
        op: t.op,
        ephemeralKey: t.encrypted.ephemeralKey,
        cipher: t.encrypted.cipher,
        newCommitment: commitment(t.next),
        params,
      });
      q = t.next;
    }
    expect(replayed).to.deep.equal(q);
    expect(q.sizes.every((s) => s === 0n)).to.equal(true);
    expect(q.costBasis[1]).to.equal(0n);
  });

  it("random ops on random healthy portfolios agree with the reference (refusals included)", async () => {
    const { params } = example();
    const arbOp = arbTransitionOp({ maxAsset: 3, maxAmount: 10n ** 11n, maxTradeMarket: 7, maxSize: 60000n });
    let agreed = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(arbOp, async (op) => {
        const { q } = funded();
        let t;
        try {
          t = prepareTransition({ params, old: q, op, binding: 5n, liquidationKey: key.publicKey });
        } catch (e) {
          expect(e).to.be.instanceOf(ValidationError);
          return;
        }
        const w = await witness(t.inputs);
        if (t.applied.violations.length > 0) {
          refused++;
          expect(w, `circuit accepted a refused ${op.kind}`).to.equal(null);
        } else {
          agreed++;
          expect(w, `circuit refused ${JSON.stringify(op, (_, v) => (typeof v === "bigint" ? String(v) : v))}`).to.not.equal(null);
          expect(w!.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
        }
      }),
      { numRuns: 60, seed: 11 },
    );
    expect(agreed).to.be.greaterThan(10);
    expect(refused).to.be.greaterThan(0);
  });

  it("a deposit into an unhealthy account is never refused; a withdrawal from it is", async () => {
    const { params, q } = funded();
    q.sizes[0] = 90000n; // far beyond the collateral
    // every market at the mark with funding settled: no unpaid loss, so only margin decides
    q.costBasis = q.sizes.map((sz, i) => sz * params.markets[i].markPrice);
    q.entryFunding = params.markets.map((m) => m.fundingIndex);
    expect(evaluate(params, q, "maintenance").healthy).to.equal(false);
    const dep = prepareTransition({
      params,
      old: q,
      op: { kind: "deposit", asset: 0, amount: 1n },
      binding: 1n,
      liquidationKey: key.publicKey,
    });
    expect(await witness(dep.inputs)).to.not.equal(null);
    expect(() => applyTransition(params, q, { kind: "withdraw", asset: 0, amount: 1n })).to.not.throw();
    const wd = prepareTransition({
      params,
      old: q,
      op: { kind: "withdraw", asset: 0, amount: 1n },
      binding: 1n,
      liquidationKey: key.publicKey,
    });
    expect(wd.applied.violations).to.include("MARGIN");
    expect(await witness(wd.inputs)).to.equal(null);
    const prover = await transitionProver();
    await prover.prove({ params, old: q, op: { kind: "withdraw", asset: 0, amount: 1n }, binding: 1n, liquidationKey: key.publicKey }).then(
      () => expect.fail("proved"),
      (e) => expect(e).to.be.instanceOf(TransitionRefused),
    );
  });

  it("the reference names the field of an invalid op", () => {
    const { params, q } = funded();
    const cases: Array<[TransitionOp, string]> = [
      [{ kind: "withdraw", asset: 0, amount: q.collateral[0] + 1n }, "amount"],
      [{ kind: "deposit", asset: 4, amount: 1n }, "asset"],
      [{ kind: "deposit", asset: 0, amount: 0n }, "amount"],
      [{ kind: "deposit", asset: 0, amount: pow2(96) }, "amount"],
      [{ kind: "buy", fill: { market: 8, size: 1n, price: 1n, salt: 0n } }, "fill.market"],
      [{ kind: "buy", fill: { market: 0, size: 0n, price: 1n, salt: 0n } }, "fill.size"],
      [{ kind: "sell", fill: { market: 0, size: 1n, price: pow2(48), salt: 0n } }, "fill.price"],
      [{ kind: "realize", market: -1, amount: 0n }, "market"],
      [{ kind: "deposit", asset: 0, amount: pow2(96) - 1n }, "collateral[0]"],
      [{ kind: "buy", fill: { market: 0, size: 1n, price: 1n, salt: 0n }, fee: -1n }, "fee"],
      [{ kind: "sell", fill: { market: 0, size: 1n, price: 1n, salt: 0n }, fee: pow2(96) }, "fee"],
      [{ kind: "buy", fill: { market: 0, size: 1n, price: 1n, salt: 0n }, fee: q.collateral[0] + 1n }, "fee"],
    ];
    for (const [op, field] of cases) {
      expect(() => applyTransition(params, q, op), field)
        .to.throw(ValidationError)
        .with.property("field", field);
    }
  });

  describe("raw inputs that go around the TypeScript checks are rejected by the circuit", () => {
    const base = () => {
      const { params, q } = funded();
      return prepareTransition({
        params,
        old: q,
        op: { kind: "buy", fill: { market: 2, size: 10n, price: 1000n, salt: 9n } },
        binding: 3n,
        liquidationKey: key.publicKey,
      });
    };
    const cases: Array<[string, (i: Record<string, any>, t: ReturnType<typeof base>) => void]> = [
      ["kind 5", (i) => (i.context = (BigInt(i.context) - 2n + 5n).toString())],
      ["kind 7", (i) => (i.context = (BigInt(i.context) - 2n + 7n).toString())],
      ["a trade with a fee the new commitment does not pay", (i) => (i.context = (BigInt(i.context) + (1n << 9n)).toString())],
      [
        "a trade with a fee of 2^96 - 1 (more than asset 0 holds)",
        (i) => (i.context = (BigInt(i.context) + ((pow2(96) - 1n) << 9n)).toString()),
      ],
      ["a trade with a public asset", (i) => (i.context = (BigInt(i.context) + (1n << 3n)).toString())],
      ["the wrong flat flag", (i) => (i.context = (BigInt(i.context) ^ (1n << 8n)).toString())],
      ["the other side (SELL with a BUY witness)", (i) => (i.context = (BigInt(i.context) + 1n).toString())],
      ["another fill commitment", (i) => (i.fill = "12345")],
      ["no fill commitment", (i) => (i.fill = "0")],
      ["fill size 0", (i) => (i.fillSize = "0")],
      ["fill size 2^40", (i) => (i.fillSize = pow2(40).toString())],
      ["fill price 2^48", (i) => (i.fillPrice = pow2(48).toString())],
      ["market 8", (i) => (i.fillMarket = "8")],
      ["another cipher", (i) => (i.cipher = (BigInt(i.cipher) + 1n).toString())],
      ["another ephemeral key", (i) => (i.ephemeralKey = (BigInt(i.ephemeralKey) + 1n).toString())],
      ["another ephemeral secret", (i) => (i.ephemeralSecret = (BigInt(i.ephemeralSecret) + 1n).toString())],
      ["another new commitment", (i) => (i.newCommitment = (BigInt(i.newCommitment) + 1n).toString())],
      ["another old commitment", (i) => (i.oldCommitment = (BigInt(i.oldCommitment) + 1n).toString())],
      ["another keyHash", (i) => (i.keyHash = (BigInt(i.keyHash) + 1n).toString())],
      ["a binding beyond 2^106", (i) => (i.context = (BigInt(i.context) + pow2(211)).toString())],
      ["another paramsHash", (i) => (i.paramsHash = (BigInt(i.paramsHash) + 1n).toString())],
      ["a liquidation key off the curve", (i) => (i.liquidationKey = [i.liquidationKey[0], (BigInt(i.liquidationKey[1]) + 1n).toString()])],
      ["the identity as liquidation key", (i) => (i.liquidationKey = ["0", "1"])],
      [
        "an old size aliasing the word (s + 2^41)",
        (i) => (i.sizes = i.sizes.map((s: string, k: number) => (k === 0 ? (BigInt(s) + pow2(41)).toString() : s))),
      ],
    ];
    for (const [name, edit] of cases) {
      it(name, async () => {
        const t = base();
        expect(await witness(t.inputs)).to.not.equal(null);
        const i = structuredClone(t.inputs) as Record<string, any>;
        edit(i, t);
        expect(await witness(i)).to.equal(null);
      });
    }

    it("a withdrawal larger than the balance (going around the reference)", async () => {
      const { params, q } = funded();
      q.sizes = q.sizes.map(() => 0n); // flat, so only the balance check can fail
      q.costBasis = q.costBasis.map(() => 0n);
      const t = prepareTransition({
        params,
        old: q,
        op: { kind: "withdraw", asset: 2, amount: 1n },
        binding: 3n,
        liquidationKey: key.publicKey,
      });
      expect(await witness(t.inputs)).to.not.equal(null);
      const i = structuredClone(t.inputs) as Record<string, any>;
      i.context = contextOf(opWord("withdraw", 2, true, q.collateral[2] + 1n), 3n).toString();
      expect(await witness(i)).to.equal(null);
    });
  });

  it("edited witnesses are rejected: every wire of a trade and a deposit witness", async () => {
    const a = circuitArtifacts("transition");
    const sys = readR1cs(a.r1cs);
    const names = readSymWires(a.sym);
    const { params, q } = funded();
    for (const op of [
      { kind: "sell", fill: { market: 3, size: 77n, price: 5000n, salt: 4n } },
      { kind: "deposit", asset: 1, amount: 5n },
    ] as TransitionOp[]) {
      const t = prepareTransition({ params, old: q, op, binding: 8n, liquidationKey: key.publicKey });
      const w = (await witness(t.inputs))!;
      expect(firstFailingConstraint(sys, w)).to.equal(-1);
      const random = BigInt(`0x${randomBytes(32).toString("hex")}`) % FIELD_MODULUS;
      const accepted: string[] = [];
      let tried = 0;
      for (let wire = 1; wire < sys.nWires; wire++) {
        for (const edit of [w[wire] + 1n, random]) {
          if ((edit - w[wire]) % FIELD_MODULUS === 0n) continue;
          tried++;
          if (acceptsMutation(sys, w, wire, edit)) accepted.push(`${names.get(wire) ?? `wire ${wire}`}`);
        }
      }
      expect(tried).to.be.greaterThan(2 * 19000);
      expect(accepted, `${op.kind}: accepted edits of ${accepted.slice(0, 10).join(", ")}`).to.deep.equal([]);
    }
  });

  it("encryption: only the liquidation key decrypts; ephemeral keys are fresh", () => {
    const payload = payloadOf({ kind: "buy", fill: { market: 5, size: 1234n, price: 99999n, salt: 0n } });
    const a = prepareTransition({
      params: example().params,
      old: funded().q,
      op: { kind: "deposit", asset: 0, amount: 1n },
      binding: 1n,
      liquidationKey: key.publicKey,
    });
    const b = prepareTransition({
      params: example().params,
      old: funded().q,
      op: { kind: "deposit", asset: 0, amount: 1n },
      binding: 1n,
      liquidationKey: key.publicKey,
    });
    expect(a.encrypted.ephemeralKey).to.not.equal(b.encrypted.ephemeralKey);
    expect(a.next.salt).to.not.equal(b.next.salt);
    const e = encryptTransition(key.publicKey, 777n, payload);
    expect(decryptTransition(key.secret, e.ephemeralKey, e.cipher).payload).to.equal(payload);
    const other = liquidationKeyPair(987654321n);
    expect(decryptTransition(other.secret, e.ephemeralKey, e.cipher).payload).to.not.equal(payload);
  });

  describe("flat trade fee (the op word's amount for BUY/SELL, paid from asset 0)", () => {
    it("fee = a_0 is proven (a'_0 = 0) and replayed; the op word carries it, the payload does not", async () => {
      const { params, q } = between(123n);
      const op: TransitionOp = { kind: "sell", fill: { market: 0, size: 100n, price: 1000n, salt: 5n }, fee: 123n };
      const t = prepareTransition({ params, old: q, op, binding: 7n, liquidationKey: key.publicKey });
      expect(t.applied.fee).to.equal(123n);
      expect(t.next.collateral[0]).to.equal(0n);
      expect(decodeOpWord(t.op)).to.deep.equal({ kind: "sell", asset: 0, flat: false, amount: 123n });
      expect(t.applied.violations).to.deep.equal([]);
      const w = await witness(t.inputs);
      expect(w).to.not.equal(null);
      expect(w!.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
      const replayed = replayTransition(key.secret, q, {
        op: t.op,
        ephemeralKey: t.encrypted.ephemeralKey,
        cipher: t.encrypted.cipher,
        newCommitment: commitment(t.next),
        params,
      });
      expect(replayed).to.deep.equal(t.next);
      // the same fill without the fee: another op word, another new commitment
      const free = prepareTransition({ params, old: q, op: { ...op, fee: undefined }, binding: 7n, liquidationKey: key.publicKey });
      expect(free.next.collateral[0]).to.equal(123n);
      expect(free.publicSignals[3]).to.not.equal(t.publicSignals[3]);
      expect(free.publicSignals[4]).to.equal(t.publicSignals[4]); // same fill commitment
    });

    it("fee = a_0 + 1 has no proof: the reference names 'fee', the circuit's a'_0 >= 0 check refuses it", async () => {
      const { params, q } = between(123n);
      const fill = { market: 0, size: 100n, price: 1000n, salt: 5n };
      expect(() => applyTransition(params, q, { kind: "sell", fill, fee: 124n }))
        .to.throw(ValidationError)
        .with.property("field", "fee");
      // going around the reference: the honest fee-123 inputs, re-stated for a fee f with the
      // new commitment the circuit itself would compute (a'_0 = 123 - f mod r)
      const t = prepareTransition({ params, old: q, op: { kind: "sell", fill, fee: 123n }, binding: 7n, liquidationKey: key.publicKey });
      const restated = (f: bigint) => {
        const i = structuredClone(t.inputs) as Record<string, any>;
        i.context = contextOf(opWord("sell", 0, false, f), 7n).toString();
        i.newCommitment = fieldCommitment({ ...t.next, collateral: [123n - f, ...t.next.collateral.slice(1)] }).toString();
        return i;
      };
      expect(restated(123n)).to.deep.equal(t.inputs); // the construction is the honest one at f = a_0
      expect(await witness(restated(123n))).to.not.equal(null);
      expect(await witness(restated(124n))).to.equal(null);
      expect(await witness(restated(pow2(96) - 1n))).to.equal(null);
    });

    it("a DEPOSIT/WITHDRAW moves `amount`; a SETTLE's amount is the context's; a trade's asset must be 0", async () => {
      const { params, q } = funded();
      const r = prepareTransition({
        params,
        old: q,
        op: { kind: "settle", market: 1, amount: 0n },
        binding: 2n,
        liquidationKey: key.publicKey,
      });
      expect(await witness(r.inputs)).to.not.equal(null);
      const i = structuredClone(r.inputs) as Record<string, any>;
      i.context = (BigInt(i.context) + (1n << 9n)).toString();
      expect(await witness(i)).to.equal(null);
      const b = prepareTransition({
        params,
        old: q,
        op: { kind: "buy", fill: { market: 2, size: 1n, price: 1000n, salt: 1n }, fee: 10n },
        binding: 2n,
        liquidationKey: key.publicKey,
      });
      expect(await witness(b.inputs)).to.not.equal(null);
      // the fee charged to asset 1 instead of asset 0 (the new commitment re-stated to match)
      const j = structuredClone(b.inputs) as Record<string, any>;
      j.context = contextOf(opWord("buy", 1, false, 10n), 2n).toString();
      j.newCommitment = fieldCommitment({
        ...b.next,
        collateral: b.next.collateral.map((a, k) => (k === 0 ? a + 10n : k === 1 ? a - 10n : a)),
      }).toString();
      expect(await witness(j)).to.equal(null);
    });

    it("property: the circuit agrees with the reference on random fees around the balance of asset 0", async () => {
      const { params, portfolio } = example();
      const arb = fc.record({
        kind: fc.constantFrom("buy" as const, "sell" as const),
        market: fc.integer({ min: 0, max: 5 }),
        size: fc.bigInt({ min: 1n, max: 50n }),
        a0: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 11n })),
        delta: fc.oneof(fc.constantFrom(0n, 1n, -1n), fc.bigInt({ min: -(10n ** 11n), max: 10n ** 11n })),
      });
      let proven = 0;
      let overdrawn = 0;
      await fc.assert(
        fc.asyncProperty(arb, async ({ kind, market, size, a0, delta }) => {
          const q = clone(portfolio);
          q.collateral[0] = a0;
          const fee = a0 + delta < 0n ? 0n : a0 + delta;
          const fill = { market, size, price: params.markets[market].markPrice, salt: 3n };
          const op: TransitionOp = { kind, fill, fee };
          if (fee > a0) {
            overdrawn++;
            expect(() => applyTransition(params, q, op))
              .to.throw(ValidationError)
              .with.property("field", "fee");
            // the circuit: the fee-0 inputs re-stated with this fee and its wrapped balance
            const t = prepareTransition({ params, old: q, op: { kind, fill }, binding: 4n, liquidationKey: key.publicKey });
            const i = structuredClone(t.inputs) as Record<string, any>;
            i.context = contextOf(opWord(kind, 0, t.applied.flat, fee), 4n).toString();
            i.newCommitment = fieldCommitment({ ...t.next, collateral: [a0 - fee, ...t.next.collateral.slice(1)] }).toString();
            expect(await witness(i)).to.equal(null);
            return;
          }
          const t = prepareTransition({ params, old: q, op, binding: 4n, liquidationKey: key.publicKey });
          expect(t.next.collateral[0]).to.equal(a0 - fee);
          expect(decodeOpWord(t.op).amount).to.equal(fee);
          const w = await witness(t.inputs);
          if (t.applied.violations.length > 0) expect(w).to.equal(null);
          else {
            proven++;
            expect(w).to.not.equal(null);
            expect(w!.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
          }
        }),
        { numRuns: 40, seed: 21 },
      );
      expect(proven).to.be.greaterThan(5);
      expect(overdrawn).to.be.greaterThan(5);
    });
  });

  describe("settlement through the PnL pool (REALIZE claims net profit, SETTLE pays loss) and the CASH rule", () => {
    /** a flat portfolio with one closed market carrying cost basis c (U = -c) and a0 of asset 0 */
    const closed = (c: bigint, a0: bigint) => {
      const { params, q } = between(a0, [0n, 0n]);
      q.costBasis[3] = c;
      return { params, q };
    };
    /**
     * A REALIZE/SETTLE witness whose public amount and new portfolio are shifted by `delta` past
     * what the reference allows: the same salt and ciphertext, a recomputed new commitment. Only
     * the rule under test can reject it.
     */
    const forgeShift = (t: ReturnType<typeof prepareTransition>, market: number, delta: bigint, sign: 1n | -1n) => {
      const next = clone(t.next);
      next.costBasis[market] += sign * delta;
      next.collateral[0] += sign * delta;
      const i = structuredClone(t.inputs) as Record<string, any>;
      i.context = (BigInt(i.context) + (delta << 9n)).toString();
      i.newCommitment = fieldCommitment(next).toString();
      return i;
    };

    it("REALIZE of exactly the net profit is proven (and flat); one unit more has no witness", async () => {
      const { params, q } = closed(-5000n, 0n);
      const t = prepareTransition({
        params,
        old: q,
        op: { kind: "realize", market: 3, amount: 5000n },
        binding: 5n,
        liquidationKey: key.publicKey,
      });
      expect(t.applied.flat).to.equal(true);
      expect(t.next.collateral[0]).to.equal(5000n);
      expect(await witness(t.inputs)).to.not.equal(null);
      expect(() => applyTransition(params, q, { kind: "realize", market: 3, amount: 5001n })).to.throw(
        ValidationError,
        /net unrealised profit/,
      );
      expect(await witness(forgeShift(t, 3, 1n, 1n))).to.equal(null);
    });

    it("REALIZE on another market than the profit's: net PnL is what counts", async () => {
      const { params, q } = closed(-5000n, 0n);
      const t = prepareTransition({
        params,
        old: q,
        op: { kind: "realize", market: 6, amount: 4000n },
        binding: 5n,
        liquidationKey: key.publicKey,
      });
      expect(await witness(t.inputs)).to.not.equal(null);
      expect(t.applied.flat).to.equal(false);
    });

    it("an account with a net loss cannot claim: a loss on one market offsets a profit on another", async () => {
      const { params, q } = closed(-5000n, 100n);
      q.costBasis[4] = 5001n; // net -1
      expect(() => applyTransition(params, q, { kind: "realize", market: 3, amount: 1n })).to.throw(
        ValidationError,
        /net unrealised profit/,
      );
      q.costBasis[4] = 5000n; // net 0: claiming 0 is proven, claiming 1 has no witness
      const t = prepareTransition({
        params,
        old: q,
        op: { kind: "realize", market: 3, amount: 0n },
        binding: 5n,
        liquidationKey: key.publicKey,
      });
      expect(await witness(t.inputs)).to.not.equal(null);
      expect(await witness(forgeShift(t, 3, 1n, 1n))).to.equal(null);
    });

    it("WITHDRAW with an unpaid loss: the reference refuses (settle first); a forged witness has none", async () => {
      const { params, q } = closed(0n, 1000n);
      const op: TransitionOp = { kind: "withdraw", asset: 0, amount: 10n };
      const t = prepareTransition({ params, old: q, op, binding: 5n, liquidationKey: key.publicKey });
      expect(await witness(t.inputs)).to.not.equal(null);
      const lossy = clone(q);
      lossy.costBasis[3] = 1n; // a closed market owing 1
      expect(() => applyTransition(params, lossy, op)).to.throw(ValidationError, /settle it into the PnL pool first/);
      /** the withdrawal's witness from an old portfolio whose closed market 3 has cost basis c */
      const forge = (c: bigint) => {
        const old = clone(q);
        old.costBasis[3] = c;
        const i = structuredClone(t.inputs) as Record<string, any>;
        i.costBasis = i.costBasis.map((x: string, k: number) => (k === 3 ? String(c) : x));
        i.oldCommitment = commitment(old).toString();
        const next = clone(t.next);
        next.costBasis[3] = c;
        i.newCommitment = fieldCommitment(next).toString();
        i.context = (BigInt(i.context) ^ (1n << 8n)).toString(); // not flat any more
        return i;
      };
      expect(await witness(forge(-1n)), "control: owed 1 of profit, the forged witness is valid").to.not.equal(null);
      const i = forge(1n); // owing 1: only the loss check is left to refuse it
      expect(await witness(i)).to.equal(null);
    });

    it("SETTLE pays the loss (never refused, even unhealthy); beyond the balance of asset 0 there is no witness", async () => {
      const { params, q } = closed(5000n, 5000n);
      q.collateral[1] = 0n; // no other collateral: equity 0 (unhealthy only if exposed; here flat after settling)
      const t = prepareTransition({
        params,
        old: q,
        op: { kind: "settle", market: 3, amount: 5000n },
        binding: 5n,
        liquidationKey: key.publicKey,
      });
      expect(t.applied.violations).to.deep.equal([]);
      expect(t.applied.flat).to.equal(true);
      expect(t.next.collateral[0]).to.equal(0n);
      expect(await witness(t.inputs)).to.not.equal(null);
      expect(() => applyTransition(params, q, { kind: "settle", market: 3, amount: 5001n })).to.throw(
        ValidationError,
        /balance of asset 0/,
      );
      expect(await witness(forgeShift(t, 3, 1n, -1n))).to.equal(null);
    });

    // CASH: a'_0 + sum U' >= 0 at the initial level; between(0, [0, 0]) has 7,000 of asset 1 and no asset 0
    for (const [px, ok] of [
      [1000n, true],
      [1001n, false],
    ] as const) {
      it(`CASH: a BUY of 1 lot at ${px} (mark 1000) with no asset 0: ${ok ? "d' = 0, proven" : "d' = -1, no witness"}`, async () => {
        const { params, q } = between(0n, [0n, 0n]);
        const t = prepareTransition({
          params,
          old: q,
          op: { kind: "buy", fill: { market: 2, size: 1n, price: px, salt: 1n } },
          binding: 5n,
          liquidationKey: key.publicKey,
        });
        expect(t.applied.violations).to.deep.equal(ok ? [] : ["CASH"]);
        expect((await witness(t.inputs)) !== null).to.equal(ok);
      });
    }

    it("CASH blocks the price-0 self-trade that would move value out of an account holding only asset 1", async () => {
      const { params, q } = between(0n, [0n, 0n]);
      const sell = prepareTransition({
        params,
        old: q,
        op: { kind: "sell", fill: { market: 2, size: 1n, price: 0n, salt: 1n } },
        binding: 5n,
        liquidationKey: key.publicKey,
      });
      expect(evaluate(params, sell.next, "initial").healthy, "the margin rule alone allows it").to.equal(true);
      expect(sell.applied.violations).to.deep.equal(["CASH"]);
      expect(await witness(sell.inputs)).to.equal(null);
    });

    // reduce-only (maintenance): d' + fee >= min(0, d)
    for (const [name, cost, a0, fee, px, ok] of [
      ["no deficit, at the mark", 10_000n, 0n, 0n, 1000n, true],
      ["no deficit, 1 below the mark per lot: creates one", 10_000n, 0n, 0n, 999n, false],
      ["a deficit of 1,000, at the mark: unchanged", 11_000n, 0n, 0n, 1000n, true],
      ["a deficit of 1,000, below the mark: deeper", 11_000n, 0n, 0n, 999n, false],
      ["a deficit, at the mark, paying the fee", 11_000n, 1n, 1n, 1000n, true],
    ] as const) {
      it(`CASH, reduce-only SELL of 5 of 10 lots: ${name}`, async () => {
        const { params, q } = between(a0, [10n, 0n]);
        q.costBasis[0] = cost;
        const op: TransitionOp = { kind: "sell", fill: { market: 0, size: 5n, price: px, salt: 1n }, fee };
        expect(marginLevel(q, op)).to.equal("maintenance");
        const t = prepareTransition({ params, old: q, op, binding: 5n, liquidationKey: key.publicKey });
        expect(t.applied.violations).to.deep.equal(ok ? [] : ["CASH"]);
        const w = await witness(t.inputs);
        expect(w !== null).to.equal(ok);
        if (w) expect(circuitLevel(w)).to.equal("maintenance");
      });
    }
  });

  describe("reduce-only de-risking: maintenance for a trade toward zero without a flip, initial otherwise", () => {
    // [name, old sizes of markets 0 and 1, op, the level, proven at the tight fixture]
    const sell = (market: number, size: bigint): TransitionOp => ({ kind: "sell", fill: { market, size, price: 1000n, salt: 1n } });
    const buy = (market: number, size: bigint): TransitionOp => ({ kind: "buy", fill: { market, size, price: 1000n, salt: 1n } });
    const cases: Array<[string, bigint[], TransitionOp, Level, boolean]> = [
      ["SELL q = |s_m| of a long (to flat)", [40n, 100n], sell(0, 40n), "maintenance", true],
      ["SELL q = |s_m| + 1 of a long (flip)", [40n, 100n], sell(0, 41n), "initial", false],
      ["SELL q = 1 of a long", [40n, 100n], sell(0, 1n), "maintenance", true],
      ["BUY q = |s_m| of a short (to flat)", [-40n, 100n], buy(0, 40n), "maintenance", true],
      ["BUY q = |s_m| + 1 of a short (flip)", [-40n, 100n], buy(0, 41n), "initial", false],
      ["BUY q = |s_m| - 1 of a short", [-40n, 100n], buy(0, 39n), "maintenance", true],
      ["BUY on a long (same side)", [30n, 100n], buy(0, 1n), "initial", false],
      ["SELL on a short (same side)", [-30n, 100n], sell(0, 1n), "initial", false],
      ["SELL on s_m = 0", [0n, 100n], sell(0, 1n), "initial", false],
      ["BUY on s_m = 0", [0n, 100n], buy(0, 1n), "initial", false],
      ["SELL on market 1 (the long) while market 0 is flat", [0n, 100n], sell(1, 20n), "maintenance", true],
    ];
    for (const [name, sizes, op, level, proven] of cases) {
      it(`${name}: ${level}, ${proven ? "proven" : "no proof"}`, async () => {
        const { params, q } = between(0n, sizes);
        expect(marginLevel(q, op)).to.equal(level);
        const t = prepareTransition({ params, old: q, op, binding: 6n, liquidationKey: key.publicKey });
        expect(t.applied.level).to.equal(level);
        // the fixture sits between the levels: healthy at maintenance, not at initial
        expect(evaluate(params, t.next, "maintenance").healthy, "maintenance").to.equal(true);
        expect(evaluate(params, t.next, "initial").healthy, "initial").to.equal(false);
        expect(t.applied.violations.length === 0).to.equal(proven);
        const w = await witness(t.inputs);
        expect(w !== null, "circuit").to.equal(proven);
        if (w) expect(w.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
        // the circuit's level itself, read from a witness with cash enough for both levels
        const rich = clone(q);
        rich.collateral[0] = 10n ** 9n;
        const r = prepareTransition({ params, old: rich, op, binding: 6n, liquidationKey: key.publicKey });
        const rw = await witness(r.inputs);
        expect(rw).to.not.equal(null);
        expect(circuitLevel(rw!)).to.equal(level);
      });
    }

    it("the prover refuses at the level it needs (TransitionRefused names it)", async () => {
      const { params, q } = between(0n, [0n, 100n]);
      q.collateral[1] = 4000n; // below maintenance after any trade
      const prover = await transitionProver();
      await prover.prove({ params, old: q, op: sell(1, 10n), binding: 1n, liquidationKey: key.publicKey }).then(
        () => expect.fail("proved"),
        (e) => {
          expect(e).to.be.instanceOf(TransitionRefused);
          expect(e.level).to.equal("maintenance");
          expect(e.message).to.contain("maintenance level");
        },
      );
    });

    it("property: the circuit's level and verdict agree with the reference around |s_m| and 0", async () => {
      const arb = fc.record({
        s: fc.oneof(fc.constantFrom(0n, 1n, -1n), fc.bigInt({ min: -5000n, max: 5000n })),
        other: fc.bigInt({ min: -300n, max: 300n }),
        kind: fc.constantFrom("buy" as const, "sell" as const),
        dq: fc.oneof(fc.constantFrom(-1n, 0n, 1n), fc.bigInt({ min: -5000n, max: 5000n })),
        cash: fc.bigInt({ min: 0n, max: 600_000n }),
        fee: fc.bigInt({ min: 0n, max: 1000n }),
      });
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(arb, async ({ s, other, kind, dq, cash, fee }) => {
          const size = abs(s) + dq < 1n ? 1n : abs(s) + dq;
          const { params, q } = between(fee, [s, other]);
          q.collateral[1] = cash;
          const op: TransitionOp = { kind, fill: { market: 0, size, price: 1000n, salt: 2n }, fee };
          // the rule, stated independently
          const reduce = s !== 0n && (kind === "buy" ? s < 0n : s > 0n) && size <= abs(s);
          const level: Level = reduce ? "maintenance" : "initial";
          expect(marginLevel(q, op)).to.equal(level);
          const t = prepareTransition({ params, old: q, op, binding: 9n, liquidationKey: key.publicKey });
          expect(t.applied.level).to.equal(level);
          expect(t.applied.violations).to.deep.equal(evaluate(params, t.next, level).violations);
          const w = await witness(t.inputs);
          expect(w !== null, "circuit verdict").to.equal(t.applied.violations.length === 0);
          if (w) {
            expect(circuitLevel(w)).to.equal(level);
            expect(w.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
          }
          seen.add(`${level}:${w !== null}`);
        }),
        { numRuns: 50, seed: 33 },
      );
      expect([...seen].sort()).to.deep.equal(["initial:false", "initial:true", "maintenance:false", "maintenance:true"]);
    });
  });
});
