// Default guard rails of a RiskEpochRegistry (IRiskEpochRegistry.OracleConfig), in a module
// without dependencies so that the CLI's help can name them without loading ethers.
// docs/PROTOCOL.md, "Oracle and risk parameters".

/** Default per-post bound: 25% of the previous epoch's price (BTC's worst hour, 2020-03-12, fell 24.5% to its low). */
export const DEFAULT_MOVE_BPS = 2500n;
/** Default hold of prices beyond the bound before they can be posted: 10 minutes. */
export const DEFAULT_BREAKER_DELAY_SECONDS = 600n;
/** Default risk-parameter and config timelock: 1 day. */
export const DEFAULT_TIMELOCK_SECONDS = 86_400n;

/**
 * Default in-flight window: a withdrawal, trade or realisation proven against an epoch still
 * settles for this many seconds after the next post (docs/PROTOCOL.md, "In-flight transitions").
 */
export const DEFAULT_IN_FLIGHT_SECONDS = 60n;
/** Default largest price move (bps) that next post may have made: well inside initial - maintenance. */
export const DEFAULT_IN_FLIGHT_MOVE_BPS = 25n;
