#!/usr/bin/env node
// Package bin: `npx zkmargin ...`. The CLI is TypeScript run by Node's type stripping (>= 22.18).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `zkmargin: needs Node >= 22.18 (this is ${process.version}); run it through npx in the project, ` +
      "which uses the node@22 devDependency\n",
  );
  process.exit(3);
}
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
