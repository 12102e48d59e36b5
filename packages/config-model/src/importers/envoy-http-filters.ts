import { isObject } from "./report.ts";

type TPath = (string | number)[];
type TObj = Record<string, unknown>;

/** What the importer's Reader offers this module (see envoy.ts). */
export type TFieldReader = {
  take(obj: TObj, path: TPath, key: string): unknown;
  takeWhole(obj: TObj, path: TPath, key: string): unknown;
  refuse(path: TPath, message: string): void;
};

/** Envoy's FractionalPercent -> 0..100. */
function percent(r: TFieldReader, v: unknown, path: TPath): number | undefined {
  if (!isObject(v)) return undefined;
  const n = Number(r.take(v, path, "numerator") ?? 0);
  const d = r.take(v, path, "denominator") ?? "HUNDRED";
  const scale = d === "TEN_THOUSAND" ? 100 : d === "MILLION" ? 10_000 : 1;
  return Math.min(100, n / scale);
}

/** Exact header names of an Envoy ListStringMatcher; other matchers are refused. */
function exactNames(r: TFieldReader, v: unknown, path: TPath): string[] {
  if (!isObject(v)) return [];
  const patterns = r.takeWhole(v, path, "patterns"); // each pattern is mapped or refused below
  if (!Array.isArray(patterns)) return [];
  const out: string[] = [];
  patterns.forEach((p, i) => {
    const pp = [...path, "patterns", i];
    if (!isObject(p)) return;
    const exact = r.take(p, pp, "exact");
    if (typeof exact === "string") out.push(exact.toLowerCase());
    else r.refuse(pp, "only exact header names are imported");
  });
  return out;
}

const COMPRESSORS: Record<string, string> = { Gzip: "gzip", Brotli: "br", Zstd: "zstd" };

/**
 * One entry of an HCM's http_filters -> a Switchyard filter, by its typed_config @type:
 * ext_authz (HTTP service with server_uri.uri), compressor (gzip / brotli / zstd), fault,
 * grpc_web, buffer. Unknown filters are left for the "not mapped" report. `durationMs`
 * is the importer's Envoy duration reader.
 */
