// Reading files whose size nobody vouches for (state files, JSON inputs): at most a stated
// number of bytes, decided from the size before reading where the file says it. Node built-ins
// only, so the CLI's start-up path can use it.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Read at most `limit` bytes of a regular file: null when it is larger (decided from its size, before reading). */
export function readBounded(path: string, limit: number): Buffer | null {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
    if (st.isFile() && st.size > limit) return null;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const b = Buffer.alloc(Math.min(1 << 20, limit + 1 - total));
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
      if (total > limit) return null;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
