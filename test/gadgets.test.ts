// Gadget-level circuit tests (in the spirit of Semaphore v4's typed witness tests): every small
// template and function of circuits/lib/ and the packing/hash templates of circuits/margin.circom,
// compiled alone (test/circuits/gadgets/) and driven at its edges. Accepted inputs must give the
// expected outputs (the TypeScript twin where there is one) with a witness that satisfies the
// R1CS; rejected inputs must make witness generation fail on a constraint and the R1CS reject
// the candidate witnesses; and every accepted witness must be unique: changing any non-input
// wire by +1 or -1 must be rejected by the R1CS.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { WitnessCalculatorBuilder } from "circom_runtime";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { M_ASSETS, N_MARKETS, S_SCENARIOS } from "../prover/constants.ts";
import { commitment, packWords, paramsHash, priceValues, riskValues, type PackedValue } from "../prover/encoding.ts";
import { FIELD_MODULUS as R, pow2, toField } from "../prover/field.ts";
import { chainHash } from "../prover/hash.ts";
import { paramsInputs, portfolioInputs, type CircuitInputs } from "../prover/inputs.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import * as W from "../prover/widths.ts";
import { acceptsMutation, firstFailingConstraint, readR1cs, readSym, type R1cs } from "../tools/r1cs.ts";
import { baseParams } from "../tools/fixtures.ts";
import { compileCircom } from "../scripts/lib.ts";

const GADGETS = join(REPO_ROOT, "test", "circuits", "gadgets");
const HALF = (R - 1n) / 2n; // (r - 1) / 2: the largest "positive" field element

type Signal = bigint | Signal[];
type Inputs = Record<string, Signal | string | CircuitInputs[string]>;

const f = (x: bigint): string => toField(x).toString();
const randomField = (): bigint => BigInt(`0x${randomBytes(32).toString("hex")}`) % R;
/** uniform in [0, 2^bits) */
const randomBits = (bits: number): bigint => BigInt(`0x${randomBytes(32).toString("hex")}`) % pow2(bits);
/** uniform in (-2^bits, 2^bits) */
const randomSigned = (bits: number): bigint => (randomBytes(1)[0] & 1 ? -randomBits(bits) : randomBits(bits));
const bitsOf = (x: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => (x >> BigInt(i)) & 1n);
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b %= R;
  for (; e > 0n; e >>= 1n, b = (b * b) % R) if (e & 1n) r = (r * b) % R;
  return r;
}
const inverse = (x: bigint): bigint => modPow(toField(x), R - 2n);

function encode(x: unknown): unknown {
  if (typeof x === "bigint") return f(x);
  if (Array.isArray(x)) return x.map(encode);
  if (typeof x === "object" && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, encode(v)]));
  return x;
}

interface WitnessCalculator {
  calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
}

/** The circom witness calculator prints failed assertions; keep them in the thrown error instead. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  console.error = console.log;
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${(e as Error).message} ${lines.join("; ")}`.trim());
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** One compiled gadget circuit: its R1CS, wire names and witness calculator. */
class Gadget {
  readonly name: string;
  readonly r1cs: R1cs;
  private readonly wires = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private readonly calculator: WitnessCalculator;

  private constructor(name: string, r1cs: R1cs, sym: string, calculator: WitnessCalculator) {
    this.name = name;
    this.r1cs = r1cs;
    this.calculator = calculator;
    for (const s of readSym(sym)) {
      if (s.wire < 0) continue;
      this.wires.set(s.name, s.wire);
      if (!this.names.has(s.wire)) this.names.set(s.wire, s.name);
    }
    // every input is public (test/circuits/gadgets/*.circom), so no input was substituted away
    expect(r1cs.nPrvInputs, `${name}: private inputs`).to.equal(0);
  }

  static async compile(name: string, work: string): Promise<Gadget> {
    const out = compileCircom(join(GADGETS, `${name}.circom`), work);
    const calculator = (await WitnessCalculatorBuilder(readFileSync(out.wasm), { sanityCheck: true })) as WitnessCalculator;
    return new Gadget(name, readR1cs(out.r1cs), out.sym, calculator);
  }

  /** Witness (wire values) of the inputs; throws when a constraint of the circuit fails. */
  witness(inputs: Inputs): Promise<bigint[]> {
    return quietly(() => this.calculator.calculateWitness(encode(inputs), true));
  }

