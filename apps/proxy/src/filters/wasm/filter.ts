import type { TDoneInfo, TFilterLocalReply, TFilterRequest, TFilterResponse, THeaderMap, THttpFilter } from "../api.ts";
import { DEFAULT_FILTER_BUFFER_BYTES } from "../chain.ts";
import { Action, LOG_LEVELS, MapType, type TCallRequest, type TCallResult, type TMaps, type TProperties } from "./abi.ts";
import type { WasmSandbox } from "./sandbox.ts";

/**
 * A proxy-wasm plugin as an HTTP filter (filters/api.ts): each request gets a stream
 * context in the plugin (proxy_on_context_create), and each phase is one synchronous,
 * time-bounded call into the sandbox with the state that phase may touch:
 *
 *   onRequestHeaders   proxy_on_request_headers   request headers (+ :method :path :authority :scheme)
 *   onRequestBody      proxy_on_request_body      the body buffer (and request headers, read only)
 *   onResponseHeaders  proxy_on_response_headers  response headers (+ :status), request headers read only
 *   onResponseBody     proxy_on_response_body     the body buffer
 *   onResponseTrailers proxy_on_response_trailers response trailers
 *   onDone             proxy_on_done, proxy_on_log, proxy_on_delete
 *
 * Actions: Pause from a body call buffers (Envoy's StopIterationAndBuffer: the next call
 * sees everything held, up to the chain's 1 MiB buffer limit; past it 413 for a request
 * and a filter error for a response). Pause from a headers call answers with the local
 * response the plugin sent, else continues: this host has no timers or HTTP callouts, so a
 * paused stream could never be resumed (Envoy would hold it until a timeout). A trap, a
 * call past its time bound, or a local response asked for after the response started
 * fails the request (500 + flag FE, switchyard_filter_errors_total{filter}).
 */

type TStream = {
  readonly ctx: number;
  /** The sandbox thread the context was created on (a restart loses it). */
  generation: number;
  /** The request had no body (end_of_stream on the headers): no body calls, as in Envoy. */
  readonly requestEnded: boolean;
  requestHeld: Buffer | null;
  responseHeld: Buffer | null;
  /** A call trapped: the plugin dropped the context, so no done call either. */
  dead: boolean;
};

export type TWasmLog = (event: string, fields: Record<string, unknown>) => void;

/** The filter, and how many requests still have a stream context in the plugin (unloading waits for 0). */
export type TWasmFilterHandle = THttpFilter & { liveStreams(): number };

const EMPTY = Buffer.alloc(0);

