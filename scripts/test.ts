// npm test: every mocha suite (unit, circuit, CLI, artifacts, vectors, contracts) in one run,
// ending with the plain summary line "N passed, N failed[, N skipped]".
import Mocha from "mocha";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { releaseCurves } from "../prover/prover.ts";

const only = process.argv.slice(2);
const dirs = [join(REPO_ROOT, "test"), join(REPO_ROOT, "test", "contracts")];
const files = dirs
  .flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => join(d, f)),
  )
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const mocha = new Mocha({ timeout: 600_000, reporter: "spec" });
for (const f of files) mocha.addFile(f);
await mocha.loadFilesAsync();
const runner = mocha.run();
runner.on("end", async () => {
  const s = runner.stats!;
  await releaseCurves();
  process.stdout.write(`\n${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ""}\n`);
  process.exit(s.failures > 0 || s.passes === 0 ? 1 : 0);
});
