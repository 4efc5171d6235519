// Settlement through the PnL pool (docs/PROTOCOL.md, "Settlement"): what a trader can claim
// (`account realize`) or owes (`account settle`) at an epoch, and on which hidden market the
// cost basis moves. Profit is paid only from the clearinghouse's public pnlPool, which losses
// settled by other accounts fill; the circuit (circuits/transition.circom, REALIZE/SETTLE) checks
// the same amount rules (a REALIZE still needs the initial margin level, which the prover checks).
import { unrealisedPnl } from "../prover/model.ts";
import type { Params, Portfolio } from "../prover/types.ts";
import { ValidationError } from "../prover/validate.ts";

/** U_i at the epoch, per market (quote units): the margin model's own (prover/model.ts). */
export const unrealised = unrealisedPnl;

export interface SettlementPlan {
  kind: "realize" | "settle";
  market: number;
  amount: bigint;
  /** the account's net unrealised PnL at the epoch before the transition */
  net: bigint;
}

/**
 * The realisation a trader can make now: `amount` (default: all it may claim) of net profit, at
 * most the pool's balance, on `market` (default: the market with the largest U_i).
 * NOTE: the caller passes the pool read from the chain just before sending; a claim above the
 * pool reverts with PnlPoolInsufficient.
 */
export function planRealize(params: Params, p: Portfolio, pool: bigint, amount?: bigint, market?: number): SettlementPlan {
  const u = unrealised(params, p);
  const net = u.reduce((a, b) => a + b, 0n);
  const claimable = net > 0n ? (net < pool ? net : pool) : 0n;
  if (amount === undefined) {
    if (net <= 0n) throw new ValidationError("--amount", `nothing to realise: the account's net unrealised PnL is ${net}`);
    if (claimable === 0n)
      throw new ValidationError("--amount", `the PnL pool is empty: the ${net} of profit is paid once losing accounts settle`);
    amount = claimable;
  }
  if (amount < 0n) throw new ValidationError("--amount", "must not be negative");
  if (amount > net) throw new ValidationError("--amount", `exceeds the account's net unrealised profit (${net > 0n ? net : 0n})`);
  if (amount > pool) throw new ValidationError("--amount", `exceeds the PnL pool (${pool}): losses are collected before profit is paid`);
  return { kind: "realize", market: market ?? argBest(u, 1n), amount, net };
}

/**
 * The settlement a trader makes to pay its losses: `amount` (default: the whole net loss, at
 * most its balance of asset 0) on `market` (default: the market with the smallest U_i).
 */
export function planSettle(params: Params, p: Portfolio, amount?: bigint, market?: number): SettlementPlan {
  const u = unrealised(params, p);
  const net = u.reduce((a, b) => a + b, 0n);
  const balance = p.collateral[0];
  if (amount === undefined) {
    if (net >= 0n) throw new ValidationError("--amount", `no loss to settle: the account's net unrealised PnL is ${net}`);
    amount = -net < balance ? -net : balance;
    if (amount === 0n) throw new ValidationError("--amount", `no balance of asset 0 to settle the ${-net} of loss with: deposit first`);
  }
  if (amount < 0n) throw new ValidationError("--amount", "must not be negative");
  if (amount > balance) throw new ValidationError("--amount", `exceeds the account's balance of asset 0 (${balance})`);
  return { kind: "settle", market: market ?? argBest(u, -1n), amount, net };
}

/** index of the largest (sign 1) or smallest (sign -1) value; the first on ties */
function argBest(u: bigint[], sign: bigint): number {
  let best = 0;
  for (let i = 1; i < u.length; i++) if (sign * u[i] > sign * u[best]) best = i;
  return best;
}
