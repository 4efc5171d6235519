// npm run vectors:generate (second half) — (re)writes test/vectors/transition/*.json.
// Expected values come from the TypeScript reference (prover/transition/); the test suite,
// `zkmargin vectors replay` and `zkmargin audit` check them against the circuit.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { FIELD_MODULUS, pow2 } from "../prover/field.ts";
import { subOrder } from "@zk-kit/baby-jubjub";
import { liquidationKeyPair } from "../prover/transition/encryption.ts";
import { opToJson } from "../prover/transition/json.ts";
import type { TransitionOp } from "../prover/transition/op.ts";
import { TRANSITION_VECTOR_SCHEMA, prepareTransitionVector, type TransitionVector } from "../tools/vectors.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { arbTransitionOp, baseParams, basePortfolio, clone, example, paramsToJson, portfolioToJson } from "../tools/fixtures.ts";
import { M_ASSETS, N_MARKETS } from "../prover/constants.ts";

const OUT = join(REPO_ROOT, "test", "vectors", "transition");
const KEY = liquidationKeyPair(0x2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2an);
const vectors: TransitionVector[] = [];

function add(
  name: string,
  description: string,
  tags: string[],
  params: unknown,
  old: unknown,
  op: unknown,
  over: Partial<TransitionVector> = {},
): void {
  const n = vectors.length + 1;
  const v: TransitionVector = {
    schema: TRANSITION_VECTOR_SCHEMA,
    circuit: "transition",
    name: `${String(n).padStart(3, "0")}-${name}`,
    description,
    tags,
    binding: String(BigInt(n) * 0x1234567n),
    liquidationKey: [String(KEY.publicKey[0]), String(KEY.publicKey[1])],
    ephemeralSecret: String(1000003n * BigInt(n) + 7n),
    params,
    old,
    op,
    expected: { exitCode: 0, errorField: null, violations: [], publicSignals: null, next: null },
    ...over,
  };
  v.expected = prepareTransitionVector(v).expected;
  vectors.push(v);
}
const addTyped = (
  name: string,
  d: string,
  tags: string[],
  p: Params,
  q: Portfolio,
  op: TransitionOp,
  over: Partial<TransitionVector> = {},
) => add(name, d, tags, paramsToJson(p), portfolioToJson(q), opToJson(op), over);

const { params, portfolio } = example();
const flat = (): Portfolio => {
  const q = clone(portfolio);
  q.sizes = q.sizes.map(() => 0n);
  q.costBasis = q.costBasis.map(() => 0n);
  return q;
};
const mark = (i: number) => params.markets[i].markPrice;

// ---- deposits
for (let j = 0; j < M_ASSETS; j++)
  addTyped(`deposit-asset-${j}`, `deposit into asset ${j} of the example portfolio`, ["deposit"], params, portfolio, {
    kind: "deposit",
    asset: j,
    amount: 12345n * BigInt(j + 1),
  });
addTyped("deposit-one-unit", "the smallest deposit", ["deposit", "extreme"], params, portfolio, { kind: "deposit", asset: 0, amount: 1n });
addTyped("deposit-to-max-balance", "a deposit that brings the balance to 2^96 - 1", ["deposit", "extreme"], params, portfolio, {
  kind: "deposit",
  asset: 0,
  amount: pow2(96) - 1n - portfolio.collateral[0],
});
addTyped("deposit-overflow", "a deposit that would bring the balance to 2^96", ["deposit", "invalid"], params, portfolio, {
  kind: "deposit",
  asset: 0,
  amount: pow2(96) - portfolio.collateral[0],
});
{
  const q = clone(portfolio);
  q.sizes[0] = 90000n;
  q.costBasis[0] = 90000n * mark(0);
  addTyped("deposit-into-unhealthy", "a deposit is never refused, even into an unhealthy account", ["deposit", "unhealthy"], params, q, {
    kind: "deposit",
    asset: 0,
    amount: 1n,
  });
  addTyped("withdraw-from-unhealthy", "a withdrawal from an unhealthy account is refused", ["withdraw", "unhealthy"], params, q, {
    kind: "withdraw",
    asset: 0,
    amount: 1n,
  });
}
addTyped(
  "deposit-empty-account",
  "the first deposit into an empty account (salt 0)",
  ["deposit", "empty"],
  params,
  { ...flat(), collateral: Array(M_ASSETS).fill(0n), entryFunding: Array(N_MARKETS).fill(0n), salt: 0n },
  { kind: "deposit", asset: 0, amount: 10n ** 9n },
);
addTyped("deposit-amount-zero", "amount 0", ["deposit", "invalid"], params, portfolio, { kind: "deposit", asset: 0, amount: 0n });
addTyped("deposit-asset-4", "asset index out of range", ["deposit", "invalid"], params, portfolio, {
  kind: "deposit",
  asset: 4,
  amount: 1n,
});
addTyped("deposit-amount-2^96", "amount at 2^96", ["deposit", "invalid"], params, portfolio, {
  kind: "deposit",
  asset: 0,
  amount: pow2(96),
});

