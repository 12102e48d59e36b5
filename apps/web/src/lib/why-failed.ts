/**
 * "Why this 503": one failed request explained from what the console holds about it —
 * its spans (route, cluster, response flags, each upstream try), the endpoint's health
 * transitions on that node up to that moment, and the config version the node served
 * (the route's retry policy, the cluster's health check and circuit breakers). Pure:
 * the service gathers the inputs, this says what happened and what to change.
 */

/** Envoy's response flags (the access log's `responseFlags`) in words, and the usual fix. */
export const RESPONSE_FLAGS: Record<string, { words: string; fix: string }> = {
  NR: { words: "no route matched the request's host and path", fix: "add a route for this host and path, or check the virtual host's domains and the order of its routes (first match wins)" },
  UH: { words: "the cluster had no healthy endpoint to send it to", fix: "bring endpoints back (their health checks say why they are out), or add endpoints" },
  UF: { words: "connecting to the upstream endpoint failed", fix: "check that the endpoint listens on that address and port; a connect-failure retry sends the request to another endpoint" },
  UC: { words: "the upstream closed the connection before it answered", fix: "look for upstream crashes or an upstream keep-alive timeout shorter than the proxy's; a reset retry covers the race" },
  UT: { words: "the upstream did not answer within the route's timeout", fix: "fix the slow upstream, or raise the route's timeoutMs / perTryTimeoutMs if this duration is expected" },
  UO: { words: "the cluster's circuit breaker was open (too many connections, pending or active requests)", fix: "raise the cluster's circuitBreakers limits or add endpoints, after checking why requests pile up" },
  URX: { words: "every retry the route allows was used and the last try still failed", fix: "the tries below say why each failed; more retries only help when failures are brief" },
  DC: { words: "the client went away before the answer was sent", fix: "nothing to change on the proxy: the client gave up (its own timeout is shorter than the request took)" },
  RL: { words: "the request was rate limited", fix: "raise the policy's requests or burst, or key it differently, if this client should have passed" },
  UAEX: { words: "an authorization filter refused the request", fix: "check the request's credentials against the listener's jwtAuthn settings" },
  RBAC: { words: "the RBAC filter refused the request", fix: "check the listener's rbac rules for this principal and path" },
  FE: { words: "a filter failed while handling the request", fix: "the proxy's log names the filter and its error (switchyard_filter_errors_total{filter} counts them)" },
};

export type TTry = { attempt: number; host: string; status: number; flags: string; durationMs: number };
export type THealthTransition = { endpoint: string; healthy: boolean; reason: string; at: number };
export type TExplainInput = {
  status: number;
  flags: string;
  route: string;
  cluster: string;
  upstreamHost: string;
  nodeId: string;
  at: number;
  durationMs: number;
  tries: TTry[];
  /** The version the node served: exact when the node had acked it before the request. */
  version: { version: number; exact: boolean } | null;
  /** The route and cluster as that version has them (null: not in it / unknown). */
  routeConfig: { retryPolicy?: { retryOn?: string[]; numRetries?: number; perTryTimeoutMs?: number } | undefined; timeoutMs?: number | undefined } | null;
  clusterConfig: {
    endpoints?: { address: string; port: number }[];
    discovery?: string;
    healthCheck?: unknown;
    outlierDetection?: unknown;
    connectTimeoutMs?: number;
    circuitBreakers?: { maxConnections?: number; maxPendingRequests?: number; maxRequests?: number; maxRetries?: number } | undefined;
  } | null;
  /** This node's health transitions of the cluster's endpoints, any order. */
  health: THealthTransition[];
};

export type TEndpointState = { endpoint: string; state: "healthy" | "unhealthy" | "ejected" | "unknown"; since: number | null; reason: string | null };
export type TExplanation = {
  headline: string;
  flags: { code: string; words: string }[];
  endpoint: TEndpointState | null;
  /** Every endpoint of the cluster on that node at that moment. */
  endpoints: TEndpointState[];
  retries: { taken: number; allowed: number | null; retryOn: string[] };
  breaker: { maxConnections?: number; maxPendingRequests?: number; maxRequests?: number; maxRetries?: number } | null;
  advice: string[];
};

export function splitFlags(flags: string): string[] {
  return flags
    .split(/[,\s]+/)
    .map((f) => f.trim())
    .filter((f) => f && f !== "-");
}

