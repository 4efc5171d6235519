// State keeping without a chain: sync's matching in every order of events (a signed leg and a
// transaction for the same nonce, either mined, neither, the chain moved on elsewhere), when a
// pending state may be pruned, damaged state files (truncated, a truncated authentication tag,
// modified, a wrong passphrase, a directory, a huge file), durable writes and the state lock
// (live, dead, half-written, foreign host, concurrent takers).
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { commitment } from "../prover/encoding.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import type { Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { StateLock, StateStore, fsyncDirectory, writeDurably } from "../client/state.ts";

const PASS = "correct horse";
const portfolio = (salt: bigint): Portfolio => ({ ...emptyPortfolio(8, 4), salt });

/** The error a function throws (fails when it does not throw). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

/** A path in a folder this process cannot write (root writes anywhere but sysfs). */
function unwritableFolder(dir: string): string {
  if (process.getuid?.() === 0) return "/sys";
  const ro = join(dir, "ro");
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  return ro;
}

describe("account state keeping", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "zkmargin-state-store-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const make = (path: string) => {
    const empty = emptyPortfolio(8, 4);
    return StateStore.create(path, PASS, {
      chainId: "31337",
      contract: "0x0000000000000000000000000000000000000001",
      account: "0x0000000000000000000000000000000000000002",
      current: { portfolio: empty, commitment: commitment(empty), nonce: 0, label: "open" },
    });
  };
  const reopen = (path: string) => StateStore.open(path, PASS);

  describe("sync in every order of events", () => {
    it("a leg signed away and a transaction for the same nonce: whichever is mined is promoted and the other pruned; neither: both kept", () => {
      const path = join(dir, "s");
      const store = make(path);
      const c0 = store.state.current.commitment;
      const leg = store.addPending(portfolio(11n), 1, "buy (leg signed for bob)");
      const dep = store.addPending(portfolio(22n), 1, "deposit");
      store.markSent(dep.commitment, `0x${"ab".repeat(32)}`);
      // neither mined yet (the leg not settled, the deposit in the mempool): both kept
      expect(reopen(path).recover(c0, 0)).to.equal("current");
      expect(reopen(path).state.pending.map((p) => p.label)).to.deep.equal(["buy (leg signed for bob)", "deposit"]);
      // the two possible futures, each from a copy of the same file
      const [a, b] = [join(dir, "a"), join(dir, "b")];
      copyFileSync(path, a);
      copyFileSync(path, b);
      expect(reopen(a).recover(leg.commitment, 1)).to.equal("promoted"); // bob settled the leg
      expect(reopen(a).state.current.label).to.equal("buy (leg signed for bob)");
      expect(reopen(a).state.pending).to.deep.equal([]); // the deposit's proof is bound to nonce 0: dead
      expect(reopen(b).recover(dep.commitment, 1)).to.equal("promoted"); // the deposit was mined
      expect(reopen(b).state.current.txHash).to.equal(`0x${"ab".repeat(32)}`);
      expect(reopen(b).state.pending).to.deep.equal([]); // the leg can never settle now
      // after the promotion, the same chain state is simply current
      expect(reopen(b).recover(dep.commitment, 1)).to.equal("current");
    });

    it("the chain moved on without this file (another copy of it): refused, and nothing is pruned", () => {
      const path = join(dir, "s");
      const store = make(path);
      store.addPending(portfolio(11n), 1, "leg");
      const before = readFileSync(path);
      expect(() => reopen(path).recover(12345n, 2)).to.throw(/no stored state opens the on-chain commitment 12345 \(nonce 2\)/);
      // a pending commitment at the wrong nonce is not a match either
      expect(() => reopen(path).recover(commitment(portfolio(11n)), 2)).to.throw(/no stored state opens/);
      expect(readFileSync(path).equals(before)).to.equal(true);
    });

    it("promotion keeps pending states of later nonces, prunes this nonce and older; promote is idempotent", () => {
      const path = join(dir, "s");
      const store = make(path);
      const a = store.addPending(portfolio(1n), 1, "a");
      store.addPending(portfolio(2n), 1, "b");
      store.addPending(portfolio(3n), 2, "later");
      store.promote(a.commitment, "0x01");
      expect(reopen(path).state.pending.map((p) => p.label)).to.deep.equal(["later"]);
      store.promote(a.commitment, "0x01"); // already current: nothing to do
      expect(reopen(path).state.current.label).to.equal("a");
      expect(() => store.promote(999n)).to.throw(/no pending state has commitment 999/);
      // at the current state, pending states for its nonce or older are pruned, later ones kept
      store.addPending(portfolio(4n), 1, "stale");
      expect(reopen(path).recover(a.commitment, 1)).to.equal("current");
      expect(reopen(path).state.pending.map((p) => p.label)).to.deep.equal(["later"]);
    });

    it("a sent transaction's hash is recorded with its pending state (durably)", () => {
      const path = join(dir, "s");
      const store = make(path);
      const p = store.addPending(portfolio(5n), 1, "withdraw");
      store.markSent(p.commitment, "0xfeed");
      expect(reopen(path).state.pending[0].txHash).to.equal("0xfeed");
      store.markSent(123n, "0xnothing"); // unknown: ignored
      expect(reopen(path).recover(p.commitment, 1)).to.equal("promoted");
      expect(reopen(path).state.current.txHash).to.equal("0xfeed");
    });
  });

  describe("damaged state files are refused naming --state (the file) or the passphrase", () => {
    it("truncated at any length", () => {
      const path = join(dir, "s");
      make(path).addPending(portfolio(5n), 1, "x");
      const whole = readFileSync(path);
      for (const n of [0, 1, 17, 100, Math.floor(whole.length / 2), whole.length - 40, whole.length - 2]) {
        writeFileSync(path, whole.subarray(0, n));
        const e = thrown(() => reopen(path));
        expect(e, `length ${n}: ${e.message}`).to.be.instanceOf(ValidationError);
        expect((e as ValidationError).field).to.be.oneOf(["--state", "passphrase"]);
        expect(e.message).to.contain(path);
      }
    });

    it("a truncated authentication tag is refused, never accepted as a shorter GCM tag", () => {
      const path = join(dir, "s");
      make(path);
      const env = JSON.parse(readFileSync(path, "utf8"));
      for (const tag of [env.tag.slice(0, 16), env.tag.slice(0, 24), env.tag.slice(0, 31), "", `${env.tag}00`]) {
        writeFileSync(path, JSON.stringify({ ...env, tag }));
        const e = thrown(() => reopen(path)) as ValidationError;
        expect(e, e.message).to.be.instanceOf(ValidationError);
        expect(e.field).to.equal("--state");
        expect(e.message).to.contain("authentication tag");
      }
    });

    it("a wrong passphrase and a modified file are told apart; other fields of the envelope are checked", () => {
      const path = join(dir, "s");
      make(path);
      const env = JSON.parse(readFileSync(path, "utf8"));
      const wrong = thrown(() => StateStore.open(path, "wrong")) as ValidationError;
      expect([wrong.field, wrong.message]).to.satisfy(([f, m]: string[]) => f === "passphrase" && /wrong ZKMARGIN_PASSPHRASE/.test(m));
      const data = Buffer.from(env.data, "base64");
      data[data.length - 1] ^= 0x40;
      writeFileSync(path, JSON.stringify({ ...env, data: data.toString("base64") }));
      const modified = thrown(() => reopen(path)) as ValidationError;
      expect(modified.field).to.equal("passphrase");
      expect(modified.message).to.contain("modified or corrupted").and.contain(path);
      for (const bad of [{ iv: "00" }, { kdf: { ...env.kdf, salt: "xyz" } }, { data: "not base64!" }, { magic: "other" }, { check: 5 }]) {
        writeFileSync(path, JSON.stringify({ ...env, ...bad }));
        const e = thrown(() => reopen(path)) as ValidationError;
        expect(e, JSON.stringify(bad)).to.be.instanceOf(ValidationError);
        expect(e.field).to.equal("--state");
      }
    });

    it("a directory, a huge file (refused from its size) and a missing file", () => {
      const sub = join(dir, "d");
      mkdirSync(sub);
      expect(thrown(() => reopen(sub)).message).to.match(/^--state: .* is a directory/);
      const huge = join(dir, "huge");
      writeFileSync(huge, Buffer.alloc(50 * 1024 * 1024, 0x20));
      const t0 = Date.now();
      expect(thrown(() => reopen(huge)).message).to.match(/^--state: .*huge is larger than/);
      expect(Date.now() - t0).to.be.lessThan(1000);
      expect(thrown(() => reopen(join(dir, "none"))).message).to.match(/^--state: .* does not exist/);
    });
  });

  it("durable writes replace the file atomically, sync the directory and leave no temporary file", () => {
    const path = join(dir, "f");
    writeDurably(path, Buffer.from("one"));
    writeDurably(path, Buffer.from("two"));
    expect(readFileSync(path, "utf8")).to.equal("two");
    expect(readdirSync(dir)).to.deep.equal(["f"]);
    fsyncDirectory(dir);
    expect(() => writeDurably(join(dir, "missing", "f"), Buffer.from("x"))).to.throw(/ENOENT/);
    expect(readdirSync(dir)).to.deep.equal(["f"]);
  });

  describe("one command per state file (the lock)", () => {
    const lockOf = (path: string) => `${path}.lock`;
    const writeLock = (path: string, info: object) => writeFileSync(lockOf(path), JSON.stringify(info));
    const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

    it("a live lock is refused naming --state; released, the state can be locked again", () => {
      const path = join(dir, "s");
      const lock = StateLock.acquire(path, "zkmargin account deposit");
      const info = JSON.parse(readFileSync(lockOf(path), "utf8"));
      expect(info).to.include({ pid: process.pid, host: hostname(), command: "zkmargin account deposit" });
      const e = thrown(() => StateLock.acquire(path)) as ValidationError;
      expect(e.field).to.equal("--state");
      expect(e.message).to.contain("another zkmargin command holds").and.contain(path);
      lock.release();
      expect(existsSync(lockOf(path))).to.equal(false);
      StateLock.acquire(path).release();
    });

    it("a lock of another live process is refused; one left by a dead process is taken over", async () => {
      const path = join(dir, "s");
      const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
      try {
        writeLock(path, { pid: child.pid, host: hostname(), since: new Date().toISOString() });
        expect(thrown(() => StateLock.acquire(path)).message).to.contain(`pid ${child.pid}`);
      } finally {
        child.kill("SIGKILL");
        await new Promise((res) => child.on("exit", res));
      }
      const lock = StateLock.acquire(path); // its owner is gone
      expect(JSON.parse(readFileSync(lockOf(path), "utf8")).pid).to.equal(process.pid);
      lock.release();
      writeLock(path, { pid: deadPid(), host: hostname(), since: "2020-01-01T00:00:00.000Z" });
      StateLock.acquire(path).release();
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it("a half-written lock is respected while fresh and taken over once old; another host's lock is never taken over", () => {
      const path = join(dir, "s");
      writeFileSync(lockOf(path), "");
      expect(thrown(() => StateLock.acquire(path)).message).to.contain("another zkmargin command holds");
      const old = new Date(Date.now() - 60_000);
      utimesSync(lockOf(path), old, old);
      StateLock.acquire(path).release();
      writeLock(path, { pid: deadPid(), host: "elsewhere.example", since: "2020-01-01T00:00:00.000Z" });
      expect(thrown(() => StateLock.acquire(path)).message).to.contain("on elsewhere.example");
    });

    it("release removes only its own lock", () => {
      const path = join(dir, "s");
      const lock = StateLock.acquire(path);
      rmSync(lockOf(path));
      writeLock(path, { pid: process.pid + 1, host: hostname(), since: "now" });
      lock.release();
      expect(existsSync(lockOf(path))).to.equal(true);
    });

    it("a missing or unwritable folder is refused naming --state", () => {
      expect(thrown(() => StateLock.acquire(join(dir, "nope", "s"))).message).to.match(/^--state: directory .*nope does not exist/);
      const ro = unwritableFolder(dir);
      expect(thrown(() => StateLock.acquire(join(ro, "s"))).message).to.match(/^--state: cannot create the lock file/);
    });

    it("concurrent commands taking over one stale lock: exactly one wins", async function () {
      this.timeout(60_000);
      const path = join(dir, "s");
      writeLock(path, { pid: deadPid(), host: hostname(), since: "2020-01-01T00:00:00.000Z" });
      const at = Date.now() + 4000;
      const script = `
        const { StateLock } = await import(${JSON.stringify(join(REPO_ROOT, "client", "state.ts"))});
        while (Date.now() < ${at}) {}
        try { const l = StateLock.acquire(${JSON.stringify(path)}); console.log("won"); setTimeout(() => l.release(), 2000); }
        catch (e) { console.log("lost: " + e.message); }`;
      const runs = Array.from(
        { length: 4 },
        () =>
          new Promise<string>((res) => {
            const c = spawn(process.execPath, ["--input-type=module", "-e", script]);
            let out = "";
            c.stdout.on("data", (b) => (out += b));
            c.on("exit", () => res(out.trim()));
          }),
      );
      const outs = await Promise.all(runs);
      expect(
        outs.filter((o) => o === "won"),
        outs.join("\n"),
      ).to.have.length(1);
      for (const o of outs.filter((x) => x !== "won")) expect(o).to.contain("another zkmargin command holds");
      expect(existsSync(lockOf(path))).to.equal(false);
    });
  });
});
