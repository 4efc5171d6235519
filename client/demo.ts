// npm run demo — prove and verify a real portfolio on an embedded local chain.
//   1. evaluate the example portfolio (examples/) against the example risk epoch
//   2. start Hardhat's in-process EVM; deploy the verifier, its wrapper and the epoch registry;
//      the publisher posts the epoch (risk, funding, prices) and the registry computes paramsHash
//   3. prove maintenance and initial margin, bound to (chain, verifier, trader, nonce)
//   4. verify off-chain and on-chain against the registry's fresh paramsHash; show that the proof
//      cannot be replayed under another binding and that a stale epoch is refused
//   5. a tighter epoch (0.5x max leverage): the prover refuses, naming the violation
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  MarginProver,
  UnhealthyError,
  chainHash,
  releaseCurves,
  report,
  solidityCalldata,
  validateParams,
  validatePortfolio,
  verifyProof,
  type Level,
} from "../prover/index.ts";
import { REPO_ROOT } from "../prover/artifacts.ts";
import { deployRegistry, fundingArg, pricesArgs, riskParamsArg, startLocalChain, verifyOnChain } from "./chain.ts";

const say = (s = "") => process.stdout.write(`${s}\n`);
const usd = (quoteUnits: bigint) => `$${(Number(quoteUnits) / 1e6).toLocaleString("en-US", { maximumFractionDigits: 2 })}`;
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;

