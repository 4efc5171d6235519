// The one source of the constants shared by TypeScript, circom and Solidity.
//
// scripts/gen-constants.ts generates circuits/lib/constants.circom and
// verifier-contracts/generated/Constants.sol from this file (`--check` is run by the tests), so a
// constant changes here and nowhere else. Widths derived from these (intermediate results of
// the margin rule) are in prover/widths.ts and circuits/lib/widths.circom; docs/SPEC.md derives
// every one.
//
// A new constant shared by more than one language goes into SHARED below, with its doc line.

/** BN254 scalar field modulus r: every circuit signal and public input is an element of F_r. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// ------------------------------------------------------------------------------- dimensions
/** markets (perpetuals) per portfolio */
export const N_MARKETS = 8;
/** collateral assets per portfolio; asset 0 is the settlement asset */
export const M_ASSETS = 4;
/** stress scenarios per risk epoch */
export const S_SCENARIOS = 16;
/** public signals of the margin proof: [commitment, paramsHash, level, binding] */
export const MARGIN_PUBLIC_SIGNALS = 4;
/** public signals of a transition: [oldCommitment, newCommitment, paramsHash, context, fill, keyHash, ephemeralKey, cipher] */
export const TRANSITION_PUBLIC_SIGNALS = 8;

// ------------------------------------------------------------------------------- input widths
export const SIZE_BITS = 40; // |size| < 2^40 lots
export const COST_BITS = 100; // |costBasis| < 2^100 quote units
export const FUND_BITS = 63; // |entryFunding|, |fundingIndex| < 2^63
export const AMOUNT_BITS = 96; // collateral amount < 2^96
export const MARK_BITS = 48; // markPrice < 2^48
export const PRICE_E18_BITS = 96; // collateral priceE18 < 2^96
export const EPOCH_BITS = 64; // epochId < 2^64
export const LEVERAGE_BITS = 32; // maxLeverageBps < 2^32
export const DEPTH_BITS = 96; // 1 <= depth < 2^96 (validated, not checked in-circuit)
export const CAP_BITS = 40; // positionCap < 2^40 (validated; compared against |size| < 2^40)
export const BPS_BITS = 14; // in-circuit bound of each bps field when packed (< 16384)
export const SHOCK_BITS = 14; // in-circuit bound -2^14 <= shock < 2^14 (shock + 2^14 packed in 15 bits)
export const WORD_BITS = 253; // packed words carry at most 253 bits, so every word is < r
export const EPHEMERAL_BITS = 251; // ephemeral encryption scalar e < 2^251 (l ~ 2^250.6)

/** 1 in basis points */
export const BPS_ONE = 10000n;
/** model bound |shock| <= 10000 bps */
export const MAX_SHOCK_BPS = 10000n;
/** collateral value divisor: 1e18 (price scale) * 1e4 (bps) */
export const VALUE_DIVISOR = 10n ** 22n;

// ------------------------------------------------------------------------------- transitions
// op = kind + 2^OP_ASSET_SHIFT * asset + 2^OP_FLAT_SHIFT * flat + 2^OP_AMOUNT_SHIFT * amount
export const OP_KIND_BITS = 3;
export const OP_ASSET_SHIFT = 3;
export const OP_ASSET_BITS = 5;
export const OP_FLAT_SHIFT = 8;
export const OP_AMOUNT_SHIFT = 9;
/** op < 2^OP_BITS; context = op + 2^OP_BITS * binding */
export const OP_BITS = OP_AMOUNT_SHIFT + AMOUNT_BITS;
/** width of the verifier's binding tag inside context (context < 2^(105 + 106) < r) */
export const BINDING_BITS = 106;
/** the contracts take the binding tag as keccak256(...) >> BINDING_SHIFT (its top 106 bits) */
export const BINDING_SHIFT = 256 - BINDING_BITS;

/** transition kinds, by op code */
export const KIND = { deposit: 0, withdraw: 1, buy: 2, sell: 3, realize: 4, settle: 5 } as const;
export const KIND_COUNT = 6;

// payload = market + 2^PAYLOAD_SIZE_SHIFT * size + 2^PAYLOAD_PRICE_SHIFT * price
export const PAYLOAD_SIZE_SHIFT = 8;
export const PAYLOAD_PRICE_SHIFT = PAYLOAD_SIZE_SHIFT + SIZE_BITS;