export function createWasmFilter(name: string, sandbox: WasmSandbox, module: WebAssembly.Module, log: TWasmLog): TWasmFilterHandle {
  const streams = new WeakMap<TFilterRequest, TStream>();
  let live = 0;
  // Phases the module has no callback for are left out: the chain skips them (no call, no copy).
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  // Stream context ids: 1 is the root context.
  let nextContextId = 2;

  const logLines = (r: TCallResult) => {
    if (r.logs) for (const [level, message] of r.logs) log("wasm_log", { filter: name, level: LOG_LEVELS[level] ?? String(level), message });
  };
  // Answers of done calls (sent without waiting): their logs, and a trap there (the request is over: logged).
  sandbox.onLateResult = (r) => {
    logLines(r);
    if (r.trap !== undefined) log("wasm_trap_after_response", { filter: name, error: r.trap });
  };
  const call = (req: TCallRequest, s: TStream): TCallResult => {
    const r = sandbox.call(req);
    logLines(r);
    if (r.trap !== undefined) {
      s.dead = true;
      throw new Error(`wasm: ${r.trap}`);
    }
    return r;
  };

  const streamOf = (req: TFilterRequest): TStream | undefined => {
    const s = streams.get(req);
    if (s && s.generation !== sandbox.generation) throw new Error("wasm: the plugin's VM was restarted during this request (its stream state is gone)");
    return s;
  };

  const finishStream = (req: TFilterRequest, s: TStream) => {
    streams.delete(req);
    live--;
    if (!s.dead && s.generation === sandbox.generation) sandbox.send({ op: "call", fn: "done", ctx: s.ctx, args: [] });
  };

  /** Runs one body call; returns what goes on (null: held), or the plugin's local response. */
  const bodyCall = (fn: "proxy_on_request_body" | "proxy_on_response_body", s: TStream, chunk: Buffer, end: boolean, maps: TMaps | undefined): Buffer | TFilterLocalReply | null => {
    const heldKey = fn === "proxy_on_request_body" ? "requestHeld" : "responseHeld";
    const held = s[heldKey];
    const input = held ? Buffer.concat([held, chunk]) : chunk;
    const r = call({ op: "call", fn, ctx: s.ctx, args: [input.length, end ? 1 : 0], body: input, ...(maps ? { maps } : {}) }, s);
    if (r.local) return localReply(r);
    const out = r.body ? Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength) : input;
    if (r.ret === Action.Pause && !end) {
      if (out.length > DEFAULT_FILTER_BUFFER_BYTES) {
        if (fn === "proxy_on_request_body") return { status: 413, body: `request body larger than ${DEFAULT_FILTER_BUFFER_BYTES} bytes\n` };
        throw new Error(`wasm: the plugin buffered more than ${DEFAULT_FILTER_BUFFER_BYTES} response bytes`);
      }
      s[heldKey] = out;
      return null;
    }
    s[heldKey] = null;
    return out;
  };

  const filter: TWasmFilterHandle = {
    name,
    liveStreams: () => live,

    onRequestHeaders(req) {
      const ctx = nextContextId++;
      const requestEnded = !requestHasBody(req.headers);
      const s: TStream = { ctx, generation: sandbox.generation, requestEnded, requestHeld: null, responseHeld: null, dead: false };
      streams.set(req, s);
      live++;
      const list = requestMapOf(req);
      let r: TCallResult;
      try {
        // One call creates the context (proxy_on_context_create) and runs proxy_on_request_headers.
        r = call({ op: "call", fn: "proxy_on_request_headers", ctx, args: [list.length / 2, requestEnded ? 1 : 0], create: propertiesOf(req), maps: { [MapType.RequestHeaders]: list } }, s);
        // The call may have started the plugin again (after a timeout): the context lives there.
        s.generation = sandbox.generation;
      } catch (err) {
        // onDone never runs for a filter whose request headers failed: the stream ends here.
        finishStream(req, s);
        throw err;
      }
      const changed = r.maps?.[MapType.RequestHeaders];
      if (changed) replaceHeaders(req.headers, changed);
      if (r.local) {
        // onDone runs only for filters that continued: end the stream context here.
        finishStream(req, s);
        return localReply(r);
      }
      return undefined;
    },

    onRequestBody(chunk, end, req) {
      const s = streamOf(req);
      if (!s || s.requestEnded) return undefined;
      const out = bodyCall("proxy_on_request_body", s, chunk, end, { [MapType.RequestHeaders]: requestMapOf(req) });
      if (out === null) return EMPTY;
      return out;
    },

    onResponseHeaders(res, req) {
      const s = streamOf(req);
      if (!s) return undefined;
      const list = [":status", String(res.status), ...flat(res.headers)];
      const r = call({
        op: "call",
        fn: "proxy_on_response_headers",
        ctx: s.ctx,
        args: [list.length / 2, 0],
        maps: { [MapType.RequestHeaders]: requestMapOf(req), [MapType.ResponseHeaders]: list },
        props: { "response.code": res.status },
      }, s);
      if (r.local) return localReply(r);
      const changed = r.maps?.[MapType.ResponseHeaders];
      if (changed) applyResponseHeaders(res, changed);
      return undefined;
    },

    onResponseBody(chunk, end, _res, req) {
      const s = streamOf(req);
      if (!s) return undefined;
      const out = bodyCall("proxy_on_response_body", s, chunk, end, undefined);
      if (out === null) return EMPTY;
      if (!Buffer.isBuffer(out)) throw new Error("wasm: proxy_send_local_response after the response started");
      return out;
    },

    onResponseTrailers(trailers, _res, req) {
      const s = streamOf(req);
      if (!s) return;
      const list = flat(trailers);
      const r = call({ op: "call", fn: "proxy_on_response_trailers", ctx: s.ctx, args: [list.length / 2], maps: { [MapType.ResponseTrailers]: list } }, s);
      const changed = r.maps?.[MapType.ResponseTrailers];
      if (changed) replaceHeaders(trailers, changed);
    },

    onDone(_info: TDoneInfo, req) {
      const s = streams.get(req);
      if (s) finishStream(req, s);
    },
  };
  const phases = {
    onRequestBody: "proxy_on_request_body",
    onResponseHeaders: "proxy_on_response_headers",
    onResponseBody: "proxy_on_response_body",
    onResponseTrailers: "proxy_on_response_trailers",
  } as const;
  for (const [phase, fn] of Object.entries(phases)) if (!exported.has(fn)) delete filter[phase as keyof typeof phases];
  return filter;
}

