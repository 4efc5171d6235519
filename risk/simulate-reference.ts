// risk simulate's reference segment: the simulator's hot loop exactly as first written (the
// one-pass loop over every market and every stress row). Not used by the command: the test
// test/risk-simulate.test.ts checks that risk/simulate.ts's simulateSegment, which skips work
// it can prove makes no difference, returns a result deep-equal to this one (bit for bit).
import { rng } from "./latency.ts";
import { MAX_SHIFT, type SegmentResult, type SimInput } from "./simulate.ts";

/** Simulates one segment [h0, h1) of the hourly grid (the reference). */
export function simulateSegmentReference(inp: SimInput, segment: number, h0: number, h1: number): SegmentResult {
  const N = inp.accounts;
  const M = inp.assets.length;
  const C = inp.collateral.length;
  const rand = rng((inp.seed * 1_000_003 + segment) >>> 0);
  const sizes = new Float64Array(N * M);
  const entry = new Float64Array(N * M);
  const cash = new Float64Array(N);
  const coll = new Float64Array(N * Math.max(1, C)); // units of the collateral asset
  const pendingAt = new Int32Array(N).fill(-1); // epoch of the takeover, -1 none
  const hasColl = new Uint8Array(N);
  const mark = new Float64Array(M);
  const shift = new Float64Array(M); // cascade: multiplicative shift of each mark (decays)
  const priceOf = (series: number, h: number) => inp.closes[series][h];
  const res: SegmentResult = {
    segment,
    accountHours: 0,
    liquidations: 0,
    liquidationVolumeUsd: 0,
    badDebtUsd: 0,
    badDebtByHour: [],
    liquidationsByHour: [],
    insuranceDrawdownUsd: 0,
    vaultDrawdownUsd: 0,
    socialisedUsd: 0,
    adlEvents: 0,
    contagion: [...Array(M)].map(() => new Array(M).fill(0)),
    collateralLiquidations: 0,
    // not modelled here (no margin calls, no funding): the fast segment's zeros without them
    marginCalls: 0,
    marginCallsCured: 0,
    fundingPaidUsd: 0,
  };
  let fund = inp.insuranceFundUsd;
  let vault = inp.vaultUsd;
  let fundPeak = fund;
  const rowsArr = inp.shocks;
  const hcVal = (a: number, h: number) => {
    let v = cash[a];
    for (let c = 0; c < C; c++) {
      const units = coll[a * C + c];
      if (units !== 0) v += units * inp.collateralCloses[c][h] * (1 - inp.collateral[c].haircut);
    }
    return v;
  };
  const rawVal = (a: number, h: number) => {
    let v = cash[a];
    for (let c = 0; c < C; c++) {
      const units = coll[a * C + c];
      if (units !== 0) v += units * inp.collateralCloses[c][h];
    }
    return v;
  };
  const sz = new Float64Array(M);
  const oi = new Float64Array(M); // open interest at entry (gross notional) per market
  const om = new Float64Array(M);
  const en = new Float64Array(M);
  /** opens account a's book at epoch h: a random or adversarial book scaled to its level */
  const open = (a: number, h: number) => {
    for (let i = 0; i < M; i++) {
      oi[i] = Math.max(0, oi[i] - Math.abs(sizes[a * M + i] * entry[a * M + i]));
      sizes[a * M + i] = 0;
      entry[a * M + i] = 0;
    }
    for (let c = 0; c < C; c++) coll[a * C + c] = 0;
    hasColl[a] = 0;
    pendingAt[a] = -1;
    const listed: number[] = [];
    for (let i = 0; i < M; i++) if (!Number.isNaN(priceOf(i, h))) listed.push(i);
    // equity: log-uniform from $100 to $100k
    const equity = 100 * Math.pow(1000, rand());
    cash[a] = equity;
    if (C > 0 && rand() < inp.collateralShare) {
      const c = Math.floor(rand() * C);
      const p = inp.collateralCloses[c][h];
      if (!Number.isNaN(p)) {
        const share = 0.3 + 0.7 * rand(); // of the equity, credited after the haircut
        coll[a * C + c] = (equity * share) / (p * (1 - inp.collateral[c].haircut));
        hasColl[a] = 1;
        cash[a] = equity * (1 - share);
      }
    }
    if (listed.length === 0) return;
    const w = new Float64Array(M);
    const adversarial = inp.adversarialBooks.length > 0 && rand() < inp.adversarialShare;
    if (adversarial) {
      const book = inp.adversarialBooks[Math.floor(rand() * inp.adversarialBooks.length)];
      for (const i of listed) w[i] = book[i];
    } else {
      const k = 1 + Math.floor(rand() * Math.min(3, listed.length));
      for (let j = 0; j < k; j++) {
        const i = listed[Math.floor(rand() * listed.length)];
        w[i] += (rand() < 0.55 ? 1 : -1) * (0.2 + rand());
      }
    }
    if (w.every((x) => x === 0)) return;
    // the level: adversarial at maintenance (the edge of what proves), others at a share of initial
    // every book opens proving initial margin (as the chain requires); adversarial ones at its edge
    const rates = inp.initial;
    // the book would still prove with target x its equity: a buffer in every constraint (the stress
    // rows apply at both levels, so a book at a row's boundary is liquidatable by any adverse move)
    const target = adversarial ? 0.9 : 0.2 + 0.75 * rand();
    const E = hcVal(a, h);
    // at the epoch's mark (the close with the cascade's shift)
    for (let i = 0; i < M; i++) {
      om[i] = priceOf(i, h) * (1 + shift[i]);
      en[i] = om[i];
    }
    // the largest scale x (notional per unit weight) at which the book proves with target x E: each
    // constraint in closed form (requirement x a + x^2 b, leverage, every stress row), the smallest
    const T = target * E;
    let qa = 0;
    let qb = 0;
    let gross = 0;
    for (let i = 0; i < M; i++) {
      if (w[i] === 0) continue;
      const aw = Math.abs(w[i]);
      qa += aw * rates[i];
      qb += (aw * aw * inp.impact[i]) / inp.depthUsd[i];
      gross += aw;
    }
    let lo = qb > 0 ? (-qa + Math.sqrt(qa * qa + 4 * qb * T)) / (2 * qb) : T / qa;
    lo = Math.min(lo, (inp.maxLeverage * T) / gross);
    for (const row of rowsArr) {
      let d = 0;
      for (let i = 0; i < M; i++) d += w[i] * row[i];
      if (d < 0) lo = Math.min(lo, T / -d);
    }
    lo *= 1 - 1e-9;
    if (!(lo > 0)) return;
    for (let i = 0; i < M; i++) {
      const notional = Math.abs(w[i] * lo);
      // the protocol-wide open-interest cap: a book that would exceed it opens without that market
      if (w[i] === 0 || oi[i] + notional > inp.oiCapUsd[i]) continue;
      oi[i] += notional;
      sizes[a * M + i] = (w[i] * lo) / om[i];
      entry[a * M + i] = om[i];
    }
  };
  for (let a = 0; a < N; a++) open(a, h0);
  const K = rowsArr.length;
  const shockFlat = Float64Array.from(rowsArr.flat());
  const maint = Float64Array.from(inp.maint);
  const impOverD = Float64Array.from(inp.impact, (x, i) => x / inp.depthUsd[i]);
  const maxLev = inp.maxLeverage;
  const vv = new Float64Array(M);
  const rowMin = new Float64Array(M);
  const rowMax = new Float64Array(M);
  for (const row of rowsArr)
    for (let i = 0; i < M; i++) {
      rowMin[i] = Math.min(rowMin[i], row[i]);
      rowMax[i] = Math.max(rowMax[i], row[i]);
    }
  let K0 = K;
  const volume = new Float64Array(M);
  const prevClose = new Float64Array(M);
  for (let i = 0; i < M; i++) prevClose[i] = priceOf(i, h0);
  for (let h = h0 + 1; h < h1; h++) {
    // marks: the closes with the cascade shift (decaying by half every 24 h)
    let shockMarket = -1;
    let shockMove = 0;
    for (let i = 0; i < M; i++) {
      shift[i] *= Math.pow(0.5, 1 / 24);
      const p = priceOf(i, h);
      mark[i] = Number.isNaN(p) ? NaN : p * (1 + shift[i]);
      if (!Number.isNaN(p) && !Number.isNaN(prevClose[i])) {
        const mv = Math.abs(p / prevClose[i] - 1);
        if (mv > shockMove) {
          shockMove = mv;
          shockMarket = i;
        }
      }
      prevClose[i] = p;
    }
    volume.fill(0);
    let liqCount = 0;
    let liqVol = 0;
    let hourBad = 0;
    for (let a = 0; a < N; a++) {
      res.accountHours++;
      const base = a * M;
      // the margin rule inline (healthyFloat, unrolled on typed arrays: the hot loop)
      let held = false;
      let missing = false;
      let E = hasColl[a] ? hcVal(a, h) : cash[a];
      let R = 0;
      let G = 0;
      for (let i = 0; i < M; i++) {
        const sI = sizes[base + i];
        if (sI === 0) {
          vv[i] = 0;
          continue;
        }
        held = true;
        const p = mark[i];
        if (p !== p) missing = true;
        const v = sI * p;
        vv[i] = v;
        E += v - sI * entry[base + i];
        const nn = v < 0 ? -v : v;
        G += nn;
        R += nn * (maint[i] + nn * impOverD[i]);
      }
      if (!held || missing) continue;
      if (pendingAt[a] < 0) {
        let ok = E >= R && G <= maxLev * E;
        // screen: every row passes when even each market's most adverse row entry at once leaves X >= 0
        let xMin = E;
        for (let i = 0; i < M; i++) {
          const v = vv[i];
          xMin += v > 0 ? v * rowMin[i] : v * rowMax[i];
        }
        if (xMin >= 0) K0 = 0;
        else K0 = K;
        for (let k = 0; ok && k < K0; k++) {
          let x = E;
          const o = k * M;
          for (let i = 0; i < M; i++) x += vv[i] * shockFlat[o + i];
          if (x < 0) ok = false;
        }
        if (!ok) pendingAt[a] = h + inp.latencyHours;
      }
      if (pendingAt[a] < 0 || h < pendingAt[a]) continue;
      for (let i = 0; i < M; i++) {
        sz[i] = sizes[base + i];
        en[i] = entry[base + i];
      }
      if (pendingAt[a] >= 0 && h >= pendingAt[a]) {
        // takeover at the mark less the depth impact: value = raw collateral + PnL - slippage
        let value = rawVal(a, h);
        let notional = 0;
        for (let i = 0; i < M; i++) {
          if (sz[i] === 0) continue;
          const nn = Math.abs(sz[i]) * mark[i];
          value += sz[i] * (mark[i] - en[i]) - (nn * nn * inp.impact[i]) / inp.depthUsd[i];
          notional += nn;
          volume[i] += sz[i] * mark[i];
          res.contagion[shockMarket < 0 ? i : shockMarket][i] += nn;
        }
        liqCount++;
        liqVol += notional;
        if (C > 0) for (let c = 0; c < C; c++) if (coll[a * C + c] !== 0) res.collateralLiquidations++;
        if (value >= 0) fund += Math.min(value, inp.liquidationFee * notional);
        else {
          let loss = -value;
          hourBad += loss;
          const f = Math.min(fund, loss);
          fund -= f;
          loss -= f;
          const v = Math.min(vault, loss);
          vault -= v;
          loss -= v;
          if (loss > 0) {
            res.socialisedUsd += loss;
            res.adlEvents++;
          }
        }
        open(a, h);
      }
    }
    // cascades: net liquidated notional moves each mark against the liquidated side
    for (let i = 0; i < M; i++)
      if (volume[i] !== 0) {
        // at most one depth's worth of impact per epoch, at most MAX_SHIFT in all
        const step = Math.max(-inp.impact[i], Math.min(inp.impact[i], (inp.impact[i] * volume[i]) / inp.depthUsd[i]));
        shift[i] = Math.max(-MAX_SHIFT, Math.min(MAX_SHIFT, shift[i] - step));
      }
    // drawdowns from the running peak (fees refill the fund)
    fundPeak = Math.max(fundPeak, fund);
    res.insuranceDrawdownUsd = Math.max(res.insuranceDrawdownUsd, fundPeak - fund);
    res.vaultDrawdownUsd = Math.max(res.vaultDrawdownUsd, inp.vaultUsd - vault);
    if (liqCount) {
      res.liquidations += liqCount;
      res.liquidationVolumeUsd += liqVol;
      res.liquidationsByHour.push([h, liqCount, liqVol]);
    }
    if (hourBad > 0) {
      res.badDebtUsd += hourBad;
      res.badDebtByHour.push([h, hourBad]);
    }
  }
  return res;
}
