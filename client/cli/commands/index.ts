// Every command of the CLI, in the order of `zkmargin --help`. A new command is a Command (or a
// Group of actions) defined in the module of its domain and listed here; nothing else changes.
import type { Entry } from "../command.ts";
import { account, keygen, liquidate, marginCall } from "./account.ts";
import { audit, ceremony, vectors } from "./audit.ts";
import { deploy, epoch } from "./chain.ts";
import { advance, faucet, fill } from "./dev.ts";
import { check, prove, verify, vkey } from "./proof.ts";
import { calibrate, risk } from "./risk.ts";
import { liquidator, watchtower, worker } from "./services.ts";

export const ENTRIES: readonly Entry[] = [
  // a trader's margin proof
  check,
  prove,
  verify,
  vkey,
  // auditors
  vectors,
  audit,
  ceremony,
  // the protocol on a chain
  deploy,
  epoch,
  calibrate,
  risk,
  keygen,
  account,
  marginCall,
  liquidate,
  // services (issue #12)
  watchtower,
  liquidator,
  worker,
  // local development and a trader's helpers
  fill,
  faucet,
  advance,
];
