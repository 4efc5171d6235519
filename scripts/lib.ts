// Shared helpers of the build scripts (compile, setup, bench).
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

export const BUILD_DIR = join(REPO_ROOT, "build");
export const CIRCUITS_DIR = join(REPO_ROOT, "circuits");

export { sha256File } from "../tools/r1cs.ts";
import { sha256File } from "../tools/r1cs.ts";

export function log(msg: string): void {
  process.stderr.write(`[zkmargin] ${msg}\n`);
}

/** snarkjs logger that prints its info lines (progress) to stderr. */
export const snarkLogger = {
  info: (m: string) => process.stderr.write(`  snarkjs: ${m}\n`),
  debug: () => {},
  warn: (m: string) => process.stderr.write(`  snarkjs warning: ${m}\n`),
  error: (m: string) => process.stderr.write(`  snarkjs error: ${m}\n`),
};

/** All circom sources of the project, sorted, with their sha256 (one hash over all of them too). */
export function circuitSourcesHash(): { files: Record<string, string>; combined: string } {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".circom")) files[relative(REPO_ROOT, p)] = sha256File(p);
    }
  };
  walk(CIRCUITS_DIR);
  const circomlib = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/circomlib/package.json"), "utf8")).version;
  const combined = createHash("sha256").update(JSON.stringify({ files, circomlib })).digest("hex");
  return { files, combined };
}

/** Compile a main circuit with circom2 (WASM build of circom, run from the repo root). */
export function compileCircuit(name: string, outDir = BUILD_DIR): { r1cs: string; wasm: string; sym: string } {
  return compileCircom(join(CIRCUITS_DIR, "main", `${name}.circom`), outDir);
}

/** Compile any circom file under the repo root into outDir (--r1cs --wasm --sym --O2). */
export function compileCircom(source: string, outDir: string): { r1cs: string; wasm: string; sym: string } {
  const cli = join(REPO_ROOT, "node_modules/circom2/cli.js");
  const src = relative(REPO_ROOT, source);
  const out = relative(REPO_ROOT, outDir) || ".";
  execFileSync(process.execPath, [cli, src, "--r1cs", "--wasm", "--sym", "--O2", "-l", "node_modules", "-o", out], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const name = source.replace(/^.*\//, "").replace(/\.circom$/, "");
  return {
    r1cs: join(outDir, `${name}.r1cs`),
    wasm: join(outDir, `${name}_js`, `${name}.wasm`),
    sym: join(outDir, `${name}.sym`),
  };
}