// ------------------------------------------------------------------------------- Baby Jubjub
// circomlib's curve (twisted Edwards over F_r): the base point of the prime-order subgroup and
// the subgroup order l (as in @zk-kit/baby-jubjub, which tests/constants.test.ts checks).
export const BABYJUB_BASE8: readonly [bigint, bigint] = [
  5299619240641551281634865583518297030282874472190772894086521144482721001553n,
  16950150798460657717958625567821834550301663161624707787222815936182638968203n,
];
export const BABYJUB_SUBGROUP_ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n;

// ------------------------------------------------------------------------------- protocol defaults
/** a risk epoch is fresh for this many seconds after its price post */
export const DEFAULT_MAX_AGE_SECONDS = 3600n;
/** seconds an account has to attest after a margin call */
export const DEFAULT_GRACE_SECONDS = 600n;
/** the account bond, paid to whoever liquidates the account (0.01 ETH) */
export const DEFAULT_BOND_WEI = 10n ** 16n;
/** the flat fee each trade leg pays into the insurance fund, in quote units (1e-6 USD): $0.50 */
export const DEFAULT_TRADE_FEE = 500_000n;
/** the liquidation penalty a takeover pays into the insurance fund, bps of the book's gross notional at mark (1%) */
export const DEFAULT_LIQUIDATION_PENALTY_BPS = 100n;
/** the JSON-RPC endpoint of a local node (e.g. `npx hardhat node --hostname 127.0.0.1`) when none is given */
export const DEFAULT_RPC = "http://127.0.0.1:8545";
/** verifier-context domains (keccak256 of these strings) */
export const TRANSITION_DOMAIN = "zkmargin.transition.v1";
export const MARGIN_DOMAIN = "zkmargin.margin.v1";
export const LIQUIDATION_DOMAIN = "zkmargin.liquidation.v1";
export const TAKEOVER_DOMAIN = "zkmargin.takeover.v1";

/**
 * Every constant the generator writes into circom and Solidity, with the name both use and the
 * doc line. Order is the order of the generated files.
 */
