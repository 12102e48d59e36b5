import { validateConfig, type TConfig } from "@switchyard/config-model";
import { compileRouteTable, explainRequest, findVirtualHost, redirectLocation, rewritePath, type TRouteExplanation } from "@switchyard/config-model/matcher";
import { getVersion, getWorkingConfig, type Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";

export type TTestRequest = {
  /** "working" or a published version number. */
  source: "working" | number;
  /** Route config to evaluate; default: the one the first http/https listener serves, else the first. */
  routeConfig?: string | undefined;
  method: string;
  host: string;
  path: string;
  query: string;
  headers: { name: string; value: string }[];
};

export type TTestResult = TRouteExplanation & {
  routeConfig: string;
  routeConfigs: string[];
  action:
    | { kind: "route"; upstreamPath: string; hostRewrite: string | null; timeoutMs: number; clusters: { name: string; weight: number; endpoints: string[] }[] }
    | { kind: "redirect"; status: number; location: string }
    | { kind: "directResponse"; status: number; body: string }
    | null;
};

/**
 * Answers the route tester with the proxy's own matcher (config-model/matcher): the
 * route config is compiled exactly as a proxy compiles it, with each cluster name bound
 * to the cluster's endpoint list instead of a connection pool.
 */
export async function testRoute(db: Db, req: TTestRequest): Promise<TTestResult> {
  const config = await configOf(db, req.source);
  const names = config.routeConfigs.map((rc) => rc.name);
  const chosen =
    req.routeConfig ?? config.listeners.find((l) => l.routeConfig !== undefined)?.routeConfig ?? config.routeConfigs[0]?.name;
  const rc = config.routeConfigs.find((r) => r.name === chosen);
  if (!rc) throw new AppError("NOT_FOUND", chosen ? `route config "${chosen}" not found` : "the config has no route configs");

  const clusters = new Map(config.clusters.map((c) => [c.name, c]));
  const table = compileRouteTable(rc, (name) => clusters.get(name)?.endpoints.map((e) => `${e.address}:${e.port}${e.weight !== 1 ? ` ×${e.weight}` : ""}`) ?? []);
  const headers: Record<string, string> = { host: req.host };
  for (const h of req.headers) if (h.name.trim()) headers[h.name.trim().toLowerCase()] = h.value;
  const request = { method: req.method, host: req.host, path: req.path || "/", query: req.query.replace(/^\?/, ""), headers };
  const explanation = explainRequest(table, request);

  let action: TTestResult["action"] = null;
  const vhost = findVirtualHost(table, request.host);
  const route = vhost?.routes.find((r) => r.name === explanation.route) ?? null;
  if (route) {
    const a = route.action;
    if (a.kind === "route") {
      action = {
        kind: "route",
        upstreamPath: a.prefixRewrite !== null ? rewritePath(route, a.prefixRewrite, request.path, request.query) : `${request.path}${request.query ? `?${request.query}` : ""}`,
        hostRewrite: a.hostRewrite,
        timeoutMs: a.timeoutMs,
        clusters: a.targets.map((t) => ({ name: t.name, weight: t.weight, endpoints: t.cluster })),
      };
    } else if (a.kind === "redirect") {
      action = { kind: "redirect", status: a.responseCode, location: redirectLocation(route, a, { scheme: "http", host: req.host, path: request.path, query: request.query }) };
    } else {
      action = { kind: "directResponse", status: a.status, body: a.body.toString("utf8") };
    }
  }
  return { ...explanation, routeConfig: rc.name, routeConfigs: names, action };
}

async function configOf(db: Db, source: "working" | number): Promise<TConfig> {
  if (source === "working") return (await getWorkingConfig(db)).config;
  const v = await getVersion(db, source);
  if (!v) throw new AppError("NOT_FOUND", `version ${source} not found`);
  const checked = validateConfig(v.config);
  if (!checked.ok) throw new AppError("VALIDATION", `version ${source} no longer validates: ${checked.issues[0]?.path} ${checked.issues[0]?.message}`);
  return checked.config;
}
