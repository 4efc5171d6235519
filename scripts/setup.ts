// npm run setup [-- --circuit NAME] [--ptau FILE] [--beacon HEX] [--entropy TEXT]
// Rebuilds every proving artifact from sources, with progress on stderr:
//   1. compile circuits/main/*.circom (circom2, --O2)
//   2. phase 1: a public powers-of-tau file (--ptau) or a local one (new + contribution + beacon,
//      prepared for phase 2), cached outside the repo in $ZKMARGIN_CACHE or ~/.cache/zkmargin
//   3. phase 2: groth16 setup, one contribution, one beacon; verified against r1cs + ptau
//   4. export the verification key and the Solidity verifier (untouched snarkjs template)
//   5. write artifacts/manifest.json (sha256 of sources, r1cs, wasm, zkey, vkey, verifier)
// --circuit NAME rebuilds one circuit and keeps the other circuits' manifest entries.
// The local ceremony is for development: production keys come from a multi-party phase 2
// (docs/SPEC.md, "Trusted setup").
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import * as snarkjs from "snarkjs";
import { ARTIFACTS_DIR, CIRCUITS, REPO_ROOT, circuitArtifacts } from "../prover/artifacts.ts";
import { releaseCurves } from "../prover/prover.ts";
import { DEFAULT_DIMS } from "../prover/types.ts";
import { BUILD_DIR, circuitSourcesHash, compileCircuit, log, sha256File, snarkLogger } from "./lib.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const cacheDir = process.env.ZKMARGIN_CACHE ?? join(homedir(), ".cache", "zkmargin");
const started = Date.now();
const step = (n: number, what: string) => log(`[${n}/5] ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

async function localPtau(power: number): Promise<string> {
  const dir = join(cacheDir, "ptau");
  const final = join(dir, `pot${power}_final.ptau`);
  if (existsSync(final)) {
    log(`using cached local powers of tau ${final}`);
    return final;
  }
  mkdirSync(dir, { recursive: true });
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  const p0 = join(dir, `pot${power}_0000.ptau`);
  const p1 = join(dir, `pot${power}_0001.ptau`);
  const pb = join(dir, `pot${power}_beacon.ptau`);
  const tmp = `${final}.tmp`;
  log(`generating local powers of tau 2^${power} (several minutes; cached in ${dir})`);
  await snarkjs.powersOfTau.newAccumulator(curve, power, p0, snarkLogger);
  await snarkjs.powersOfTau.contribute(p0, p1, "zkmargin local phase1", randomBytes(64).toString("hex"), snarkLogger);
  await snarkjs.powersOfTau.beacon(
    p1,
    pb,
    "zkmargin phase1 beacon",
    createHash("sha256").update("zkmargin-phase1").digest("hex"),
    10,
    snarkLogger,
  );
  await snarkjs.powersOfTau.preparePhase2(pb, tmp, snarkLogger);
  renameSync(tmp, final);
  for (const f of [p0, p1]) rmSync(f, { force: true });
  return final;
}

async function main(): Promise<void> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const sources = circuitSourcesHash();
  const manifestPath = join(ARTIFACTS_DIR, "manifest.json");
  const previous = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : { circuits: {} };
  const only = arg("circuit");
  if (only !== undefined && !(CIRCUITS as readonly string[]).includes(only)) {
    throw new Error(`--circuit ${only}: unknown circuit (shipped: ${CIRCUITS.join(", ")})`);
  }
  const manifest: Record<string, unknown> = {
    version: 1,
    generatedAt: new Date().toISOString(),
    tools: {
      snarkjs: JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/snarkjs/package.json"), "utf8")).version,
      circom2: JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/circom2/package.json"), "utf8")).version,
      circomlib: JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/circomlib/package.json"), "utf8")).version,
    },
    sources,
    circuits: { ...previous.circuits } as Record<string, unknown>,
  };
  const circuits = manifest.circuits as Record<string, unknown>;

  for (const name of CIRCUITS.filter((c) => only === undefined || c === only)) {
    step(1, `compiling circuits/main/${name}.circom`);
    const built = compileCircuit(name);
    const info = (await snarkjs.r1cs.info(built.r1cs)) as { nConstraints: number; nPubInputs: number; nOutputs: number };
    const needed = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
    let power = 8;
    while (1 << power < needed) power++;
    log(`${name}: ${info.nConstraints} constraints -> powers of tau 2^${power}`);

    step(2, "phase 1 (powers of tau)");
    const ptauArg = arg("ptau");
    const ptau = ptauArg ?? (await localPtau(power));
    if (!existsSync(ptau)) throw new Error(`--ptau ${ptau}: file not found`);

    step(3, "phase 2: setup, contribution, beacon, verification");
    const a = circuitArtifacts(name);
    const z0 = join(BUILD_DIR, `${name}_0000.zkey`);
    const z1 = join(BUILD_DIR, `${name}_0001.zkey`);
    const zf = join(BUILD_DIR, `${name}_final.zkey`);
    await snarkjs.zKey.newZKey(built.r1cs, ptau, z0, snarkLogger);
    const entropy = arg("entropy") ?? randomBytes(64).toString("hex");
    const contribution = await snarkjs.zKey.contribute(z0, z1, "zkmargin dev contribution", entropy, snarkLogger);
    const beacon = arg("beacon") ?? createHash("sha256").update(`zkmargin-beacon:${sources.combined}`).digest("hex");
    const beaconHash = await snarkjs.zKey.beacon(z1, zf, "zkmargin dev beacon", beacon, 10, snarkLogger);
    const ok = await snarkjs.zKey.verifyFromR1cs(built.r1cs, ptau, zf, snarkLogger);
    if (!ok) throw new Error("phase 2 verification failed: the zkey does not match the r1cs and ptau");

    step(4, "exporting verification key and Solidity verifier");
    const vkey = await snarkjs.zKey.exportVerificationKey(zf, snarkLogger);
    if (JSON.stringify(vkey.vk_delta_2) === JSON.stringify(vkey.vk_gamma_2)) {
      throw new Error("vk_delta_2 equals vk_gamma_2: phase 2 has no contribution");
    }
    const template = readFileSync(join(REPO_ROOT, "node_modules/snarkjs/templates/verifier_groth16.sol.ejs"), "utf8");
    const solidity = await snarkjs.zKey.exportSolidityVerifier(zf, { groth16: template }, snarkLogger);

    mkdirSync(a.dir, { recursive: true });
    mkdirSync(dirname(a.verifier), { recursive: true });
    copyFileSync(built.r1cs, a.r1cs);
    copyFileSync(built.wasm, a.wasm);
    copyFileSync(built.sym, a.sym);
    copyFileSync(zf, a.zkey);
    writeFileSync(a.vkey, `${JSON.stringify(vkey, null, 1)}\n`);
    writeFileSync(a.verifier, solidity);
    for (const f of [z0, z1]) rmSync(f, { force: true });

    const entry = (p: string) => ({ path: relative(REPO_ROOT, p), sha256: sha256File(p) });
    circuits[name] = {
      dims: DEFAULT_DIMS,
      constraints: info.nConstraints,
      ptau: { power, sha256: sha256File(ptau), source: ptauArg ? relative(REPO_ROOT, ptauArg) : "local (npm run setup)" },
      r1cs: entry(a.r1cs),
      wasm: entry(a.wasm),
      sym: entry(a.sym),
      zkey: entry(a.zkey),
      vkey: entry(a.vkey),
      verifier: entry(a.verifier),
      phase2: {
        contributions: [{ name: "zkmargin dev contribution", hash: Buffer.from(contribution).toString("hex") }],
        beacon: { value: beacon, iterationsExp: 10, hash: Buffer.from(beaconHash).toString("hex") },
      },
    };
  }

  step(5, "writing artifacts/manifest.json");
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main()
  .then(releaseCurves)
  .catch(async (e) => {
    log(`setup failed: ${(e as Error).message}`);
    await releaseCurves();
    process.exit(1);
  });