// ---- withdrawals
for (let j = 0; j < 3; j++)
  addTyped(`withdraw-asset-${j}`, `withdraw a tenth of asset ${j}`, ["withdraw"], params, portfolio, {
    kind: "withdraw",
    asset: j,
    amount: portfolio.collateral[j] / 10n,
  });
addTyped("withdraw-everything-flat", "a flat account withdraws its whole balance", ["withdraw", "flat"], params, flat(), {
  kind: "withdraw",
  asset: 0,
  amount: portfolio.collateral[0],
});
addTyped("withdraw-more-than-balance", "one unit more than the balance", ["withdraw", "invalid"], params, flat(), {
  kind: "withdraw",
  asset: 0,
  amount: portfolio.collateral[0] + 1n,
});
addTyped("withdraw-everything-open", "withdrawing everything with open positions", ["withdraw", "unhealthy"], params, portfolio, {
  kind: "withdraw",
  asset: 0,
  amount: portfolio.collateral[0],
});
addTyped("withdraw-empty-asset", "withdrawing from an empty asset", ["withdraw", "invalid"], params, portfolio, {
  kind: "withdraw",
  asset: 3,
  amount: 1n,
});
{
  // the largest withdrawal that keeps the initial margin, and one unit more
  const q = clone(portfolio);
  let lo = 0n;
  let hi = q.collateral[0];
  const healthyAfter = (a: bigint) =>
    prepareTransitionVector({
      schema: TRANSITION_VECTOR_SCHEMA,
      circuit: "transition",
      name: "",
      description: "",
      tags: [],
      binding: "1",
      liquidationKey: [String(KEY.publicKey[0]), String(KEY.publicKey[1])],
      ephemeralSecret: "5",
      params: paramsToJson(params),
      old: portfolioToJson(q),
      op: opToJson({ kind: "withdraw", asset: 0, amount: a }),
      expected: { exitCode: 0, errorField: null, violations: [], publicSignals: null, next: null },
    }).expected.exitCode === 0;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (healthyAfter(mid)) lo = mid;
    else hi = mid;
  }
  addTyped(
    "withdraw-to-initial-threshold",
    "the largest withdrawal that stays healthy at the initial level",
    ["withdraw", "threshold"],
    params,
    q,
    { kind: "withdraw", asset: 0, amount: lo },
  );
  addTyped(
    "withdraw-one-beyond-threshold",
    "one unit more than the threshold withdrawal",
    ["withdraw", "threshold", "unhealthy"],
    params,
    q,
    { kind: "withdraw", asset: 0, amount: lo + 1n },
  );
}

// ---- trades
for (let i = 0; i < 6; i++) {
  for (const kind of ["buy", "sell"] as const) {
    addTyped(`${kind}-market-${i}`, `${kind} 7 lots of market ${i} near the mark`, ["trade", kind], params, portfolio, {
      kind,
      fill: { market: i, size: 7n, price: mark(i) + BigInt(i), salt: BigInt(100 + i) },
    });
  }
}
for (const i of [6, 7])
  addTyped(`buy-unused-market-${i}`, `market ${i} (cap 0): any size breaks its position cap`, ["trade", "unhealthy"], params, portfolio, {
    kind: "buy",
    fill: { market: i, size: 1n, price: 1n, salt: 1n },
  });
