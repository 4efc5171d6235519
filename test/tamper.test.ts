// Edited witnesses must be rejected: take the honest witness and change one wire at a time
// (every wire, not a sample) by +1, -1, p-1 (i.e. negate-ish) and a random field element; the
// R1CS must reject each edit. Railgun-style "mutation of every signal must fail".
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { acceptsMutation, firstFailingConstraint, readSymWires } from "../tools/r1cs.ts";
import { FIELD_MODULUS } from "../prover/field.ts";
import { circuitArtifacts } from "../prover/artifacts.ts";
import { example } from "../tools/fixtures.ts";
import { r1cs, witnessOrNull } from "./helpers.ts";

describe("witness tampering", function () {
  this.timeout(600_000);

  it("the honest witness satisfies every constraint (and the checker accepts identity edits)", async () => {
    const { params, portfolio } = example();
    const w = (await witnessOrNull(params, portfolio, "initial", 42n))!;
    expect(firstFailingConstraint(r1cs(), w)).to.equal(-1);
    for (const wire of [1, 100, 5000, r1cs().nWires - 1]) expect(acceptsMutation(r1cs(), w, wire, w[wire])).to.equal(true);
  });

  for (const level of ["maintenance", "initial"] as const) {
    it(`every wire, every edit is rejected (${level})`, async () => {
      const { params, portfolio } = example();
      const w = (await witnessOrNull(params, portfolio, level, 42n))!;
      const sys = r1cs();
      const names = readSymWires(circuitArtifacts().sym);
      const accepted: string[] = [];
      let tried = 0;
      const random = BigInt(`0x${randomBytes(32).toString("hex")}`) % FIELD_MODULUS;
      for (let wire = 1; wire < sys.nWires; wire++) {
        for (const edit of [w[wire] + 1n, w[wire] - 1n, FIELD_MODULUS - 1n - w[wire], random]) {
          if ((edit - w[wire]) % FIELD_MODULUS === 0n) continue;
          tried++;
          if (acceptsMutation(sys, w, wire, edit)) accepted.push(`${names.get(wire) ?? `wire ${wire}`} <- ${edit}`);
        }
      }
      expect(tried).to.be.greaterThan(4 * 12000);
      expect(accepted, `accepted edits: ${accepted.slice(0, 10).join("; ")}`).to.deep.equal([]);
    });
  }

  it("editing the public outputs (commitment, paramsHash) or the binding is rejected", async () => {
    const { params, portfolio } = example();
    const w = (await witnessOrNull(params, portfolio, "maintenance", 42n))!;
    const sys = r1cs();
    for (const wire of [1, 2, 3, 4]) expect(acceptsMutation(sys, w, wire, w[wire] + 1n), `wire ${wire}`).to.equal(false);
  });
});
