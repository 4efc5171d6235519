// MarginBatchVerifier (issue #12): many margin proofs checked by one random linear combination
// of their pairing equations, with REAL proofs on Hardhat EDR. Every verdict is compared with the
// generated single verifier (verifier-contracts/generated/MarginVerifier.sol) proof by proof, and
// with the library's memory entry point (MarginBatchHarness); the verification key is the
// artifacts' (scripts/gen-batch-verifier.ts --check).
import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, keccak256 } from "ethers";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, circuitArtifacts } from "../../prover/artifacts.ts";
import { FIELD_MODULUS } from "../../prover/field.ts";
import { solidityCalldata, type MarginProof } from "../../prover/prover.ts";
import { startLocalChain, type LocalChain } from "../../client/local.ts";
import { addCash, clone, example } from "../../tools/fixtures.ts";
import type { Level } from "../../prover/types.ts";
import { prover } from "../helpers.ts";

/** BN254 base field modulus p (proof coordinates), as in MarginBatchVerification. */
const P_BASE = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const MASK128 = (1n << 128n) - 1n;
const BATCH = 32;

type Proof = bigint[]; // [a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y]
type Signals = bigint[]; // [commitment, paramsHash, level, binding]

/** The generated verifier's (a, b, c) flattened, in its calldata order (G2: imaginary part first). */
async function flatten(proof: MarginProof): Promise<{ proof: Proof; signals: Signals }> {
  const cd = await solidityCalldata(proof);
  return {
    proof: [cd.a[0], cd.a[1], cd.b[0][0], cd.b[0][1], cd.b[1][0], cd.b[1][1], cd.c[0], cd.c[1]].map(BigInt),
    signals: cd.publicSignals.map(BigInt),
  };
}

const neg = (y: bigint) => (P_BASE - y) % P_BASE;
const rows = <T>(xs: T[][]) => xs.map((x) => [...x]);

/** The Fiat–Shamir coefficients as IMarginBatchVerifier documents them, computed off-chain. */
function coefficients(proofs: Proof[], signals: Signals[]): bigint[] {
  const abi = AbiCoder.defaultAbiCoder();
  const seed = keccak256(abi.encode(["uint256[8][]", "uint256[4][]"], [proofs, signals]));
  return proofs.map((_, i) => BigInt(keccak256(abi.encode(["bytes32", "uint256"], [seed, i]))) & MASK128 || 1n);
}

