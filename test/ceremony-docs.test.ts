// docs/CEREMONY.md's "Trying it in a minute" example, run exactly as written: the commands of the
// sh block after the `test/ceremony-docs.test.ts` marker, in order, in one shell from the
// checkout's root, with TMPDIR pointing at a temporary folder (the block's `mktemp -d` lands
// there). Each command must exit 0 and the final verification key must exist, so the docs
// cannot drift from the CLI.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

const DOC = join(REPO_ROOT, "docs", "CEREMONY.md");
const MARKER = "test/ceremony-docs.test.ts runs every command of the next block";

/** The commands of the first ```sh block after the marker: comments and blank lines dropped, `\` continuations joined. */
function exampleCommands(markdown: string): string[] {
  const at = markdown.indexOf(MARKER);
  if (at < 0) throw new Error(`docs/CEREMONY.md has no "${MARKER}" marker`);
  const m = /```sh\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!m) throw new Error("no ```sh block after the marker");
  const commands: string[] = [];
  let pending = "";
  for (const raw of m[1].split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    commands.push(pending + line);
    pending = "";
  }
  if (pending) commands.push(pending.trim());
  return commands;
}

function find(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) found.push(...find(p, name));
    else if (e === name) found.push(p);
  }
  return found;
}

describe("docs/CEREMONY.md example (ceremony docs)", function () {
  this.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), "zkmargin-ceremony-docs-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("the example block is the whole flow: a local ptau, init on tiny's r1cs, two contributions, a 0x beacon, verify, finalize", () => {
    const cmds = exampleCommands(readFileSync(DOC, "utf8"));
    const zk = (step: string) => cmds.filter((c) => c.startsWith(`npx zkmargin ceremony ${step} `));
    expect(cmds.some((c) => /^npx circom2 test\/circuits\/tiny\.circom /.test(c))).to.equal(true);
    expect(cmds.some((c) => c.startsWith("npx snarkjs powersoftau new "))).to.equal(true);
    expect(cmds.some((c) => c.startsWith("npx snarkjs powersoftau prepare phase2 "))).to.equal(true);
    expect(zk("init")).to.have.length(1);
    expect(zk("init")[0]).to.contain("--r1cs").and.not.to.contain("--circuit"); // named after the r1cs file
    expect(zk("contribute")).to.have.length(2);
    expect(zk("beacon")).to.have.length(1);
    expect(zk("beacon")[0]).to.match(/--hash 0x[0-9a-f]{64}( |$)/);
    expect(zk("verify")).to.have.length(1);
    expect(zk("finalize")).to.have.length(1);
  });

  it("runs every documented command, each exiting 0, and ends with the verification key", () => {
    const cmds = exampleCommands(readFileSync(DOC, "utf8"));
    // one shell, so the block's variables carry over; after each command its exit code is reported
    const script = cmds.map((c, i) => `${c}\n__rc=$?; echo "::step ${i} $__rc" >&2; [ "$__rc" -eq 0 ] || exit 99`).join("\n");
    const started = Date.now();
    const r = spawnSync("sh", ["-c", script], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        TMPDIR: tmp,
        // the node running the tests runs the commands; npx must never download anything
        PATH: `${dirname(process.execPath)}${delimiter}${join(REPO_ROOT, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
        npm_config_offline: "true",
        npm_config_update_notifier: "false",
      },
    });
    const seconds = (Date.now() - started) / 1000;
    const reported = [...r.stderr.matchAll(/^::step (\d+) (\d+)$/gm)].map((m) => ({ i: Number(m[1]), rc: Number(m[2]) }));
    const failed = reported.find((s) => s.rc !== 0);
    expect(failed, failed && `'${cmds[failed.i]}' exited ${failed.rc}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`).to.equal(
      undefined,
    );
    expect(
      reported.map((s) => s.i),
      r.stderr.slice(-3000),
    ).to.deep.equal(cmds.map((_, i) => i));
    expect(r.status).to.equal(0);
    const vkeys = find(tmp, "verification_key.json");
    expect(vkeys, `nothing under ${tmp}`).to.have.length(1);
    const out = /--out (\S+)/.exec(cmds.find((c) => c.startsWith("npx zkmargin ceremony finalize "))!)![1].replace(/^\$D\//, "");
    expect(vkeys[0].endsWith(join(out, "verification_key.json")), vkeys[0]).to.equal(true);
    const vk = JSON.parse(readFileSync(vkeys[0], "utf8"));
    expect(vk.protocol).to.equal("groth16");
    expect(vk.vk_delta_2).to.not.deep.equal(vk.vk_gamma_2);
    for (const f of ["tiny.zkey", "Verifier.sol"]) expect(find(tmp, f), f).to.have.length(1);
    const transcript = JSON.parse(readFileSync(find(tmp, "transcript.json")[0], "utf8"));
    expect(transcript.circuit).to.equal("tiny");
    expect(transcript.steps.map((s: { kind: string }) => s.kind)).to.deep.equal(["init", "contribution", "contribution", "beacon"]);
    expect(transcript.steps[3].beacon.hash).to.match(/^[0-9a-f]{64}$/);
    expect(r.stdout).to.match(/tiny\.zkey/); // the closing `ls`
    process.stderr.write(`      (the documented example took ${seconds.toFixed(1)} s)\n`);
  });
});