addTyped("buy-size-1", "the smallest fill", ["trade", "extreme"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 1n, price: mark(0), salt: 2n },
});
addTyped("sell-price-0", "a fill at price 0", ["trade", "extreme"], params, portfolio, {
  kind: "sell",
  fill: { market: 1, size: 1n, price: 0n, salt: 3n },
});
addTyped(
  "buy-price-max",
  "a fill at price 2^48 - 1 (a transfer of value, refused by margin)",
  ["trade", "extreme", "unhealthy"],
  params,
  portfolio,
  { kind: "buy", fill: { market: 2, size: 1n, price: pow2(48) - 1n, salt: 4n } },
);
addTyped("buy-salt-max", "fill salt r - 1", ["trade", "extreme"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 3n, price: mark(0), salt: FIELD_MODULUS - 1n },
});
addTyped("sell-closes-position", "selling the whole long position of market 0 (flat market)", ["trade", "close"], params, portfolio, {
  kind: "sell",
  fill: { market: 0, size: portfolio.sizes[0], price: mark(0), salt: 5n },
});
addTyped("buy-closes-short", "buying back the whole short of market 1", ["trade", "close"], params, portfolio, {
  kind: "buy",
  fill: { market: 1, size: -portfolio.sizes[1], price: mark(1), salt: 6n },
});
addTyped("sell-crosses-zero", "selling more than the long: the position flips short", ["trade", "flip"], params, portfolio, {
  kind: "sell",
  fill: { market: 0, size: portfolio.sizes[0] + 50n, price: mark(0), salt: 7n },
});
{
  const q = flat();
  q.sizes[2] = 4n;
  q.costBasis[2] = 4n * mark(2);
  addTyped("sell-makes-flat", "the last position closes: flat = 1", ["trade", "flat"], params, q, {
    kind: "sell",
    fill: { market: 2, size: 4n, price: mark(2), salt: 8n },
  });
}
{
  const rich = flat();
  rich.collateral[0] = pow2(95);
  addTyped("buy-to-position-cap", "a well-funded buy that reaches the position cap exactly", ["trade", "threshold"], params, rich, {
    kind: "buy",
    fill: { market: 0, size: params.markets[0].positionCap, price: mark(0), salt: 9n },
  });
  addTyped(
    "buy-beyond-position-cap",
    "one lot beyond the position cap (only POSITION_CAP fails)",
    ["trade", "threshold", "unhealthy"],
    params,
    rich,
    { kind: "buy", fill: { market: 0, size: params.markets[0].positionCap + 1n, price: mark(0), salt: 10n } },
  );
}
addTyped("buy-too-large", "a buy the collateral cannot carry", ["trade", "unhealthy"], params, flat(), {
  kind: "buy",
  fill: { market: 4, size: 90000n, price: mark(4), salt: 11n },
});
{
  const p = clone(params);
  p.markets[0].fundingIndex += 5000n;
  addTyped(
    "buy-settles-funding",
    "funding moved since entry: settled into the cost basis of every market",
    ["trade", "funding"],
    p,
    portfolio,
    { kind: "buy", fill: { market: 0, size: 1n, price: mark(0), salt: 12n } },
  );
  addTyped("deposit-settles-funding", "funding is settled by every transition, deposits included", ["deposit", "funding"], p, portfolio, {
    kind: "deposit",
    asset: 1,
    amount: 1n,
  });
}
addTyped("fill-market-8", "market index out of range", ["trade", "invalid"], params, portfolio, {
  kind: "buy",
  fill: { market: 8, size: 1n, price: 1n, salt: 0n },
});
addTyped("fill-size-0", "size 0", ["trade", "invalid"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 0n, price: 1n, salt: 0n },
});
addTyped("fill-size-2^40", "size 2^40", ["trade", "invalid"], params, portfolio, {
  kind: "sell",
  fill: { market: 0, size: pow2(40), price: 1n, salt: 0n },
});
addTyped("fill-price-2^48", "price 2^48", ["trade", "invalid"], params, portfolio, {
  kind: "sell",
  fill: { market: 0, size: 1n, price: pow2(48), salt: 0n },
});
addTyped("fill-price-negative", "negative price", ["trade", "invalid"], params, portfolio, {
  kind: "sell",
  fill: { market: 0, size: 1n, price: -1n, salt: 0n },
});
addTyped("fill-salt-r", "fill salt = r", ["trade", "invalid"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 1n, price: 1n, salt: FIELD_MODULUS },
});

