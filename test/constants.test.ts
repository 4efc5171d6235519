// One source for shared constants: the generated circom and Solidity twins match
// prover/constants.ts, and the constants taken from libraries agree with those libraries.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Base8, subOrder } from "@zk-kit/baby-jubjub";
import { REPO_ROOT } from "../prover/artifacts.ts";
import * as C from "../prover/constants.ts";

describe("shared constants (prover/constants.ts)", () => {
  it("circuits/lib/constants.circom and verifier-contracts/generated/Constants.sol are what the generator writes", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts/gen-constants.ts"), "--check"], { encoding: "utf8", cwd: REPO_ROOT });
    expect(r.status, r.stderr).to.equal(0);
  });

  it("Baby Jubjub's Base8 and subgroup order are @zk-kit/baby-jubjub's", () => {
    expect([...C.BABYJUB_BASE8]).to.deep.equal([Base8[0], Base8[1]]);
    expect(C.BABYJUB_SUBGROUP_ORDER).to.equal(subOrder);
  });

  it("the op word and context fit their fields: op < 2^105, context < 2^211 < r", () => {
    expect(C.OP_ASSET_SHIFT).to.equal(C.OP_KIND_BITS);
    expect(C.OP_FLAT_SHIFT).to.equal(C.OP_ASSET_SHIFT + C.OP_ASSET_BITS);
    expect(C.OP_AMOUNT_SHIFT).to.equal(C.OP_FLAT_SHIFT + 1);
    expect(C.KIND_COUNT).to.equal(Object.keys(C.KIND).length);
    expect(C.KIND_COUNT).to.be.at.most(2 ** C.OP_KIND_BITS);
    expect(C.M_ASSETS).to.be.at.most(2 ** C.OP_ASSET_BITS);
    expect(1n << BigInt(C.OP_BITS + C.BINDING_BITS)).to.be.lessThan(C.FIELD_MODULUS);
    expect(C.N_MARKETS).to.be.at.most(2 ** C.PAYLOAD_SIZE_SHIFT);
    // payload = m + 2^8 q + 2^48 px < 2^96 < r
    expect(C.PAYLOAD_PRICE_SHIFT + C.MARK_BITS).to.be.lessThan(254);
    expect(1n << BigInt(C.WORD_BITS)).to.be.lessThan(C.FIELD_MODULUS);
    expect(1n << BigInt(C.EPHEMERAL_BITS)).to.be.greaterThan(C.BABYJUB_SUBGROUP_ORDER);
  });

  it("every shared constant has one name, a value and a doc line", () => {
    const names = C.SHARED.map((c) => c.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const c of C.SHARED) {
      expect(c.doc, c.name).to.not.equal("");
      expect(c.value >= 0n, c.name).to.equal(true);
    }
  });
});
