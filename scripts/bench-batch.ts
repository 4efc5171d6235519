// npm run bench (last step) — gas of batched margin verification (MarginBatchVerifier.verifyBatch)
// for n = 1, 8, 32, 128 real margin proofs against the generated single verifier, measured as
// mined transactions on Hardhat EDR. Prints a markdown table (and JSON in build/bench-batch.json):
// the transaction's gas, the part that is the 21,000 base cost plus calldata, the execution, all
// per proof. Verification only: an attestation in the clearinghouse also pays its own storage.
// BENCH_BATCH_DISTINCT (default 128) distinct statements are proven (about 1 s each) and cycled
// when a batch is larger. Not a test: nothing here asserts.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { getBytes } from "ethers";
import { MarginProver, releaseCurves, solidityCalldata } from "../prover/prover.ts";
import { startLocalChain } from "../client/local.ts";
import { addCash, clone, example } from "../tools/fixtures.ts";
import type { Level } from "../prover/types.ts";
import { BUILD_DIR, log } from "./lib.ts";

const SIZES = [1, 8, 32, 128];
const DISTINCT = Number(process.env.BENCH_BATCH_DISTINCT ?? 128);
const TX_BASE = 21_000;
/** EIP-1108 prices: what the precompiles alone cost for a batch of n. */
const precompiles = (n: number) => 45_000 + 34_000 * (n + 3) + 6_000 * (2 * n + 6) + 150 * (n + 5);

/** Calldata gas (4 per zero byte, 16 per other byte) and the EIP-7623 floor's tokens. */
function calldataCost(data: string): { gas: number; tokens: number } {
  let zeros = 0;
  const bytes = getBytes(data);
  for (const b of bytes) if (b === 0) zeros++;
  const nonzero = bytes.length - zeros;
  return { gas: 4 * zeros + 16 * nonzero, tokens: zeros + 4 * nonzero };
}

async function main(): Promise<void> {
  const chain = await startLocalChain();
  try {
    const batch = await chain.ethers.deployContract("MarginBatchVerifier");
    await batch.waitForDeployment();
    const prover = await MarginProver.load();
    const { params, portfolio } = example();
    const proofs: bigint[][] = [];
    const signals: bigint[][] = [];
    const singles: Array<Awaited<ReturnType<typeof solidityCalldata>>> = [];
    const t0 = performance.now();
    for (let i = 0; i < DISTINCT; i++) {
      const p = clone(params);
      p.epochId = params.epochId + BigInt(i % 4);
      const q = addCash(portfolio, BigInt(i) * 1000n);
      q.salt = 5000n + BigInt(i);
      const level: Level = i % 3 === 0 ? "initial" : "maintenance";
      const cd = await solidityCalldata(await prover.prove(p, q, level, (BigInt(i) + 1n) * 0x51ed2701n));
      singles.push(cd);
      proofs.push([cd.a[0], cd.a[1], cd.b[0][0], cd.b[0][1], cd.b[1][0], cd.b[1][1], cd.c[0], cd.c[1]].map(BigInt));
      signals.push(cd.publicSignals.map(BigInt));
      if ((i + 1) % 16 === 0) log(`proved ${i + 1}/${DISTINCT} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }

    const measure = async (tx: any) => {
      const receipt = await tx.wait();
      const gas = Number(receipt.gasUsed);
      const cd = calldataCost(tx.data);
      const floor = TX_BASE + 10 * cd.tokens; // EIP-7623: paid instead when larger
      return {
        gas,
        intrinsic: TX_BASE + cd.gas,
        execution: gas - TX_BASE - cd.gas,
        floorBound: floor >= gas,
        bytes: getBytes(tx.data).length,
      };
    };

    const s0 = singles[0];
    const single = await measure(await chain.verifier.verifyProof.send(s0.a, s0.b, s0.c, s0.publicSignals));
    const rows: Array<Record<string, number | boolean>> = [];
    for (const n of SIZES) {
      const ps = Array.from({ length: n }, (_, i) => proofs[i % DISTINCT]);
      const ss = Array.from({ length: n }, (_, i) => signals[i % DISTINCT]);
      if (!(await batch.verifyBatch(ps, ss))) throw new Error(`batch of ${n} does not verify`);
      const m = await measure(await batch.verifyBatch.send(ps, ss));
      rows.push({ n, ...m, precompiles: precompiles(n) });
      log(`n = ${n}: ${m.gas} gas`);
    }

    const k = (x: number) => Math.round(x).toLocaleString("en-US");
    const lines = [
      `| proofs n | tx gas | per proof | base + calldata per proof | execution per proof | precompiles per proof (EIP-1108) | vs single |`,
      `|---:|---:|---:|---:|---:|---:|---:|`,
      `| single verifier (1) | ${k(single.gas)} | ${k(single.gas)} | ${k(single.intrinsic)} | ${k(single.execution)} | ${k(45_000 + 4 * 34_000 + 4 * 6_150)} | 1.00 |`,
      ...rows.map((r) => {
        const n = r.n as number;
        const per = (r.gas as number) / n;
        return `| ${n} | ${k(r.gas as number)} | ${k(per)} | ${k((r.intrinsic as number) / n)} | ${k((r.execution as number) / n)} | ${k((r.precompiles as number) / n)} | ${(per / single.gas).toFixed(2)} |`;
      }),
    ];
    const machine = `${cpus()[0]?.model ?? "unknown CPU"}, nproc ${availableParallelism()}, node ${process.version}`;
    const distinct = Math.min(DISTINCT, Math.max(...SIZES));
    const note =
      distinct < Math.max(...SIZES)
        ? `${distinct} distinct proven statements, cycled in larger batches`
        : `${distinct} distinct proven statements`;
    process.stdout.write(`\n${lines.join("\n")}\n\n${machine}; ${note}; ${new Date().toISOString().slice(0, 10)}\n`);
    mkdirSync(BUILD_DIR, { recursive: true });
    writeFileSync(
      join(BUILD_DIR, "bench-batch.json"),
      JSON.stringify({ date: new Date().toISOString(), machine, distinct: DISTINCT, single, batches: rows }, null, 2) + "\n",
    );
  } finally {
    await chain.close();
    await releaseCurves();
  }
}

await main();
