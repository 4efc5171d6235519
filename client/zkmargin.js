#!/usr/bin/env node
// Package bin: `npx zkmargin ...`. In a checkout the CLI is TypeScript run by Node's type
// stripping (>= 22.18), or the JavaScript that `npm ci` compiled into dist/ while every source is
// unchanged since (dist/sources.json: size and mtime of each; faster start-up, never stale code).
// An installed package always runs dist/ (Node does not strip types under node_modules).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const source = join(here, "cli", "main.ts");
const compiled = join(root, "dist", "client", "cli", "main.js");
const installed = here.split(/[\\/]/).includes("node_modules") || !existsSync(source);

/** dist/ was compiled from exactly the sources in the tree now. */
function distIsCurrent() {
  try {
    const { sources } = JSON.parse(readFileSync(join(root, "dist", "sources.json"), "utf8"));
    for (const [file, [size, mtime]] of Object.entries(sources)) {
      const st = statSync(join(root, file));
      if (st.size !== size || Math.floor(st.mtimeMs) !== mtime) return false;
    }
    return existsSync(compiled);
  } catch {
    return false;
  }
}

const useDist = installed || (process.env.ZKMARGIN_FROM_SOURCE !== "1" && distIsCurrent());
if (!useDist) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 18)) {
    process.stderr.write(
      `zkmargin: needs Node >= 22.18 (this is ${process.version}); run it through npx in the project, ` +
        "which uses the node@22 devDependency\n",
    );
    process.exit(3);
  }
}
const { main } = await import(useDist ? compiled : source);
process.exitCode = await main(process.argv.slice(2));