function localReply(r: TCallResult): TFilterLocalReply {
  const l = r.local as NonNullable<TCallResult["local"]>;
  const headers: Record<string, string> = {};
  for (let i = 0; i < l.headers.length; i += 2) {
    const n = l.headers[i] as string;
    headers[n] = headers[n] === undefined ? (l.headers[i + 1] as string) : `${headers[n]}, ${l.headers[i + 1] as string}`;
  }
  return { status: l.status, headers, body: Buffer.from(l.body.buffer, l.body.byteOffset, l.body.byteLength) };
}

/** HTTP/1.1 framing says whether a body follows; HTTP/2 requests may have one too, so without framing headers it is "maybe" (false = a body may come). */
function requestHasBody(h: THeaderMap): boolean {
  const cl = h.get("content-length");
  if (cl !== undefined) return cl !== "0";
  return h.has("transfer-encoding") || !h.has("host");
}

function flat(h: THeaderMap): string[] {
  const out: string[] = [];
  for (const [n, v] of h.entries()) out.push(n, v);
  return out;
}

/** Envoy's request header map: the pseudo-headers first, then the fields. */
function requestMapOf(req: TFilterRequest): string[] {
  return [":method", req.method, ":path", req.query ? `${req.path}?${req.query}` : req.path, ":authority", req.authority, ":scheme", req.scheme, ...flat(req.headers)];
}

/** The plugin's edited list onto the request's headers; pseudo-headers cannot be rewritten here (ignored). */
function replaceHeaders(map: THeaderMap, list: readonly string[]): void {
  for (const n of new Set([...map.entries()].map(([n]) => n))) map.remove(n);
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i] as string;
    if (n.charCodeAt(0) !== 58) map.add(n, list[i + 1] as string);
  }
}

function applyResponseHeaders(res: TFilterResponse, list: readonly string[]): void {
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] !== ":status") continue;
    const status = Number(list[i + 1]);
    if (Number.isInteger(status) && status >= 100 && status <= 999) res.status = status;
  }
  replaceHeaders(res.headers, list);
}

/** What proxy_get_property answers for a request (Envoy's attribute names). */
function propertiesOf(req: TFilterRequest): TProperties {
  const p: TProperties = {
    "request.path": req.query ? `${req.path}?${req.query}` : req.path,
    "request.url_path": req.path,
    "request.host": req.authority,
    "request.scheme": req.scheme,
    "request.method": req.method,
    "request.query": req.query,
    "request.id": req.requestId,
    "source.address": req.remoteAddress,
    "connection.mtls": req.peer !== null,
  };
  const ua = req.headers.get("user-agent");
  if (ua !== undefined) p["request.useragent"] = ua;
  const referer = req.headers.get("referer");
  if (referer !== undefined) p["request.referer"] = referer;
  if (req.route) {
    p["route_name"] = req.route.name;
    p["xds.route_name"] = req.route.name;
  }
  return p;
}
