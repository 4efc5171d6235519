// The entry of one prover worker thread (client/services/pool.ts, ThreadPool): jobs in, proofs out.
import { parentPort } from "node:worker_threads";
import { decode, encode } from "./codec.ts";
import { executeJob, type ProofJob } from "./jobs.ts";

parentPort!.on("message", async (m: { id: number; job: string }) => {
  try {
    const result = await executeJob(decode<ProofJob>(m.job));
    parentPort!.postMessage({ id: m.id, ok: true, result: encode(result) });
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id: m.id, ok: false, error: { name: err?.name ?? "Error", message: err?.message ?? String(e) } });
  }
});
