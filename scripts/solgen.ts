// Helpers shared by the Solidity generators (gen-poseidon.ts, gen-poseidon-opt.ts).
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export const PART_WORDS = 750; // 24,000 bytes: under the 24,576-byte contract size limit

/** Split 32-byte words (hex, no 0x) into data-contract parts. */
export function splitParts(words: string[]): string[] {
  const parts: string[] = [];
  for (let i = 0; i < words.length; i += PART_WORDS) parts.push(words.slice(i, i + PART_WORDS).join(""));
  return parts;
}

/** Contracts whose runtime code is exactly the given constants, one per part. */
export function dataContracts(owner: string, prefix: string, parts: string[]): string {
  return parts
    .map(
      (p, i) => `
/// Part ${i + 1} of ${parts.length} of ${owner}'s constants [C, S, M, P] as runtime code.
contract ${prefix}${i} {
    constructor() {
        bytes memory k = hex"${p}";
        assembly {
            return(add(k, 32), mload(k))
        }
    }
}
`,
    )
    .join("");
}

/** Write the generated file, or with --check exit 1 when the committed file differs. */
export function writeOrCheck(file: string, text: string, summary: string): void {
  if (process.argv.includes("--check")) {
    const same = existsSync(file) && readFileSync(file, "utf8") === text;
    process.stderr.write(`${file}: ${same ? "up to date" : "DIFFERS from the generator's output"}\n`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(file, text);
  process.stderr.write(`wrote ${file} (${(text.length / 1024).toFixed(0)} KiB${summary ? `, ${summary}` : ""})\n`);
}

/** writeOrCheck for several files at once: --check reports every file, then exits. */
export function writeAllOrCheck(files: Array<{ file: string; text: string }>): void {
  if (process.argv.includes("--check")) {
    let ok = true;
    for (const { file, text } of files) {
      const same = existsSync(file) && readFileSync(file, "utf8") === text;
      process.stderr.write(`${file}: ${same ? "up to date" : "DIFFERS from the generator's output"}\n`);
      ok &&= same;
    }
    process.exit(ok ? 0 : 1);
  }
  for (const { file, text } of files) {
    writeFileSync(file, text);
    process.stderr.write(`wrote ${file}\n`);
  }
}
