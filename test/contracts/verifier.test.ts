// The generated Groth16 verifier on an in-process EVM, with real proofs.
import { expect } from "chai";
import { FIELD_MODULUS } from "../../prover/field.ts";
import { solidityCalldata, type MarginProof } from "../../prover/prover.ts";
import { verifyOnChain } from "../../client/chain.ts";
import { startLocalChain, type LocalChain } from "../../client/local.ts";
import { example } from "../../tools/fixtures.ts";
import { prover } from "../helpers.ts";
import { MARGIN_PUBLIC_SIGNALS } from "../../prover/constants.ts";

describe("on-chain verification (generated Groth16 verifier, Hardhat EDR)", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let proof: MarginProof;

  before(async () => {
    chain = await startLocalChain();
    const { params, portfolio } = example();
    proof = await (await prover()).prove(params, portfolio, "maintenance", chain.chainId);
  });
  after(async () => chain?.close());

  it("accepts a real proof", async () => {
    const { valid, gas } = await verifyOnChain(chain, await solidityCalldata(proof));
    expect(valid).to.equal(true);
    expect(gas < 300000n).to.equal(true);
  });

  it("rejects the proof under another binding, level, commitment or paramsHash", async () => {
    for (let i = 0; i < MARGIN_PUBLIC_SIGNALS; i++) {
      const cd = await solidityCalldata(proof);
      cd.publicSignals[i] = "0x" + (BigInt(cd.publicSignals[i]) ^ 1n).toString(16);
      expect((await verifyOnChain(chain, cd)).valid, `signal ${i}`).to.equal(false);
    }
  });

  it("rejects public inputs >= r (x + r aliases x in the pairing check)", async () => {
    for (const x of [BigInt(proof.publicSignals[3]) + FIELD_MODULUS, 2n ** 256n - 1n]) {
      const cd = await solidityCalldata(proof);
      cd.publicSignals[3] = "0x" + x.toString(16);
      expect((await verifyOnChain(chain, cd)).valid).to.equal(false);
    }
  });

  it("rejects an edited proof point", async () => {
    const cd = await solidityCalldata(proof);
    cd.c = [cd.a[0], cd.a[1]];
    expect((await verifyOnChain(chain, cd)).valid).to.equal(false);
  });
});
