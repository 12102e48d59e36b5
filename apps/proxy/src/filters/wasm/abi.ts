// Declares Node's WebAssembly global for every module of the host (the project's lib has no DOM).
import "./webassembly-globals.ts";

/**
 * Numbers of Envoy's proxy-wasm ABI 0.2.1 (github.com/proxy-wasm/spec, abi-versions/v0.2.1),
 * shared by the host (sandbox thread) and the filter adapter (proxy thread).
 */

/** proxy_result_t: what every host function returns. */
export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  InternalFailure: 10,
  Unimplemented: 12,
} as const;

/** proxy_action_t: what proxy_on_request_headers and friends answer. */
export const Action = { Continue: 0, Pause: 1 } as const;

/** proxy_map_type_t. */
export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
} as const;

/** proxy_buffer_type_t. */
export const BufferType = {
  RequestBody: 0,
  ResponseBody: 1,
  VmConfiguration: 6,
  PluginConfiguration: 7,
} as const;

/** proxy_log_level_t: trace 0 ... critical 5. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"] as const;

/** The ABI versions a module may declare by exporting `proxy_abi_version_<v>`; 0.2.0 differs only in functions we stub. */
export const ABI_MARKERS = ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"] as const;

/** A stream context's calls, as the adapter asks the sandbox for them. */
export type TStreamCall =
  | "proxy_on_request_headers"
  | "proxy_on_request_body"
  | "proxy_on_request_trailers"
  | "proxy_on_response_headers"
  | "proxy_on_response_body"
  | "proxy_on_response_trailers";

/** Header maps of one call: map type -> flat [name, value, ...] list (names lower case). */
export type TMaps = Partial<Record<number, string[]>>;

/** Request properties (Envoy attribute names, path segments joined by "."): strings, integers (int64) or booleans. */
export type TProperties = Record<string, string | number | boolean>;

/** One call into a stream context, proxy thread -> sandbox. */
export type TCallRequest = {
  readonly op: "call";
  /** "done": proxy_on_done, proxy_on_log, proxy_on_delete (sent without waiting for the answer). */
  readonly fn: TStreamCall | "done";
  readonly ctx: number;
  readonly args: readonly number[];
  /** Create the stream context first (proxy_on_context_create), with these properties. */
  readonly create?: TProperties;
  readonly maps?: TMaps;
  readonly body?: Uint8Array;
  /** Properties added for this call on (response.code). */
  readonly props?: TProperties;
  /** Set by the sandbox channel: answers carry it back. */
  seq?: number;
};

/** A proxy_send_local_response the module asked for during the call. */
export type TLocalResponse = {
  readonly status: number;
  readonly details: string;
  readonly body: Uint8Array;
  readonly headers: string[];
};

/** The sandbox's answer to one call. */
export type TCallResult = {
  /** The request's sequence number (sandbox channel). */
  seq?: number;
  /** The call's return value (an Action for header/body calls). */
  readonly ret: number;
  /** Maps the module changed (whole lists). */
  readonly maps?: TMaps;
  /** The body buffer when the module changed it. */
  readonly body?: Uint8Array;
  readonly local?: TLocalResponse;
  /** proxy_log and WASI stdout/stderr lines: [level, message]. */
  readonly logs?: [number, string][];
  /** The module trapped (or its context is gone): the message. */
  readonly trap?: string;
};

/** Sets up one plugin (root context) in a sandbox. */
export type TInitRequest = {
  readonly op: "init";
  seq?: number;
  readonly module: WebAssembly.Module;
  readonly pluginName: string;
  readonly config: Uint8Array;
};

export type TInitResult = ({ readonly ok: true } | { readonly ok: false; readonly error: string }) & { readonly logs?: [number, string][]; seq?: number };
