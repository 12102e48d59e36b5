import type { TConfig } from "./config.ts";
import type { TConfigIssue } from "./errors.ts";
import type { TNetworkFilter } from "./network-filter.ts";
import { formatPath } from "./errors.ts";
import { httpFilterName } from "./listener.ts";
import { linearRegexSyntaxProblem } from "./linear-regex.ts";
import { privateKeysOutsideKeyFields } from "./private-keys.ts";
import { regexSafetyProblem } from "./regex-safety.ts";
import { checkFilterOverrides } from "./filter-overrides.ts";
import { checkWasmFilters } from "./filters/wasm.ts";

/**
 * Whole-snapshot checks that a per-object schema cannot make: names unique per kind,
 * references resolve to a resource of the right type, regexes compile and are safe from
 * catastrophic backtracking, weights sum > 0,
 * no two listeners on one address:port. Runs before publish in the console and before
 * the swap in the proxy (the same function), like go-control-plane's Consistent().
 * `regexProblem`: regexProblem below, memoised by the caller (compiling thousands of
 * regexes is most of this function's time; ValidationMemo keeps the verdicts).
 */
export function checkConsistency(config: TConfig, opts: { regexProblem?: (source: string) => string | undefined } = {}): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path: formatPath(path), message });

  const uniqueNames = (kind: string, items: readonly { name: string }[], base: (string | number)[] = []) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.name);
      if (first !== undefined) add([...base, kind, i, "name"], `duplicate name "${item.name}" (also ${formatPath([...base, kind, first])})`);
      else seen.set(item.name, i);
    });
  };
  uniqueNames("listeners", config.listeners);
  uniqueNames("routeConfigs", config.routeConfigs);
  uniqueNames("clusters", config.clusters);
  uniqueNames("secrets", config.secrets);
  uniqueNames("rateLimitPolicies", config.rateLimitPolicies);

  const clusters = new Set(config.clusters.map((c) => c.name));
  const routeConfigs = new Set(config.routeConfigs.map((r) => r.name));
  const policies = new Set(config.rateLimitPolicies.map((p) => p.name));
  const secretType = new Map(config.secrets.map((s) => [s.name, s.type] as const));

  // Paths may come as a function: a route's checks run for every route of every version, and almost all pass.
  type TPathOf = (string | number)[] | (() => (string | number)[]);
  const pathOf = (p: TPathOf) => (typeof p === "function" ? p() : p);
  const needCluster = (path: TPathOf, name: string) => {
    if (!clusters.has(name)) add(pathOf(path), `unknown cluster "${name}"`);
  };
  const needPolicy = (path: TPathOf, name: string) => {
    if (!policies.has(name)) add(pathOf(path), `unknown rate-limit policy "${name}"`);
  };
  const needSecret = (path: (string | number)[], name: string, type: "tlsCertificate" | "caBundle") => {
    const found = secretType.get(name);
    if (found === undefined) add(path, `unknown secret "${name}"`);
    else if (found !== type) add(path, `secret "${name}" is a ${found}, expected a ${type}`);
  };
  const regexIssue = opts.regexProblem ?? regexProblem;
  const needRegex = (path: TPathOf, source: string) => {
    const problem = regexIssue(source);
    if (problem !== undefined) add(pathOf(path), problem);
  };

  // Listeners: references and address clashes.
  const bound = new Map<string, number>();
  config.listeners.forEach((l, i) => {
    const base = ["listeners", i];
    if (l.routeConfig !== undefined && !routeConfigs.has(l.routeConfig)) add([...base, "routeConfig"], `unknown route config "${l.routeConfig}"`);
    if (l.tcp?.cluster !== undefined) needCluster([...base, "tcp", "cluster"], l.tcp.cluster);
    checkNetworkFilterRefs(l.networkFilters ?? [], [...base, "networkFilters"], needCluster, add);
    l.tracing?.trustedSources?.forEach((cidr, j) => {
      if (!isCidr(cidr)) add([...base, "tracing", "trustedSources", j], `"${cidr}" is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8, ::1/128)`);
    });
    l.tls?.certificates.forEach((name, j) => needSecret([...base, "tls", "certificates", j], name, "tlsCertificate"));
    if (l.tls?.clientValidation) needSecret([...base, "tls", "clientValidation", "caSecret"], l.tls.clientValidation.caSecret, "caBundle");
    // 0.0.0.0 and :: overlap every address of their family on the same port.
    const key = `${l.port}`;
    const wildcard = l.address === "0.0.0.0" || l.address === "::";
    for (const [other, j] of bound) {
      const [addr, port] = splitBound(other);
      if (port !== key) continue;
      const otherWildcard = addr === "0.0.0.0" || addr === "::";
      if (addr === l.address || wildcard || otherWildcard) {
        add([...base, "port"], `port ${l.port} on ${l.address} clashes with ${formatPath(["listeners", j])} (${addr}:${port})`);
        break;
      }
    }
    bound.set(`${l.address}|${l.port}`, i);
    l.httpFilters.forEach((f, j) => {
      // A plugin's name labels its errors and metrics and is how routes override it: unique in the chain.
      if (f.type === "plugin" && l.httpFilters.some((o, k) => k !== j && httpFilterName(o) === f.name)) {
        add([...base, "httpFilters", j, "name"], `filter name "${f.name}" is used by another filter of this listener: a plugin's name must be unique in the chain`);
      }
      if (f.type === "jwtAuthn" && f.jwks.inline !== undefined) {
        try {
          const doc = JSON.parse(f.jwks.inline) as { keys?: unknown };
          if (!Array.isArray(doc.keys)) add([...base, "httpFilters", j, "jwks", "inline"], "must be a JWKS document with a keys array");
        } catch {
          add([...base, "httpFilters", j, "jwks", "inline"], "must be valid JSON (a JWKS document)");
        }
      }
      if (f.type === "rbac") {
        f.rules.forEach((rule, k) => {
          const ruleBase = [...base, "httpFilters", j, "rules", k];
          rule.headers.forEach((h, m) => h.regex !== undefined && needRegex([...ruleBase, "headers", m, "regex"], h.regex));
          rule.principals.forEach((p, m) => {
            if ("sourceIp" in p && !isCidr(p.sourceIp)) add([...ruleBase, "principals", m, "sourceIp"], `"${p.sourceIp}" is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8, ::1/128)`);
          });
        });
      }
    });
  });

  // Route configs: vhosts, domains, routes and their references.
  config.routeConfigs.forEach((rc, i) => {
    const rcBase: (string | number)[] = ["routeConfigs", i];
    uniqueNames("virtualHosts", rc.virtualHosts, rcBase);
    const domains = new Map<string, number>();
    rc.virtualHosts.forEach((vh, j) => {
      const vhBase = [...rcBase, "virtualHosts", j];
      vh.domains.forEach((d, k) => {
        const domain = d.toLowerCase();
        const problem = domainProblem(domain);
        if (problem) add([...vhBase, "domains", k], problem);
        const first = domains.get(domain);
        if (first !== undefined) add([...vhBase, "domains", k], `domain "${d}" is already served by ${formatPath([...rcBase, "virtualHosts", first])}`);
        else domains.set(domain, j);
      });
      if (vh.rateLimit !== undefined) needPolicy([...vhBase, "rateLimit"], vh.rateLimit);
      uniqueNames("routes", vh.routes, vhBase);
      vh.routes.forEach((r, k) => {
        const rBase = (...rest: (string | number)[]) => [...vhBase, "routes", k, ...rest];
        if (r.match.regex !== undefined) needRegex(() => rBase("match", "regex"), r.match.regex);
        r.match.headers.forEach((h, m) => h.regex !== undefined && needRegex(() => rBase("match", "headers", m, "regex"), h.regex));
        r.match.query.forEach((q, m) => q.regex !== undefined && needRegex(() => rBase("match", "query", m, "regex"), q.regex));
        const action = r.route;
        if (!action) return;
        if (action.cluster !== undefined) needCluster(() => rBase("route", "cluster"), action.cluster);
        if (action.weightedClusters) {
          action.weightedClusters.forEach((w, m) => needCluster(() => rBase("route", "weightedClusters", m, "cluster"), w.cluster));
          const total = action.weightedClusters.reduce((sum, w) => sum + w.weight, 0);
          if (total <= 0) add(rBase("route", "weightedClusters"), "weights must sum to more than 0");
        }
        action.mirror.forEach((m, n) => needCluster(() => rBase("route", "mirror", n, "cluster"), m.cluster));
        if (action.rateLimit !== undefined) needPolicy(() => rBase("route", "rateLimit"), action.rateLimit);
        if (action.retryPolicy && action.retryPolicy.backoff.maxMs < action.retryPolicy.backoff.baseMs) {
          add(rBase("route", "retryPolicy", "backoff", "maxMs"), "must be >= baseMs");
        }
      });
    });
  });

  issues.push(...checkFilterOverrides(config));
  issues.push(...checkWasmFilters(config));

  config.clusters.forEach((c, i) => {
    const base = ["clusters", i];
    if (c.tls?.caSecret !== undefined) needSecret([...base, "tls", "caSecret"], c.tls.caSecret, "caBundle");
    if (c.tls?.clientCertificate !== undefined) needSecret([...base, "tls", "clientCertificate"], c.tls.clientCertificate, "tlsCertificate");
    if (c.outlierDetection && c.outlierDetection.maxEjectionTimeMs < c.outlierDetection.baseEjectionTimeMs) {
      add([...base, "outlierDetection", "maxEjectionTimeMs"], "must be >= baseEjectionTimeMs");
    }
    if (c.healthCheck && c.healthCheck.timeoutMs > c.healthCheck.intervalMs) {
      add([...base, "healthCheck", "timeoutMs"], "must be <= intervalMs");
    }
    const seen = new Map<string, number>();
    c.endpoints.forEach((e, j) => {
      const key = `${e.address}:${e.port}`;
      const first = seen.get(key);
      if (first !== undefined) add([...base, "endpoints", j], `duplicate endpoint ${key} (also endpoints[${first}])`);
      else seen.set(key, j);
    });
  });

  issues.push(...privateKeysOutsideKeyFields(config));
  return issues;
}

