// risk simulate's worker thread: simulates the segments it is sent ([segment, first hour, end hour]).
import { parentPort, workerData } from "node:worker_threads";
import { simulateSegment, type SimInput } from "./simulate.ts";

const input = workerData as SimInput;
parentPort!.on("message", ([segment, h0, h1]: [number, number, number]) => {
  parentPort!.postMessage(simulateSegment(input, segment, h0, h1));
});
