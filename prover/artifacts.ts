// Where the proving artifacts of each shipped circuit live.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's root folder: the nearest folder above this module with zkmargin's package.json.
 * Files are found relative to it, never to the working directory, so the CLI and the library
 * work from a checkout (prover/*.ts) and from an installed package (dist/prover/*.js) alike.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "zkmargin") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`zkmargin's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const PACKAGE_ROOT = packageRoot();
/** The checkout's root (the same folder as PACKAGE_ROOT; the name the build scripts use). */
export const REPO_ROOT = PACKAGE_ROOT;
export const ARTIFACTS_DIR = join(PACKAGE_ROOT, "artifacts");

export interface CircuitArtifacts {
  name: string;
  dir: string;
  wasm: string;
  zkey: string;
  vkey: string;
  r1cs: string;
  sym: string;
  verifier: string;
}

/** Circuits shipped by this package, by name. */
export const CIRCUITS = ["margin", "transition", "liquidation", "takeover"] as const;
export type CircuitName = (typeof CIRCUITS)[number];

export function circuitArtifacts(name: CircuitName = "margin", root = ARTIFACTS_DIR): CircuitArtifacts {
  const dir = join(root, name);
  return {
    name,
    dir,
    wasm: join(dir, `${name}.wasm`),
    zkey: join(dir, `${name}.zkey`),
    vkey: join(dir, "verification_key.json"),
    r1cs: join(dir, `${name}.r1cs`),
    sym: join(dir, `${name}.sym`),
    verifier: join(REPO_ROOT, "verifier-contracts", "generated", `${name[0].toUpperCase()}${name.slice(1)}Verifier.sol`),
  };
}
