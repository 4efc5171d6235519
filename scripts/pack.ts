// Compile the library and the CLI into dist/ (JavaScript, tsc with rewritten import extensions).
//   --js       (npm's prepare, after every npm ci): dist/ as a start-up cache for a checkout. Node
//              strips types at every start (~0.1 s before any of our code runs); the bin runs
//              dist/ instead while dist/sources.json says every source is unchanged since the
//              build, and the TypeScript sources otherwise (never stale code).
//   (default)  npm pack's prepack: the same, plus the compiled contracts (ABI, bytecode, links)
//              in dist/contracts/, because an installed package cannot run TypeScript (Node does
//              not strip types under node_modules) and has no Hardhat to compile contracts.
//   --clean    remove dist/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PACKAGE_ROOT } from "../prover/artifacts.ts";
import { DEPLOYABLE, buildPath, compileContracts } from "../client/contracts.ts";
import { log } from "./lib.ts";

const dist = join(PACKAGE_ROOT, "dist");
rmSync(dist, { recursive: true, force: true });
if (process.argv.includes("--clean")) process.exit(0);

log("compiling TypeScript into dist/");
execFileSync(process.execPath, [join(PACKAGE_ROOT, "node_modules/typescript/bin/tsc"), "-p", join(PACKAGE_ROOT, "tsconfig.build.json")], {
  stdio: "inherit",
});
// what the bin checks before it runs dist/: every compiled source with its size and mtime
const sources: Record<string, [number, number]> = {};
const walk = (dir: string) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".ts")) {
      const st = statSync(p);
      sources[relative(PACKAGE_ROOT, p)] = [st.size, Math.floor(st.mtimeMs)];
    }
  }
};
for (const d of ["prover", "client", "tools", "risk"]) walk(join(PACKAGE_ROOT, d));
writeFileSync(join(dist, "sources.json"), `${JSON.stringify({ builtAt: new Date().toISOString(), sources })}\n`);
if (process.argv.includes("--js")) {
  log(`dist/ ready (${Object.keys(sources).length} sources)`);
  process.exit(0);
}
log("exporting contract artifacts into dist/contracts/");
await compileContracts();
mkdirSync(join(dist, "contracts"), { recursive: true });
for (const name of DEPLOYABLE) {
  const a = JSON.parse(readFileSync(join(PACKAGE_ROOT, "build/hardhat/artifacts", buildPath(name)), "utf8"));
  writeFileSync(
    join(dist, "contracts", `${name}.json`),
    `${JSON.stringify({ contractName: name, abi: a.abi, bytecode: a.bytecode, linkReferences: a.linkReferences ?? {} })}\n`,
  );
}
log(`dist/ ready (${DEPLOYABLE.length} contracts)`);
process.exit(0);
