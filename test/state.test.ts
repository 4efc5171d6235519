// The trader's local state: encrypted at rest, written atomically, recovered after a crash by
// matching the on-chain commitment.
import { expect } from "chai";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitment } from "../prover/encoding.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import { ValidationError } from "../prover/validate.ts";
import { StateStore, decryptState } from "../client/state.ts";
import { example } from "../tools/fixtures.ts";

describe("account state file", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "zkmargin-state-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const make = (path: string) => {
    const empty = emptyPortfolio(8, 4);
    return StateStore.create(path, "correct horse", {
      chainId: "31337",
      contract: "0x0000000000000000000000000000000000000001",
      account: "0x0000000000000000000000000000000000000002",
      current: { portfolio: empty, commitment: commitment(empty), nonce: 0, label: "open" },
    });
  };

  it("is encrypted at rest: no portfolio value appears in the file, and it round-trips", () => {
    const path = join(dir, "s");
    const store = make(path);
    const { portfolio } = example();
    store.addPending(portfolio, 1, "test");
    const text = readFileSync(path, "utf8");
    for (const v of [...portfolio.sizes, ...portfolio.costBasis, portfolio.salt].filter((x) => x !== 0n && (x < 0n ? -x : x) > 999n)) {
      expect(text.includes(v.toString()), String(v)).to.equal(false);
    }
    const back = StateStore.open(path, "correct horse");
    expect(back.state.pending[0].portfolio).to.deep.equal(portfolio);
    expect(back.state.pending[0].commitment).to.equal(commitment(portfolio));
  });

  it("a wrong passphrase or a modified file is refused naming the cause", () => {
    const path = join(dir, "s");
    make(path);
    expect(() => StateStore.open(path, "wrong"))
      .to.throw(ValidationError)
      .with.property("field", "passphrase");
    const env = JSON.parse(readFileSync(path, "utf8"));
    const data = Buffer.from(env.data, "base64");
    data[5] ^= 1;
    env.data = data.toString("base64");
    writeFileSync(path, JSON.stringify(env));
    expect(() => StateStore.open(path, "correct horse"))
      .to.throw(ValidationError)
      .with.property("field", "passphrase");
    writeFileSync(path, "not json");
    expect(() => decryptState(readFileSync(path), "x"))
      .to.throw(ValidationError)
      .with.property("field", "--state");
  });

  it("never overwrites an existing state and leaves no temporary file behind", () => {
    const path = join(dir, "s");
    make(path);
    expect(() => make(path))
      .to.throw(ValidationError)
      .with.property("field", "--state");
    expect(readdirSync(dir)).to.deep.equal(["s"]);
  });

  it("crash recovery: the mined pending state is promoted; an unmined one is dropped; a foreign commitment is refused", () => {
    const path = join(dir, "s");
    const store = make(path);
    const { portfolio } = example();
    const pending = store.addPending(portfolio, 1, "deposit");
    // crash after sending: the chain has the pending commitment
    const reopened = StateStore.open(path, "correct horse");
    expect(reopened.recover(pending.commitment, 1)).to.equal("promoted");
    expect(reopened.state.current.portfolio).to.deep.equal(portfolio);
    expect(StateStore.open(path, "correct horse").state.pending).to.deep.equal([]);
    // crash before sending (or a trade leg not settled yet): the chain still has the current
    // commitment; the pending state for the next nonce is kept, a stale one is pruned
    reopened.addPending(emptyPortfolio(8, 4), 2, "trade leg");
    reopened.addPending(emptyPortfolio(8, 4), 1, "stale");
    expect(StateStore.open(path, "correct horse").recover(commitment(portfolio), 1)).to.equal("current");
    expect(StateStore.open(path, "correct horse").state.pending.map((p) => p.label)).to.deep.equal(["trade leg"]);
    expect(() => StateStore.open(path, "correct horse").recover(12345n, 7)).to.throw(/no stored state opens the on-chain commitment/);
  });
});
