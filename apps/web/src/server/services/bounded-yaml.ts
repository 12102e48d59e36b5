import { Worker } from "node:worker_threads";
import type { TParsedText } from "@switchyard/config-model";
import { AppError } from "./app-error.ts";

/**
 * Every YAML document a caller sends the console (REST bodies, the import page) is read
 * here: on one worker thread, one document at a time, each within PARSE_TIME_LIMIT_MS and
 * PARSE_HEAP_LIMIT_MB. The yaml parser allocates about 1 KiB per node and needs seconds
 * for a few MB, so on the event loop one read-only caller could stall every page, the
 * control plane and health checks (issue #20); here a too-costly document only costs its
 * sender a 413, and the thread is replaced.
 */
export const PARSE_TIME_LIMIT_MS = 3_000;
export const PARSE_HEAP_LIMIT_MB = 256;
/** Documents waiting for the thread beyond this are refused (429): bounded memory for queued bodies. */
export const PARSE_QUEUE_LIMIT = 8;

export type TYamlTask = { op: "parse"; text: string } | { op: "lines"; text: string; paths: string[] } | { op: "jsonErrorLine"; text: string };

type TThread = { worker: Worker; ready: Promise<void> };
let thread: TThread | null = null;
let tail: Promise<unknown> = Promise.resolve();
let waiting = 0;

/** The worker's file beside this one: .ts under the TypeScript loader (dev, tests), .js once compiled. */
function startThread(): TThread {
  const ts = import.meta.url.endsWith(".ts");
  const file = new URL(ts ? "./yaml-worker.ts" : "./yaml-worker.js", import.meta.url);
  const execArgv = ts && !process.execArgv.some((a) => a.includes("tsx")) ? [...process.execArgv, "--import", "tsx"] : process.execArgv;
  const worker = new Worker(file, { execArgv, resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_LIMIT_MB } });
  // An idle parser must not keep the process alive (shutdown, tests).
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the YAML worker exited (${code}) before it was ready`)));
  });
  ready.catch(() => undefined);
  return { worker, ready };
}

function tooCostly(): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `the document could not be read within ${PARSE_TIME_LIMIT_MS} ms and ${PARSE_HEAP_LIMIT_MB} MB: send a smaller one`, [
    { path: "", message: "too large or too complex to parse" },
  ]);
}

async function runOnThread<T>(task: TYamlTask): Promise<T> {
  thread ??= startThread();
  const { worker, ready } = thread;
  try {
    await ready;
  } catch (err) {
    thread = null;
    throw err;
  }
  return new Promise<T>((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onError);
      fn();
    };
    const onMessage = (result: T) => done(() => resolve(result));
    // Out of heap (ERR_WORKER_OUT_OF_MEMORY) or killed: the next document gets a new thread.
    const onError = () =>
      done(() => {
        if (thread?.worker === worker) thread = null;
        reject(tooCostly());
      });
    const timer = setTimeout(() => {
      if (thread?.worker === worker) thread = null;
      void worker.terminate();
      done(() => reject(tooCostly()));
    }, PARSE_TIME_LIMIT_MS);
    worker.on("message", onMessage);
    worker.once("error", onError);
    worker.once("exit", onError);
    worker.postMessage(task);
  });
}

/** Runs one task after those before it; more than PARSE_QUEUE_LIMIT waiting is RATE_LIMITED. */
function enqueue<T>(task: TYamlTask): Promise<T> {
  if (waiting >= PARSE_QUEUE_LIMIT) return Promise.reject(new AppError("RATE_LIMITED", "the console is reading other documents: retry in a few seconds"));
  waiting++;
  const run = tail.then(() => runOnThread<T>(task));
  tail = run.catch(() => undefined);
  return run.finally(() => waiting--);
}

/** config-model's parseConfigText, bounded in time and memory. */
export function parseYamlBounded(text: string): Promise<TParsedText> {
  return enqueue<TParsedText>({ op: "parse", text });
}

/** config-model's linesOfPaths (the line of each issue), bounded like the parse. */
export function linesOfPathsBounded(text: string, paths: string[]): Promise<(number | undefined)[]> {
  return paths.length ? enqueue({ op: "lines", text, paths }) : Promise.resolve([]);
}

/** config-model's jsonErrorLine, bounded like the parse. */
export function jsonErrorLineBounded(text: string): Promise<number | undefined> {
  return enqueue({ op: "jsonErrorLine", text });
}
