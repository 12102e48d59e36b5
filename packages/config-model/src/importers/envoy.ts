import { importHttpFilter } from "./envoy-http-filters.ts";
import { isObject, note, toName, uniqueNamer, type TImportNote, type TImportResult } from "./report.ts";

type TPath = (string | number)[];
type TObj = Record<string, unknown>;

/**
 * Reads an Envoy document while remembering every field it used, so whatever is left
 * can be reported as unmapped with its path (the report lists every field, not a sample).
 */
class Reader {
  private readonly used = new Set<string>();
  /** Objects read from at all: an array element never read from is reported whole. */
  private readonly touched = new Set<string>();
  /** Fields used whole (their content needs no mapping), never descended into. */
  private readonly whole = new Set<string>();
  readonly unmapped: TImportNote[] = [];
  take(obj: TObj, path: TPath, key: string): unknown {
    this.touched.add(JSON.stringify(path));
    this.used.add(JSON.stringify([...path, key]));
    return obj[key];
  }
  takeWhole(obj: TObj, path: TPath, key: string): unknown {
    this.whole.add(JSON.stringify([...path, key]));
    return this.take(obj, path, key);
  }
  /** A field read but whose value has no Switchyard equivalent. */
  refuse(path: TPath, message: string): void {
    this.unmapped.push(note(path, message));
  }
  /** Every field of `root` never taken: the highest untaken one of each branch. */
  reportUntaken(value: unknown, path: TPath): void {
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : isObject(value) ? Object.entries(value) : [];
    for (const [key, child] of entries) {
      const childPath = [...path, key];
      const id = JSON.stringify(childPath);
      if (this.whole.has(id)) continue;
      const read = typeof key === "number" ? !isObject(child) || this.touched.has(id) : this.used.has(id);
      if (read) this.reportUntaken(child, childPath);
      else this.unmapped.push(note(childPath, "not mapped"));
    }
  }
}

const HCM = "envoy.filters.network.http_connection_manager";
const ROUTER = "envoy.filters.http.router";

/** Envoy durations: "1.5s" in JSON/YAML, or {seconds, nanos}. */
function durationMs(v: unknown): number | undefined {
  if (typeof v === "string") {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim());
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
  }
  if (isObject(v)) return Math.round(Number(v.seconds ?? 0) * 1000 + Number(v.nanos ?? 0) / 1e6);
  return undefined;
}

const LB_POLICIES: Record<string, string> = { ROUND_ROBIN: "roundRobin", LEAST_REQUEST: "leastRequest", RANDOM: "random", RING_HASH: "ringHash", MAGLEV: "maglev" };
const DISCOVERY: Record<string, string> = { STATIC: "static", STRICT_DNS: "strictDns", LOGICAL_DNS: "logicalDns" };
const RETRY_ON = new Set(["5xx", "gateway-error", "connect-failure", "reset", "refused-stream", "retriable-4xx", "retriable-status-codes"]);
const REDIRECT_CODES: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };

/**
 * An Envoy v3 static bootstrap -> a Switchyard config: static_resources listeners whose
 * http_connection_manager carries an inline route_config, and clusters with a
 * load_assignment (STATIC, STRICT_DNS, LOGICAL_DNS). Every field it does not map is listed
 * in `unmapped` with its path in the bootstrap.
 */
export function importEnvoyBootstrap(doc: unknown): TImportResult {
  const r = new Reader();
  const config = { listeners: [] as TObj[], routeConfigs: [] as TObj[], clusters: [] as TObj[] };
  if (!isObject(doc)) return { config, unmapped: [note([], "not an Envoy bootstrap (expected an object)")] };
  const sr = r.take(doc, [], "static_resources");
  if (isObject(sr)) {
    const listeners = r.take(sr, ["static_resources"], "listeners");
    const listenerName = uniqueNamer();
    const routeConfigName = uniqueNamer();
    if (Array.isArray(listeners)) {
      listeners.forEach((l, i) => {
        if (isObject(l)) importListener(r, l, ["static_resources", "listeners", i], config, listenerName, routeConfigName);
      });
    }
    const clusters = r.take(sr, ["static_resources"], "clusters");
    const clusterName = uniqueNamer();
    if (Array.isArray(clusters)) {
      clusters.forEach((c, i) => {
        if (isObject(c)) {
          const cluster = importCluster(r, c, ["static_resources", "clusters", i], clusterName);
          if (cluster) config.clusters.push(cluster);
        }
      });
    }
  }
  r.reportUntaken(doc, []);
  return { config, unmapped: r.unmapped };
}

