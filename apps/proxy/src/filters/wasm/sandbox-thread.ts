import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { TCallRequest, TCallResult, TInitRequest, TInitResult } from "./abi.ts";
import { initPlugin, type PluginHost } from "./host.ts";

/**
 * The sandbox thread of one wasm plugin: a blocking loop, no event loop. The proxy thread
 * posts numbered messages on `port` and bumps `signal[0]` (sandbox.ts); this loop answers
 * each on the port, in order, then sets `signal[1]` to the last number it answered. The
 * proxy thread waits on `signal[1]` for the calls it needs an answer to, and terminates
 * this thread when one runs past its bound (a wasm loop checks V8's interrupt flag, so
 * termination stops it).
 */
const { port, signal } = workerData as { port: MessagePort; signal: SharedArrayBuffer };
const flags = new Int32Array(signal);
let host: PluginHost | null = null;
let seen = 0;

for (;;) {
  Atomics.wait(flags, 0, seen);
  seen = Atomics.load(flags, 0);
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message as TInitRequest | TCallRequest;
    let reply: TInitResult | TCallResult;
    if (msg.op === "init") {
      const r = initPlugin(msg);
      host = r.host;
      reply = r.result;
    } else {
      reply = host ? host.call(msg) : { ret: 0, trap: "the plugin is not initialised" };
    }
    reply.seq = msg.seq as number;
    port.postMessage(reply);
    Atomics.store(flags, 1, msg.seq as number);
    Atomics.notify(flags, 1);
  }
}
