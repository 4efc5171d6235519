// Where the proving artifacts of each shipped circuit live.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ARTIFACTS_DIR = join(REPO_ROOT, "artifacts");

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
export const CIRCUITS = ["margin", "transition"] as const;
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
