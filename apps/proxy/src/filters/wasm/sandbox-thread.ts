import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { TCallRequest, TCallResult, TInitRequest, TInitResult } from "./abi.ts";
import { initPlugin, type PluginHost } from "./host.ts";

/**
 * The sandbox thread of one wasm plugin: a blocking loop, no event loop. The proxy thread
 * posts a message on `port`, bumps `signal[0]` and waits on `signal[1]` (sandbox.ts); this
 * loop answers on the port and sets `signal[1]` to the request's number. The proxy thread
 * terminates this thread when a call runs past its bound (a wasm loop checks V8's
 * interrupt flag, so termination stops it).
 */
const { port, signal } = workerData as { port: MessagePort; signal: SharedArrayBuffer };
const flags = new Int32Array(signal);
let host: PluginHost | null = null;
let seen = 0;

for (;;) {
  Atomics.wait(flags, 0, seen);
  seen = Atomics.load(flags, 0);
  const m = receiveMessageOnPort(port);
  if (!m) continue;
  const msg = m.message as TInitRequest | TCallRequest;
  let reply: TInitResult | TCallResult;
  if (msg.op === "init") {
    const r = initPlugin(msg);
    host = r.host;
    reply = r.result;
  } else {
    reply = host ? host.call(msg) : { ret: 0, trap: "the plugin is not initialised" };
  }
  port.postMessage(reply);
  Atomics.store(flags, 1, seen);
  Atomics.notify(flags, 1);
}
