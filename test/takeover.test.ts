// Takeover (circuits/takeover.circom, prover/takeover.ts): a frozen account's book moves into the
// backstop at mark; a witness exists iff the TypeScript twin takes it over (does not throw
// BackstopRefused), and then with exactly the twin's public signals, whatever the prover claims.
//   - the widths of the circuit = the TypeScript twin's
//   - the reference: refusals, token conservation (property)
//   - differential (fast-check): random epochs, frozen books and backstops funded at, one unit
//     below or above their threshold: a witness iff takeover() does not throw, same signals
//   - forged witnesses: every derived value claimed otherwise (residual, penalty, claim/settled,
//     bad debt, vault cover, flags, the backstop's new book, salt derivations), each forgery's
//     public signals consistent with it: no witness
//   - adversarial: the same constraints with the witness-only hints (v_j, pen) turned into
//     inputs: no witness for v_j or pen one unit off, field-wrapped or out of range
//   - published vectors (reference and circuit), the CLI replay, the audit and the artifacts
//     (the last three need artifacts/takeover: they are skipped, saying so, without its zkey)
import { expect } from "chai";
import fc from "fast-check";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as snarkjs from "snarkjs";
import { WitnessCalculatorBuilder } from "circom_runtime";
import { ARTIFACTS_DIR, REPO_ROOT, circuitArtifacts } from "../prover/artifacts.ts";
import { FIELD_MODULUS, pow2, toField } from "../prover/field.ts";
import { poseidon } from "../prover/hash.ts";
import { collateralValue } from "../prover/model.ts";
import {
  BackstopRefused,
  TAKEOVER_CASH_BITS,
  TakeoverProver,
  takeover,
  takeoverInputs,
  takeoverPnlBits,
  type TakeoverInputs,
} from "../prover/takeover.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { audit, privateInputNames, rangeCheckTable, takeoverCases } from "../tools/audit.ts";
import { firstFailingConstraint, readR1cs, readSym } from "../tools/r1cs.ts";
import {
  backstopAtThreshold,
  loadTakeoverVectors,
  parseTakeoverRequest,
  prepareTakeoverVector,
  randomTakeover,
  replayTakeoverVector,
  takeoverTrace,
  takeoverTraceInputs,
  takeoverTraceSignals,
  type TakeoverRequest,
  type TakeoverTrace,
} from "../tools/vectors.ts";
import { arbParams, arbPortfolio, baseParams, basePortfolio, clone, E18 } from "../tools/fixtures.ts";
import { circuitSourcesHash, compileCircom, sha256File } from "../scripts/lib.ts";
import { M_ASSETS, N_MARKETS } from "../prover/constants.ts";

const DIR = join(REPO_ROOT, "test", "vectors", "takeover");
const A = circuitArtifacts("takeover");
const HAVE_ARTIFACTS = existsSync(A.zkey);
const SKIPPED = HAVE_ARTIFACTS ? "" : " — SKIPPED: artifacts/takeover/takeover.zkey is missing (run 'npm run setup -- --circuit takeover')";
const withArtifacts = HAVE_ARTIFACTS ? describe : describe.skip;

let proverPromise: Promise<TakeoverProver> | undefined;
const prover = (): Promise<TakeoverProver> => (proverPromise ??= TakeoverProver.load());

type Calc = { calculateWitness(i: unknown, sanityCheck: boolean): Promise<bigint[]> };
/** silence the witness calculator's console output on a failing assert */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const { log, error } = console;
  console.log = () => {};
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = error;
  }
}

// The witness calculator of the shipped circuit: artifacts/takeover's wasm, or, before the
// artifacts exist, circuits/main/takeover.circom compiled into build/ (the same sources).
let calcPromise: Promise<{ calc: Calc; r1cs: string; sym: string; cleanup: () => void }> | undefined;
function shipped(): Promise<{ calc: Calc; r1cs: string; sym: string; cleanup: () => void }> {
  calcPromise ??= (async () => {
    if (existsSync(A.wasm))
      return {
        calc: await WitnessCalculatorBuilder(readFileSync(A.wasm), { sanityCheck: true }),
        r1cs: A.r1cs,
        sym: A.sym,
        cleanup: () => {},
      };
    mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, "build", "takeover-"));
    const built = compileCircom(join(REPO_ROOT, "circuits", "main", "takeover.circom"), dir);
    return {
      calc: await WitnessCalculatorBuilder(readFileSync(built.wasm), { sanityCheck: true }),
      r1cs: built.r1cs,
      sym: built.sym,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  })();
  return calcPromise;
}
/** The witness of the shipped circuit, or null when it has none. */
async function witness(inputs: unknown): Promise<bigint[] | null> {
  const { calc } = await shipped();
  return quietly(async () => {
    try {
      return await calc.calculateWitness(inputs, true);
    } catch {
      return null;
    }
  });
}
/** The shipped circuit's witness calculator as the replay's prover (witness checks only). */
const witnessProver = async () =>
  ({ rawWitness: (i: unknown) => witness(i).then((w) => w ?? Promise.reject(new Error("no witness"))) }) as never;

