// npm pack's prepack step: an installed package cannot run TypeScript (Node does not strip
// types under node_modules), so compile the library and the CLI into dist/, and export the
// compiled contracts (ABI, bytecode, library links) into dist/contracts/ so deploy and the
// account commands work without Hardhat. `--clean` (postpack) removes dist/ again.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../prover/artifacts.ts";
import { DEPLOYABLE, buildPath, compileContracts } from "../client/contracts.ts";
import { log } from "./lib.ts";

const dist = join(PACKAGE_ROOT, "dist");
rmSync(dist, { recursive: true, force: true });
if (process.argv.includes("--clean")) process.exit(0);

log("compiling TypeScript into dist/");
execFileSync(process.execPath, [join(PACKAGE_ROOT, "node_modules/typescript/bin/tsc"), "-p", join(PACKAGE_ROOT, "tsconfig.build.json")], { stdio: "inherit" });
log("exporting contract artifacts into dist/contracts/");
await compileContracts();
mkdirSync(join(dist, "contracts"), { recursive: true });
for (const name of DEPLOYABLE) {
  const a = JSON.parse(readFileSync(join(PACKAGE_ROOT, "build/hardhat/artifacts", buildPath(name)), "utf8"));
  writeFileSync(join(dist, "contracts", `${name}.json`), `${JSON.stringify({ contractName: name, abi: a.abi, bytecode: a.bytecode, linkReferences: a.linkReferences ?? {} })}\n`);
}
log(`dist/ ready (${DEPLOYABLE.length} contracts)`);
process.exit(0);