// ---- settlement through the PnL pool: REALIZE claims net profit, SETTLE pays loss
for (let i = 0; i < 6; i++) {
  addTyped(`settle-market-${i}`, `pay 1000 of loss from asset 0 into the PnL pool on market ${i}`, ["settle"], params, portfolio, {
    kind: "settle",
    market: i,
    amount: 1000n,
  });
  addTyped(`realize-zero-market-${i}`, `claim 0 on market ${i}: valid iff the net unrealised PnL is >= 0`, ["realize"], params, portfolio, {
    kind: "realize",
    market: i,
    amount: 0n,
  });
}
{
  const q = flat();
  q.costBasis[3] = -123456789n; // a closed position with a residual credit: profit to claim
  addTyped(
    "realize-closed-profit",
    "a closed market with a residual credit: the whole profit is claimed into asset 0 and the account becomes flat",
    ["realize", "flat"],
    params,
    q,
    { kind: "realize", market: 3, amount: 123456789n },
  );
  addTyped("realize-part-of-profit", "a partial claim: the rest stays unrealised (not flat)", ["realize"], params, q, {
    kind: "realize",
    market: 3,
    amount: 100000000n,
  });
  addTyped("realize-on-another-market", "the claim may shift any market's cost basis: net PnL is what counts", ["realize"], params, q, {
    kind: "realize",
    market: 5,
    amount: 123456789n,
  });
  addTyped(
    "realize-beyond-net-profit",
    "a claim one unit above the net unrealised profit has no proof",
    ["realize", "invalid"],
    params,
    q,
    {
      kind: "realize",
      market: 3,
      amount: 123456790n,
    },
  );
  addTyped("closed-but-not-flat", "all sizes 0 but a cost basis left: not flat (U = -c is still open)", ["deposit", "flat"], params, q, {
    kind: "deposit",
    asset: 1,
    amount: 1n,
  });
  const r = flat();
  r.costBasis[3] = 987654321n;
  addTyped(
    "settle-closed-loss",
    "a flat market with a residual debit: the loss is paid into the pool and the account is flat",
    ["settle", "flat"],
    params,
    r,
    {
      kind: "settle",
      market: 3,
      amount: 987654321n,
    },
  );
  addTyped("realize-with-net-loss", "an account with a net loss claims 1: no proof", ["realize", "invalid"], params, r, {
    kind: "realize",
    market: 3,
    amount: 1n,
  });
  const s = flat();
  s.costBasis[3] = s.collateral[0] + 1n;
  addTyped("settle-beyond-balance", "a settlement larger than the balance of asset 0", ["settle", "invalid"], params, s, {
    kind: "settle",
    market: 3,
    amount: s.collateral[0] + 1n,
  });
}
addTyped("realize-market-8", "market index out of range", ["realize", "invalid"], params, portfolio, {
  kind: "realize",
  market: 8,
  amount: 0n,
});
addTyped("settle-amount-2^96", "amount out of range", ["settle", "invalid"], params, portfolio, {
  kind: "settle",
  market: 0,
  amount: 2n ** 96n,
});

// ---- op and context encoding
add("kind-unknown", "an unknown kind", ["invalid"], paramsToJson(params), portfolioToJson(portfolio), { kind: "liquidate" });
add("op-not-object", "op must be an object", ["invalid"], paramsToJson(params), portfolioToJson(portfolio), "deposit");
add("op-extra-key", "a deposit with a fill", ["invalid"], paramsToJson(params), portfolioToJson(portfolio), {
  kind: "deposit",
  asset: 0,
  amount: "1",
  fill: {},
});
addTyped(
  "binding-max",
  "binding 2^106 - 1",
  ["context", "extreme"],
  params,
  portfolio,
  { kind: "deposit", asset: 0, amount: 1n },
  { binding: String(pow2(106) - 1n) },
);
addTyped(
  "binding-2^106",
  "binding 2^106 does not fit the context",
  ["context", "invalid"],
  params,
  portfolio,
  { kind: "deposit", asset: 0, amount: 1n },
  { binding: String(pow2(106)) },
);
addTyped(
  "ephemeral-secret-0",
  "ephemeral scalar 0",
  ["encryption", "invalid"],
  params,
  portfolio,
  { kind: "deposit", asset: 0, amount: 1n },
  { ephemeralSecret: "0" },
);
addTyped(
  "ephemeral-secret-max",
  "ephemeral scalar l - 1 (l: the prime subgroup order)",
  ["encryption", "extreme"],
  params,
  portfolio,
  { kind: "deposit", asset: 0, amount: 1n },
  { ephemeralSecret: String(subOrder - 1n) },
);
addTyped(
  "ephemeral-secret-l",
  "ephemeral scalar l: E would be the identity, refused",
  ["encryption", "invalid"],
  params,
  portfolio,
  { kind: "deposit", asset: 0, amount: 1n },
  { ephemeralSecret: String(subOrder) },
);
addTyped(
  "key-off-curve",
  "a liquidation key that is not a curve point",
  ["encryption", "invalid"],
  params,
  portfolio,
  { kind: "deposit", asset: 0, amount: 1n },
  { liquidationKey: [String(KEY.publicKey[0]), String(KEY.publicKey[1] + 1n)] },
);
addTyped(
  "old-size-out-of-range",
  "an old portfolio outside the model (size 2^40)",
  ["invalid"],
  params,
  { ...clone(portfolio), sizes: [pow2(40), 0n, 0n, 0n, 0n, 0n, 0n, 0n] },
  { kind: "deposit", asset: 0, amount: 1n },
);

