// Human units -> the protocol's integers (prover/markets.ts): exact or refused, never rounded.
import { expect } from "chai";
import fc from "fast-check";
import { ASSETS, MARKETS, amountToUnits, formatUsd, marketOf, priceToQuote, sizeToLots } from "../prover/markets.ts";
import { ValidationError } from "../prover/validate.ts";
import { validateParams } from "../prover/validate.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../prover/artifacts.ts";

describe("markets and human units (prover/markets.ts)", () => {
  it("2 BTC at 97,250 USD is 2,000 lots at 97,250,000 quote units per lot (the example epoch's mark)", () => {
    const btc = marketOf("BTC");
    expect(sizeToLots(btc, "2")).to.equal(2000n);
    expect(priceToQuote(btc, "97250")).to.equal(97_250_000n);
    const params = validateParams(JSON.parse(readFileSync(join(REPO_ROOT, "examples", "params.json"), "utf8")));
    // every named market's mark in the example is a human price of the same instrument
    expect(params.markets[0].markPrice).to.equal(priceToQuote(btc, "97250"));
    expect(params.markets[1].markPrice).to.equal(priceToQuote(marketOf("eth"), "3450"));
    expect(params.markets[5].markPrice).to.equal(priceToQuote(marketOf("5"), "0.31"));
  });

  it("refuses what does not convert exactly, naming the option", () => {
    const btc = marketOf("BTC");
    const refused = (f: () => unknown, field: string) => expect(f).to.throw(ValidationError, field);
    refused(() => sizeToLots(btc, "2.0005"), "--size");
    refused(() => sizeToLots(btc, "0"), "--size");
    refused(() => sizeToLots(btc, "-1"), "--size");
    refused(() => sizeToLots(btc, "1e3"), "--size");
    refused(() => priceToQuote(btc, "97250.0000001"), "--price");
    refused(() => priceToQuote(btc, "abc"), "--price");
    refused(() => marketOf("LTC"), "--market");
    refused(() => marketOf("9"), "--market");
    refused(() => amountToUnits(ASSETS[0], "1.0000001"), "--amount");
  });

  it("conversions are exact for every market and asset (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MARKETS.length - 1 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        (i, lots, quote) => {
          const m = MARKETS[i];
          // lots * lot, written as a decimal, converts back to lots
          const [w, f = ""] = m.lot.split(".");
          const scaled = lots * BigInt(w + f);
          const size = f.length
            ? `${scaled / 10n ** BigInt(f.length)}.${(scaled % 10n ** BigInt(f.length)).toString().padStart(f.length, "0")}`
            : `${scaled}`;
          expect(sizeToLots(m, size)).to.equal(lots);
          // a price that is a whole number of quote units per lot converts back to it
          const perUnit = (quote * 10n ** BigInt(f.length)) / BigInt(w + f); // USD 1e-6 per base unit, floor
          if ((perUnit * BigInt(w + f)) % 10n ** BigInt(f.length) === 0n) {
            const usd = `${perUnit / 10n ** 6n}.${(perUnit % 10n ** 6n).toString().padStart(6, "0")}`;
            expect(priceToQuote(m, usd)).to.equal((perUnit * BigInt(w + f)) / 10n ** BigInt(f.length));
          }
        },
      ),
      { numRuns: 300 },
    );
    for (const a of ASSETS) expect(amountToUnits(a, "1")).to.equal(10n ** BigInt(a.decimals));
  });

  it("formats quote units as dollars, rounding toward zero", () => {
    expect(formatUsd(200_000_000_000n)).to.equal("200,000.00 USD");
    expect(formatUsd(-5_959_999n)).to.equal("-5.95 USD");
    expect(formatUsd(0n)).to.equal("0.00 USD");
  });
});
