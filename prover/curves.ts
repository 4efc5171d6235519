// snarkjs keeps the BN254 curve (and its worker threads) on globalThis once a proof is made or
// verified. Terminating it lets a process exit; this module stays free of snarkjs so callers
// that never proved (e.g. `zkmargin --help`) do not load it.
export async function releaseCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate: () => Promise<void> } };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    delete g.curve_bn128;
  }
}