// ---- random ops on random healthy states of the example (seeded)
const arbOp = arbTransitionOp({ maxAsset: 2, maxAmount: 10n ** 10n, maxTradeMarket: 5, maxSize: 20000n });
fc.sample(arbOp, { seed: 42, numRuns: 36 }).forEach((op, k) =>
  addTyped(
    `random-${String(k).padStart(2, "0")}`,
    "a random op on the example portfolio (seed 42)",
    ["random", op.kind],
    params,
    portfolio,
    op,
  ),
);

// ---- flat trade fees (the op word's amount for BUY/SELL, paid from asset 0)
const FEE = 500_000n; // the clearinghouse's default fee per leg ($0.50 in quote units)
addTyped("buy-with-fee", "a buy paying the flat trade fee from asset 0", ["trade", "fee"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 2n, price: mark(0), salt: 13n },
  fee: FEE,
});
addTyped("sell-with-fee", "a sell paying the flat trade fee from asset 0", ["trade", "fee"], params, portfolio, {
  kind: "sell",
  fill: { market: 4, size: 2n, price: mark(4), salt: 14n },
  fee: FEE,
});
addTyped("buy-fee-zero", "an explicit fee of 0 (the op word of a fee-less trade)", ["trade", "fee", "extreme"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 2n, price: mark(0), salt: 13n },
  fee: 0n,
});
addTyped(
  "buy-fee-exactly-balance",
  "a fee equal to the whole balance of asset 0 (a'_0 = 0; asset 1 carries the margin)",
  ["trade", "fee", "threshold"],
  params,
  portfolio,
  { kind: "buy", fill: { market: 0, size: 1n, price: mark(0), salt: 15n }, fee: portfolio.collateral[0] },
);
addTyped(
  "buy-fee-beyond-balance",
  "a fee one unit above the balance of asset 0: no proof (a'_0 < 0)",
  ["trade", "fee", "threshold", "invalid"],
  params,
  portfolio,
  { kind: "buy", fill: { market: 0, size: 1n, price: mark(0), salt: 15n }, fee: portfolio.collateral[0] + 1n },
);
{
  // the position of sell-makes-flat, closed with a fee
  const q = flat();
  q.sizes[2] = 4n;
  q.costBasis[2] = 4n * mark(2);
  addTyped("sell-fee-makes-flat", "the last position closes and pays the fee: flat = 1 with a fee", ["trade", "fee", "flat"], params, q, {
    kind: "sell",
    fill: { market: 2, size: 4n, price: mark(2), salt: 8n },
    fee: FEE,
  });
}
addTyped("fee-2^96", "fee 2^96 does not fit the op word", ["trade", "fee", "invalid"], params, portfolio, {
  kind: "buy",
  fill: { market: 0, size: 1n, price: 1n, salt: 0n },
  fee: pow2(96),
});
addTyped("fee-negative", "a negative fee", ["trade", "fee", "invalid"], params, portfolio, {
  kind: "sell",
  fill: { market: 0, size: 1n, price: 1n, salt: 0n },
  fee: -1n,
});
add("fee-not-a-string", "the fee is a decimal string", ["trade", "fee", "invalid"], paramsToJson(params), portfolioToJson(portfolio), {
  kind: "buy",
  fill: { market: 0, size: "1", price: "1", salt: "0" },
  fee: 5,
});
add("deposit-with-fee", "a deposit has no fee", ["deposit", "fee", "invalid"], paramsToJson(params), portfolioToJson(portfolio), {
  kind: "deposit",
  asset: 0,
  amount: "1",
  fee: "1",
});
{
  // a fee at / one unit beyond the initial-margin threshold: flat, neutral epoch, 70 lots bought
  // at the mark need 7,000 at the initial level (1000 bps of 70,000)
  const p = baseParams();
  const q = basePortfolio();
  q.collateral[0] = 7000n + FEE;
  const op = (fee: bigint): TransitionOp => ({ kind: "buy", fill: { market: 0, size: 70n, price: 1000n, salt: 16n }, fee });
  addTyped(
    "fee-to-initial-threshold",
    "the fee leaves equity exactly at the initial requirement",
    ["trade", "fee", "threshold"],
    p,
    q,
    op(FEE),
  );
  addTyped(
    "fee-one-beyond-threshold",
    "one unit more of fee: below the initial requirement (refused)",
    ["trade", "fee", "threshold", "unhealthy"],
    p,
    q,
    op(FEE + 1n),
  );
}