function socketAddress(r: Reader, addr: unknown, path: TPath): { address: string; port: number } | undefined {
  if (!isObject(addr)) return undefined;
  const sa = r.take(addr, path, "socket_address");
  if (!isObject(sa)) return undefined;
  const p = [...path, "socket_address"];
  const address = r.take(sa, p, "address");
  const port = r.take(sa, p, "port_value");
  if (typeof address !== "string" || typeof port !== "number") return undefined;
  return { address, port };
}

function importListener(r: Reader, l: TObj, path: TPath, config: { listeners: TObj[]; routeConfigs: TObj[] }, listenerName: (n: string) => string, routeConfigName: (n: string) => string): void {
  const rawName = r.take(l, path, "name");
  const name = listenerName(toName(typeof rawName === "string" ? rawName : "", `listener-${path.at(-1)}`));
  const addr = socketAddress(r, r.take(l, path, "address"), [...path, "address"]);
  if (!addr) return r.refuse([...path, "address"], "a listener needs address.socket_address with address and port_value");
  const chains = r.take(l, path, "filter_chains");
  if (!Array.isArray(chains) || chains.length === 0) return r.refuse([...path, "filter_chains"], "no filter chain");
  if (chains.length > 1) r.refuse([...path, "filter_chains"], `${chains.length} filter chains: only the first is imported`);
  const chainPath = [...path, "filter_chains", 0];
  const chain = chains[0];
  if (!isObject(chain)) return;
  const filters = r.take(chain, chainPath, "filters");
  const hcmIndex = Array.isArray(filters) ? filters.findIndex((f) => isObject(f) && f.name === HCM) : -1;
  if (!Array.isArray(filters) || hcmIndex < 0) return r.refuse([...chainPath, "filters"], `no ${HCM}: only HTTP listeners are imported`);
  const fPath = [...chainPath, "filters", hcmIndex];
  const filter = filters[hcmIndex] as TObj;
  r.take(filter, fPath, "name");
  const hcm = r.take(filter, fPath, "typed_config");
  if (!isObject(hcm)) return r.refuse([...fPath, "typed_config"], "missing typed_config");
  const hPath = [...fPath, "typed_config"];
  r.take(hcm, hPath, "@type");
  r.take(hcm, hPath, "stat_prefix"); // Switchyard names its stats by listener
  const httpFilters = r.take(hcm, hPath, "http_filters");
  const imported: TObj[] = [];
  if (Array.isArray(httpFilters)) {
    httpFilters.forEach((f, i) => {
      const fp = [...hPath, "http_filters", i];
      if (isObject(f) && f.name === ROUTER) {
        r.take(f, fp, "name");
        r.takeWhole(f, fp, "typed_config");
      } else if (isObject(f)) {
        const mapped = importHttpFilter(r, f, fp, durationMs);
        if (!mapped) return;
        // Envoy lists one compressor per algorithm; Switchyard's one filter offers them all.
        const compression = mapped.type === "compression" ? imported.find((x) => x.type === "compression") : undefined;
        if (compression && Array.isArray(compression.algorithms) && Array.isArray(mapped.algorithms)) compression.algorithms.push(...(mapped.algorithms as unknown[]));
        else imported.push(mapped);
      }
    });
  }
  const rc = r.take(hcm, hPath, "route_config");
  if (!isObject(rc)) return r.refuse([...hPath, "route_config"], "only an inline route_config is imported (not rds)");
  const rcPath = [...hPath, "route_config"];
  const rcRawName = r.take(rc, rcPath, "name");
  const rcName = routeConfigName(toName(typeof rcRawName === "string" ? rcRawName : "", `${name}-routes`));
  const vhosts = r.take(rc, rcPath, "virtual_hosts");
  const vhName = uniqueNamer();
  const virtualHosts = Array.isArray(vhosts) ? vhosts.flatMap((vh, i) => (isObject(vh) ? [importVirtualHost(r, vh, [...rcPath, "virtual_hosts", i], vhName)] : [])) : [];
  config.routeConfigs.push({ name: rcName, virtualHosts });
  config.listeners.push({ name, address: addr.address, port: addr.port, protocol: "http", routeConfig: rcName, ...(imported.length ? { httpFilters: imported } : {}) });
}

function importVirtualHost(r: Reader, vh: TObj, path: TPath, vhName: (n: string) => string): TObj {
  const rawName = r.take(vh, path, "name");
  const name = vhName(toName(typeof rawName === "string" ? rawName : "", `vhost-${path.at(-1)}`));
  const domains = r.take(vh, path, "domains");
  const routes = r.take(vh, path, "routes");
  const routeName = uniqueNamer();
  return {
    name,
    domains: Array.isArray(domains) && domains.length ? domains : ["*"],
    routes: Array.isArray(routes) ? routes.flatMap((rt, i) => (isObject(rt) ? importRoute(r, rt, [...path, "routes", i], routeName, name) ?? [] : [])) : [],
  };
}

