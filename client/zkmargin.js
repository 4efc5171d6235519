#!/usr/bin/env node
// Package bin: `npx zkmargin ...`. In a checkout the CLI is TypeScript run by Node's type
// stripping (>= 22.18); an installed package runs the JavaScript that `npm pack` compiled into
// dist/ (Node does not strip types under node_modules).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "cli", "main.ts");
const compiled = join(here, "..", "dist", "client", "cli", "main.js");
const installed = here.split(/[\\/]/).includes("node_modules") || !existsSync(source);
if (!installed) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 18)) {
    process.stderr.write(
      `zkmargin: needs Node >= 22.18 (this is ${process.version}); run it through npx in the project, ` +
        "which uses the node@22 devDependency\n",
    );
    process.exit(3);
  }
}
const { main } = await import(installed ? compiled : source);
process.exitCode = await main(process.argv.slice(2));
