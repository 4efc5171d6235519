declare module "snarkjs";
declare module "circom_runtime";
declare module "poseidon-lite";