  /** Witness of accepted inputs, checked against every constraint of the R1CS. */
  async accept(inputs: Inputs): Promise<bigint[]> {
    const w = await this.witness(inputs);
    expect(firstFailingConstraint(this.r1cs, w), `${this.name}: R1CS rejects the computed witness`).to.equal(-1);
    return w;
  }

  /**
   * Rejected inputs: witness generation fails on a constraint (not on malformed input), and the
   * R1CS rejects every candidate witness given.
   */
  async reject(inputs: Inputs, candidates: bigint[][] = []): Promise<void> {
    let error: Error | undefined;
    try {
      await this.witness(inputs);
    } catch (e) {
      error = e as Error;
    }
    expect(error, `${this.name}: witness generation succeeded for ${JSON.stringify(encode(inputs))}`).to.be.instanceOf(Error);
    expect(error!.message).to.match(/Assert Failed/);
    for (const c of candidates) expect(firstFailingConstraint(this.r1cs, c), `${this.name}: R1CS accepts a candidate`).to.not.equal(-1);
  }

  wire(name: string): number {
    const wire = this.wires.get(`main.${name}`);
    if (wire === undefined) throw new Error(`${this.name}: no wire main.${name}`);
    return wire;
  }

  get(w: readonly bigint[], name: string): bigint {
    return w[this.wire(name)];
  }

  /** A copy of w with the named wires set (field-reduced). */
  with(w: readonly bigint[], values: Record<string, bigint>): bigint[] {
    const c = [...w];
    for (const [name, v] of Object.entries(values)) c[this.wire(name)] = toField(v);
    return c;
  }

  /** Wires of the (public) inputs: right after the outputs. */
  isInput(wire: number): boolean {
    return wire > this.r1cs.nOutputs && wire <= this.r1cs.nOutputs + this.r1cs.nPubInputs;
  }

  /** Every non-input wire changed by +1 and by -1 must be rejected by the R1CS. */
  expectUnique(w: bigint[]): void {
    const accepted: string[] = [];
    let tried = 0;
    for (let wire = 1; wire < this.r1cs.nWires; wire++) {
      if (this.isInput(wire)) continue;
      for (const d of [1n, -1n]) {
        tried++;
        if (acceptsMutation(this.r1cs, w, wire, w[wire] + d))
          accepted.push(`${this.names.get(wire) ?? `wire ${wire}`} ${d > 0n ? "+1" : "-1"}`);
      }
    }
    expect(tried, `${this.name}: no non-input wire to edit`).to.be.greaterThan(0);
    expect(tried).to.equal(2 * (this.r1cs.nWires - 1 - this.r1cs.nPubInputs));
    expect(accepted, `${this.name}: accepted edits`).to.deep.equal([]);
  }
}

