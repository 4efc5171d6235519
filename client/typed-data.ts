// EIP-712 typed data of a trade leg's authorisation (docs/PROTOCOL.md, "Trades"): the domain,
// the type, the leg hash and the digest are all computed here, from the chain id and contract
// address the client already knows; nothing to sign is ever taken from an RPC. The contract's
// `tradeDigest` and `legHash` views compute the same values (tests cross-check them).
import { AbiCoder, TypedDataEncoder, getAddress, keccak256, toUtf8Bytes, verifyTypedData, type Signer, type TypedDataDomain } from "ethers";
import type { TransitionData } from "./accounts.ts";

/** EIP-712 domain name and version of MarginAccounts (its EIP712 constructor arguments). */
export const TRADE_DOMAIN_NAME = "zkmargin MarginAccounts";
export const TRADE_DOMAIN_VERSION = "1";

/** TradeLeg(uint256 fill,address account,uint64 nonce,address counterparty,bool buy,uint64 epochId,bytes32 leg) */
export const TRADE_LEG_TYPES = {
  TradeLeg: [
    { name: "fill", type: "uint256" },
    { name: "account", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "counterparty", type: "address" },
    { name: "buy", type: "bool" },
    { name: "epochId", type: "uint64" },
    { name: "leg", type: "bytes32" },
  ],
};

/** keccak256 of the type string: MarginAccounts.TRADE_LEG_TYPEHASH */
export const TRADE_LEG_TYPEHASH = keccak256(toUtf8Bytes(TypedDataEncoder.from(TRADE_LEG_TYPES).encodeType("TradeLeg")));

/** What the owner of the leg that does not send `trade` signs. */
export interface TradeLegMessage {
  /** the fill commitment */
  fill: bigint;
  /** the signing leg's owner */
  account: string;
  /** the signing account's nonce (the one its proof is bound to) */
  nonce: bigint;
  /** the only account that may submit the trade */
  counterparty: string;
  /** whether the signing leg buys */
  buy: boolean;
  epochId: bigint;
  /** legHash of the signing leg's transition */
  leg: string;
}

/** The domain of the MarginAccounts deployment `contract` on chain `chainId`. */
export function tradeDomain(chainId: bigint, contract: string): TypedDataDomain {
  return { name: TRADE_DOMAIN_NAME, version: TRADE_DOMAIN_VERSION, chainId, verifyingContract: getAddress(contract) };
}

/** keccak256(abi.encode(newCommitment, ephemeralKey, cipher, flat, proof.a, proof.b, proof.c)): MarginAccounts.legHash */
export function legHash(t: TransitionData): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint256", "uint256", "uint256", "bool", "uint256[2]", "uint256[2][2]", "uint256[2]"],
      [t.newCommitment, t.ephemeralKey, t.cipher, t.flat, t.proof.a, t.proof.b, t.proof.c],
    ),
  );
}

/** The EIP-712 digest of a leg's authorisation: MarginAccounts.tradeDigest. */
export function tradeDigest(domain: TypedDataDomain, message: TradeLegMessage): string {
  return TypedDataEncoder.hash(domain, TRADE_LEG_TYPES, message);
}

/**
 * Sign a leg's authorisation as EIP-712 typed data (a wallet shows every field), and check that
 * the signature recovers to `message.account` for this domain before it leaves the process.
 */
export async function signTradeLeg(signer: Signer, domain: TypedDataDomain, message: TradeLegMessage): Promise<string> {
  const signature = await signer.signTypedData(domain, TRADE_LEG_TYPES, message);
  const recovered = verifyTypedData(domain, TRADE_LEG_TYPES, message, signature);
  if (recovered.toLowerCase() !== message.account.toLowerCase())
    throw new Error(`the signer returned a trade-leg signature by ${recovered}, not by ${message.account}`);
  return signature;
}