export function importHttpFilter(r: TFieldReader, f: TObj, path: TPath, durationMs: (v: unknown) => number | undefined): TObj | undefined {
  const tc = f.typed_config;
  const type = isObject(tc) && typeof tc["@type"] === "string" ? (tc["@type"] as string) : "";
  const kind = /envoy\.extensions\.filters\.http\.([a-z_]+)\.v3\./.exec(type)?.[1];
  if (!isObject(tc) || !kind || !["ext_authz", "compressor", "fault", "grpc_web", "buffer"].includes(kind)) return undefined;
  const p = [...path, "typed_config"];
  r.take(f, path, "name");
  r.take(f, path, "typed_config");
  r.take(tc, p, "@type");
  if (kind === "grpc_web") return { type: "grpcWeb" };
  if (kind === "buffer") return { type: "bufferLimits", maxRequestBytes: r.take(tc, p, "max_request_bytes") };
  if (kind === "fault") {
    const out: TObj = { type: "fault" };
    const delay = r.take(tc, p, "delay");
    if (isObject(delay)) {
      const dp = [...p, "delay"];
      const fixed = durationMs(r.take(delay, dp, "fixed_delay"));
      if (fixed !== undefined) out.delay = { fixedDelayMs: fixed, percentage: percent(r, r.take(delay, dp, "percentage"), [...dp, "percentage"]) ?? 100 };
      if (r.take(delay, dp, "header_delay") !== undefined) out.headerControl = true;
    }
    const abort = r.take(tc, p, "abort");
    if (isObject(abort)) {
      const ap = [...p, "abort"];
      const status = r.take(abort, ap, "http_status");
      const grpcStatus = r.take(abort, ap, "grpc_status");
      if (typeof status === "number" || typeof grpcStatus === "number") {
        out.abort = {
          ...(typeof status === "number" ? { httpStatus: status } : {}),
          ...(typeof grpcStatus === "number" ? { grpcStatus } : {}),
          percentage: percent(r, r.take(abort, ap, "percentage"), [...ap, "percentage"]) ?? 100,
        };
      }
      if (r.take(abort, ap, "header_abort") !== undefined) out.headerControl = true;
    }
    return out;
  }
  if (kind === "compressor") {
    const out: TObj = { type: "compression" };
    const lib = r.take(tc, p, "compressor_library");
    const libType = isObject(lib) && isObject(lib.typed_config) ? String(lib.typed_config["@type"] ?? "") : "";
    const algorithm = COMPRESSORS[libType.split(".").at(-1) ?? ""];
    if (algorithm && isObject(lib)) {
      r.take(lib, [...p, "compressor_library"], "name");
      r.takeWhole(lib, [...p, "compressor_library"], "typed_config"); // levels: Switchyard's own
      out.algorithms = [algorithm];
    } else r.refuse([...p, "compressor_library"], "only gzip, brotli and zstd compressor libraries are imported");
    const rdc = r.take(tc, p, "response_direction_config");
    const common = isObject(rdc) ? r.take(rdc, [...p, "response_direction_config"], "common_config") : undefined;
    if (isObject(common)) {
      const cp = [...p, "response_direction_config", "common_config"];
      const min = r.take(common, cp, "min_content_length");
      if (typeof min === "number") out.minContentLength = min;
      const types = r.take(common, cp, "content_type");
      if (Array.isArray(types) && types.length) out.contentTypes = types;
    }
    return out;
  }
  // ext_authz, HTTP service mode.
  const out: TObj = { type: "extAuthz" };
  const hs = r.take(tc, p, "http_service");
  if (!isObject(hs)) {
    r.refuse(p, "only ext_authz http_service is imported (not grpc_service)");
    return undefined;
  }
  const hp = [...p, "http_service"];
  const su = r.take(hs, hp, "server_uri");
  const sp = [...hp, "server_uri"];
  const uri = isObject(su) ? r.take(su, sp, "uri") : undefined;
  if (isObject(su)) {
    r.take(su, sp, "cluster"); // the URL names the service itself
    const t = durationMs(r.take(su, sp, "timeout"));
    if (t !== undefined) out.timeoutMs = t;
  }
  const prefix = r.take(hs, hp, "path_prefix");
  if (typeof uri !== "string") {
    r.refuse(sp, "server_uri.uri is required to import ext_authz");
    return undefined;
  }
  out.url = uri.replace(/\/+$/, "") + (typeof prefix === "string" ? prefix : "");
  const areq = r.take(hs, hp, "authorization_request");
  if (isObject(areq)) out.allowedHeaders = exactNames(r, r.take(areq, [...hp, "authorization_request"], "allowed_headers"), [...hp, "authorization_request", "allowed_headers"]);
  const ares = r.take(hs, hp, "authorization_response");
  if (isObject(ares)) {
    const rp = [...hp, "authorization_response"];
    const up = r.take(ares, rp, "allowed_upstream_headers");
    if (up !== undefined) out.allowedUpstreamHeaders = exactNames(r, up, [...rp, "allowed_upstream_headers"]);
    const client = r.take(ares, rp, "allowed_client_headers");
    if (client !== undefined) out.allowedClientHeaders = exactNames(r, client, [...rp, "allowed_client_headers"]);
  }
  const fm = r.take(tc, p, "failure_mode_allow");
  if (typeof fm === "boolean") out.failOpen = fm;
  const body = r.take(tc, p, "with_request_body");
  if (isObject(body)) {
    const bp = [...p, "with_request_body"];
    out.withRequestBody = { maxRequestBytes: r.take(body, bp, "max_request_bytes"), allowPartialMessage: r.take(body, bp, "allow_partial_message") ?? false };
  }
  const soe = r.take(tc, p, "status_on_error");
  if (isObject(soe)) out.statusOnError = r.take(soe, [...p, "status_on_error"], "code");
  return out;
}
