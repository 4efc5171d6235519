// npm run compile:circuits — compile every shipped circuit into build/ and compare the r1cs
// with the artifacts manifest (what CI runs to prove the shipped artifacts match the sources).
// --update-sources: when every r1cs matches byte for byte (comments, names of constants or
// layout changed, not the constraint system), record the new source hashes in the manifest.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS_DIR, CIRCUITS } from "../prover/artifacts.ts";
import { BUILD_DIR, circuitSourcesHash, compileCircuit, log, sha256File } from "./lib.ts";

mkdirSync(BUILD_DIR, { recursive: true });
const manifestPath = join(ARTIFACTS_DIR, "manifest.json");
const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : null;
let mismatch = 0;
for (const name of CIRCUITS) {
  log(`compiling circuits/main/${name}.circom`);
  const out = compileCircuit(name);
  const r1cs = sha256File(out.r1cs);
  const expected = manifest?.circuits?.[name]?.r1cs?.sha256;
  if (!expected) {
    log(`${name}: no manifest entry (run npm run setup)`);
    mismatch++;
  } else if (expected !== r1cs) {
    log(`${name}: r1cs sha256 ${r1cs} differs from the manifest ${expected}`);
    mismatch++;
  } else {
    log(`${name}: r1cs matches the manifest (${r1cs})`);
  }
}
const sources = circuitSourcesHash();
if (manifest && manifest.sources?.combined !== sources.combined) {
  if (mismatch === 0 && process.argv.includes("--update-sources")) {
    manifest.sources = sources;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    log(`every r1cs matches: recorded the new circuit sources hash ${sources.combined}`);
  } else {
    log(`circuit sources hash ${sources.combined} differs from the manifest ${manifest.sources?.combined}`);
    mismatch++;
  }
}
process.exit(mismatch === 0 ? 0 : 1);
