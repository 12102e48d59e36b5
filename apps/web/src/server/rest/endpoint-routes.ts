import { EndpointsError, getClusterEndpointSet, listNodeClusterStatus, setClusterEndpoints } from "@switchyard/db";
import { readDocument } from "./body.ts";
import { RestError, sendJson } from "./http.ts";
import type { TRestContext } from "./router.ts";

/**
 * Console-managed endpoints of `discovery: eds` clusters (an addition to DESIGN §4):
 *   GET /clusters/:name/endpoints  -> {cluster, version, endpoints, updatedBy, updatedAt, nodes: [{nodeId, version, ok, error}]}
 *   PUT /clusters/:name/endpoints  {endpoints: [{address, port, weight?}]} -> the stored set (version + 1)
 * A PUT reaches the connected proxies at once, without publishing a config version;
 * each node acks the endpoints version separately (shown under `nodes`).
 */

export async function getEndpointsRoute({ res, params, deps }: TRestContext): Promise<void> {
  const cluster = params.name as string;
  const set = await getClusterEndpointSet(deps.db, cluster);
  if (!set) throw new RestError(404, "SWY_REST_NO_ENDPOINTS", `no endpoints were pushed for cluster "${cluster}"`);
  const nodes = (await listNodeClusterStatus(deps.db)).flatMap((n) => {
    const ack = n.endpointAcks[cluster];
    return ack ? [{ nodeId: n.nodeId, version: ack.version, ok: ack.ok, error: ack.error ?? null, at: ack.at }] : [];
  });
  sendJson(res, 200, { ...set, updatedAt: set.updatedAt.toISOString(), nodes });
}

export async function putEndpointsRoute({ req, res, params, deps, principal }: TRestContext): Promise<void> {
  const body = await readDocument(req);
  const value = body.value;
  const endpoints = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as { endpoints?: unknown }).endpoints : undefined;
  if (endpoints === undefined) {
    throw new RestError(422, "SWY_REST_INVALID_ENDPOINTS", "body must be {endpoints: [{address, port, weight?}]}", { issues: [{ path: "endpoints", message: "is required" }] });
  }
  try {
    const set = await setClusterEndpoints(deps.db, { cluster: params.name as string, endpoints, actor: principal.actor });
    deps.log("rest_endpoints_set", { cluster: set.cluster, version: set.version, endpoints: set.endpoints.length });
    sendJson(res, 200, { ...set, updatedAt: set.updatedAt.toISOString() });
  } catch (err) {
    if (err instanceof EndpointsError) throw new RestError(err.status, err.code, err.message, err.issues.length ? { issues: err.issues } : {});
    throw err;
  }
}
