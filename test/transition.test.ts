// The Transition circuit against its TypeScript reference (prover/transition/): every op,
// refusals, raw inputs that go around the TypeScript checks, edited witnesses, encryption and
// the key holder's replay.
import { expect } from "chai";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { FIELD_MODULUS, pow2 } from "../prover/field.ts";
import { commitment } from "../prover/encoding.ts";
import { acceptsMutation, firstFailingConstraint, readR1cs, readSymWires } from "../tools/r1cs.ts";
import { circuitArtifacts } from "../prover/artifacts.ts";
import {
  applyTransition,
  contextOf,
  decryptTransition,
  emptyPortfolio,
  encryptTransition,
  liquidationKeyPair,
  opWord,
  payloadOf,
  prepareTransition,
  replayTransition,
  TransitionRefused,
  type TransitionOp,
} from "../prover/transition/index.ts";
import { evaluate } from "../prover/model.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { arbTransitionOp, clone, example } from "../tools/fixtures.ts";
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

describe("Transition circuit vs the TypeScript reference", function () {
  this.timeout(900_000);

  it("every op: the circuit's public signals are the reference's, and the key holder replays the chain", async () => {
    const { params } = example();
    let q = emptyPortfolio(N_MARKETS, M_ASSETS);
    let replayed = emptyPortfolio(N_MARKETS, M_ASSETS);
    const ops: TransitionOp[] = [
      { kind: "deposit", asset: 0, amount: 10n ** 12n },
      { kind: "deposit", asset: 2, amount: 3n * 10n ** 8n },
      { kind: "buy", fill: { market: 1, size: 300n, price: params.markets[1].markPrice + 7n, salt: 1n } },
      { kind: "sell", fill: { market: 1, size: 100n, price: params.markets[1].markPrice - 9n, salt: 2n } },
      { kind: "sell", fill: { market: 4, size: 2n ** 12n, price: params.markets[4].markPrice, salt: FIELD_MODULUS - 1n } },
      { kind: "realize", market: 1 },
      { kind: "sell", fill: { market: 1, size: 200n, price: params.markets[1].markPrice + 3n, salt: 4n } },
      { kind: "realize", market: 1 },
      { kind: "withdraw", asset: 2, amount: 10n ** 8n },
      { kind: "buy", fill: { market: 4, size: 2n ** 12n, price: params.markets[4].markPrice, salt: 3n } },
      { kind: "realize", market: 4 },
    ];
    for (const op of ops) {
      const t = prepareTransition({ params, old: q, op, binding: 99n, liquidationKey: key.publicKey });
      const w = await witness(t.inputs);
      expect(w, op.kind).to.not.equal(null);
      expect(w!.slice(1, 9).map(String)).to.deep.equal(t.publicSignals);
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
    q.costBasis[0] = 90000n * params.markets[0].markPrice;
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
      [{ kind: "realize", market: -1 }, "market"],
      [{ kind: "deposit", asset: 0, amount: pow2(96) - 1n }, "collateral[0]"],
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
      ["a trade with a public amount", (i) => (i.context = (BigInt(i.context) + (1n << 9n)).toString())],
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
});
