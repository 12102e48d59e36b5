import { BUFFER_BODY, type TFilterLocalReply, type THttpFilter } from "../api.ts";

/**
 * A plugin's instance (what its `create()` returned) on the filter API (filters/api.ts):
 * the same phases, so a plugin runs in the one pipeline like a built-in. The adapter adds
 * what a user's code needs and a built-in does not:
 *   - an async phase is bounded by the entry's `timeoutMs`: a promise that does not settle
 *     in time fails the request (500 FE, counted) instead of holding it forever;
 *   - what a phase returns is checked (nothing, a Buffer where allowed, BUFFER_BODY from
 *     onRequestBody, or a local reply `{ status, headers?, body? }`): anything else fails
 *     the request, never the process;
 *   - a rejected onDone (nobody awaits it) is counted and logged, not left unhandled.
 * Only the phases the instance has are defined, so the chain skips the others for free.
 * Synchronous phases are called directly: no promise, no timer.
 */
export type TPluginInstance = {
  onRequestHeaders?(req: unknown): unknown;
  onRequestBody?(chunk: Buffer, end: boolean, req: unknown): unknown;
  onResponseHeaders?(res: unknown, req: unknown): unknown;
  onResponseBody?(chunk: Buffer, end: boolean, res: unknown, req: unknown): unknown;
  onResponseTrailers?(trailers: unknown, res: unknown, req: unknown): unknown;
  onDone?(info: unknown, req: unknown): unknown;
};

/** A plugin phase did not settle within its entry's timeoutMs. */
export class PluginPhaseTimeoutError extends Error {
  readonly code = "SWY_ERR_PLUGIN_TIMEOUT";
  constructor(filter: string, phase: string, timeoutMs: number) {
    super(`plugin "${filter}" ${phase} did not finish within ${timeoutMs} ms (timeoutMs)`);
    this.name = "PluginPhaseTimeoutError";
  }
}

export function pluginFilter(name: string, impl: TPluginInstance, timeoutMs: number, doneFailed: (err: unknown) => void): THttpFilter {
  const settle = <T>(phase: string, r: unknown, check: (v: unknown) => T): T | Promise<T> => {
    if (!isThenable(r)) return check(r);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PluginPhaseTimeoutError(name, phase, timeoutMs)), timeoutMs);
      r.then(
        (v) => {
          clearTimeout(timer);
          try {
            resolve(check(v));
          } catch (err) {
            reject(err);
          }
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  };
  const f: { -readonly [K in keyof THttpFilter]: THttpFilter[K] } = { name };
  const i = impl;
  if (typeof i.onRequestHeaders === "function") {
    f.onRequestHeaders = (req) => settle("onRequestHeaders", i.onRequestHeaders?.(req), (v) => replyOrNothing("onRequestHeaders", v));
  }
  if (typeof i.onRequestBody === "function") {
    f.onRequestBody = (chunk, end, req) => settle("onRequestBody", i.onRequestBody?.(chunk, end, req), (v) => bufferOrReply("onRequestBody", v));
  }
  if (typeof i.onResponseHeaders === "function") {
    f.onResponseHeaders = (res, req) => settle("onResponseHeaders", i.onResponseHeaders?.(res, req), (v) => replyOrNothing("onResponseHeaders", v));
  }
  if (typeof i.onResponseBody === "function") {
    f.onResponseBody = (chunk, end, res, req) => settle("onResponseBody", i.onResponseBody?.(chunk, end, res, req), (v) => bufferOrNothing("onResponseBody", v));
  }
  if (typeof i.onResponseTrailers === "function") {
    f.onResponseTrailers = (trailers, res, req) => settle("onResponseTrailers", i.onResponseTrailers?.(trailers, res, req), () => undefined);
  }
  if (typeof i.onDone === "function") {
    f.onDone = (info, req) => {
      const r = i.onDone?.(info, req);
      if (isThenable(r)) r.then(undefined, doneFailed);
    };
  }
  return Object.freeze(f);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

function replyOrNothing(phase: string, v: unknown): TFilterLocalReply | undefined {
  if (v === undefined || v === null) return undefined;
  return localReply(phase, v);
}

function bufferOrNothing(phase: string, v: unknown): Buffer | undefined {
  if (v === undefined || v === null) return undefined;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === "string") return Buffer.from(v);
  throw new TypeError(`${phase} returned ${describe(v)}: expected nothing or a Buffer${phase === "onRequestBody" ? ", BUFFER_BODY or a local reply" : ""}`);
}

function bufferOrReply(phase: string, v: unknown): Buffer | TFilterLocalReply | typeof BUFFER_BODY | undefined {
  if (v === BUFFER_BODY) return BUFFER_BODY;
  if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) return localReply(phase, v);
  return bufferOrNothing(phase, v);
}

/** `{ status, headers?, body? }`, checked here so a bad answer fails the request with the plugin named. */
function localReply(phase: string, v: unknown): TFilterLocalReply {
  const r = v as { status?: unknown; headers?: unknown; body?: unknown; flag?: unknown };
  const ok =
    typeof v === "object" &&
    Number.isInteger(r.status) &&
    (r.status as number) >= 200 &&
    (r.status as number) <= 599 &&
    (r.headers === undefined || (typeof r.headers === "object" && r.headers !== null)) &&
    (r.body === undefined || typeof r.body === "string" || r.body instanceof Uint8Array) &&
    (r.flag === undefined || typeof r.flag === "string");
  if (!ok) throw new TypeError(`${phase} returned ${describe(v)}: expected nothing or a local reply { status (200-599), headers?, body? }`);
  const body = r.body instanceof Uint8Array && !Buffer.isBuffer(r.body) ? Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength) : (r.body as string | Buffer | undefined);
  return { status: r.status as number, headers: r.headers as Record<string, string> | undefined, body, flag: r.flag as string | undefined };
}

function describe(v: unknown): string {
  if (typeof v === "object" && v !== null) return `an object (${Object.keys(v).slice(0, 5).join(", ") || "no keys"})`;
  return `${typeof v} ${String(v).slice(0, 40)}`;
}