const richBackstop = (cash = 10n ** 15n): Portfolio => ({ ...basePortfolio(), collateral: [cash, 0n, 0n, 0n], salt: 9n });
function frozenAt(market: number, size: bigint, entry: bigint, cash: bigint): Portfolio {
  const q = basePortfolio();
  q.sizes[market] = size;
  q.costBasis[market] = size * entry;
  q.collateral[0] = cash;
  q.salt = 5n;
  return q;
}
const request = (
  params: Params,
  frozen: Portfolio,
  backstop: Portfolio,
  penaltyBps = 100n,
  insuranceFund = 0n,
  binding = 0x1234n,
): TakeoverRequest => ({
  params,
  frozen,
  backstop,
  binding,
  penaltyBps,
  insuranceFund,
});
const ask = (r: TakeoverRequest): TakeoverInputs =>
  takeoverInputs(r.params, r.frozen, r.backstop, r.binding, r.penaltyBps, r.insuranceFund);

/** Honest cases covering every branch: the base of the forgeries. */
function branches(): Array<[string, TakeoverRequest]> {
  const p = baseParams();
  p.collateral[1] = { priceE18: 3n * E18 + 7n, haircutBps: 1234n };
  const out: Array<[string, TakeoverRequest]> = [];
  {
    const L = frozenAt(0, 10n, 900n, 300n); // profit 1000, pen 100 < cash
    L.collateral[1] = 123n; // converted 323 (with a remainder)
    out.push(["profit, penalty paid, conversion", request(p, L, richBackstop())]);
  }
  {
    const L = frozenAt(0, 10n, 1020n, 250n); // loss 200 against 250: pen 100 capped at 50
    out.push(["loss, penalty capped", request(p, L, richBackstop())]);
  }
  {
    const L = frozenAt(2, -10n, 1100n, 0n); // a short: profit; no cash: penalty 0
    L.entryFunding[2] = 3n;
    const pf = clone(p);
    pf.markets[2].fundingIndex = -4n;
    const B = richBackstop();
    B.sizes[2] = 4n;
    B.costBasis[2] = 4100n;
    B.entryFunding[2] = 9n;
    out.push(["short, funding on both books", request(pf, L, B)]);
  }
  {
    const L = frozenAt(0, 10n, 1100n, 400n); // bad debt 600, the fund pays 250
    out.push(["bad debt, partial insurance", request(p, L, richBackstop(), 100n, 250n)]);
  }
  {
    const L = frozenAt(6, 40n, 990n, 1000n);
    const B = richBackstop();
    B.sizes[6] = -40n;
    B.costBasis[6] = -40000n;
    out.push(["backstop flat after", request(p, L, B)]);
  }
  return out;
}

