import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { TCallRequest, TCallResult, TInitRequest, TInitResult } from "./abi.ts";

/**
 * Bound on one call into a module (proxy_on_request_headers and the others): 500 ms. V8
 * has no instruction budget (fuel) for wasm, so calls run in a sandbox thread and the
 * proxy thread waits for the answer at most this long; past it the thread is terminated
 * (a running wasm loop is interrupted), the request fails with 500 FE, and the plugin is
 * started again on a fresh thread for later requests. Generous on purpose: a loaded
 * machine must not fail healthy calls, and a proxy-wasm callback takes microseconds.
 */
export const WASM_CALL_TIMEOUT_MS = 500;

/** Bound on instantiating a module and running proxy_on_vm_start + proxy_on_configure. */
export const WASM_INIT_TIMEOUT_MS = 5000;

/** How soon after a call sent without waiting its answer (logs) is read. */
const DRAIN_DELAY_MS = 5;

/**
 * A plugin no call reached for this long (10 minutes: it left the config, or its routes get
 * no traffic) has its thread stopped; its next call, if any, starts and configures it again.
 */
export const PLUGIN_IDLE_MS = 600_000;

/** After a failed restart, calls fail at once for this long before the next attempt. */
const RESTART_BACKOFF_MS = 5000;

const THREAD_URL = new URL(`./sandbox-thread${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

type TThread = { worker: Worker; port: MessagePort; flags: Int32Array; seq: number };

function spawn(): TThread {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(8);
  const worker = new Worker(THREAD_URL, { workerData: { port: port2, signal }, transferList: [port2] });
  // Its errors are ours to report (as call failures), never the process's. It stays
  // referenced until configured (Atomics.waitAsync alone does not keep the process alive),
  // then never keeps the process alive.
  worker.on("error", () => undefined);
  return { worker, port: port1, flags: new Int32Array(signal), seq: 0 };
}

function post(t: TThread, msg: TInitRequest | TCallRequest): number {
  t.seq++;
  msg.seq = t.seq;
  t.port.postMessage(msg);
  Atomics.store(t.flags, 0, t.seq);
  Atomics.notify(t.flags, 0);
  return t.seq;
}

/**
 * One wasm plugin (module + configuration) of one proxy process: calls are synchronous
 * (a filter phase waits on them like on a function call) and bounded by `callTimeoutMs`.
 * `generation` counts sandbox threads: streams created on an earlier one lost their state.
 */
export class WasmSandbox {
  readonly #init: TInitRequest;
  readonly #callTimeoutMs: number;
  #thread: TThread | null;
  #generation = 1;
  #closed = false;
  /** When the last restart failed: no new attempt for RESTART_BACKOFF_MS (each blocks the thread). */
  #restartFailedAt = -Infinity;

  #lastUsed = performance.now();
  readonly #idleCheck: NodeJS.Timeout;

  private constructor(init: TInitRequest, thread: TThread, callTimeoutMs: number) {
    this.#init = init;
    this.#thread = thread;
    this.#callTimeoutMs = callTimeoutMs;
    this.#idleCheck = setInterval(() => {
      if (this.#thread !== null && performance.now() - this.#lastUsed > PLUGIN_IDLE_MS) this.#kill();
    }, PLUGIN_IDLE_MS / 4);
    this.#idleCheck.unref();
  }

  /** Starts the thread and configures the plugin; rejects with the module's refusal or trap. */
  static async start(init: TInitRequest, callTimeoutMs = WASM_CALL_TIMEOUT_MS): Promise<{ sandbox: WasmSandbox; logs: [number, string][] }> {
    const t = spawn();
    post(t, init);
    const waited = Atomics.waitAsync(t.flags, 1, 0, WASM_INIT_TIMEOUT_MS);
    const outcome = waited.async ? await waited.value : waited.value;
    if (outcome === "timed-out") {
      void t.worker.terminate();
      throw new Error(`instantiating the module and proxy_on_configure took longer than ${WASM_INIT_TIMEOUT_MS} ms`);
    }
    const r = receiveMessageOnPort(t.port)?.message as TInitResult | undefined;
    if (!r || !r.ok) {
      void t.worker.terminate();
      throw new Error(r ? r.error : "the sandbox thread did not answer");
    }
    t.worker.unref();
    return { sandbox: new WasmSandbox(init, t, callTimeoutMs), logs: r.logs ?? [] };
  }

  get generation(): number {
    return this.#generation;
  }

  /** Answers to calls sent without waiting (`send`): their logs and traps. */
  onLateResult: (r: TCallResult) => void = () => undefined;

  /**
   * A call whose answer nobody waits for (proxy_on_done/log/delete after the response):
   * the sandbox runs it while the proxy thread goes on; its answer is read at the next
   * call. A plugin stuck there is stopped by the next call's bound.
   */
  send(req: TCallRequest): void {
    if (this.#closed || this.#thread === null) return;
    post(this.#thread, req);
    this.#scheduleDrain();
  }

  #drainTimer: NodeJS.Timeout | null = null;

  /** Reads late answers soon after (not only at the next call), until every one sent is in. */
  #scheduleDrain(): void {
    if (this.#drainTimer !== null) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null;
      const t = this.#thread;
      if (t === null) return;
      for (let m = receiveMessageOnPort(t.port); m; m = receiveMessageOnPort(t.port)) this.onLateResult(m.message as TCallResult);
      if (Atomics.load(t.flags, 1) < t.seq) this.#scheduleDrain();
    }, DRAIN_DELAY_MS);
    this.#drainTimer.unref();
  }

  /** One call, waited for synchronously; a timeout or a dead thread comes back as a trap. */
  call(req: TCallRequest): TCallResult {
    if (this.#closed) return { ret: 0, trap: "the plugin was unloaded" };
    this.#lastUsed = performance.now();
    if (this.#thread === null && performance.now() - this.#restartFailedAt > RESTART_BACKOFF_MS) {
      this.#thread = this.#restart();
      if (this.#thread === null) this.#restartFailedAt = performance.now();
    }
    const t = this.#thread;
    if (t === null) return { ret: 0, trap: "the plugin could not be started again" };
    const seq = post(t, req);
    const deadline = performance.now() + this.#callTimeoutMs;
    // Answers come in order; calls sent before this one (send) may still be running.
    for (let done = Atomics.load(t.flags, 1); done < seq; done = Atomics.load(t.flags, 1)) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(t.flags, 1, done, left) === "timed-out") {
        this.#kill();
        return { ret: 0, trap: `${req.fn} ran longer than ${this.#callTimeoutMs} ms (the plugin's thread was stopped)` };
      }
    }
    for (let m = receiveMessageOnPort(t.port); m; m = receiveMessageOnPort(t.port)) {
      const r = m.message as TCallResult;
      if (r.seq === seq) return r;
      this.onLateResult(r);
    }
    return { ret: 0, trap: "the sandbox thread did not answer" };
  }

  /** A fresh thread, configured synchronously (only after a timeout killed the last one). */
  #restart(): TThread | null {
    const t = spawn();
    this.#generation++;
    post(t, this.#init);
    if (Atomics.wait(t.flags, 1, 0, WASM_INIT_TIMEOUT_MS) === "timed-out") {
      void t.worker.terminate();
      return null;
    }
    const r = receiveMessageOnPort(t.port)?.message as TInitResult | undefined;
    if (!r?.ok) {
      void t.worker.terminate();
      return null;
    }
    t.worker.unref();
    return t;
  }

  #kill(): void {
    const t = this.#thread;
    this.#thread = null;
    if (t) void t.worker.terminate();
  }

  /** Stops the thread for good. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#idleCheck);
    this.#kill();
  }
}
