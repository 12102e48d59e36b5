import type { z } from "zod";
import { configJsonSchema } from "@switchyard/config-model";
import { ZTraceQuery } from "../telemetry/traces.ts";
import { ZListAuditInput } from "../api/routers/audit/audit.types.ts";
import { ZClusterEndpointsInput, ZSetClusterEndpointsInput } from "../api/routers/clusters/endpoints.types.ts";
import { ZConfigDocumentInput, ZReplaceConfigInput } from "../api/routers/config/config.types.ts";
import { ZPromoteRolloutInput, ZRollbackRolloutInput, ZRolloutIdInput } from "../api/routers/rollouts/rollouts.types.ts";
import { ZSummaryInput, ZTraceInput } from "../api/routers/telemetry/telemetry.types.ts";
import { ZCompareInput, ZVersionRef } from "../api/routers/versions/details.types.ts";
import { ZListVersionsInput, ZPublishInput, ZRollbackInput } from "../api/routers/versions/versions.types.ts";
import { listAuditEntries } from "../services/audit.ts";
import { listCertificates } from "../services/certificates.ts";
import { managedEndpointsWithAcks, setManagedEndpoints } from "../services/cluster-endpoints.ts";
import { dryRunDocument, replaceWithDocument, workingConfigDocument } from "../services/config-document.ts";
import { databaseAnswers } from "../services/health.ts";
import { listNodes } from "../services/nodes.ts";
import { getRolloutDetail, listRollouts, promote, rollBack, setPaused } from "../services/rollouts.ts";
import { listTraceSummaries, metricsSummary, traceWaterfall } from "../services/telemetry.ts";
import { diffBetween, getVersionDetail, listVersions, publish, rollback } from "../services/versions.ts";
import { configSchemaUrl, etagOf, parseIfMatch } from "./http.ts";
import { restRoute, type TRestRoute } from "./router.ts";
import * as out from "./schemas.ts";

/** GET /metrics/routes and /metrics/clusters: the dashboards' summary of one kind, under its plural. */
function metricsRoute(kind: "route" | "cluster", summary: string, schema: z.ZodType) {
  const plural = `${kind}s`;
  return restRoute({
    method: "GET",
    path: `/metrics/${plural}`,
    tag: "telemetry",
    summary,
    input: ZSummaryInput,
    fixed: { kind },
    run: ({ db }, input) => metricsSummary(db, input),
    send: (r) => ({ body: { window: r.window, generatedAt: r.generatedAt, [plural]: r.items } }),
    response: { description: `Figures per ${kind}`, schema },
  });
}

/**
 * The REST API (DESIGN.md §4, plus what the console adds): every route is parse (the
 * tRPC procedure's own input schema) -> service -> send. The handler (index.ts) serves
 * this table and openapi.ts describes it; add a route here and both follow.
 */