function importRoute(r: Reader, rt: TObj, path: TPath, routeName: (n: string) => string, vhName: string): TObj | undefined {
  const rawName = r.take(rt, path, "name");
  const name = routeName(toName(typeof rawName === "string" ? rawName : "", `${vhName}-${path.at(-1)}`));
  const m = r.take(rt, path, "match");
  const mPath = [...path, "match"];
  if (!isObject(m)) return void r.refuse(mPath, "route without match: skipped");
  const match: TObj = {};
  for (const key of ["prefix", "path"] as const) {
    const v = r.take(m, mPath, key);
    if (typeof v === "string") match[key] = v;
  }
  const safeRegex = r.take(m, mPath, "safe_regex");
  if (isObject(safeRegex)) {
    r.takeWhole(safeRegex, [...mPath, "safe_regex"], "google_re2");
    match.regex = r.take(safeRegex, [...mPath, "safe_regex"], "regex");
  }
  const cs = r.take(m, mPath, "case_sensitive");
  if (typeof cs === "boolean") match.caseSensitive = cs;
  if (!("prefix" in match || "path" in match || "regex" in match)) return void r.refuse(mPath, "no prefix, path or safe_regex: route skipped");
  const out: TObj = { name, match };
  const action = r.take(rt, path, "route");
  const direct = r.take(rt, path, "direct_response");
  const redirect = r.take(rt, path, "redirect");
  if (isObject(action)) out.route = importRouteAction(r, action, [...path, "route"]);
  else if (isObject(direct)) {
    const dPath = [...path, "direct_response"];
    const body = r.take(direct, dPath, "body");
    const inline = isObject(body) ? r.take(body, [...dPath, "body"], "inline_string") : undefined;
    out.directResponse = { status: r.take(direct, dPath, "status"), ...(typeof inline === "string" ? { body: inline } : {}) };
  } else if (isObject(redirect)) {
    const rPath = [...path, "redirect"];
    const red: TObj = {};
    for (const [from, to] of [["host_redirect", "hostRedirect"], ["port_redirect", "portRedirect"], ["path_redirect", "pathRedirect"], ["prefix_rewrite", "prefixRewrite"], ["https_redirect", "httpsRedirect"], ["strip_query", "stripQuery"]] as const) {
      const v = r.take(redirect, rPath, from);
      if (v !== undefined) red[to] = v;
    }
    const code = r.take(redirect, rPath, "response_code");
    if (typeof code === "string") {
      if (REDIRECT_CODES[code]) red.responseCode = REDIRECT_CODES[code];
      else r.refuse([...rPath, "response_code"], `unknown response code ${code}`);
    }
    out.redirect = red;
  } else return void r.refuse(path, "no route, redirect or direct_response: route skipped");
  return out;
}

function importRouteAction(r: Reader, a: TObj, path: TPath): TObj {
  const out: TObj = {};
  const cluster = r.take(a, path, "cluster");
  if (typeof cluster === "string") out.cluster = toName(cluster, "cluster");
  const wc = r.take(a, path, "weighted_clusters");
  if (isObject(wc)) {
    const list = r.take(wc, [...path, "weighted_clusters"], "clusters");
    if (Array.isArray(list)) {
      out.weightedClusters = list.flatMap((c, i) => {
        if (!isObject(c)) return [];
        const cp = [...path, "weighted_clusters", "clusters", i];
        return [{ cluster: toName(String(r.take(c, cp, "name")), "cluster"), weight: r.take(c, cp, "weight") }];
      });
    }
  }
  const prefixRewrite = r.take(a, path, "prefix_rewrite");
  if (typeof prefixRewrite === "string") out.prefixRewrite = prefixRewrite;
  const hostRewrite = r.take(a, path, "host_rewrite_literal");
  if (typeof hostRewrite === "string") out.hostRewrite = hostRewrite;
  const timeout = durationMs(r.take(a, path, "timeout"));
  if (timeout !== undefined) out.timeoutMs = timeout;
  const idle = durationMs(r.take(a, path, "idle_timeout"));
  if (idle !== undefined) out.idleTimeoutMs = idle;
  const rp = r.take(a, path, "retry_policy");
  if (isObject(rp)) out.retryPolicy = importRetryPolicy(r, rp, [...path, "retry_policy"]);
  return out;
}