async function main(): Promise<void> {
  const read = (f: string) => JSON.parse(readFileSync(join(REPO_ROOT, "examples", f), "utf8"));
  const params = validateParams(read("params.json"));
  const portfolio = validatePortfolio(read("portfolio.json"));

  say("zkmargin demo: a private portfolio proves its margin to a contract that never sees it\n");
  say("1. The trader's portfolio (stays on this machine) against risk epoch " + params.epochId);
  const names = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "(unused)", "(unused)"];
  portfolio.sizes.forEach((s, i) => s !== 0n && say(`   ${names[i].padEnd(5)} ${s > 0n ? "long " : "short"} ${(s < 0n ? -s : s).toString().padStart(6)} lots`));
  for (const level of ["maintenance", "initial"] as Level[]) {
    const r = report(params, portfolio, level);
    say(`   ${level.padEnd(11)}: equity ${usd(BigInt(r.equity))}, requirement ${usd(BigInt(r.requirement))}, ` +
      `gross notional ${usd(BigInt(r.grossNotional))}, healthy=${r.healthy}`);
  }

  say("\n2. Embedded chain (Hardhat EDR, in-process) and the risk epoch");
  let t = performance.now();
  const chain = await startLocalChain();
  const verifierAddress = await chain.verifier.getAddress();
  const deployTx = chain.verifier.deploymentTransaction();
  const receipt = deployTx ? await deployTx.wait() : null;
  say(`   Groth16 margin verifier deployed at ${verifierAddress} (chain id ${chain.chainId}, ` +
    `${receipt ? `${receipt.gasUsed} gas` : "deployed"}, ${ms(t)}), behind MarginProofVerifier`);
  const [admin, publisher, trader] = await chain.ethers.getSigners();
  const traderAddress = await trader.getAddress();
  t = performance.now();
  const registry = (await deployRegistry(chain.ethers, { admin: admin.address, publisher: publisher.address, maxAge: 3600n })).connect(publisher);
  say(`   RiskEpochRegistry deployed with its Poseidon hashers (${ms(t)})`);
  const gasOf = async (tx: Promise<any>) => (await (await tx).wait()).gasUsed as bigint;
  say(`   publisher posts risk parameters (${await gasOf(registry.postRisk(riskParamsArg(params)))} gas), ` +
    `funding (${await gasOf(registry.postFunding(fundingArg(params)))} gas), ` +
    `prices opening epoch ${params.epochId} (${await gasOf(registry.postPrices(...pricesArgs(params)))} gas)`);
  const onChainParamsHash = BigInt(await registry.freshParamsHash(params.epochId));

  say("\n3. Proving (Groth16, BN254; artifacts loaded once)");
  t = performance.now();
  const prover = await MarginProver.load();
  say(`   artifacts loaded in ${ms(t)}`);
  // binding = H(chainId, verifier, trader, nonce): the proof is only valid in this context
  const nonce = 0n;
  const binding = chainHash([chain.chainId, BigInt(verifierAddress), BigInt(traderAddress), nonce]);
  const proofs = [];
  for (const level of ["maintenance", "initial"] as Level[]) {
    t = performance.now();
    const proof = await prover.prove(params, portfolio, level, binding);
    say(`   ${level.padEnd(11)} proof in ${ms(t)}; public signals: commitment ${proof.publicSignals[0].slice(0, 12)}..., ` +
      `paramsHash ${proof.publicSignals[1].slice(0, 12)}..., level ${proof.publicSignals[2]}, binding ${proof.publicSignals[3].slice(0, 12)}...`);
    proofs.push(proof);
  }

  say("\n4. Verification");
  say(`   the proofs' paramsHash ${proofs[0].publicSignals[1] === onChainParamsHash.toString() ? "equals" : "DIFFERS FROM"} the registry's fresh paramsHash for epoch ${params.epochId}`);
  if (proofs[0].publicSignals[1] !== onChainParamsHash.toString()) throw new Error("paramsHash mismatch with the registry");
  for (const proof of proofs) {
    t = performance.now();
    const off = await verifyProof(proof, prover.vkey);
    const offMs = ms(t);
    const cd = await solidityCalldata(proof);
    const on = await verifyOnChain(chain, cd);
    say(`   level ${proof.publicSignals[2]}: off-chain ${off ? "valid" : "INVALID"} (${offMs}); ` +
      `on-chain ${on.valid ? "valid" : "INVALID"} (${on.gas} gas)`);
    if (!off || !on.valid) throw new Error("a fresh proof did not verify");
  }
  const stolen = await solidityCalldata(proofs[0]);
  stolen.publicSignals[3] = "0x" + chainHash([chain.chainId, BigInt(verifierAddress), 0xbadn, nonce]).toString(16);
  const replay = await verifyOnChain(chain, stolen);
  say(`   the same proof replayed for another account: ${replay.valid ? "ACCEPTED (bug!)" : `rejected (${replay.error})`}`);
  await chain.ethers.provider.send("evm_increaseTime", [3601]);
  await chain.ethers.provider.send("evm_mine", []);
  let stale = "ACCEPTED (bug!)";
  try {
    await registry.freshParamsHash(params.epochId);
  } catch (e) {
    stale = `refused (${registry.interface.parseError((e as { data: string }).data)?.name})`;
  }
  say(`   one hour later, epoch ${params.epochId} is stale for a 1-hour max age: ${stale}`);
  const cd0 = await solidityCalldata(proofs[0]);
  const calldata: string = chain.verifier.interface.encodeFunctionData("verifyProof", [cd0.a, cd0.b, cd0.c, cd0.publicSignals]);
  const leaked = portfolio.sizes.filter((s) => s !== 0n && calldata.includes((s < 0n ? -s : s).toString(16).padStart(64, "0")));
  say(`   verifier calldata: ${(calldata.length - 2) / 2} bytes (8 proof words + 4 public signals); ` +
    `position sizes found in it: ${leaked.length}`);

  say("\n5. A tighter epoch: the publisher cuts max leverage to 0.5x");
  const tight = { ...params, epochId: params.epochId + 1n, maxLeverageBps: 5000n };
  try {
    await prover.prove(tight, portfolio, "initial", binding);
    throw new Error("an unhealthy portfolio was proven");
  } catch (e) {
    if (!(e instanceof UnhealthyError)) throw e;
    say(`   prover refuses: ${e.violations.join(", ")} (no proof exists; the circuit would reject any witness)`);
  }
  await chain.close();
  say("\nDone. `npx zkmargin --help` for the CLI; README.md and docs/ for the protocol.");
  if (replay.valid || leaked.length > 0 || stale.startsWith("ACCEPTED")) process.exitCode = 1;
}

main()
  .catch((e) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  })
  .finally(releaseCurves);
