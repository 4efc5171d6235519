// Hostile input: random structural mutations of params.json and portfolio.json either validate
// or fail with a ValidationError that names a field — never any other exception (which the CLI
// would report as an internal error, exit 3).
import { expect } from "chai";
import fc from "fast-check";
import { ValidationError, validateParams, validatePortfolio, parseBinding, parseLevel } from "../prover/validate.ts";
import { report } from "../prover/model.ts";
import { exampleJson } from "../tools/fixtures.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    false,
    0,
    -0,
    1.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    "",
    "-",
    "-0",
    "00",
    "0x10",
    " 1",
    "1 ",
    "１",
    "9".repeat(100),
    "-" + "9".repeat(79),
    "NaN",
    "Infinity",
    [],
    {},
    [[]],
    { a: 1 },
  ),
  fc.string(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map((x) => x.toString()),
  fc.array(fc.string(), { maxLength: 3 }),
);

/** Replace the value at a random path (or drop it, or add a key) in a deep copy. */
function mutate(doc: Json, choices: number[], value: Json, op: number): Json {
  const root = structuredClone(doc);
  let node: Json = root;
  let parent: any = null;
  let key: string | number = "";
  for (const c of choices) {
    if (node === null || typeof node !== "object") break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = keys[c % keys.length];
    node = (node as any)[key];
  }
  if (parent === null) return value;
  if (op === 0 && !Array.isArray(parent)) delete parent[key];
  else if (op === 1 && Array.isArray(parent)) parent.push(value);
  else if (op === 2 && !Array.isArray(parent)) parent.extraField = value;
  else parent[key] = value;
  return root;
}

describe("hostile input", function () {
  this.timeout(600_000);
  const ex = exampleJson() as { params: Json; portfolio: Json };

  it("random mutations validate, or fail with a ValidationError naming a field", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        hostileValue,
        fc.nat({ max: 4 }),
        (which, path, value, op) => {
          const params = which ? mutate(ex.params, path, value, op) : ex.params;
          const portfolio = which ? ex.portfolio : mutate(ex.portfolio, path, value, op);
          try {
            const p = validateParams(params);
            const q = validatePortfolio(portfolio);
            report(p, q, "initial"); // a valid input must also evaluate
            return true;
          } catch (e) {
            return e instanceof ValidationError && e.field.length > 0 && e.message.startsWith(`${e.field}: `);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("levels and bindings: only the documented forms are accepted", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), hostileValue), (v) => {
        for (const f of [() => parseLevel(v), () => parseBinding(v)]) {
          try {
            f();
          } catch (e) {
            if (!(e instanceof ValidationError)) return false;
          }
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it("deeply nested or huge documents are rejected without crashing", () => {
    let deep: Json = "1";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(() => validatePortfolio({ ...(ex.portfolio as object), sizes: deep })).to.throw(ValidationError);
    const huge = { ...(ex.portfolio as object), sizes: Array(1_000_000).fill("1") };
    expect(() => validatePortfolio(huge)).to.throw(ValidationError);
  });
});
