// End to end: real Groth16 proofs with the shipped artifacts, verified off-chain.
import { expect } from "chai";
import { FIELD_MODULUS } from "../prover/field.ts";
import { solidityCalldata, UnhealthyError, verifyProof, type MarginProof } from "../prover/prover.ts";
import { commitment, paramsHash } from "../prover/encoding.ts";
import { clone, example } from "../tools/fixtures.ts";
import { prover } from "./helpers.ts";
import { MARGIN_PUBLIC_SIGNALS } from "../prover/constants.ts";

describe("prove and verify (Groth16, shipped artifacts)", function () {
  this.timeout(600_000);
  let proof: MarginProof;

  before(async () => {
    const { params, portfolio } = example();
    proof = await (await prover()).prove(params, portfolio, "initial", 0xabcdefn);
  });

  it("proves the example at both levels, with public signals [commitment, paramsHash, level, binding]", async () => {
    const { params, portfolio } = example();
    expect(proof.publicSignals).to.deep.equal([commitment(portfolio).toString(), paramsHash(params).toString(), "1", String(0xabcdefn)]);
    expect(await verifyProof(proof)).to.equal(true);
    const m = await (await prover()).prove(params, portfolio, "maintenance", 7n);
    expect(m.publicSignals[2]).to.equal("0");
    expect(await (await prover()).verify(m)).to.equal(true);
  });

  it("rejects the proof under any other public signal (binding, level, commitment, paramsHash)", async () => {
    for (let i = 0; i < MARGIN_PUBLIC_SIGNALS; i++) {
      const t = clone(proof);
      t.publicSignals[i] = (BigInt(t.publicSignals[i]) + 1n).toString();
      expect(await verifyProof(t), `signal ${i}`).to.equal(false);
    }
  });

  it("rejects public signals >= r (no aliasing of x and x + r)", async () => {
    for (const delta of [FIELD_MODULUS, 2n * FIELD_MODULUS]) {
      const t = clone(proof);
      t.publicSignals[3] = (BigInt(t.publicSignals[3]) + delta).toString();
      expect(await verifyProof(t)).to.equal(false);
    }
    const t = clone(proof);
    t.publicSignals[0] = (2n ** 256n - 1n).toString();
    expect(await verifyProof(t)).to.equal(false);
  });

  it("rejects edited proof points and malformed proofs", async () => {
    const t = clone(proof);
    t.proof.pi_a[0] = (BigInt(t.proof.pi_a[0]) + 1n).toString();
    expect(await verifyProof(t)).to.equal(false);
    const u = clone(proof);
    [u.proof.pi_c, u.proof.pi_a] = [u.proof.pi_a, u.proof.pi_c];
    expect(await verifyProof(u)).to.equal(false);
    expect(await verifyProof({} as MarginProof)).to.equal(false);
    expect(await verifyProof({ ...proof, publicSignals: proof.publicSignals.slice(0, 3) })).to.equal(false);
  });

  it("refuses to prove an unhealthy portfolio, naming every violation", async () => {
    const { params, portfolio } = example();
    const p = clone(params);
    p.markets[0].positionCap = 10n;
    p.maxLeverageBps = 1000n;
    try {
      await (await prover()).prove(p, portfolio, "initial", 1n);
      expect.fail("proved an unhealthy portfolio");
    } catch (e) {
      expect(e).to.be.instanceOf(UnhealthyError);
      expect((e as UnhealthyError).violations).to.deep.equal(["POSITION_CAP", "LEVERAGE"]);
    }
  });

  it("exports Solidity calldata for the generated verifier", async () => {
    const cd = await solidityCalldata(proof);
    expect(cd.a).to.have.length(2);
    expect(cd.b).to.have.length(2);
    expect(cd.c).to.have.length(2);
    expect(cd.publicSignals.map((x) => BigInt(x).toString())).to.deep.equal(proof.publicSignals);
  });
});
