// The services' CLI contract (issue #12): one-line errors naming the option or variable, exit 1
// for bad input and 3 for an unreachable Redis, before anything long-running starts.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

const BIN = join(REPO_ROOT, "client", "zkmargin.js");
const run = (env: Record<string, string>, ...args: string[]) => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ZKMARGIN_"))) as Record<string, string>;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT, timeout: 60_000, env: { ...clean, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("zkmargin watchtower | liquidator | worker: input errors", function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), "zkmargin-services-cli-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("lists the services in --help", () => {
    const r = run({}, "--help");
    expect(r.stdout).to.match(/watchtower .*\n.*liquidator .*\n.*worker /);
    expect(run({}, "watchtower", "serve", "--help").stdout).to.contain("--redis URL");
  });

  it("names the missing or bad option, exit 1, one line, no stack", () => {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{}, ["watchtower", "serve", "--deployment", "d.json"], /--clients: required/],
      [{}, ["watchtower", "serve", "--clients", join(dir, "nope")], /--clients: .* is not a folder/],
      [{}, ["watchtower", "serve", "--clients", dir], /ZKMARGIN_WATCHTOWER_PASSPHRASE: must be set/],
      [
        { ZKMARGIN_WATCHTOWER_PASSPHRASE: "x" },
        ["watchtower", "serve", "--clients", dir, "--batch", "0", "--deployment", "d"],
        /--batch: must be an integer in \[1, 256\]/,
      ],
      [{}, ["watchtower", "add", "--state", join(dir, "none.state"), "--clients", dir], /--state: .* does not exist/],
      [{}, ["worker", "--redis", "http://127.0.0.1:6379"], /--redis: must be a redis:\/\/ or rediss:\/\/ URL/],
      [{}, ["worker", "--redis", "redis://127.0.0.1:6379"], /ZKMARGIN_QUEUE_KEY: must be set/],
      [
        { ZKMARGIN_QUEUE_KEY: "short" },
        ["worker", "--redis", "redis://127.0.0.1:6379"],
        /ZKMARGIN_QUEUE_KEY: must be at least 16 characters/,
      ],
      [{}, ["liquidator", "serve", "--liquidation-key", join(dir, "public.json")], /--liquidation-key: has no secret/],
    ];
    writeFileSync(join(dir, "public.json"), JSON.stringify({ publicKey: ["1", "2"] }));
    for (const [env, args, re] of cases) {
      const r = run(env, ...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).to.equal(1);
      expect(r.stderr).to.match(re);
      expect(r.stderr.trim().split("\n")).to.have.length(1);
    }
  });

  it("an unreachable Redis is one line and exit 3", () => {
    const r = run({ ZKMARGIN_QUEUE_KEY: "0123456789abcdef-queue" }, "worker", "--redis", "redis://127.0.0.1:1");
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
  });
});