function importRetryPolicy(r: Reader, rp: TObj, path: TPath): TObj {
  const retryOn = String(r.take(rp, path, "retry_on") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const kept = retryOn.filter((c) => RETRY_ON.has(c));
  for (const c of retryOn) if (!RETRY_ON.has(c)) r.refuse([...path, "retry_on"], `retry condition "${c}" is not supported`);
  const out: TObj = { retryOn: kept.length ? kept : ["5xx"] };
  const n = r.take(rp, path, "num_retries");
  if (typeof n === "number") out.numRetries = n;
  const perTry = durationMs(r.take(rp, path, "per_try_timeout"));
  if (perTry !== undefined) out.perTryTimeoutMs = perTry;
  const codes = r.take(rp, path, "retriable_status_codes");
  if (Array.isArray(codes)) out.retriableStatusCodes = codes;
  return out;
}

function importCluster(r: Reader, c: TObj, path: TPath, clusterName: (n: string) => string): TObj | undefined {
  const rawName = r.take(c, path, "name");
  const name = clusterName(toName(typeof rawName === "string" ? rawName : "", `cluster-${path.at(-1)}`));
  const type = r.take(c, path, "type") ?? "STATIC";
  const discovery = typeof type === "string" ? DISCOVERY[type] : undefined;
  if (!discovery) return void r.refuse([...path, "type"], `cluster type ${String(type)} is not imported (STATIC, STRICT_DNS, LOGICAL_DNS are)`);
  const out: TObj = { name, discovery };
  const lb = r.take(c, path, "lb_policy");
  if (typeof lb === "string") {
    if (LB_POLICIES[lb]) out.lbPolicy = LB_POLICIES[lb];
    else r.refuse([...path, "lb_policy"], `lb_policy ${lb} has no Switchyard equivalent`);
  }
  const ct = durationMs(r.take(c, path, "connect_timeout"));
  if (ct !== undefined && ct > 0) out.connectTimeoutMs = ct;
  r.take(c, path, "dns_lookup_family"); // Switchyard resolves both families
  if (isObject(c.http2_protocol_options)) {
    r.take(c, path, "http2_protocol_options");
    out.protocol = "http2";
  }
  out.endpoints = importEndpoints(r, r.take(c, path, "load_assignment"), [...path, "load_assignment"]);
  const hcs = r.take(c, path, "health_checks");
  if (Array.isArray(hcs) && hcs.length) {
    if (hcs.length > 1) r.refuse([...path, "health_checks"], `${hcs.length} health checks: only the first is imported`);
    if (isObject(hcs[0])) out.healthCheck = importHealthCheck(r, hcs[0], [...path, "health_checks", 0]);
  }
  return out;
}

function importEndpoints(r: Reader, la: unknown, path: TPath): TObj[] {
  if (!isObject(la)) return [];
  r.take(la, path, "cluster_name");
  const localities = r.take(la, path, "endpoints");
  if (!Array.isArray(localities)) return [];
  return localities.flatMap((loc, i) => {
    if (!isObject(loc)) return [];
    const locPath = [...path, "endpoints", i];
    const lbs = r.take(loc, locPath, "lb_endpoints");
    if (!Array.isArray(lbs)) return [];
    return lbs.flatMap((lbe, j) => {
      if (!isObject(lbe)) return [];
      const ePath = [...locPath, "lb_endpoints", j];
      const weight = r.take(lbe, ePath, "load_balancing_weight");
      const ep = r.take(lbe, ePath, "endpoint");
      const addr = isObject(ep) ? socketAddress(r, r.take(ep, [...ePath, "endpoint"], "address"), [...ePath, "endpoint", "address"]) : undefined;
      if (!addr) {
        r.refuse(ePath, "endpoint without socket_address: skipped");
        return [];
      }
      return [{ ...addr, ...(typeof weight === "number" ? { weight } : {}) }];
    });
  });
}

function importHealthCheck(r: Reader, hc: TObj, path: TPath): TObj {
  const out: TObj = {};
  for (const [from, to] of [["timeout", "timeoutMs"], ["interval", "intervalMs"], ["interval_jitter", "intervalJitterMs"]] as const) {
    const ms = durationMs(r.take(hc, path, from));
    if (ms !== undefined) out[to] = ms;
  }
  for (const [from, to] of [["unhealthy_threshold", "unhealthyThreshold"], ["healthy_threshold", "healthyThreshold"]] as const) {
    const v = r.takeWhole(hc, path, from);
    if (v !== undefined) out[to] = Number(isObject(v) ? v.value : v); // UInt32Value: a number or {value}
  }
  const http = r.take(hc, path, "http_health_check");
  const tcp = r.take(hc, path, "tcp_health_check");
  const grpc = r.take(hc, path, "grpc_health_check");
  if (isObject(http)) {
    out.type = "http";
    const p = r.take(http, [...path, "http_health_check"], "path");
    if (typeof p === "string") out.path = p;
    const host = r.take(http, [...path, "http_health_check"], "host");
    if (typeof host === "string") out.host = host;
  } else if (tcp !== undefined) out.type = "tcp";
  else if (isObject(grpc)) {
    out.type = "grpc";
    const svc = r.take(grpc, [...path, "grpc_health_check"], "service_name");
    if (typeof svc === "string") out.grpcServiceName = svc;
  }
  return out;
}