// ---- CASH: asset 0 covers the net unrealised loss after every initial-level transition; a
// reduce-only trade may not deepen a deficit beyond its fee (SPEC §7; neutral epoch, price 1000)
{
  const p = baseParams();
  const at = (size: bigint, cost: bigint, a0: bigint): Portfolio => {
    const q = basePortfolio();
    q.sizes[0] = size;
    q.costBasis[0] = cost;
    q.collateral[0] = a0;
    q.collateral[1] = 7000n;
    return q;
  };
  const c = (name: string, d: string, tags: string[], q: Portfolio, op: TransitionOp) => addTyped(name, d, ["cash", ...tags], p, q, op);
  c("cash-buy-at-mark", "BUY 1 lot at the mark with no asset 0: a'_0 + U' = 0, proven", ["trade", "threshold"], at(0n, 0n, 0n), {
    kind: "buy",
    fill: { market: 2, size: 1n, price: 1000n, salt: 5n },
  });
  c(
    "cash-buy-above-mark",
    "BUY 1 lot at mark + 1 with no asset 0: a'_0 + U' = -1, refused (CASH)",
    ["trade", "threshold", "unhealthy"],
    at(0n, 0n, 0n),
    {
      kind: "buy",
      fill: { market: 2, size: 1n, price: 1001n, salt: 5n },
    },
  );
  c(
    "cash-self-trade-price-0",
    "SELL 10 lots at price 0 holding only asset 1: the loss is not cash-backed, refused (CASH)",
    ["trade", "unhealthy"],
    at(0n, 0n, 0n),
    {
      kind: "sell",
      fill: { market: 2, size: 10n, price: 0n, salt: 5n },
    },
  );
  c(
    "withdraw-with-unpaid-loss",
    "a long losing 1,000 withdraws 1 of asset 1: refused until it settles the loss (field amount)",
    ["withdraw", "settle", "invalid"],
    at(10n, 11_000n, 1500n),
    {
      kind: "withdraw",
      asset: 1,
      amount: 1n,
    },
  );
  c(
    "withdraw-after-settling",
    "the same long after settling its 1,000 (net PnL 0) withdraws 500 of asset 0: proven",
    ["withdraw", "settle"],
    at(10n, 10_000n, 500n + 500n),
    {
      kind: "withdraw",
      asset: 0,
      amount: 500n,
    },
  );
  c(
    "cash-reduce-in-deficit-at-mark",
    "a long in deficit sells half at the mark (deficit unchanged): reduce-only, proven",
    ["trade", "reduce-only"],
    at(10n, 11_000n, 0n),
    {
      kind: "sell",
      fill: { market: 0, size: 5n, price: 1000n, salt: 5n },
    },
  );
  c(
    "cash-reduce-in-deficit-below-mark",
    "the same below the mark (deficit deeper): refused (CASH)",
    ["trade", "reduce-only", "unhealthy"],
    at(10n, 11_000n, 0n),
    {
      kind: "sell",
      fill: { market: 0, size: 5n, price: 999n, salt: 5n },
    },
  );
  c("cash-settle-in-deficit", "a long in deficit settles 100 of its loss: never refused", ["settle"], at(10n, 11_000n, 100n), {
    kind: "settle",
    market: 0,
    amount: 100n,
  });
}

