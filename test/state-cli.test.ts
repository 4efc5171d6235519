// The account CLI's file errors (no chain needed: every one is caught before connecting): every
// failure exits 1 with a message naming the option or the file (or 3 with one line), never a
// stack trace without --debug — a directory where a file is expected (--state, --params, --fill,
// --out), truncated and corrupted state files (a truncated authentication tag too), a wrong
// passphrase, missing and unwritable folders for --out and --state, a 50 MB params.json (refused
// from its size, fast), and the lock on a state file (live: refused; left by a dead process:
// taken over and released, on errors too). The same for the main commands' inputs and outputs
// (check, prove, verify, keygen, deploy, epoch post, fill new, risk worst), malformed trade legs
// (each field named before anything connects) and an error quoting a huge value (one clipped line).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { commitment } from "../prover/encoding.ts";
import { emptyPortfolio } from "../prover/transition/rule.ts";
import { StateStore } from "../client/state.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const PASS = "state cli passphrase";
const BOB = "0x00000000000000000000000000000000000000b0";

describe("account CLI: state files and file errors", function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-state-cli-"));
  const good = join(dir, "good.state");
  const folder = join(dir, "folder");
  const fill = join(dir, "fill.json");
  const deployment = join(dir, "deployment.json");
  const params = join(REPO_ROOT, "examples", "params.json");
  const run = (args: string[], env: Record<string, string> = { ZKMARGIN_PASSPHRASE: PASS }) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      cwd: REPO_ROOT,
      timeout: 120_000,
      env: { ...process.env, ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** exit 1, the message names `what`, one error line, no stack trace */
  const refused = (r: { code: number | null; stderr: string }, ...what: (string | RegExp)[]) => {
    expect(r.code, r.stderr).to.equal(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("zkmargin: error:") || l.startsWith("zkmargin: internal error:"));
    expect(errors, r.stderr).to.have.length(1);
    for (const w of what) typeof w === "string" ? expect(errors[0]).to.contain(w) : expect(errors[0]).to.match(w);
    expect(r.stderr).to.not.match(/\n\s+at /);
  };
  const legArgs = (out: string, f = fill) => [
    "account",
    "trade-leg",
    "--state",
    good,
    "--fill",
    f,
    "--side",
    "buy",
    "--counterparty",
    BOB,
    "--params",
    params,
    "--out",
    out,
  ];

  before(() => {
    const empty = emptyPortfolio(8, 4);
    StateStore.create(good, PASS, {
      chainId: "31337",
      contract: "0x0000000000000000000000000000000000000001",
      account: "0x0000000000000000000000000000000000000002",
      current: { portfolio: empty, commitment: commitment(empty), nonce: 0, label: "open" },
    });
    mkdirSync(folder);
    writeFileSync(fill, JSON.stringify({ market: 0, size: "1", price: "97250100", salt: String(10n ** 60n) }));
    writeFileSync(deployment, JSON.stringify({ rpc: "http://127.0.0.1:9", contracts: { MarginAccounts: `0x${"11".repeat(20)}` } }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a directory where a file is expected: --state, --params, --fill, --out", () => {
    refused(run(["account", "show", "--state", folder]), "--state", "is a directory");
    refused(run(["account", "sync", "--state", folder]), "--state", "is a directory");
    refused(
      run(["account", "deposit", "--state", good, "--asset", "0", "--amount", "1", "--params", folder]),
      "--params",
      folder,
      "EISDIR",
    );
    refused(run(legArgs(join(dir, "x.leg"), folder)), "--fill", folder);
    refused(run(legArgs(folder)), "--out", "is a directory");
    refused(run(["check", "--params", folder, "--portfolio", join(REPO_ROOT, "examples", "portfolio.json")]), "--params", folder);
  });

  it("missing and unwritable folders for --out and --state", () => {
    refused(run(legArgs(join(dir, "nope", "x.leg"))), "--out", "does not exist");
    refused(run(["account", "sync", "--state", join(dir, "nope", "a.state")]), "--state", "does not exist");
    refused(run(["account", "open", "--state", join(dir, "nope", "a.state"), "--deployment", deployment]), "--state", "does not exist");
    let ro = "/sys";
    if (process.getuid?.() !== 0) {
      ro = join(dir, "ro");
      mkdirSync(ro);
      chmodSync(ro, 0o555);
    }
    refused(run(legArgs(join(ro, "x.leg"))), "--out", "cannot write in directory");
    refused(run(["account", "open", "--state", join(ro, "a.state"), "--deployment", deployment]), "--state", "cannot create the lock file");
  });

  it("truncated and corrupted state files, a truncated authentication tag, a wrong passphrase: exit 1 naming the file or the passphrase", () => {
    const whole = readFileSync(good);
    const env = JSON.parse(whole.toString("utf8"));
    const data = Buffer.from(env.data, "base64");
    data[3] ^= 1;
    const cases: [string, string | Buffer, (string | RegExp)[]][] = [
      ["empty", "", ["--state", "not JSON"]],
      ["truncated", whole.subarray(0, Math.floor(whole.length / 2)), ["--state", "not JSON"]],
      ["truncated-end", whole.subarray(0, whole.length - 3), ["--state"]],
      [
        "short-tag",
        JSON.stringify({ ...env, tag: env.tag.slice(0, 16) }),
        ["--state", "authentication tag must be 16 bytes", "got 8 bytes"],
      ],
      ["no-tag", JSON.stringify({ ...env, tag: undefined }), ["--state", "authentication tag"]],
      ["corrupted", JSON.stringify({ ...env, data: data.toString("base64") }), ["passphrase", "modified or corrupted"]],
      ["binary", Buffer.from([0xff, 0xfe, 0, 1, 2]), ["--state"]],
    ];
    for (const [name, contents, what] of cases) {
      const path = join(dir, `${name}.state`);
      writeFileSync(path, contents);
      refused(run(["account", "show", "--state", path]), path, ...what);
    }
    refused(run(["account", "show", "--state", good], { ZKMARGIN_PASSPHRASE: "not it" }), "passphrase", "wrong ZKMARGIN_PASSPHRASE", good);
    // with --debug the same failure carries its stack trace
    const debug = run(["account", "show", "--state", join(dir, "corrupted.state"), "--debug"]);
    expect(debug.code).to.equal(1);
    expect(debug.stderr).to.match(/\n\s+at /);
  });

  it("a 50 MB params.json is refused from its size, fast, naming the file", () => {
    const huge = join(dir, "huge-params.json");
    const b = Buffer.alloc(50 * 1024 * 1024, 0x20);
    b[0] = 0x7b; // "{"
    writeFileSync(huge, b);
    for (const args of [
      ["account", "deposit", "--state", good, "--asset", "0", "--amount", "1", "--params", huge],
      ["check", "--params", huge, "--portfolio", join(REPO_ROOT, "examples", "portfolio.json")],
    ]) {
      const t0 = Date.now();
      const r = run(args);
      refused(r, "--params", huge, "larger than 8 MiB");
      expect(Date.now() - t0, "refused before reading").to.be.lessThan(15_000);
    }
  });

  it("a second command on the same state exits 1 naming --state; a dead command's lock is taken over and released, on errors too", () => {
    const lock = `${good}.lock`;
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), command: "zkmargin account deposit" }),
    );
    refused(run(["account", "sync", "--state", good]), "--state", "another zkmargin command holds", `pid ${process.pid}`);
    refused(run(["account", "deposit", "--state", good, "--asset", "0", "--amount", "1"]), "--state", "another zkmargin command holds");
    expect(existsSync(lock), "a live lock is left alone").to.equal(true);
    expect(run(["account", "show", "--state", good]).code, "show only reads").to.equal(0);
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), since: "2020-01-01T00:00:00.000Z" }));
    // taken over, then the command fails (no deployment): the lock is released on the error
    refused(run(["account", "sync", "--state", good]), "--deployment");
    expect(existsSync(lock)).to.equal(false);
    // an unreachable node: exit 3, one line, and the lock released
    const r = run(["account", "sync", "--state", good, "--deployment", deployment]);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr.split("\n").filter((l) => l.includes("error:"))).to.have.length(1);
    expect(r.stderr).to.not.match(/\n\s+at /);
    expect(existsSync(lock)).to.equal(false);
  });

  describe("the main commands", () => {
    const portfolio = join(REPO_ROOT, "examples", "portfolio.json");
    const trunc = join(dir, "truncated.json");
    const huge = join(dir, "huge.json");
    let ro: string;
    before(() => {
      writeFileSync(trunc, readFileSync(params).subarray(0, 100));
      writeFileSync(huge, `{"pad":"${"x".repeat(9 * 1024 * 1024)}"}`);
      ro = "/sys";
      if (process.getuid?.() !== 0) {
        ro = join(dir, "ro-main");
        mkdirSync(ro);
        chmodSync(ro, 0o555);
      }
    });

    it("an output that is a directory, in a missing folder or in an unwritable folder: exit 1 naming the option and the path", () => {
      const outputs: [string, string[], string][] = [
        ["prove", ["prove", "--params", params, "--portfolio", portfolio, "--level", "maintenance", "--binding", "1", "--out"], "--out"],
        ["keygen", ["keygen", "--out"], "--out"],
        ["deploy", ["deploy", "--rpc", "http://127.0.0.1:9", "--out"], "--out"],
        ["fill new", ["fill", "new", "--market", "BTC", "--size", "1", "--price", "97250", "--out"], "--out"],
        ["risk worst", ["risk", "worst", "--synthetic", "--params", params, "--json"], "--json"],
      ];
      for (const [name, args, option] of outputs) {
        if (name !== "keygen") refused(run([...args, folder]), option, "is a directory");
        else refused(run([...args, folder]), option, folder);
        refused(run([...args, join(dir, "missing", "x.json")]), option, "does not exist", join(dir, "missing"));
        refused(run([...args, join(ro, "x.json")]), option, "cannot write in directory", ro);
      }
    });

    it("an input that is a directory, a missing file, truncated JSON or a 9 MiB file: exit 1 naming the option and the file", () => {
      const inputs: [string[], string][] = [
        [["check", "--portfolio", portfolio, "--params"], "--params"],
        [["check", "--params", params, "--portfolio"], "--portfolio"],
        [["verify", "--proof"], "--proof"],
        [["epoch", "post", "--params", params, "--deployment"], "--deployment"],
        [["account", "trade", "--state", good, "--counter", params, "--leg"], "--leg"],
      ];
      for (const [args, option] of inputs) {
        refused(run([...args, folder]), option, folder, "EISDIR");
        refused(run([...args, join(dir, "nothing.json")]), option, "ENOENT");
        refused(run([...args, trunc]), option, "not valid JSON");
        refused(run([...args, huge]), option, huge, "larger than 8 MiB");
      }
    });

    it("a malformed trade leg names the leg and its field before anything connects", () => {
      const leg = {
        schema: "zkmargin/trade-leg/v1",
        account: BOB,
        counterparty: BOB,
        side: "buy",
        fill: "1",
        epochId: "1",
        pending: "1",
        signature: `0x${"11".repeat(65)}`,
        data: {
          newCommitment: "1",
          ephemeralKey: "1",
          cipher: "1",
          flat: false,
          proof: {
            a: ["1", "2"],
            b: [
              ["1", "2"],
              ["3", "4"],
            ],
            c: ["1", "2"],
          },
        },
      };
      const mine = join(dir, "mine.leg");
      writeFileSync(mine, JSON.stringify(leg));
      const cases: [string, unknown, string][] = [
        ["no-proof", { ...leg, data: { ...leg.data, proof: undefined } }, "--counter: data.proof.b"],
        ["short-a", { ...leg, data: { ...leg.data, proof: { ...leg.data.proof, a: ["1"] } } }, "--counter: data.proof.a"],
        [
          "bad-b",
          {
            ...leg,
            data: {
              ...leg.data,
              proof: {
                ...leg.data.proof,
                b: [
                  ["1", "2"],
                  ["x", "4"],
                ],
              },
            },
          },
          "--counter: data.proof.b[1][0]",
        ],
        ["hex-a", { ...leg, data: { ...leg.data, proof: { ...leg.data.proof, a: ["0x1", "0xzz"] } } }, "--counter: data.proof.a[1]"],
        [
          "big-c",
          { ...leg, data: { ...leg.data, proof: { ...leg.data.proof, c: ["1", (1n << 256n).toString()] } } },
          "--counter: data.proof.c[1]",
        ],
        ["signature", { ...leg, signature: "0x1234" }, "--counter: signature"],
        ["flat", { ...leg, data: { ...leg.data, flat: "yes" } }, "--counter: data.flat"],
        ["side", { ...leg, side: "long" }, "--counter: side"],
        ["account", { ...leg, account: "0x12" }, "--counter: account"],
        ["schema", { ...leg, schema: undefined }, "--counter"],
      ];
      for (const [name, contents, what] of cases) {
        const path = join(dir, `${name}.leg`);
        writeFileSync(path, JSON.stringify(contents));
        refused(run(["account", "trade", "--state", good, "--leg", mine, "--counter", path, "--deployment", deployment]), what);
      }
    });

    it("an error quoting a huge value is one line, clipped", () => {
      const r = run(["fill", "new", "--market", "BTC", "--size", "9".repeat(100_000), "--price", "97250"]);
      refused(r, "--size", "characters)");
      expect(r.stderr.length).to.be.lessThan(2_000);
    });
  });
});