describe("circuit gadgets (circuits/lib, packing and hashing)", function () {
  this.timeout(300_000);
  mkdirSync(join(REPO_ROOT, "build"), { recursive: true });
  const work = mkdtempSync(join(REPO_ROOT, "build", "gadgets-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  // ---------------------------------------------------------------------------- SignedRange
  for (const k of [8, 40]) {
    describe(`SignedRange(${k}): -2^${k} < in < 2^${k}`, () => {
      let g: Gadget;
      before(async () => {
        g = await Gadget.compile(`signed_range_${k}`, work);
      });
      const bound = pow2(k);

      /**
       * The only witnesses a rejected x could have: the bits are forced to those of
       * u = x + 2^k mod r when u < 2^(k+1) (k + 1 < 254 bits decompose uniquely), and uInv to
       * 1/u; when u does not fit, the low bits are the natural try. uInv is also tried at 0, 1.
       */
      const candidates = (base: bigint[], x: bigint): bigint[][] => {
        const u = toField(x + bound);
        const bits = bitsOf(u, k + 1);
        const named: Record<string, bigint> = { in: x, nonNeg: bits[k] };
        bits.forEach((b, i) => (named[`bits[${i}]`] = b));
        return [inverse(u), 0n, 1n].map((uInv) => g.with(base, { ...named, uInv }));
      };

      it(`accepts -2^${k}+1, -1, 0, 1, 2^${k}-1 (and random values) with the bits of in + 2^${k} and nonNeg`, async () => {
        for (const x of [-bound + 1n, -1n, 0n, 1n, bound - 1n, -bound + 2n, bound - 2n, randomSigned(k), randomSigned(k)]) {
          const w = await g.accept({ in: x });
          expect(g.get(w, "nonNeg"), `nonNeg(${x})`).to.equal(x >= 0n ? 1n : 0n);
          const bits = Array.from({ length: k + 1 }, (_, i) => g.get(w, `bits[${i}]`));
          expect(bits, `bits(${x})`).to.deep.equal(bitsOf(x + bound, k + 1));
          g.expectUnique(w);
        }
      });

      it(`rejects -2^${k}, 2^${k}, their neighbours outside the range and field elements near r/2`, async () => {
        const base = await g.accept({ in: 0n });
        const rejected = [
          -bound,
          bound,
          bound + 1n,
          -bound - 1n,
          2n * bound,
          -2n * bound,
          HALF - 1n,
          HALF,
          HALF + 1n,
          HALF + 2n,
          HALF - bound,
        ];
        for (const x of rejected) await g.reject({ in: x }, candidates(base, x));
        // the same candidate construction is accepted at an accepted value (the check can fail)
        expect(firstFailingConstraint(g.r1cs, candidates(base, -bound + 1n)[0])).to.equal(-1);
      });

      it("at in = -2^k (u = 0) no value of the inverse helper satisfies the R1CS", async () => {
        const base = await g.accept({ in: 0n });
        const zeroBits: Record<string, bigint> = { in: -bound, nonNeg: 0n };
        for (let i = 0; i <= k; i++) zeroBits[`bits[${i}]`] = 0n;
        for (const uInv of [0n, 1n, R - 1n, randomField()]) {
          expect(firstFailingConstraint(g.r1cs, g.with(base, { ...zeroBits, uInv }))).to.not.equal(-1);
        }
      });
    });
  }

  // ---------------------------------------------------------------------------- IsNonZeroStrict
  describe("IsNonZeroStrict: out = 1 iff in != 0, unique witness", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("is_non_zero_strict", work);
    });

    it("out at 0, 1, r-1 (and 2, (r-1)/2, random); the helper inverse is pinned to 0 at in = 0", async () => {
      for (const x of [0n, 1n, R - 1n, 2n, HALF, randomField()]) {
        const w = await g.accept({ in: x });
        expect(g.get(w, "out"), `out(${x})`).to.equal(x === 0n ? 0n : 1n);
        expect(g.get(w, "inv"), `inv(${x})`).to.equal(x === 0n ? 0n : inverse(x));
        g.expectUnique(w);
      }
    });

    it("the wrong output has no witness: out = 1 at in = 0 and out = 0 at in != 0 fail for any inverse", async () => {
      const w0 = await g.accept({ in: 0n });
      const w1 = await g.accept({ in: 1n });
      for (const inv of [0n, 1n, R - 1n, randomField()]) {
        expect(firstFailingConstraint(g.r1cs, g.with(w0, { out: 1n, inv }))).to.not.equal(-1);
        for (const x of [1n, R - 1n]) expect(firstFailingConstraint(g.r1cs, g.with(w1, { in: x, out: 0n, inv }))).to.not.equal(-1);
      }
    });
  });

  // ---------------------------------------------------------------------------- IsEqualStrict
  describe("IsEqualStrict: out = 1 iff a == b, unique witness", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("is_equal_strict", work);
    });

    it("every pair of 0, 1, r-1 (and a random element)", async () => {
      const r = randomField();
      const xs = [0n, 1n, R - 1n, r];
      for (const a of xs) {
        for (const b of xs) {
          const w = await g.accept({ a, b });
          expect(g.get(w, "out"), `out(${a}, ${b})`).to.equal(a === b ? 1n : 0n);
          g.expectUnique(w);
        }
      }
      // claiming equality of 0 and 1 (or inequality of 1 and 1) fails for any helper inverse
      const w01 = await g.accept({ a: 0n, b: 1n });
      const w11 = await g.accept({ a: 1n, b: 1n });
      for (const inv of [0n, 1n, R - 1n, randomField()]) {
        expect(firstFailingConstraint(g.r1cs, g.with(w01, { out: 1n, "nz.inv": inv }))).to.not.equal(-1);
        expect(firstFailingConstraint(g.r1cs, g.with(w11, { out: 0n, "nz.inv": inv }))).to.not.equal(-1);
      }
    });
  });

  // ---------------------------------------------------------------------------- NonZero
  describe("NonZero: a witness exists iff in != 0", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("non_zero", work);
    });

    it("accepts 1, 2, r-1, (r-1)/2 and a random element, with inv = 1/in", async () => {
      for (const x of [1n, 2n, R - 1n, HALF, randomField() || 1n]) {
        const w = await g.accept({ in: x });
        expect(g.get(w, "inv")).to.equal(inverse(x));
        g.expectUnique(w);
      }
    });

    it("rejects 0: witness generation fails and no inverse satisfies the R1CS", async () => {
      const base = await g.accept({ in: 1n });
      await g.reject(
        { in: 0n },
        [0n, 1n, R - 1n, randomField()].map((inv) => g.with(base, { in: 0n, inv })),
      );
    });
  });

  // ---------------------------------------------------------------------------- CapFromBits
  for (const [file, n, t] of [
    ["cap_from_bits_small", 10, 6],
    ["cap_from_bits_stress", W.equityBits(M_ASSETS), W.stressCapBits(N_MARKETS)],
  ] as const) {
    describe(`CapFromBits(${n}, ${t}) (${file})`, () => {
      let g: Gadget;
      before(async () => {
        g = await Gadget.compile(file, work);
      });
      const cap = pow2(t);
      const expected = (v: bigint): bigint => (v < cap ? v : (v % cap) + cap);

      it(`below, at and above 2^${t}: out = v when v < 2^${t}, else (v mod 2^${t}) + 2^${t}`, async () => {
        const values = [
          0n,
          1n,
          cap - 1n,
          cap,
          cap + 1n,
          2n * cap - 1n,
          2n * cap,
          pow2(n - 1),
          pow2(n) - 1n,
          randomBits(t),
          cap + randomBits(n - t - 1),
        ];
        for (const v of values) {
          const w = await g.accept({ bits: bitsOf(v, n) });
          const out = g.get(w, "out");
          expect(out, `cap(${v})`).to.equal(expected(v));
          // the properties MarginCheck relies on
          expect(out <= v).to.equal(true);
          if (v < cap) expect(out).to.equal(v);
          else expect(out >= cap && out < 2n * cap).to.equal(true);
          g.expectUnique(w);
        }
      });

      if (file === "cap_from_bits_small") {
        it("the bits are the caller's: CapFromBits itself does not constrain them to be bits", async () => {
          // bits[0] = 2 is accepted (MarginCheck feeds Num2Bits outputs, which are bits)
          const w = await g.accept({ bits: [2n, ...bitsOf(0n, n - 1)] });
          expect(g.get(w, "out")).to.equal(2n);
        });
      }
    });
  }

  // ---------------------------------------------------------------------------- ChainHash
  describe("ChainHash(n) = prover/hash.ts chainHash, n = 1, 16, 17, 31, 32", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("chain_hash", work);
    });
    const NS = [1, 16, 17, 31, 32] as const;
    const inputsOf = (make: (n: number, i: number) => bigint): Record<string, bigint[]> =>
      Object.fromEntries(NS.map((n) => [`in${n}`, Array.from({ length: n }, (_, i) => make(n, i))]));

    const check = async (inputs: Record<string, bigint[]>): Promise<bigint[]> => {
      const w = await g.accept(inputs);
      for (const n of NS) expect(g.get(w, `out${n}`), `ChainHash(${n})`).to.equal(chainHash(inputs[`in${n}`]));
      return w;
    };

    it("random inputs with r-1 at the first, a middle and the last position", async () => {
      const w = await check(inputsOf((n, i) => (i === 0 || i === n - 1 || i === 15 ? R - 1n : randomField())));
      g.expectUnique(w);
    });

    it("all r-1, all 0, and fully random inputs", async () => {
      await check(inputsOf(() => R - 1n));
      await check(inputsOf(() => 0n));
      await check(inputsOf(() => randomField()));
    });

    it("the chain is order-sensitive across links: swapping x[15] and x[16] changes ChainHash(17)", async () => {
      const inputs = inputsOf((_, i) => BigInt(i + 1));
      const w1 = await check(inputs);
      const swapped = structuredClone(inputs);
      [swapped.in17[15], swapped.in17[16]] = [swapped.in17[16], swapped.in17[15]];
      const w2 = await check(swapped);
      expect(g.get(w1, "out17")).to.not.equal(g.get(w2, "out17"));
    });
  });

  // ---------------------------------------------------------------------------- packing layout
  describe("packLayout / packWidth / packCount / packWords (circuits/lib/pack.circom) = prover/encoding.ts", () => {
    let g: Gadget;
    let w: bigint[];
    before(async () => {
      g = await Gadget.compile("pack_layout", work);
      w = await g.accept({});
    });

    /** TypeScript layout of a value list, read off encoding.ts packWords with one-hot values. */
    const tsLayout = (values: PackedValue[]): { words: number; word: number[]; shift: number[] } => {
      const widths = values.map((v) => v.width);
      const word: number[] = [];
      const shift: number[] = [];
      for (let i = 0; i < widths.length; i++) {
        const words = packWords(widths.map((width, j) => ({ value: j === i ? 1n : 0n, width })));
        const at = words.findIndex((x) => x !== 0n);
        word.push(at);
        shift.push(words[at].toString(2).length - 1);
      }
      return { words: packWords(values).length, word, shift };
    };

    const p: Params = baseParams();
    for (const [kind, values] of [
      ["price", priceValues(p)],
      ["risk", riskValues(p)],
    ] as const) {
      it(`${kind} list at the default dims (N=${N_MARKETS}, M=${M_ASSETS}, S=${S_SCENARIOS}): count, widths, word count, word and shift of every value`, () => {
        expect([p.markets.length, p.collateral.length, p.scenarios.length]).to.deep.equal([N_MARKETS, M_ASSETS, S_SCENARIOS]);
        const ts = tsLayout(values);
        const n = Number(g.get(w, `${kind}Count`));
        expect(n).to.equal(values.length);
        expect(Number(g.get(w, `${kind}Words`))).to.equal(ts.words);
        const circuit = { width: [] as number[], word: [] as number[], shift: [] as number[] };
        for (let i = 0; i < n; i++) {
          circuit.width.push(Number(g.get(w, `${kind}Width[${i}]`)));
          circuit.word.push(Number(g.get(w, `${kind}Word[${i}]`)));
          circuit.shift.push(Number(g.get(w, `${kind}Shift[${i}]`)));
        }
        expect(circuit.width).to.deep.equal(values.map((v) => v.width));
        expect(circuit.word).to.deep.equal(ts.word);
        expect(circuit.shift).to.deep.equal(ts.shift);
        // every value fits its word; values are never split
        for (let i = 0; i < n; i++) expect(circuit.shift[i] + circuit.width[i]).to.be.at.most(W.WORD_BITS);
      });

      it(`${kind} list: the circuit's layout packs random and maximal values into encoding.ts's words`, () => {
        const n = Number(g.get(w, `${kind}Count`));
        const words = Number(g.get(w, `${kind}Words`));
        for (const pick of [(b: number) => randomBits(b), (b: number) => pow2(b) - 1n]) {
          const vals = values.map((v) => ({ value: pick(v.width), width: v.width }));
          const packed = Array<bigint>(words).fill(0n);
          for (let i = 0; i < n; i++) {
            packed[Number(g.get(w, `${kind}Word[${i}]`))] += vals[i].value << g.get(w, `${kind}Shift[${i}]`);
          }
          expect(packed).to.deep.equal(packWords(vals));
          for (const x of packed) expect(x < pow2(W.WORD_BITS)).to.equal(true);
        }
      });
    }

    it("the layout outputs are pinned (uniqueness)", () => g.expectUnique(w));
  });

  // ---------------------------------------------------------------------------- widths
  describe("derived widths (circuits/lib/widths.circom) = prover/widths.ts", () => {
    let g: Gadget;
    let w: bigint[];
    before(async () => {
      g = await Gadget.compile("widths", work);
      w = await g.accept({});
    });

    it("every derived width at the default dims", () => {
      const circuit = (name: string) => Number(g.get(w, name));
      expect({
        NOTIONAL_BITS: circuit("notionalBits"),
        VALUE_BITS: circuit("valueBits"),
        REM_BITS: circuit("remBits"),
        SLACK_BITS: circuit("slackBits"),
        VALUE_SUM_BITS: circuit("valueSumBits"),
        EQUITY_BITS: circuit("equityBits"),
        STRESS_CAP_BITS: circuit("stressCapBits"),
        STRESS_BITS: circuit("stressBits"),
        LEV_CAP_BITS: circuit("levCapBits"),
        LEV_CHECK_BITS: circuit("levCheckBits"),
      }).to.deep.equal({
        NOTIONAL_BITS: W.NOTIONAL_BITS,
        VALUE_BITS: W.VALUE_BITS,
        REM_BITS: W.REM_BITS,
        SLACK_BITS: W.SLACK_BITS,
        VALUE_SUM_BITS: W.valueSumBits(M_ASSETS),
        EQUITY_BITS: W.equityBits(M_ASSETS),
        STRESS_CAP_BITS: W.stressCapBits(N_MARKETS),
        STRESS_BITS: W.stressBits(N_MARKETS),
        LEV_CAP_BITS: W.levCapBits(N_MARKETS),
        LEV_CHECK_BITS: W.levCheckBits(N_MARKETS),
      });
    });

    it("the dimension-dependent widths and ceilLog2 at d = 1..33 (every power-of-two edge)", () => {
      const D = 33;
      const rows: Array<[string, (d: number) => number]> = [
        ["ceilLog2Of", W.ceilLog2],
        ["valueSumBitsOf", W.valueSumBits],
        ["equityBitsOf", W.equityBits],
        ["stressCapBitsOf", W.stressCapBits],
        ["stressBitsOf", W.stressBits],
        ["levCapBitsOf", W.levCapBits],
        ["levCheckBitsOf", W.levCheckBits],
      ];
      for (const [name, ts] of rows) {
        const circuit = Array.from({ length: D }, (_, i) => Number(g.get(w, `${name}[${i}]`)));
        expect(circuit, name).to.deep.equal(Array.from({ length: D }, (_, i) => ts(i + 1)));
      }
    });

    it("the width outputs are pinned (uniqueness)", () => g.expectUnique(w));
  });

  // ---------------------------------------------------------------------------- PortfolioRange
  describe("PortfolioRange(2, 2): |s| < 2^40, |c| < 2^100, |f| < 2^63, 0 <= a < 2^96", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("portfolio_range", work);
    });
    const S = pow2(W.SIZE_BITS);
    const C = pow2(W.COST_BITS);
    const F = pow2(W.FUND_BITS);
    const A = pow2(W.AMOUNT_BITS);
    const max = { sizes: [S - 1n, -(S - 1n)], costBasis: [C - 1n, -(C - 1n)], entryFunding: [F - 1n, -(F - 1n)], collateral: [0n, A - 1n] };

    it("accepts the extremes and zero, with sizeNonNeg = (s >= 0)", async () => {
      for (const q of [max, { sizes: [0n, -1n], costBasis: [0n, -1n], entryFunding: [-1n, 0n], collateral: [A - 1n, 0n] }]) {
        const w = await g.accept(q);
        expect([g.get(w, "sizeNonNeg[0]"), g.get(w, "sizeNonNeg[1]")]).to.deep.equal(q.sizes.map((s) => (s >= 0n ? 1n : 0n)));
        g.expectUnique(w);
      }
    });

    it("rejects each value one step outside its range", async () => {
      const base = await g.accept(max);
      const edits: Array<[keyof typeof max, number, bigint]> = [
        ["sizes", 0, S],
        ["sizes", 1, -S],
        ["costBasis", 0, C],
        ["costBasis", 1, -C],
        ["entryFunding", 0, F],
        ["entryFunding", 1, -F],
        ["collateral", 1, A],
        ["collateral", 0, -1n],
        ["sizes", 0, HALF],
      ];
      for (const [key, i, v] of edits) {
        const q = structuredClone(max);
        q[key][i] = v;
        await g.reject(q, [g.with(base, { [`${key}[${i}]`]: v })]);
      }
    });
  });

  // ---------------------------------------------------------------------------- PortfolioCommitment
  describe("PortfolioCommitment = prover/encoding.ts commitment (default dims and N=2, M=3)", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("portfolio_commitment", work);
    });
    const portfolio = (N: number, M: number, pick: (bits: number, signed: boolean) => bigint, salt: bigint): Portfolio => ({
      sizes: Array.from({ length: N }, () => pick(W.SIZE_BITS, true)),
      costBasis: Array.from({ length: N }, () => pick(W.COST_BITS, true)),
      entryFunding: Array.from({ length: N }, () => pick(W.FUND_BITS, true)),
      collateral: Array.from({ length: M }, () => pick(W.AMOUNT_BITS, false)),
      salt,
    });
    const inputs = (q: Portfolio, odd: Portfolio): Inputs => {
      const a = portfolioInputs(q);
      const b = portfolioInputs(odd);
      return {
        ...a,
        oddSizes: b.sizes,
        oddCostBasis: b.costBasis,
        oddEntryFunding: b.entryFunding,
        oddCollateral: b.collateral,
        oddSalt: b.salt,
      };
    };
    const check = async (q: Portfolio, odd: Portfolio): Promise<bigint[]> => {
      const w = await g.accept(inputs(q, odd));
      expect(g.get(w, "out")).to.equal(commitment(q));
      expect(g.get(w, "oddOut")).to.equal(commitment(odd));
      return w;
    };
    const random = (bits: number, signed: boolean) => (signed ? randomSigned(bits) : randomBits(bits));
    const top = (bits: number) => pow2(bits) - 1n;
    const bottom = (bits: number, signed: boolean) => (signed ? -(pow2(bits) - 1n) : 0n);

    it("random in-range portfolios and salts", async () => {
      const w = await check(portfolio(N_MARKETS, M_ASSETS, random, randomField()), portfolio(2, 3, random, randomField()));
      g.expectUnique(w);
    });

    it("every value at the top and at the bottom of its range; salt 0 and r-1", async () => {
      await check(portfolio(N_MARKETS, M_ASSETS, top, R - 1n), portfolio(2, 3, top, 0n));
      await check(portfolio(N_MARKETS, M_ASSETS, bottom, 0n), portfolio(2, 3, bottom, R - 1n));
    });

    it("without the caller's range checks the packing is not injective (s + 2^41, c - 1 collide)", async () => {
      const q = portfolio(N_MARKETS, M_ASSETS, () => 5n, 9n);
      const odd = portfolio(2, 3, () => 5n, 9n);
      const w1 = await check(q, odd);
      const q2 = structuredClone(q);
      q2.sizes[0] += pow2(W.SIZE_BITS + 1); // outside |s| < 2^40: PortfolioRange rejects it
      q2.costBasis[0] -= 1n;
      const w2 = await check(q2, odd);
      expect(g.get(w2, "out")).to.equal(g.get(w1, "out"));
    });
  });

  // ---------------------------------------------------------------------------- ParamsHash
  describe("ParamsHash(3, 2, 3) = prover/encoding.ts paramsHash, packed values range-checked", () => {
    let g: Gadget;
    before(async () => {
      g = await Gadget.compile("params_hash", work);
    });
    const [N, M, S] = [3, 2, 3];
    const SHOCK = pow2(W.SHOCK_BITS);
    const params = (o: {
      epochId: bigint;
      maxLeverageBps: bigint;
      mark: () => bigint;
      funding: () => bigint;
      bps: () => bigint;
      depth: () => bigint;
      cap: () => bigint;
      price: () => bigint;
      shock: () => bigint;
    }): Params => ({
      epochId: o.epochId,
      maxLeverageBps: o.maxLeverageBps,
      markets: Array.from({ length: N }, () => ({
        markPrice: o.mark(),
        fundingIndex: o.funding(),
        maintenanceRateBps: o.bps(),
        initialRateBps: o.bps(),
        impactBps: o.bps(),
        depth: o.depth(),
        positionCap: o.cap(),
      })),
      collateral: Array.from({ length: M }, () => ({ priceE18: o.price(), haircutBps: o.bps() })),
      scenarios: Array.from({ length: S }, () => Array.from({ length: N }, () => o.shock())),
    });
    const randomParams = (): Params =>
      params({
        epochId: randomBits(W.EPOCH_BITS),
        maxLeverageBps: randomBits(W.LEVERAGE_BITS),
        mark: () => randomBits(W.MARK_BITS),
        funding: () => randomSigned(W.FUND_BITS),
        bps: () => randomBits(W.BPS_BITS),
        depth: () => randomBits(W.DEPTH_BITS),
        cap: () => randomBits(W.CAP_BITS),
        price: () => randomBits(W.PRICE_E18_BITS),
        shock: () => randomBits(W.SHOCK_BITS + 1) - SHOCK,
      });
    const maxParams = (): Params =>
      params({
        epochId: pow2(W.EPOCH_BITS) - 1n,
        maxLeverageBps: pow2(W.LEVERAGE_BITS) - 1n,
        mark: () => pow2(W.MARK_BITS) - 1n,
        funding: () => pow2(W.FUND_BITS) - 1n,
        bps: () => pow2(W.BPS_BITS) - 1n,
        depth: () => R - 1n, // depth and positionCap are hashed as field elements, not range-checked
        cap: () => R - 1n,
        price: () => pow2(W.PRICE_E18_BITS) - 1n,
        shock: () => SHOCK - 1n,
      });
    const minParams = (): Params =>
      params({
        epochId: 0n,
        maxLeverageBps: 0n,
        mark: () => 0n,
        funding: () => -(pow2(W.FUND_BITS) - 1n),
        bps: () => 0n,
        depth: () => 0n,
        cap: () => 0n,
        price: () => 0n,
        shock: () => -SHOCK,
      });
    const check = async (p: Params): Promise<bigint[]> => {
      const w = await g.accept(paramsInputs(p));
      expect(g.get(w, "out")).to.equal(paramsHash(p));
      return w;
    };

    it("both packed lists span two words at these dims (the word break is exercised)", () => {
      const p = randomParams();
      expect(packWords(priceValues(p)).length).to.equal(2);
      expect(packWords(riskValues(p)).length).to.equal(2);
    });

    it("random parameters", async () => {
      const w = await check(randomParams());
      g.expectUnique(w);
    });

    it("every packed value at the top and at the bottom of its width (shock -2^14 and 2^14 - 1)", async () => {
      await check(maxParams());
      await check(minParams());
    });

    it("rejects every packed value one step outside its width, as encoding.ts does", async () => {
      const base = await g.accept(paramsInputs(maxParams()));
      const edits: Array<[string, (p: Params) => void, Record<string, bigint>]> = [
        ["epochId = 2^64", (p) => (p.epochId = pow2(W.EPOCH_BITS)), { epochId: pow2(W.EPOCH_BITS) }],
        ["epochId = -1", (p) => (p.epochId = -1n), { epochId: -1n }],
        ["maxLeverageBps = 2^32", (p) => (p.maxLeverageBps = pow2(W.LEVERAGE_BITS)), { maxLeverageBps: pow2(W.LEVERAGE_BITS) }],
        ["markPrice[2] = 2^48", (p) => (p.markets[2].markPrice = pow2(W.MARK_BITS)), { "markPrice[2]": pow2(W.MARK_BITS) }],
        [
          "collateralPriceE18[1] = 2^96",
          (p) => (p.collateral[1].priceE18 = pow2(W.PRICE_E18_BITS)),
          { "collateralPriceE18[1]": pow2(W.PRICE_E18_BITS) },
        ],
        [
          "maintenanceRateBps[0] = 2^14",
          (p) => (p.markets[0].maintenanceRateBps = pow2(W.BPS_BITS)),
          { "maintenanceRateBps[0]": pow2(W.BPS_BITS) },
        ],
        ["initialRateBps[1] = 2^14", (p) => (p.markets[1].initialRateBps = pow2(W.BPS_BITS)), { "initialRateBps[1]": pow2(W.BPS_BITS) }],
        ["impactBps[2] = 2^14", (p) => (p.markets[2].impactBps = pow2(W.BPS_BITS)), { "impactBps[2]": pow2(W.BPS_BITS) }],
        ["haircutBps[1] = 2^14", (p) => (p.collateral[1].haircutBps = pow2(W.BPS_BITS)), { "haircutBps[1]": pow2(W.BPS_BITS) }],
        ["shocks[2][1] = 2^14", (p) => (p.scenarios[2][1] = SHOCK), { "shocks[2][1]": SHOCK }],
        ["shocks[0][0] = -2^14 - 1", (p) => (p.scenarios[0][0] = -SHOCK - 1n), { "shocks[0][0]": -SHOCK - 1n }],
        ["markPrice[0] = (r-1)/2", (p) => (p.markets[0].markPrice = HALF), { "markPrice[0]": HALF }],
      ];
      for (const [label, edit, wires] of edits) {
        const p = maxParams();
        edit(p);
        expect(() => paramsHash(p), label).to.throw(RangeError);
        await g.reject(paramsInputs(p), [g.with(base, wires)]);
      }
    });
  });
});