// ---- reduce-only de-risking: a trade toward zero without a flip needs maintenance margin only
{
  // neutral epoch (price 1000, maintenance 500 / initial 1000 bps, no impact, no stress);
  // `sizes` lots of markets 0 and 1 at cost and 7,000 of asset 1: a result with
  // 70 < |s'_0| + |s'_1| <= 140 lots is healthy at maintenance and not at initial
  const p = baseParams();
  const at = (sizes: bigint[], cash = 7000n, a0 = 0n): Portfolio => {
    const q = basePortfolio();
    sizes.forEach((x, i) => {
      q.sizes[i] = x;
      q.costBasis[i] = x * 1000n;
    });
    q.collateral[0] = a0;
    q.collateral[1] = cash;
    return q;
  };
  const fill = (market: number, size: bigint) => ({ market, size, price: 1000n, salt: 17n });
  const r = (name: string, d: string, tags: string[], q: Portfolio, op: TransitionOp) =>
    addTyped(name, d, ["trade", "reduce-only", ...tags], p, q, op);
  r("reduce-long-to-flat", "SELL q = |s_m| of a long: maintenance level, proven", ["threshold", "close"], at([40n, 100n]), {
    kind: "sell",
    fill: fill(0, 40n),
  });
  r("reduce-long-flip", "SELL q = |s_m| + 1: the long flips, initial level, refused", ["threshold", "flip", "unhealthy"], at([40n, 100n]), {
    kind: "sell",
    fill: fill(0, 41n),
  });
  r("reduce-long-partial", "SELL 1 lot of a long: maintenance level, proven", [], at([40n, 100n]), { kind: "sell", fill: fill(0, 1n) });
  r("reduce-short-to-flat", "BUY q = |s_m| of a short: maintenance level, proven", ["threshold", "close"], at([-40n, 100n]), {
    kind: "buy",
    fill: fill(0, 40n),
  });
  r(
    "reduce-short-flip",
    "BUY q = |s_m| + 1: the short flips, initial level, refused",
    ["threshold", "flip", "unhealthy"],
    at([-40n, 100n]),
    {
      kind: "buy",
      fill: fill(0, 41n),
    },
  );
  r("same-side-buy", "BUY on a long adds risk: initial level, refused", ["unhealthy"], at([30n, 100n]), { kind: "buy", fill: fill(0, 1n) });
  r("same-side-sell", "SELL on a short adds risk: initial level, refused", ["unhealthy"], at([-30n, 100n]), {
    kind: "sell",
    fill: fill(0, 1n),
  });
  r("open-from-zero", "SELL on a flat market (s_m = 0): initial level, refused", ["unhealthy"], at([0n, 100n]), {
    kind: "sell",
    fill: fill(0, 1n),
  });
  r("reduce-other-market", "SELL 20 of market 1's long while market 0 is flat: maintenance level, proven", [], at([0n, 100n]), {
    kind: "sell",
    fill: fill(1, 20n),
  });
  // at / one unit below the maintenance threshold: 80 lots left need 4,000 at maintenance
  r("reduce-to-maintenance-threshold", "a reduce-only trade leaving equity exactly at maintenance", ["threshold"], at([0n, 100n], 4000n), {
    kind: "sell",
    fill: fill(1, 20n),
  });
  r(
    "reduce-below-maintenance",
    "one unit less collateral: below maintenance, refused even reduce-only",
    ["threshold", "unhealthy"],
    at([0n, 100n], 3999n),
    { kind: "sell", fill: fill(1, 20n) },
  );
  r(
    "reduce-fee-exactly-balance",
    "a reduce-only trade whose fee is the whole balance of asset 0",
    ["fee", "threshold"],
    at([40n, 100n], 7000n, FEE),
    {
      kind: "sell",
      fill: fill(0, 40n),
      fee: FEE,
    },
  );
  r(
    "reduce-fee-beyond-balance",
    "a reduce-only trade whose fee is one unit above the balance of asset 0: no proof",
    ["fee", "threshold", "invalid"],
    at([40n, 100n], 7000n, FEE),
    { kind: "sell", fill: fill(0, 40n), fee: FEE + 1n },
  );
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
for (const v of vectors) writeFileSync(join(OUT, `${v.name}.json`), `${JSON.stringify(v, null, 1)}\n`);
const count = (c: number) => vectors.filter((v) => v.expected.exitCode === c).length;
process.stderr.write(
  `wrote ${readdirSync(OUT).length} transition vectors to ${OUT}: ${count(0)} proven, ${count(1)} invalid, ${count(2)} refused\n`,
);