export const SHARED: ReadonlyArray<{ name: string; value: bigint; doc: string; circom?: boolean; solidity?: boolean }> = [
  { name: "FIELD_MODULUS", value: FIELD_MODULUS, doc: "BN254 scalar field modulus r", circom: false },
  { name: "N_MARKETS", value: BigInt(N_MARKETS), doc: "markets per portfolio" },
  { name: "M_ASSETS", value: BigInt(M_ASSETS), doc: "collateral assets per portfolio (asset 0 settles)" },
  { name: "S_SCENARIOS", value: BigInt(S_SCENARIOS), doc: "stress scenarios per risk epoch" },
  { name: "MARGIN_PUBLIC_SIGNALS", value: BigInt(MARGIN_PUBLIC_SIGNALS), doc: "public signals of a margin proof", circom: false },
  {
    name: "TRANSITION_PUBLIC_SIGNALS",
    value: BigInt(TRANSITION_PUBLIC_SIGNALS),
    doc: "public signals of a transition proof",
    circom: false,
  },
  { name: "SIZE_BITS", value: BigInt(SIZE_BITS), doc: "|size| < 2^40 lots" },
  { name: "COST_BITS", value: BigInt(COST_BITS), doc: "|costBasis| < 2^100 quote units" },
  { name: "FUND_BITS", value: BigInt(FUND_BITS), doc: "|entryFunding|, |fundingIndex| < 2^63" },
  { name: "AMOUNT_BITS", value: BigInt(AMOUNT_BITS), doc: "collateral amount < 2^96" },
  { name: "MARK_BITS", value: BigInt(MARK_BITS), doc: "markPrice < 2^48" },
  { name: "PRICE_E18_BITS", value: BigInt(PRICE_E18_BITS), doc: "collateral priceE18 < 2^96" },
  { name: "EPOCH_BITS", value: BigInt(EPOCH_BITS), doc: "epochId < 2^64" },
  { name: "LEVERAGE_BITS", value: BigInt(LEVERAGE_BITS), doc: "maxLeverageBps < 2^32" },
  { name: "DEPTH_BITS", value: BigInt(DEPTH_BITS), doc: "depth < 2^96 (validated, NOT checked in-circuit)" },
  { name: "CAP_BITS", value: BigInt(CAP_BITS), doc: "positionCap < 2^40" },
  { name: "BPS_BITS", value: BigInt(BPS_BITS), doc: "in-circuit bound of every bps field (< 16384)" },
  { name: "SHOCK_BITS", value: BigInt(SHOCK_BITS), doc: "in-circuit bound -2^14 <= shock < 2^14 (encoded shock + 2^14)" },
  { name: "WORD_BITS", value: BigInt(WORD_BITS), doc: "packed words carry at most 253 bits (< r)" },
  { name: "EPHEMERAL_BITS", value: BigInt(EPHEMERAL_BITS), doc: "ephemeral scalar e < 2^251" },
  { name: "BPS_ONE", value: BPS_ONE, doc: "1 in basis points" },
  { name: "MAX_SHOCK_BPS", value: MAX_SHOCK_BPS, doc: "model bound |shock| <= 10000 bps" },
  { name: "VALUE_DIVISOR", value: VALUE_DIVISOR, doc: "collateral value divisor 1e18 * 1e4" },
  { name: "OP_KIND_BITS", value: BigInt(OP_KIND_BITS), doc: "op word: kind in bits [0, 3)" },
  { name: "OP_ASSET_SHIFT", value: BigInt(OP_ASSET_SHIFT), doc: "op word: asset at bit 3" },
  { name: "OP_ASSET_BITS", value: BigInt(OP_ASSET_BITS), doc: "op word: asset < 2^5" },
  { name: "OP_FLAT_SHIFT", value: BigInt(OP_FLAT_SHIFT), doc: "op word: flat flag at bit 8" },
  { name: "OP_AMOUNT_SHIFT", value: BigInt(OP_AMOUNT_SHIFT), doc: "op word: amount from bit 9" },
  { name: "OP_BITS", value: BigInt(OP_BITS), doc: "op < 2^105; context = op + 2^105 * binding" },
  { name: "BINDING_BITS", value: BigInt(BINDING_BITS), doc: "binding tag < 2^106" },
  { name: "BINDING_SHIFT", value: BigInt(BINDING_SHIFT), doc: "binding tag = keccak256(...) >> 150" },
  { name: "KIND_DEPOSIT", value: BigInt(KIND.deposit), doc: "op kind: deposit" },
  { name: "KIND_WITHDRAW", value: BigInt(KIND.withdraw), doc: "op kind: withdraw" },
  { name: "KIND_BUY", value: BigInt(KIND.buy), doc: "op kind: buy leg" },
  { name: "KIND_SELL", value: BigInt(KIND.sell), doc: "op kind: sell leg" },
  { name: "KIND_REALIZE", value: BigInt(KIND.realize), doc: "op kind: profit claimed from the PnL pool" },
  { name: "KIND_SETTLE", value: BigInt(KIND.settle), doc: "op kind: loss paid into the PnL pool" },
  { name: "KIND_COUNT", value: BigInt(KIND_COUNT), doc: "number of op kinds" },
  { name: "PAYLOAD_SIZE_SHIFT", value: BigInt(PAYLOAD_SIZE_SHIFT), doc: "payload: size from bit 8" },
  { name: "PAYLOAD_PRICE_SHIFT", value: BigInt(PAYLOAD_PRICE_SHIFT), doc: "payload: price from bit 48" },
  { name: "BABYJUB_BASE8_X", value: BABYJUB_BASE8[0], doc: "Baby Jubjub Base8.x", solidity: false },
  { name: "BABYJUB_BASE8_Y", value: BABYJUB_BASE8[1], doc: "Baby Jubjub Base8.y", solidity: false },
  { name: "BABYJUB_SUBGROUP_ORDER", value: BABYJUB_SUBGROUP_ORDER, doc: "Baby Jubjub prime subgroup order l", circom: false },
  { name: "DEFAULT_MAX_AGE_SECONDS", value: DEFAULT_MAX_AGE_SECONDS, doc: "default epoch freshness", circom: false },
  { name: "DEFAULT_GRACE_SECONDS", value: DEFAULT_GRACE_SECONDS, doc: "default margin-call grace period", circom: false },
  { name: "DEFAULT_BOND_WEI", value: DEFAULT_BOND_WEI, doc: "default account bond (0.01 ETH)", circom: false },
  { name: "DEFAULT_TRADE_FEE", value: DEFAULT_TRADE_FEE, doc: "default trade fee per leg, quote units ($0.50)", circom: false },
  {
    name: "DEFAULT_LIQUIDATION_PENALTY_BPS",
    value: DEFAULT_LIQUIDATION_PENALTY_BPS,
    doc: "default takeover penalty, bps of gross notional (1%)",
    circom: false,
  },
];