describe("takeover (circuits/takeover.circom)", function () {
  this.timeout(1_200_000);
  after(async () => {
    if (calcPromise) (await calcPromise).cleanup();
  });

  it("the circuit's widths are the TypeScript twin's (compiled circom functions)", async () => {
    mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, "build", "takeover-widths-"));
    try {
      const src = join(dir, "widths.circom");
      writeFileSync(
        src,
        `pragma circom 2.2.0;
include "../../circuits/takeover.circom";
template W() {
    signal input x;
    signal output out[2];
    out[0] <== x * TAKEOVER_PNL_BITS(${N_MARKETS});
    out[1] <== x * TAKEOVER_CASH_BITS();
}
component main {public [x]} = W();
`,
      );
      const built = compileCircom(src, dir);
      const calc = await WitnessCalculatorBuilder(readFileSync(built.wasm));
      const w = (await calc.calculateWitness({ x: 1 }, true)) as bigint[];
      expect(w.slice(1, 3).map(Number)).to.deep.equal([takeoverPnlBits(N_MARKETS), TAKEOVER_CASH_BITS]);
      expect([takeoverPnlBits(8), TAKEOVER_CASH_BITS]).to.deep.equal([108, 136]);
      // the width arguments of the circuit's comments: |U| < 8 (2^88 + 2^100 + 2^104) < 2^108;
      // cash < 2^96 + 3 * 2^133 < 2^136; penaltyBps G < 2^14 * 8 * 2^88 = 2^105; v_j * 1e22 < 2^207
      expect(8n * (pow2(88) + pow2(100) + pow2(104)) < pow2(108)).to.equal(true);
      expect(pow2(96) + 3n * pow2(133) < pow2(136)).to.equal(true);
      expect(pow2(14) * 8n * pow2(88) <= pow2(105)).to.equal(true);
      expect(pow2(133) * 10n ** 22n < pow2(207) && pow2(207) < FIELD_MODULUS / 2n).to.equal(true);
      // the words fit: flows and cover are below 2^(108 + 96) < r, context below 2^122
      expect(pow2(108 + 96) < FIELD_MODULUS).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("the TypeScript reference", () => {
    it("refuses, naming the reasons: BALANCE, MARGIN, CASH, RANGE", () => {
      const p = baseParams();
      const L = frozenAt(0, 10n, 1100n, 400n); // bad debt 600
      expect(() => takeover(p, L, richBackstop(599n), 100n, 0n)).to.throw(BackstopRefused, /BALANCE/);
      const poor = richBackstop(600n);
      let e: unknown;
      try {
        takeover(p, L, poor, 100n, 0n);
      } catch (x) {
        e = x;
      }
      expect(e).to.be.instanceOf(BackstopRefused);
      expect((e as BackstopRefused).reasons)
        .to.include("MARGIN")
        .and.not.include("BALANCE");
      // CASH: the backstop's own unrealised loss of 5000 exceeds its asset 0 (its margin from asset 1)
      const pc = baseParams();
      const Bc = richBackstop(4999n);
      Bc.sizes[1] = 10n;
      Bc.costBasis[1] = 15000n;
      Bc.collateral[1] = 10n ** 9n;
      expect(() => takeover(pc, frozenAt(0, 2n, 1000n, 10n ** 6n), Bc, 100n, 0n)).to.throw(BackstopRefused, /violate CASH after/);
      Bc.collateral[0] = 5000n;
      expect(takeover(pc, frozenAt(0, 2n, 1000n, 10n ** 6n), Bc, 100n, 0n).backstop.collateral[0]).to.equal(5000n);
      const Lc = basePortfolio();
      Lc.costBasis[0] = -pow2(100);
      expect(() => takeover(p, Lc, richBackstop(), 100n, 0n)).to.throw(BackstopRefused, /RANGE/);
      expect(() => takeover(p, L, richBackstop(), pow2(14), 0n)).to.throw(RangeError);
      expect(() => takeoverInputs(p, L, richBackstop(), pow2(106), 100n, 0n)).to.throw(RangeError);
    });

    it("tools/vectors.ts's trace (the honest hints) is the reference's takeover, signal for signal", () => {
      for (const [, r] of branches()) {
        const x = ask(r);
        const t = takeoverTrace(r);
        expect(takeoverTraceSignals(r, t)).to.deep.equal(x.publicSignals);
        expect(takeoverTraceInputs(r)).to.deep.equal(x.inputs);
        expect([t.settled, t.penalty, t.badDebt, t.vaultCover, t.claim]).to.deep.equal([
          x.result.settled,
          x.result.penalty,
          x.result.badDebt,
          x.result.vaultCover,
          x.result.claim,
        ]);
      }
    });

    it("property: tokens are conserved (a_0 - residual + V + vaultCover = settled + penalty - insuranceCover), cost bases too", () => {
      fc.assert(
        fc.property(
          arbParams,
          arbPortfolio,
          arbPortfolio,
          fc.bigInt({ min: 0n, max: pow2(14) - 1n }),
          fc.bigInt({ min: 0n, max: pow2(110) }),
          fc.integer({ min: -1, max: 1 }),
          (p0, L0, B0, bps, fund, extra) => {
            const r = randomTakeover(p0, L0, B0, bps, fund, 1n, true, BigInt(extra));
            let t;
            try {
              t = takeover(r.params, r.frozen, r.backstop, bps, fund);
            } catch (e) {
              if (e instanceof BackstopRefused) return true;
              throw e;
            }
            const { frozen: L, backstop: B, params: p } = r;
            const tokensOut = L.collateral[0] - t.residualCash + (B.collateral[0] - t.backstop.collateral[0]);
            if (tokensOut !== t.settled + t.penalty - t.insuranceCover) return false;
            if (t.converted + t.vaultCover !== B.collateral[0] - t.backstop.collateral[0]) return false;
            // sum of cost bases over L and B: -settled plus the funding both books settle
            const F = p.markets.map((m) => m.fundingIndex);
            const funding = p.markets.reduce(
              (acc, _, i) => acc + L.sizes[i] * (F[i] - L.entryFunding[i]) + B.sizes[i] * (F[i] - B.entryFunding[i]),
              0n,
            );
            const before = [...L.costBasis, ...B.costBasis].reduce((a, b) => a + b, 0n);
            const after = [...t.residual.costBasis, ...t.backstop.costBasis].reduce((a, b) => a + b, 0n);
            return after - before === -t.settled + funding && t.residual.collateral.slice(1).every((a) => a === 0n);
          },
        ),
        { numRuns: 300, seed: 20261202 },
      );
    });
  });

  describe("property: a witness exists iff the reference takes the book over, with its public signals", () => {
    const runs = Number(process.env.ZKMARGIN_FUZZ_RUNS ?? 60);
    it(`random epochs, frozen books and backstops at, below or above their threshold (${runs} runs; ZKMARGIN_FUZZ_RUNS for more)`, async () => {
      const seen = { proven: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(
          arbParams,
          arbPortfolio,
          arbPortfolio,
          fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: pow2(14) - 1n })),
          fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: pow2(256) - 1n })),
          fc.bigInt({ min: 0n, max: pow2(106) - 1n }),
          fc.boolean(),
          fc.integer({ min: -1, max: 1 }),
          async (p, L, B, bps, fund, binding, tamed, extra) => {
            const r = randomTakeover(p, L, B, bps, fund, binding, tamed, BigInt(extra));
            let x: TakeoverInputs | null = null;
            try {
              x = ask(r);
            } catch (e) {
              if (!(e instanceof BackstopRefused)) throw e;
            }
            if (x) {
              seen.proven++;
              const w = await witness(x.inputs);
              return w !== null && w.slice(1, 9).map(String).join() === x.publicSignals.join();
            }
            seen.refused++;
            // refused: no witness for the honest hints (the reference's formulas without the refusal)
            return (await witness(takeoverTraceInputs(r))) === null;
          },
        ),
        { numRuns: runs, seed: Number(process.env.ZKMARGIN_FUZZ_SEED ?? 20261202) },
      );
      expect(seen.proven, "some random takeovers are provable").to.be.greaterThan(0);
      expect(seen.refused, "some random takeovers are refused").to.be.greaterThan(0);
    });

    it("the backstop exactly at its initial margin has a witness; one unit under has none", async () => {
      const p = baseParams();
      p.markets[3] = { ...p.markets[3], impactBps: 37n, depth: 12345n, initialRateBps: 777n };
      const base = request(p, frozenAt(3, -321n, 1000n, 10n ** 6n), richBackstop());
      for (const [extra, ok] of [
        [0n, true],
        [-1n, false],
      ] as Array<[bigint, boolean]>) {
        const r = { ...base, backstop: backstopAtThreshold(base, extra) };
        if (ok) expect(() => ask(r)).to.not.throw();
        else expect(() => ask(r)).to.throw(BackstopRefused, /MARGIN/);
        expect((await witness(takeoverTraceInputs(r))) !== null, `extra ${extra}`).to.equal(ok);
      }
    });
  });

  // Every forgery changes what the proof claims (a derived value of the trace), and recomputes
  // every public signal from the forged trace, so that the forgery is consistent: the circuit
  // must find it inconsistent with the openings and the epoch.
  describe("forged witnesses: a derived value claimed otherwise has no witness", () => {
    type Forgery = [string, (t: TakeoverTrace, r: TakeoverRequest) => void];
    const bump = (q: Portfolio, key: "sizes" | "costBasis" | "entryFunding" | "collateral", k: number, d: bigint) => (q[key][k] += d);
    const forgeries: Forgery[] = [
      ["residual + 1", (t) => bump(t.residual, "collateral", 0, 1n)],
      ["residual - 1", (t) => bump(t.residual, "collateral", 0, -1n)],
      ["residual + 1, penalty - 1", (t) => (bump(t.residual, "collateral", 0, 1n), (t.penalty -= 1n))],
      ["residual - 1, penalty + 1", (t) => (bump(t.residual, "collateral", 0, -1n), (t.penalty += 1n))],
      ["penalty + 1", (t) => (t.penalty += 1n)],
      ["penalty - 1", (t) => (t.penalty -= 1n)],
      ["penalty = pen (uncapped)", (t) => (t.penalty = t.pen)],
      ["claim and settled swapped", (t) => (([t.claim, t.settled] = [t.settled, t.claim]), (t.residual.costBasis[0] = -t.claim))],
      ["settled + 1", (t) => (t.settled += 1n)],
      ["settled - 1", (t) => (t.settled -= 1n)],
      ["claim + 1", (t) => (t.residual.costBasis[0] -= 1n)],
      ["claim on market 1", (t) => ((t.residual.costBasis[1] = t.residual.costBasis[0]), (t.residual.costBasis[0] = 0n))],
      ["bad debt + 1", (t) => (t.badDebt += 1n)],
      ["bad debt - 1", (t) => (t.badDebt -= 1n)],
      ["vault cover + 1, backstop unchanged", (t) => (t.vaultCover += 1n)],
      ["vault cover - 1, backstop unchanged", (t) => (t.vaultCover -= 1n)],
      ["residualFlat flipped", (t) => (t.residualFlat = !t.residualFlat)],
      ["backstopFlat flipped", (t) => (t.backstopFlat = !t.backstopFlat)],
      ["backstop size + 1", (t) => bump(t.next, "sizes", 0, 1n)],
      ["backstop size - 1 on another market", (t) => bump(t.next, "sizes", 5, -1n)],
      ["backstop cost basis - 1", (t) => bump(t.next, "costBasis", 0, -1n)],
      [
        "backstop cost basis without its funding",
        (t, r) =>
          r.params.markets.forEach((m, i) => (t.next.costBasis[i] -= r.backstop.sizes[i] * (m.fundingIndex - r.backstop.entryFunding[i]))),
      ],
      ["backstop entry funding kept", (t, r) => (t.next.entryFunding = [...r.backstop.entryFunding])],
      ["backstop asset 0 + 1", (t) => bump(t.next, "collateral", 0, 1n)],
      ["backstop asset 1 - 1", (t) => bump(t.next, "collateral", 1, -1n)],
      ["backstop keeps its asset 1 (L's not added)", (t, r) => (t.next.collateral[1] = r.backstop.collateral[1])],
      ["residual keeps asset 1", (t, r) => (t.residual.collateral[1] = r.frozen.collateral[1])],
      ["residual keeps a position", (t, r) => (t.residual.sizes = [...r.frozen.sizes])],
      ["residual entry funding kept", (t, r) => (t.residual.entryFunding = [...r.frozen.entryFunding])],
      ["residual salt = Poseidon(salt, 3)", (t, r) => (t.residual.salt = poseidon([r.frozen.salt, 3n]))],
      ["residual salt = salt", (t, r) => (t.residual.salt = r.frozen.salt)],
      ["backstop salt = Poseidon(backSalt, 2)", (t, r) => (t.next.salt = poseidon([r.backstop.salt, 2n]))],
      ["backstop salt = backSalt", (t, r) => (t.next.salt = r.backstop.salt)],
      ["backstop salt = Poseidon(salt, 3) (the frozen account's)", (t, r) => (t.next.salt = poseidon([r.frozen.salt, 3n]))],
    ];

    for (const [label, r0] of branches()) {
      it(`${label}: the honest witness, and no witness for ${forgeries.length} forgeries`, async () => {
        const honest = ask(r0);
        const w = await witness(honest.inputs);
        expect(w?.slice(1, 9).map(String)).to.deep.equal(honest.publicSignals);
        const accepted: string[] = [];
        for (const [name, forge] of forgeries) {
          const r = structuredClone(r0);
          const t = takeoverTrace(r);
          forge(t, r);
          const signals = takeoverTraceSignals(r, t);
          if (signals.join() === honest.publicSignals.join()) continue; // not a forgery here (e.g. flat already)
          // the private inputs are the honest request's (penaltyBps lives in the public context)
          if ((await witness(takeoverTraceInputs(r0, signals))) !== null) accepted.push(name);
        }
        expect(accepted).to.deep.equal([]);
      });
    }

    it("a vault cover other than the contract's: the circuit binds it to the backstop's new balance only (the contract checks its value)", async () => {
      const [, r] = branches()[3];
      const t = takeoverTrace(r);
      expect(t.vaultCover).to.equal(350n);
      t.vaultCover -= 1n;
      t.next.collateral[0] += 1n; // the backstop pays one unit less, consistently
      // a consistent forgery of vaultCover has a witness: MarginAccounts.takeover refuses it
      // (vaultCover != badDebt - min(badDebt, insuranceFund)); docs/SPEC.md, caller obligations
      expect(await witness(takeoverTraceInputs(r, takeoverTraceSignals(r, t)))).to.not.equal(null);
      t.next.collateral[0] -= 1n;
      expect(await witness(takeoverTraceInputs(r, takeoverTraceSignals(r, t)))).to.equal(null);
    });
  });

  // The adversarial harness: circuits/takeover.circom with its two witness-only computations
  // (`value[j] <-- ...` and `pen <-- ...`) replaced by private inputs hintValue and hintPen. Every
  // other constraint is the shipped one, and every remaining `<--` is inside a gadget whose
  // value its constraints determine (bits, inverses), so: the harness has a witness for some
  // hints iff the shipped circuit has a witness with those hint values.
  describe("adversarial hints: v_j and pen are pinned", () => {
    let dir: string;
    let calc: Calc;
    before(async () => {
      mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
      dir = mkdtempSync(join(REPO_ROOT, "build", "takeover-hinted-"));
      let src = readFileSync(join(REPO_ROOT, "circuits", "takeover.circom"), "utf8");
      const swaps: Array<[RegExp, string]> = [
        [/include "margin\.circom";/, 'include "../../circuits/margin.circom";'],
        [/( +)signal input backSalt;\n/, "$1signal input backSalt;\n$1signal input hintValue[M];\n$1signal input hintPen;\n"],
        [/value\[j\] <-- [^;]+;/, "value[j] <== hintValue[j];"],
        [/pen <-- [^;]+;/, "pen <== hintPen;"],
      ];
      for (const [re, to] of swaps) {
        expect(re.test(src), `harness: ${re}`).to.equal(true);
        src = src.replace(re, to);
      }
      expect(src.match(/<--/g)?.length ?? 0, "no witness-only computation left in the harness").to.equal(0);
      src += `\ncomponent main {public [frozenCommitment, residualCommitment, backstopCommitment, backstopNewCommitment, paramsHash, context, flows, cover]} = Takeover(N_MARKETS(), M_ASSETS(), S_SCENARIOS());\n`;
      const file = join(dir, "hinted.circom");
      writeFileSync(file, src);
      const built = compileCircom(file, dir);
      calc = await WitnessCalculatorBuilder(readFileSync(built.wasm), { sanityCheck: true });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const inv = (x: bigint) => {
      let [a, b, u] = [toField(x), FIELD_MODULUS, 1n];
      let v = 0n;
      while (b) {
        const q = a / b;
        [a, b] = [b, a - q * b];
        [u, v] = [v, u - q * v];
      }
      return toField(u);
    };
    /** the harness with these hints; the public signals are the ones the forged trace implies */
    async function hinted(r: TakeoverRequest, values: bigint[], pen: bigint): Promise<boolean> {
      const t = takeoverTrace(r, { values, pen });
      const inputs = {
        ...takeoverTraceInputs(r, takeoverTraceSignals(r, t)),
        hintValue: values.map((x) => toField(x).toString()),
        hintPen: toField(pen).toString(),
      };
      return quietly(async () => {
        try {
          await calc.calculateWitness(inputs, true);
          return true;
        } catch {
          return false;
        }
      });
    }
    function forgeries(r: TakeoverRequest): Array<[string, bigint[], bigint]> {
      const h = takeoverTrace(r);
      const out: Array<[string, bigint[], bigint]> = [];
      for (let j = 1; j < M_ASSETS; j++) {
        const c = r.params.collateral[j];
        const X = r.frozen.collateral[j] * c.priceE18 * (10000n - c.haircutBps);
        const rem = X - h.values[j] * 10n ** 22n;
        for (const [label, v] of [
          ["v+1", h.values[j] + 1n],
          ["v-1", h.values[j] - 1n],
          ["v+2^64", h.values[j] + pow2(64)],
          ["v=2^133", pow2(133)],
          ["v+rem/1e22 mod r", toField(h.values[j] + rem * inv(10n ** 22n))],
          ["v-(1e22-rem)/1e22 mod r", toField(h.values[j] - (10n ** 22n - rem) * inv(10n ** 22n))],
        ] as Array<[string, bigint]>) {
          if (toField(v) === toField(h.values[j])) continue;
          const values = [...h.values];
          values[j] = v;
          out.push([`value[${j}] = ${label}`, values, h.pen]);
        }
      }
      const G = r.frozen.sizes.reduce((acc, s, i) => acc + (s < 0n ? -s : s) * r.params.markets[i].markPrice, 0n);
      const base = r.penaltyBps * G;
      for (const [label, pen] of [
        ["pen+1", h.pen + 1n],
        ["pen-1", h.pen - 1n],
        ["pen=0", 0n],
        ["pen=2^96", pow2(96)],
        ["pen+r/10000 mod r", toField(h.pen + inv(10000n))],
        ["pen floor", base / 10000n],
      ] as Array<[string, bigint]>) {
        if (toField(pen) === toField(h.pen)) continue;
        out.push([`pen = ${label}`, h.values, pen]);
      }
      return out;
    }

    const cases = (): Array<[string, TakeoverRequest]> => {
      const out = branches();
      const p = baseParams();
      p.collateral[1] = { priceE18: E18, haircutBps: 3334n }; // 3 units worth 1.9998: 1
      p.collateral[2] = { priceE18: 10n ** 22n - 1n, haircutBps: 0n }; // 1 unit worth 9999.99..: 9999
      p.collateral[3] = { priceE18: 2n * E18, haircutBps: 5000n }; // exact
      const L = frozenAt(1, 3n, 1000n, 0n);
      L.costBasis[1] += 1n; // a loss of 1
      L.collateral = [0n, 3n, 1n, 7n];
      out.push(["every asset floored, pen = ceil(0.3)", request(p, L, richBackstop(), 1n)]);
      return out;
    };

    for (const [label, r] of cases()) {
      it(`${label}: the honest hints give a witness, no forged v_j or pen does`, async () => {
        const h = takeoverTrace(r);
        expect(h.values.slice(1)).to.deep.equal(
          r.frozen.collateral
            .slice(1)
            .map((a, k) => collateralValue(a, r.params.collateral[k + 1].priceE18, r.params.collateral[k + 1].haircutBps)),
        );
        expect(await hinted(r, h.values, h.pen), "honest hints").to.equal(true);
        const accepted: string[] = [];
        for (const [name, values, pen] of forgeries(r)) if (await hinted(r, values, pen)) accepted.push(name);
        expect(accepted).to.deep.equal([]);
      });
    }
  });

  describe("published vectors (test/vectors/takeover)", () => {
    const vectors = loadTakeoverVectors(DIR);

    it("cover at least 120 cases: every branch's boundary, refusals, extremes, malformed input, random cases", () => {
      expect(vectors.length).to.be.at.least(120);
      const tags = new Set(vectors.flatMap((v) => v.tags));
      for (const t of [
        "pnl",
        "profit",
        "loss",
        "zero-pnl",
        "cash",
        "penalty",
        "bad-debt",
        "waterfall",
        "balance",
        "backstop-margin",
        "backstop-cash",
        "conversion",
        "rounding",
        "funding",
        "flags",
        "extreme",
        "range",
        "threshold",
        "refused",
        "invalid",
        "random",
      ])
        expect(tags.has(t), t).to.equal(true);
      for (const code of [0, 1, 2])
        expect(
          vectors.some((v) => v.expected.exitCode === code),
          `exit ${code}`,
        ).to.equal(true);
      const reasons = new Set(vectors.flatMap((v) => v.expected.refusal));
      for (const r of ["MARGIN", "STRESS", "POSITION_CAP", "LEVERAGE", "CASH", "BALANCE", "RANGE"])
        expect(reasons.has(r), r).to.equal(true);
      const amounts = vectors.flatMap((v) => (v.expected.amounts ? [v.expected.amounts] : []));
      expect(amounts.some((a) => a.residualFlat) && amounts.some((a) => !a.residualFlat)).to.equal(true);
      expect(amounts.some((a) => a.backstopFlat) && amounts.some((a) => !a.backstopFlat)).to.equal(true);
      expect(amounts.some((a) => a.penalty === a.penaltyDue && a.penalty !== "0")).to.equal(true);
      expect(amounts.some((a) => BigInt(a.penalty) < BigInt(a.penaltyDue))).to.equal(true);
      expect(amounts.some((a) => a.badDebt !== "0" && a.vaultCover === "0")).to.equal(true);
      expect(amounts.some((a) => a.vaultCover !== "0" && a.insuranceCover !== "0")).to.equal(true);
      expect(amounts.some((a) => a.badDebt !== "0" && a.insuranceCover === "0")).to.equal(true);
      expect(vectors.filter((v) => v.tags.includes("random") && v.expected.exitCode === 0).length).to.be.at.least(10);
    });

    it("every vector validates against test/vectors/takeover.schema.json", () => {
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, "test", "vectors", "takeover.schema.json"), "utf8"));
      const validate = new Ajv2020({ allErrors: true }).compile(schema);
      const bad = vectors.filter((v) => !validate(v as unknown)).map((v) => `${v.name}: ${JSON.stringify(validate.errors)}`);
      expect(bad).to.deep.equal([]);
    });

    it("every vector replays: the reference, and the circuit (a witness with the expected signals, none when refused)", async () => {
      const p = await witnessProver();
      const failures: string[] = [];
      for (const v of vectors) {
        const r = await replayTakeoverVector(v, p);
        if (!r.ok) failures.push(`${r.name}: ${r.problems.join("; ")}`);
      }
      expect(failures).to.deep.equal([]);
    });

    it("a tampered vector fails the replay", async () => {
      const p = await witnessProver();
      const proven = vectors.find((v) => v.expected.exitCode === 0 && v.expected.amounts?.penalty !== "0")!;
      const forged = structuredClone(proven);
      forged.expected.amounts!.penalty = String(BigInt(forged.expected.amounts!.penalty) - 1n);
      expect((await replayTakeoverVector(forged, p)).problems).to.deep.equal([
        `amounts differs: got ${JSON.stringify(proven.expected.amounts)}`,
      ]);
      const refused = vectors.find((v) => v.expected.exitCode === 2)!;
      const claims = structuredClone(refused);
      claims.expected.exitCode = 0;
      expect((await replayTakeoverVector(claims, p)).problems[0]).to.match(/^exitCode differs/);
      const req = parseTakeoverRequest(proven);
      expect(prepareTakeoverVector(proven).prepared?.publicSignals).to.deep.equal(takeoverTraceSignals(req, takeoverTrace(req)));
    });

    withArtifacts(`zkmargin vectors replay (needs artifacts/takeover)${SKIPPED}`, () => {
      it("exits 0 on a copy of every 10th vector (the test above replays them all), 1 on a tampered one", () => {
        const dir = mkdtempSync(join(REPO_ROOT, "build", "takeover-vectors-"));
        try {
          const sample = vectors.filter((_, i) => i % 10 === 0);
          for (const v of sample) writeFileSync(join(dir, `${v.name}.json`), JSON.stringify(v));
          const replay = () =>
            spawnSync(process.execPath, [join(REPO_ROOT, "client/zkmargin.js"), "vectors", "replay", dir], { encoding: "utf8" });
          const r = replay();
          expect(r.status, r.stderr + r.stdout.slice(-500)).to.equal(0);
          expect(r.stdout).to.contain(`${sample.length} passed, 0 failed`);
          const refused = vectors.find((v) => v.expected.exitCode === 2)!;
          const forged = structuredClone(refused);
          forged.expected.exitCode = 0;
          writeFileSync(join(dir, `${refused.name}.json`), JSON.stringify(forged));
          const bad = replay();
          expect(bad.status).to.equal(1);
          expect(bad.stdout).to.match(new RegExp(`FAIL ${refused.name}: exitCode differs`));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });

  it("range-check table (from the code and the @audit tags): no MISSING row; the epoch's caller obligations tagged as in MarginProof", async () => {
    const { r1cs, sym } = await shipped();
    const syms = readSym(sym);
    const table = rangeCheckTable(
      ["margin.circom", "takeover.circom"].map((f) => join(REPO_ROOT, "circuits", f)),
      syms,
      privateInputNames(readR1cs(r1cs), syms),
      "Takeover",
    );
    expect(table.rows.filter((r) => r.status === "MISSING").map((r) => r.signal)).to.deep.equal([]);
    expect(table.noteSignals).to.deep.equal([
      "depth",
      "positionCap",
      "maintenanceRateBps",
      "initialRateBps",
      "impactBps",
      "haircutBps",
      "shocks",
    ]);
    const status = Object.fromEntries(table.rows.filter((r) => r.kind === "private input").map((r) => [r.signal, r.status]));
    for (const x of [
      "fundingIndex",
      "sizes",
      "costBasis",
      "entryFunding",
      "collateral",
      "backSizes",
      "backCostBasis",
      "backEntryFunding",
      "backCollateral",
    ])
      expect(status[x], x).to.equal("bounded");
    // the two witness-only values are bounded by checks of their own
    const hints = table.rows.filter((r) => r.kind === "witness-only (<--)" && r.direct.some((d) => d.startsWith("Takeover.")));
    expect(hints.map((r) => [r.signal, r.status])).to.deep.equal([
      ["value", "bounded"],
      ["pen", "bounded"],
    ]);
  });

  withArtifacts(`audit: every signal mutated, range table complete (needs artifacts/takeover)${SKIPPED}`, () => {
    it("0 accepted mutations, every private input re-derived, no finding (a sample: `zkmargin audit --circuit takeover` mutates every proven vector)", async () => {
      const all = loadTakeoverVectors(DIR).filter((v) => v.expected.exitCode === 0);
      const families = ["profit", "loss", "penalty", "bad-debt", "conversion", "funding", "flat", "extreme"];
      const sample = [...new Set(families.map((f) => all.find((v) => v.tags.includes(f))!))];
      const report = await audit("takeover", { prover: await prover(), cases: takeoverCases(sample) });
      expect(report.findings).to.deep.equal([]);
      expect(report.mutation.vectors).to.equal(sample.length);
      expect(report.mutation.mutationsAccepted).to.equal(0);
      expect(report.mutation.inputsWithoutEffect).to.deep.equal([]);
      expect(report.publicInputs).to.have.length(32);
      expect(report.publicInputs.every((x) => x.offChain === "rejected")).to.equal(true);
      expect(report.constraints.publicSignals).to.deep.equal(
        [
          "frozenCommitment",
          "residualCommitment",
          "backstopCommitment",
          "backstopNewCommitment",
          "paramsHash",
          "context",
          "flows",
          "cover",
        ].map((s) => `main.${s}`),
      );
      const rows = report.rangeChecks.rows;
      expect(rows.filter((r) => r.status === "MISSING")).to.deep.equal([]);
    });
  });

  withArtifacts(`proving artifacts (takeover)${SKIPPED}`, () => {
    const manifest = () => JSON.parse(readFileSync(join(ARTIFACTS_DIR, "manifest.json"), "utf8"));

    it("every shipped file has the sha256 recorded in artifacts/manifest.json; the powers of tau fit the constraints", () => {
      const entry = manifest().circuits.takeover;
      for (const key of ["r1cs", "wasm", "sym", "zkey", "vkey", "verifier"])
        expect(sha256File(join(REPO_ROOT, entry[key].path)), key).to.equal(entry[key].sha256);
      expect(entry.verifier.path).to.equal("verifier-contracts/generated/TakeoverVerifier.sol");
      expect(entry.constraints + 9).to.be.at.most(2 ** entry.ptau.power); // constraints + public signals + 1
      expect(manifest().sources.files["circuits/takeover.circom"]).to.equal(circuitSourcesHash().files["circuits/takeover.circom"]);
    });

    it("recompiling the sources reproduces the shipped r1cs byte for byte", () => {
      const out = mkdtempSync(join(REPO_ROOT, "build", "recompile-takeover-"));
      try {
        const built = compileCircom(join(REPO_ROOT, "circuits", "main", "takeover.circom"), out);
        expect(sha256File(built.r1cs)).to.equal(manifest().circuits.takeover.r1cs.sha256);
        const r1cs = readR1cs(built.r1cs);
        expect([r1cs.nOutputs, r1cs.nPubInputs]).to.deep.equal([0, 8]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it("phase 2 had a contribution; the vkey is the zkey's; the standard snarkjs verifier embeds it with uint[8] public signals", async () => {
      const vk = JSON.parse(readFileSync(A.vkey, "utf8"));
      expect(vk.vk_delta_2).to.not.deep.equal(vk.vk_gamma_2);
      expect(vk.nPublic).to.equal(8);
      expect(JSON.parse(JSON.stringify(await snarkjs.zKey.exportVerificationKey(A.zkey)))).to.deep.equal(vk);
      const sol = readFileSync(A.verifier, "utf8");
      for (const x of [...vk.vk_alpha_1.slice(0, 2), ...vk.vk_delta_2.slice(0, 2).flat(), ...vk.IC.flatMap((p: string[]) => p.slice(0, 2))])
        expect(sol).to.contain(x);
      expect(sol).to.match(/contract Groth16Verifier \{/);
      expect(sol).to.contain(
        "function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[8] calldata _pubSignals)",
      );
    });

    it("the honest witness of a proven vector satisfies the shipped r1cs; a real proof verifies and is bound to each public signal", async () => {
      const v = loadTakeoverVectors(DIR).find((x) => x.expected.exitCode === 0 && x.expected.amounts?.badDebt !== "0")!;
      const [c] = takeoverCases([v]);
      const tp = await prover();
      const w = await tp.rawWitness(c.inputs);
      expect(firstFailingConstraint(readR1cs(A.r1cs), w)).to.equal(-1);
      const r = parseTakeoverRequest(v);
      const { proof, result } = await tp.prove(r.params, r.frozen, r.backstop, r.binding, r.penaltyBps, r.insuranceFund);
      expect(proof.publicSignals).to.deep.equal(v.expected.publicSignals);
      expect(result.badDebt.toString()).to.equal(v.expected.amounts!.badDebt);
      expect(await tp.verify(proof)).to.equal(true);
      expect((await tp.solidityCalldata(proof)).publicSignals).to.have.length(8);
      for (let k = 0; k < 8; k++) {
        const t = structuredClone(proof);
        t.publicSignals[k] = toField(BigInt(t.publicSignals[k]) + 1n).toString();
        expect(await tp.verify(t), `public signal ${k} changed`).to.equal(false);
      }
      // a refused takeover is refused before any circuit run
      const refused = loadTakeoverVectors(DIR).find((x) => x.expected.exitCode === 2)!;
      const rr = parseTakeoverRequest(refused);
      let error: unknown;
      try {
        await tp.prove(rr.params, rr.frozen, rr.backstop, rr.binding, rr.penaltyBps, rr.insuranceFund);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(BackstopRefused);
    });
  });
});
