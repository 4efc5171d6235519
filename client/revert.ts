// The one revert decoder: a failed call or transaction of any contract the project deploys
// (its custom errors, OpenZeppelin's and the ERC-20 errors included) as `Name(arg, ...)`.
import type { Interface } from "ethers";

export interface DecodedRevert {
  name: string;
  args: unknown[];
  /** `Name(arg, ...)` */
  text: string;
}

/** The revert data of an ethers v6 error, wherever the provider put it. */
export function revertData(e: unknown): string | undefined {
  const err = e as { data?: unknown; info?: { error?: { data?: unknown } }; error?: { data?: unknown } };
  for (const d of [err?.data, err?.info?.error?.data, err?.error?.data]) {
    if (typeof d === "string" && /^0x[0-9a-fA-F]{8}/.test(d)) return d;
    if (d && typeof d === "object" && typeof (d as { data?: unknown }).data === "string") return (d as { data: string }).data;
  }
  return undefined;
}

/** Decode with the first interface that knows the error's selector; null when none does. */
export function decodeRevert(e: unknown, interfaces: ReadonlyArray<Interface | { interface: Interface }>): DecodedRevert | null {
  const data = revertData(e);
  if (data === undefined) return null;
  for (const x of interfaces) {
    const iface = "interface" in x ? x.interface : x;
    try {
      const p = iface.parseError(data);
      if (p) {
        const args = [...p.args];
        return { name: p.name, args, text: `${p.name}(${args.map(String).join(", ")})` };
      }
    } catch {
      /* not this interface's error */
    }
  }
  return null;
}

/** `Name(args)` when decodable, else the first line of the error's message. */
export function revertMessage(e: unknown, interfaces: ReadonlyArray<Interface | { interface: Interface }>): string {
  const d = decodeRevert(e, interfaces);
  if (d) return d.text;
  const m = (e as { shortMessage?: string; message?: string })?.shortMessage ?? (e as Error)?.message ?? String(e);
  return m.split("\n")[0];
}

/** A contract call that reverted, named by its decoded error. */
export class ContractRevert extends Error {
  readonly reason: string;
  constructor(what: string, reason: string) {
    super(`${what} reverted: ${reason}`);
    this.name = "ContractRevert";
    this.reason = reason;
  }
}