describe("batched margin verification (MarginBatchVerifier, real proofs, Hardhat EDR)", function () {
  this.timeout(900_000);
  let chain: LocalChain;
  let batch: any;
  let harness: any;
  /** BATCH distinct statements: portfolios, salts, levels, bindings and four epochs (paramsHash) */
  let proofs: Proof[] = [];
  let signals: Signals[] = [];
  /** statement 0 proven again: the same public signals, other proof randomness */
  let reproof: Proof;

  before(async () => {
    chain = await startLocalChain();
    batch = await chain.ethers.deployContract("MarginBatchVerifier");
    harness = await chain.ethers.deployContract("MarginBatchHarness");
    const pv = await prover();
    const { params, portfolio } = example();
    for (let i = 0; i < BATCH; i++) {
      const p = clone(params);
      p.epochId = params.epochId + BigInt(i % 4);
      const q = addCash(portfolio, BigInt(i) * 1000n);
      q.salt = 1000n + BigInt(i);
      const level: Level = i % 3 === 0 ? "initial" : "maintenance";
      const f = await flatten(await pv.prove(p, q, level, (BigInt(i) + 1n) * 0x9e3779b97f4a7c15n));
      proofs.push(f.proof);
      signals.push(f.signals);
    }
    const q0 = addCash(portfolio, 0n);
    q0.salt = 1000n;
    const again = await flatten(await pv.prove(params, q0, "initial", 0x9e3779b97f4a7c15n));
    expect(again.signals).to.deep.equal(signals[0]);
    reproof = again.proof;
  });
  after(async () => chain?.close());

  const single = async (p: Proof, s: Signals): Promise<boolean> =>
    chain.verifier.verifyProof(
      [p[0], p[1]],
      [
        [p[2], p[3]],
        [p[4], p[5]],
      ],
      [p[6], p[7]],
      s,
    );

  /**
   * verifyBatch's verdict, checked against the generated single verifier (true iff every proof
   * verifies alone) and against the library's memory entry point (same verdict, arrays
   * untouched, free memory pointer released).
   */
  async function verdict(ps: Proof[], ss: Signals[]): Promise<boolean> {
    const b: boolean = await batch.verifyBatch(ps, ss);
    const alone = await Promise.all(ps.map((p, i) => single(p, ss[i])));
    expect(b, `batch ${b}, single verifier ${alone.map((x) => (x ? 1 : 0)).join("")}`).to.equal(alone.every(Boolean));
    const [m, untouched, released] = await harness.verifyMemoryChecked(ps, ss);
    expect([m, untouched, released], "memory entry point").to.deep.equal([b, true, true]);
    return b;
  }

  it("the committed verification key is what scripts/gen-batch-verifier.ts writes from the artifacts, and the single verifier's", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts/gen-batch-verifier.ts"), "--check"], {
      encoding: "utf8",
      cwd: REPO_ROOT,
    });
    expect(r.status, r.stderr).to.equal(0);
    // the same key as generated/MarginVerifier.sol (both exported from verification_key.json)
    const key = readFileSync(join(REPO_ROOT, "verifier-contracts/generated/MarginBatchKey.sol"), "utf8");
    const single = readFileSync(circuitArtifacts("margin").verifier, "utf8");
    const value = (src: string, name: string) => src.match(new RegExp(`constant ${name}\\s*=\\s*(\\d+);`))?.[1];
    const pairs: Array<[string, string]> = [
      ["MARGIN_VK_ALPHA_X", "alphax"],
      ["MARGIN_VK_ALPHA_Y", "alphay"],
      ...(["BETA", "GAMMA", "DELTA"] as const).flatMap((g): Array<[string, string]> => {
        const s = g.toLowerCase();
        return [
          [`MARGIN_VK_${g}_X_IM`, `${s}x1`],
          [`MARGIN_VK_${g}_X_RE`, `${s}x2`],
          [`MARGIN_VK_${g}_Y_IM`, `${s}y1`],
          [`MARGIN_VK_${g}_Y_RE`, `${s}y2`],
        ];
      }),
      ...[0, 1, 2, 3, 4].flatMap((j): Array<[string, string]> => [
        [`MARGIN_VK_IC${j}_X`, `IC${j}x`],
        [`MARGIN_VK_IC${j}_Y`, `IC${j}y`],
      ]),
    ];
    for (const [ours, theirs] of pairs) {
      expect(value(key, ours), ours).to.be.a("string");
      expect(value(key, ours), ours).to.equal(value(single, theirs));
    }
  });

  it("valid batches of n = 1, 8 and 32 verify (statements across four epochs)", async () => {
    expect(new Set(signals.map((s) => s[1])).size, "distinct paramsHash").to.equal(4);
    expect(new Set(signals.map((s) => s[0])).size, "distinct commitments").to.equal(BATCH);
    for (const n of [1, 8, BATCH]) expect(await verdict(proofs.slice(0, n), signals.slice(0, n)), `n = ${n}`).to.equal(true);
    expect(await verdict(proofs.slice(7, 8), signals.slice(7, 8)), "n = 1, another proof").to.equal(true);
  });

  it("one bad proof among 32 rejects the whole batch", async () => {
    const k = 17;
    const cases: Array<[string, (ps: Proof[], ss: Signals[]) => void]> = [
      ["a proof of another statement", (ps) => (ps[k] = [...ps[3]])],
      ["two statements' signals swapped", (_, ss) => ([ss[k], ss[4]] = [ss[4], ss[k]])],
      ["C.x + 1 (off the curve)", (ps) => (ps[k][6] += 1n)],
      ["C replaced by A (on the curve)", (ps) => ((ps[k][6] = ps[k][0]), (ps[k][7] = ps[k][1]))],
      ["A at infinity", (ps) => ((ps[k][0] = 0n), (ps[k][1] = 0n))],
      ["B of another proof (a valid G2 point)", (ps) => ps[k].splice(2, 4, ...ps[5].slice(2, 6))],
      ["B.x0 + 1 (off the curve)", (ps) => (ps[k][3] += 1n)],
      ["the last proof's binding + 1", (_, ss) => (ss[BATCH - 1][3] += 1n)],
    ];
    for (const [name, edit] of cases) {
      const ps = rows(proofs);
      const ss = rows(signals);
      edit(ps, ss);
      expect(await verdict(ps, ss), name).to.equal(false);
    }
  });

  it("malleated proofs: (-A, -B, C) verifies for the same statement, as it does alone; (-A, B, C) does not", async () => {
    // Groth16 proofs are malleable: e(-A, -B) = e(A, B). A malleated or re-randomised proof proves
    // the same statement, so both verifiers accept it; nothing may be keyed on proof bytes.
    const k = 9;
    const [ax, ay, bx1, bx0, by1, by0, cx, cy] = proofs[k];
    const both = [ax, neg(ay), bx1, bx0, neg(by1), neg(by0), cx, cy];
    const onlyA = [ax, neg(ay), bx1, bx0, by1, by0, cx, cy];
    const ps = rows(proofs);
    ps[k] = both;
    expect(await verdict(ps, signals), "(-A, -B, C)").to.equal(true);
    ps[k] = onlyA;
    expect(await verdict(ps, signals), "(-A, B, C)").to.equal(false);
    // statement 0 proven again (fresh randomness): other bytes, same verdict
    expect(reproof).to.not.deep.equal(proofs[0]);
    const withReproof = [reproof, ...proofs.slice(1)];
    expect(await verdict(withReproof, signals), "re-proven").to.equal(true);
    expect(await verdict([proofs[0], reproof], [signals[0], signals[0]]), "both proofs of one statement").to.equal(true);
  });

  it("a public input >= r is refused with BatchPublicInputNotInField (the single verifier says false)", async () => {
    for (const [k, j, v] of [
      [0, 0, signals[0][0] + FIELD_MODULUS],
      [12, 1, signals[12][1] + FIELD_MODULUS],
      [31, 2, FIELD_MODULUS],
      [5, 3, 2n ** 256n - 1n],
    ] as const) {
      const ss = rows(signals);
      ss[k][j] = v;
      expect(await single(proofs[k], ss[k]), "single verifier").to.equal(false);
      await expect(batch.verifyBatch(proofs, ss)).to.be.revertedWithCustomError(batch, "BatchPublicInputNotInField").withArgs(k, j, v);
      await expect(harness.verifyMemoryChecked(proofs, ss))
        .to.be.revertedWithCustomError(batch, "BatchPublicInputNotInField")
        .withArgs(k, j, v);
    }
  });

  it("a proof coordinate >= p is refused with BatchCoordinateNotInField, whichever of the 8 (the single verifier says false)", async () => {
    for (let idx = 0; idx < 8; idx++) {
      const k = (idx * 5) % BATCH;
      const ps = rows(proofs);
      const v = idx === 7 ? 2n ** 256n - 1n : ps[k][idx] + P_BASE;
      ps[k][idx] = v;
      expect(await single(ps[k], signals[k]), `single verifier, coordinate ${idx}`).to.equal(false);
      await expect(batch.verifyBatch(ps, signals)).to.be.revertedWithCustomError(batch, "BatchCoordinateNotInField").withArgs(k, idx, v);
      await expect(harness.verifyMemoryChecked(ps, signals))
        .to.be.revertedWithCustomError(batch, "BatchCoordinateNotInField")
        .withArgs(k, idx, v);
    }
  });

  it("the first proof holding an out-of-field value is named, coordinates before signals, even after a point off the curve", async () => {
    const ps = rows(proofs);
    const ss = rows(signals);
    ps[3][6] += P_BASE;
    ss[1][2] += FIELD_MODULUS;
    await expect(batch.verifyBatch(ps, ss)).to.be.revertedWithCustomError(batch, "BatchPublicInputNotInField").withArgs(1, 2, ss[1][2]);
    ss[3][0] += FIELD_MODULUS;
    ss[1][2] -= FIELD_MODULUS;
    await expect(batch.verifyBatch(ps, ss)).to.be.revertedWithCustomError(batch, "BatchCoordinateNotInField").withArgs(3, 6, ps[3][6]);
    // an off-curve point in proof 0 stops the arithmetic, not the field checks of later proofs
    const qs = rows(proofs);
    const ts = rows(signals);
    qs[0][6] += 1n;
    ts[20][3] = 2n ** 256n - 1n;
    await expect(batch.verifyBatch(qs, ts)).to.be.revertedWithCustomError(batch, "BatchPublicInputNotInField").withArgs(20, 3, ts[20][3]);
    await expect(harness.verifyMemoryChecked(qs, ts))
      .to.be.revertedWithCustomError(batch, "BatchPublicInputNotInField")
      .withArgs(20, 3, ts[20][3]);
  });

  it("length mismatch and the empty batch are refused with named errors", async () => {
    await expect(batch.verifyBatch(proofs, signals.slice(1)))
      .to.be.revertedWithCustomError(batch, "BatchLengthMismatch")
      .withArgs(BATCH, BATCH - 1);
    await expect(batch.verifyBatch([], [signals[0]]))
      .to.be.revertedWithCustomError(batch, "BatchLengthMismatch")
      .withArgs(0, 1);
    await expect(batch.verifyBatch([], [])).to.be.revertedWithCustomError(batch, "EmptyBatch");
    await expect(batch.batchCoefficients([], [])).to.be.revertedWithCustomError(batch, "EmptyBatch");
    await expect(harness.verifyMemoryChecked([], [])).to.be.revertedWithCustomError(batch, "EmptyBatch");
    await expect(harness.verifyMemoryChecked([proofs[0]], []))
      .to.be.revertedWithCustomError(batch, "BatchLengthMismatch")
      .withArgs(1, 0);
  });

  it("the same proof twice verifies iff it verifies alone", async () => {
    expect(await verdict([proofs[2], proofs[2]], [signals[2], signals[2]]), "valid twice").to.equal(true);
    const bad = [...signals[2]];
    bad[3] += 1n;
    expect(await verdict([proofs[2], proofs[2]], [bad, bad]), "invalid twice").to.equal(false);
    const ps = rows(proofs);
    const ss = rows(signals);
    ps[6] = [...ps[11]];
    ss[6] = [...ss[11]];
    expect(await verdict(ps, ss), "a duplicate inside 32").to.equal(true);
  });

  it("coefficients: hashed from the whole batch as documented, in [1, 2^128), all changed by any edit or reordering; the verdict is not", async () => {
    const r: bigint[] = await batch.batchCoefficients(proofs, signals);
    expect(r).to.deep.equal(coefficients(proofs, signals));
    for (const x of r) expect(x >= 1n && x <= MASK128).to.equal(true);
    expect(new Set(r).size).to.equal(BATCH);
    const ss = rows(signals);
    ss[30][2] ^= 1n; // one level bit of one proof
    const r2: bigint[] = await batch.batchCoefficients(proofs, ss);
    r2.forEach((x, i) => expect(x, `coefficient ${i}`).to.not.equal(r[i]));
    // reordering: other coefficients for every proof, the same verdict
    const order = Array.from({ length: BATCH }, (_, i) => (i * 7 + 3) % BATCH);
    const ps = order.map((i) => proofs[i]);
    const qs = order.map((i) => signals[i]);
    const rr: bigint[] = await batch.batchCoefficients(ps, qs);
    order.forEach((i, at) => expect(rr[at], `proof ${i}`).to.not.equal(r[i]));
    expect(await verdict(ps, qs), "reordered").to.equal(true);
    expect(await verdict([...proofs].reverse(), [...signals].reverse()), "reversed").to.equal(true);
    const bad = rows(qs);
    bad[10][0] += 1n;
    expect(await verdict(ps, bad), "reordered, one bad").to.equal(false);
  });

  it("property: changing a random public input of a random proof rejects the batch", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BATCH - 1),
        fc.nat(3),
        fc.oneof(fc.record({ bit: fc.nat(253) }), fc.record({ add: fc.bigInt(1n, FIELD_MODULUS - 1n) })),
        async (k, j, change) => {
          const ss = rows(signals);
          const x = ss[k][j];
          ss[k][j] = ("bit" in change ? x ^ (1n << BigInt(change.bit)) : x + change.add) % FIELD_MODULUS;
          expect(ss[k][j]).to.not.equal(x);
          expect(await verdict(proofs, ss)).to.equal(false);
        },
      ),
      { numRuns: 8 },
    );
  });

  it("gas: a batch of 32 costs at most 65k per proof (transaction estimate, calldata included)", async () => {
    const gas: bigint = await batch.verifyBatch.estimateGas(proofs, signals);
    expect(Number(gas) / BATCH).to.be.below(65_000);
  });
});