export const REST_ROUTES: readonly TRestRoute[] = [
  restRoute({
    method: "GET",
    path: "/healthz",
    tag: "console",
    summary: "Health: 200 while the database answers (within 2 s), else 503",
    access: "public",
    run: ({ db }) => databaseAnswers(db),
    send: (r, { log }) => {
      if (!r.ok) log("rest_healthz_failed", { error: r.error });
      return r.ok ? { body: { ok: true } } : { status: 503, body: { ok: false, error: "database unavailable" } };
    },
    response: { description: "The database answers", schema: out.ZHealthOut },
  }),
  restRoute({
    method: "GET",
    path: "/schema/config-v1.json",
    tag: "config",
    summary: "The JSON Schema of a config document (v1), for editors and CI linters",
    access: "public",
    run: async () => configJsonSchema(),
    send: (schema) => ({ body: schema, headers: { "cache-control": "public, max-age=300" } }),
    response: { description: "A JSON Schema (draft 2020-12)" },
  }),
  restRoute({
    method: "GET",
    path: "/config",
    tag: "config",
    summary: "The working config (JSON, or YAML by Accept); the ETag is its revision; private keys redacted",
    run: ({ db }) => workingConfigDocument(db),
    send: (r, call) => ({ body: r.config, headers: { etag: etagOf(r.revision) }, yaml: call.yaml, schemaUrl: configSchemaUrl(call.req) }),
    response: { description: "The working config document", schema: out.ZConfigOut },
  }),
  restRoute({
    method: "PUT",
    path: "/config",
    tag: "config",
    summary: "Replace the working config (JSON or YAML body); a stale If-Match gets 409 with what changed",
    description: "`[redacted]` private keys keep the stored ones. 422 lists every issue with its path (and line, for YAML).",
    input: ZReplaceConfigInput,
    body: "document",
    headers: (req) => ({ revision: parseIfMatch(req.headers["if-match"]) }),
    run: ({ db, who }, input) => replaceWithDocument(db, who, input),
    send: (r, { log }) => {
      log("rest_config_replaced", { revision: r.revision, hash: r.hash });
      return { body: r, headers: { etag: etagOf(r.revision) } };
    },
    response: { description: "Stored: the new revision (also the ETag) and the config's hash", schema: out.ZReplaceOut },
  }),
  restRoute({
    method: "POST",
    path: "/config/validate",
    tag: "config",
    summary: "Dry run of PUT /config: the consistency check and the diff against the latest version; stores nothing",
    input: ZConfigDocumentInput,
    body: "document",
    access: "read",
    run: ({ db }, input) => dryRunDocument(db, input),
    response: { description: "Valid, with what publishing it would change", schema: out.ZDryRunOut },
  }),
  restRoute({
    method: "GET",
    path: "/versions",
    tag: "versions",
    summary: "Published versions, newest first (metadata only)",
    input: ZListVersionsInput,
    run: ({ db }, input) => listVersions(db, input.limit),
    response: { description: "Versions", schema: out.ZVersionMetaOut.array() },
  }),
  restRoute({
    method: "POST",
    path: "/versions",
    tag: "versions",
    summary: "Publish the working config as the next version, to every node or to one group first (a canary rollout)",
    input: ZPublishInput,
    body: "fields",
    run: ({ db, who }, input) => publish(db, who, input),
    status: 201,
    send: ({ version, hash, unchanged, rolloutId }, { log }) => {
      log("rest_version_published", { version, hash, unchanged, rolloutId });
      // Every publish is a new version; `unchanged` tells the caller its content equals the previous one.
      return { status: 201, body: { version, hash, unchanged, ...(rolloutId !== null ? { rolloutId } : {}) } };
    },
    response: { description: "Published", schema: out.ZPublishOut },
  }),
  restRoute({
    method: "GET",
    path: "/versions/:version",
    tag: "versions",
    summary: "One version with its config; `?format=yaml` (or Accept) exports the config document alone",
    input: ZVersionRef,
    negotiate: true,
    run: ({ db }, input) => getVersionDetail(db, input.version),
    send: (v, call) => {
      const headers = { etag: `"${v.hash}"`, "x-switchyard-version": String(v.version) };
      if (call.yaml) {
        const disposition = `inline; filename="switchyard-v${v.version}.yaml"`;
        return { body: v.config, yaml: true, schemaUrl: configSchemaUrl(call.req), headers: { ...headers, "content-disposition": disposition } };
      }
      return { body: v, headers };
    },
    response: { description: "The version", schema: out.ZVersionOut },
  }),
  restRoute({
    method: "GET",
    path: "/versions/:a/diff/:b",
    tag: "versions",
    summary: "What going from version a to version b adds, removes and changes",
    input: ZCompareInput,
    run: ({ db }, input) => diffBetween(db, input.a, input.b),
    response: { description: "The diff, per kind and name, and one line per change", schema: out.ZVersionDiffOut },
  }),
  restRoute({
    method: "POST",
    path: "/versions/:version/rollback",
    tag: "versions",
    summary: "Publish version v's content as a new version and reset the working config to it",
    input: ZRollbackInput,
    run: ({ db, who }, input) => rollback(db, who, input.version),
    status: 201,
    send: (r, { log }) => {
      log("rest_version_rolled_back", { version: r.version, hash: r.hash });
      return { status: 201, body: r };
    },
    response: { description: "The new version", schema: out.ZRollbackOut },
  }),
  restRoute({
    method: "GET",
    path: "/nodes",
    tag: "fleet",
    summary: "Every proxy node the console has seen: what it serves, its target and pending version, drift",
    run: ({ db }) => listNodes(db),
    send: (nodes) => ({
      body: nodes.map((n) => ({
        id: n.id,
        group: n.group,
        labels: n.labels,
        connected: n.connected,
        appliedVersion: n.appliedVersion,
        appliedHash: n.appliedHash,
        lastError: n.lastError,
        lastSeen: n.lastSeen,
        nackedVersion: n.nackedVersion,
        proxyVersion: n.proxyVersion,
        targetVersion: n.targetVersion,
        pendingVersion: n.pendingVersion,
        drifting: n.drifting,
        lastAckAt: n.lastAckAt,
        lastNackAt: n.lastNackAt,
      })),
    }),
    response: { description: "Nodes, connected first", schema: out.ZNodeOut.array() },
  }),
  restRoute({
    method: "GET",
    path: "/clusters/:name/endpoints",
    tag: "fleet",
    summary: "The console-managed endpoints of a `discovery: eds` cluster and each node's ack",
    input: ZClusterEndpointsInput,
    run: ({ db }, input) => managedEndpointsWithAcks(db, input.name),
    response: { description: "The managed set", schema: out.ZEndpointSetAcksOut },
  }),
  restRoute({
    method: "PUT",
    path: "/clusters/:name/endpoints",
    tag: "fleet",
    summary: "Replace the endpoints of an eds cluster: connected nodes get them at once, without a config version",
    input: ZSetClusterEndpointsInput,
    body: "fields",
    run: ({ db, who }, input) => setManagedEndpoints(db, who, input),
    send: (set, { log }) => {
      log("rest_endpoints_set", { cluster: set.cluster, version: set.version, endpoints: set.endpoints.length });
      return { body: set };
    },
    response: { description: "The stored set (its version + 1)", schema: out.ZEndpointSetOut },
  }),
  restRoute({
    method: "GET",
    path: "/rollouts",
    tag: "rollouts",
    summary: "Staged rollouts, newest first",
    run: ({ db }) => listRollouts(db),
    response: { description: "Rollouts", schema: out.ZRolloutsOut },
  }),
  restRoute({
    method: "GET",
    path: "/rollouts/:id",
    tag: "rollouts",
    summary: "One rollout: state, events, the group's nodes (with their step position), the SLO guard's current figures and the current step's bake",
    input: ZRolloutIdInput,
    run: ({ db }, input) => getRolloutDetail(db, input.id),
    response: { description: "The rollout", schema: out.ZRolloutDetailOut },
  }),
  restRoute({
    method: "POST",
    path: "/rollouts/:id/promote",
    tag: "rollouts",
    summary: 'Promote: a canary\'s version goes to every node; a stepped rollout moves to its next step (from the last, to every node), or with {"to": "all"} to every node at once',
    input: ZPromoteRolloutInput,
    body: "fields",
    run: ({ db, who }, input) => promote(db, who, input),
    response: { description: "The rollout after the promotion", schema: out.ZRolloutOneOut },
  }),
  restRoute({
    method: "POST",
    path: "/rollouts/:id/pause",
    tag: "rollouts",
    summary: "Pause a stepped rollout: no step is promoted by itself (the SLO guard and nacks still roll it back)",
    input: ZRolloutIdInput,
    run: ({ db, who }, input) => setPaused(db, who, input, true),
    response: { description: "The paused rollout", schema: out.ZRolloutOneOut },
  }),
  restRoute({
    method: "POST",
    path: "/rollouts/:id/resume",
    tag: "rollouts",
    summary: "Resume a paused stepped rollout: the current step's bake time starts again",
    input: ZRolloutIdInput,
    run: ({ db, who }, input) => setPaused(db, who, input, false),
    response: { description: "The resumed rollout", schema: out.ZRolloutOneOut },
  }),
  restRoute({
    method: "POST",
    path: "/rollouts/:id/rollback",
    tag: "rollouts",
    summary: "Roll a rollout in progress back: its group (every step of it) returns to the previous version",
    input: ZRollbackRolloutInput,
    body: "fields",
    run: ({ db, who }, input) => rollBack(db, who, input),
    response: { description: "The rolled-back rollout", schema: out.ZRolloutOneOut },
  }),
  restRoute({
    method: "GET",
    path: "/secrets",
    tag: "config",
    summary: "TLS secrets: subject, SANs, fingerprint, expiry (flagged within 30 days); never keys",
    run: ({ db }) => listCertificates(db),
    response: { description: "Secrets", schema: out.ZCertificateOut.array() },
  }),
  restRoute({
    method: "GET",
    path: "/audit",
    tag: "console",
    summary: "The audit log, newest first; filter by actor, action (or family `rollout.`), target, since",
    input: ZListAuditInput,
    run: ({ db }, input) => listAuditEntries(db, input),
    response: { description: "Audit entries", schema: out.ZAuditOut },
  }),
  metricsRoute("route", "Per route over the last `window` seconds, merged over all nodes: requests, status classes, error ratio, p50/p95/p99", out.ZRouteMetricsOut),
  metricsRoute("cluster", "Per cluster over the last `window` seconds, merged over all nodes", out.ZClusterMetricsOut),
  restRoute({
    method: "GET",
    path: "/traces",
    tag: "telemetry",
    summary: "Recent traces, newest first: by route, status (503 or 5xx), response flag, minimum duration, node",
    input: ZTraceQuery,
    run: ({ db }, input) => listTraceSummaries(db, input),
    send: (traces) => ({ body: { traces } }),
    response: { description: "Traces", schema: out.ZTracesOut },
  }),
  restRoute({
    method: "GET",
    path: "/traces/:traceId",
    tag: "telemetry",
    summary: "Every stored span of one trace, as a waterfall",
    input: ZTraceInput,
    run: ({ db }, input) => traceWaterfall(db, input),
    response: { description: "The trace", schema: out.ZTraceOut },
  }),
];