/** Each endpoint's state at `at` from the transitions before it (the last one wins). */
export function endpointStates(health: THealthTransition[], at: number, endpoints: string[]): TEndpointState[] {
  const last = new Map<string, THealthTransition>();
  for (const h of [...health].sort((a, b) => a.at - b.at)) if (h.at <= at) last.set(h.endpoint, h);
  const names = [...new Set([...endpoints, ...last.keys()])];
  return names.map((endpoint) => {
    const h = last.get(endpoint);
    if (!h) return { endpoint, state: "unknown", since: null, reason: null };
    const ejected = h.reason === "outlier_ejected";
    return { endpoint, state: h.healthy ? "healthy" : ejected ? "ejected" : "unhealthy", since: h.at, reason: h.reason };
  });
}

export function explainFailure(i: TExplainInput): TExplanation {
  const codes = splitFlags(i.flags);
  const flags = codes.map((code) => ({ code, words: RESPONSE_FLAGS[code]?.words ?? "a response flag this console does not know" }));
  const configured = (i.clusterConfig?.endpoints ?? []).map((e) => `${e.address}:${e.port}`);
  const endpoints = endpointStates(i.health, i.at, configured);
  const host = i.upstreamHost || i.tries.at(-1)?.host || "";
  const endpoint = host ? (endpoints.find((e) => e.endpoint === host) ?? { endpoint: host, state: "unknown", since: null, reason: null }) : null;
  const retryPolicy = i.routeConfig?.retryPolicy;
  const retries = { taken: Math.max(0, i.tries.length - 1), allowed: retryPolicy ? (retryPolicy.numRetries ?? 1) : i.routeConfig ? 0 : null, retryOn: retryPolicy?.retryOn ?? [] };
  const breaker = codes.includes("UO") ? (i.clusterConfig?.circuitBreakers ?? {}) : null;

  const what = flags.length ? flags.map((f) => `${f.words} (${f.code})`).join("; ") : `the upstream answered ${i.status}`;
  const where = i.route ? `route "${i.route}"${i.cluster ? ` → cluster "${i.cluster}"` : ""}` : "no route";
  const tries = i.tries.length > 1 ? `, after ${i.tries.length} tries` : "";
  const version = i.version ? ` on v${i.version.version}` : "";
  const headline = `${i.status} from ${where} on node ${i.nodeId}${version}: ${what}${tries}.`;

  const advice: string[] = [];
  for (const c of codes) if (RESPONSE_FLAGS[c]) advice.push(RESPONSE_FLAGS[c]!.fix);
  if (!codes.length && i.status >= 500) advice.push(`the upstream itself answered ${i.status}: its own logs say why; the proxy passed the answer on`);
  const connectish = codes.some((c) => c === "UF" || c === "UC" || c === "UT" || c === "URX") || (!codes.length && i.status >= 500);
  if (connectish && i.routeConfig && !retryPolicy) {
    advice.push(`route "${i.route}" has no retryPolicy: add one (retryOn: [connect-failure, reset, 5xx], numRetries: 1 or 2) so one bad endpoint does not fail the request`);
  }
  if (retryPolicy && retries.taken >= (retryPolicy.numRetries ?? 1) && connectish) {
    advice.push(`all ${retries.taken} retr${retries.taken === 1 ? "y" : "ies"} allowed were taken: the failure lasted longer than the retries (look at the endpoints' health)`);
  }
  if (endpoint && (endpoint.state === "unhealthy" || endpoint.state === "ejected")) {
    advice.push(`endpoint ${endpoint.endpoint} was ${endpoint.state} at that moment (${endpoint.reason ?? "no reason given"}): fix or remove it`);
  }
  if ((codes.includes("UF") || codes.includes("UC")) && i.clusterConfig && !i.clusterConfig.healthCheck && !i.clusterConfig.outlierDetection) {
    advice.push(`cluster "${i.cluster}" has neither a healthCheck nor outlierDetection: add one so a broken endpoint is taken out before requests reach it`);
  }
  if ((codes.includes("UH") || codes.includes("UF")) && configured.length === 1) {
    advice.push(`cluster "${i.cluster}" has a single endpoint (${configured[0]}): when it fails every request fails; add another`);
  }
  if (breaker) {
    const limits = Object.entries(breaker)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    advice.push(`circuit breaker limits of cluster "${i.cluster}": ${limits || "the defaults (1024 each)"}`);
  }
  if (i.version && !i.version.exact) advice.push(`the node's exact version at that moment is not recorded: v${i.version.version} is the latest published before the request`);
  return { headline, flags, endpoint, endpoints, retries, breaker, advice };
}