/** Why a config regex is refused (its issue message), or undefined. */
export function regexProblem(source: string): string | undefined {
  // RE2 syntax: the engine the proxy matches with (linear-regex.ts).
  const syntax = linearRegexSyntaxProblem(source);
  if (syntax !== undefined) return `invalid regex (RE2 syntax): ${syntax}`;
  // Kept from the backtracking days: refuse the constructs that were catastrophic there
  // (see regex-safety.ts), so a config stays safe under any engine.
  const unsafe = regexSafetyProblem(source);
  return unsafe ? `unsafe regex: ${unsafe}` : undefined;
}

/** References and server names of a tcp listener's network filters (sniRouter clusters, rbac CIDRs). */
function checkNetworkFilterRefs(
  filters: readonly TNetworkFilter[],
  base: (string | number)[],
  needCluster: (path: (string | number)[], name: string) => void,
  add: (path: (string | number)[], message: string) => void,
): void {
  filters.forEach((f, j) => {
    const at = [...base, j];
    if (f.type === "rbac") {
      f.rules.forEach((rule, k) =>
        rule.principals.forEach((p, m) => {
          if ("sourceIp" in p && !isCidr(p.sourceIp)) add([...at, "rules", k, "principals", m, "sourceIp"], `"${p.sourceIp}" is not an IPv4 or IPv6 CIDR (e.g. 10.0.0.0/8, ::1/128)`);
        }),
      );
      return;
    }
    if (f.defaultCluster !== undefined) needCluster([...at, "defaultCluster"], f.defaultCluster);
    const names = new Map<string, number>();
    f.routes.forEach((r, k) => {
      needCluster([...at, "routes", k, "cluster"], r.cluster);
      r.serverNames.forEach((n, m) => {
        const key = n.toLowerCase();
        const first = names.get(key);
        if (first !== undefined) add([...at, "routes", k, "serverNames", m], `server name "${n}" is already served by routes[${first}]`);
        else names.set(key, k);
      });
    });
  });
}

function splitBound(key: string): [string, string] {
  const at = key.lastIndexOf("|");
  return [key.slice(0, at), key.slice(at + 1)];
}

/** Domains are exact names, one leading "*." / "*" suffix wildcard, one trailing ".*" / "*" prefix wildcard, or "*". */
function domainProblem(domain: string): string | undefined {
  if (domain === "*") return undefined;
  const stars = domain.split("*").length - 1;
  if (stars > 1) return `domain "${domain}" may hold at most one "*"`;
  if (stars === 1 && !domain.startsWith("*") && !domain.endsWith("*")) return `domain "${domain}" may only have "*" at its start or end`;
  if (/[\s/]/.test(domain)) return `domain "${domain}" must not contain spaces or '/'`;
  return undefined;
}

/** IPv4 a.b.c.d[/0-32] or IPv6 (hex groups, ::)[/0-128]; the prefix defaults to the whole address. */
export function isCidr(text: string): boolean {
  const [addr = "", bits, extra] = text.split("/");
  if (extra !== undefined) return false;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return false;
  const n = bits === undefined ? null : Number(bits);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) return addr.split(".").every((o) => Number(o) <= 255) && (n === null || n <= 32);
  if (/^[0-9a-fA-F:]+$/.test(addr) && addr.includes(":")) {
    const double = addr.split("::").length - 1;
    if (double > 1) return false;
    const groups = addr.split(":").filter((g) => g !== "");
    if (groups.some((g) => g.length > 4)) return false;
    if (double === 0 ? groups.length !== 8 : groups.length > 7) return false;
    return n === null || n <= 128;
  }
  return false;
}
