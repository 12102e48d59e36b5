import { ZConfig, ZEndpoint } from "@switchyard/config-model";
import { z } from "zod";
import { APP_ERROR_CODES } from "../services/app-error.ts";

/**
 * What the REST API answers, for the OpenAPI document. Documentation only: handlers send
 * what the services return; rest.test.ts checks the real answers against these shapes.
 */

const ZTime = z.iso.datetime({ offset: true });
const ZIssue = z.object({ path: z.string().describe("JSON path in the document, e.g. `clusters[0].endpoints[1].port`"), message: z.string(), line: z.number().int().optional() });

export const ZErrorOut = z
  .object({
    error: z.string().describe("What went wrong, in one line"),
    code: z.enum(APP_ERROR_CODES as [string, ...string[]]).describe("Stable code (one table maps each to its status)"),
    issues: z.array(ZIssue).optional().describe("Each problem with its path (and line, for YAML)"),
  })
  .catchall(z.unknown())
  .describe("Every error answer; STALE_REVISION adds `currentRevision` and `changes`");

const ZChangeOut = z.object({
  kind: z.string(),
  scope: z.string().optional().describe("Routes: `<routeConfig>/<virtualHost>`"),
  name: z.string(),
  op: z.enum(["add", "remove", "change", "move"]),
  fields: z.array(z.string()).optional(),
});

export const ZStaleOut = ZErrorOut.extend({
  currentRevision: z.number().int(),
  changes: z.array(z.object({ revision: z.number().int(), actor: z.string(), at: ZTime, source: z.string(), diff: z.array(z.string()), resources: z.array(ZChangeOut) })),
});

const ZKindDiff = z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.object({ name: z.string(), fields: z.array(z.string()) })) });
export const ZDiffOut = z.object({
  empty: z.boolean(),
  listeners: ZKindDiff,
  routeConfigs: ZKindDiff,
  clusters: ZKindDiff,
  secrets: ZKindDiff,
  rateLimitPolicies: ZKindDiff,
});

export const ZConfigOut = ZConfig.describe("The config document v1; private keys read `[redacted]`");
export const ZReplaceOut = z.object({ revision: z.number().int(), hash: z.string() });
export const ZDryRunOut = z.object({ valid: z.literal(true), diff: ZDiffOut, against: z.number().int().nullable().describe("The version compared with (null before the first publish)") });

export const ZVersionMetaOut = z.object({
  version: z.number().int(),
  hash: z.string(),
  author: z.string(),
  message: z.string(),
  parentVersion: z.number().int().nullable(),
  createdAt: ZTime,
});
export const ZVersionOut = ZVersionMetaOut.extend({ config: ZConfigOut });
export const ZPublishOut = z.object({ version: z.number().int(), hash: z.string(), unchanged: z.boolean().describe("Same content as the previous version"), rolloutId: z.number().int().optional() });
export const ZRollbackOut = z.object({ version: z.number().int(), hash: z.string() });
export const ZVersionDiffOut = z.object({ from: z.number().int(), to: z.number().int(), diff: ZDiffOut, summary: z.string() });

export const ZNodeOut = z.object({
  id: z.string(),
  group: z.string(),
  labels: z.record(z.string(), z.string()),
  connected: z.boolean(),
  appliedVersion: z.number().int().nullable(),
  appliedHash: z.string().nullable(),
  lastError: z.string().nullable(),
  lastSeen: ZTime.nullable(),
  nackedVersion: z.number().int().nullable(),
  proxyVersion: z.string().nullable(),
  targetVersion: z.number().int().nullable(),
  pendingVersion: z.number().int().nullable(),
  drifting: z.boolean().describe("More than 30 s behind its target"),
  lastAckAt: ZTime.nullable(),
  lastNackAt: ZTime.nullable(),
});

export const ZEndpointSetOut = z.object({ cluster: z.string(), version: z.number().int(), endpoints: z.array(ZEndpoint), updatedBy: z.string(), updatedAt: ZTime });
export const ZEndpointSetAcksOut = ZEndpointSetOut.extend({
  nodes: z.array(z.object({ nodeId: z.string(), version: z.number().int(), ok: z.boolean(), error: z.string().nullable(), at: ZTime })),
});

const ZRolloutOut = z.object({
  id: z.number().int(),
  version: z.number().int(),
  previousVersion: z.number().int().nullable(),
  group: z.string(),
  state: z.enum(["canary", "promoted", "rolled_back", "superseded"]),
  guard: z.unknown(),
  baseline: z.unknown(),
  reason: z.string().nullable(),
  createdBy: z.string(),
  startedAt: ZTime,
  finishedAt: ZTime.nullable(),
  /** Stepped rollouts: percentages of the group's nodes; null = a group canary. */
  steps: z.array(z.number().int()).nullable(),
  stepIndex: z.number().int(),
  bakeMs: z.number().int().nullable(),
  stepStartedAt: ZTime.nullable(),
  pausedAt: ZTime.nullable(),
  pausedBy: z.string().nullable(),
});
export const ZRolloutsOut = z.array(ZRolloutOut);
export const ZRolloutOneOut = ZRolloutOut;
export const ZRolloutDetailOut = z.object({
  rollout: ZRolloutOut.extend({ events: z.array(z.unknown()) }).partial({ events: true }),
  guard: z.unknown(),
  /** Stepped rollouts in progress: the current step, its bake time left and what it waits for. */
  bake: z
    .object({ step: z.number().int(), steps: z.number().int(), percent: z.number(), bakeMs: z.number(), remainingMs: z.number(), promote: z.boolean(), waiting: z.string().nullable() })
    .nullable(),
  nodes: z.array(z.unknown()),
});

export const ZCertificateOut = z.object({
  name: z.string(),
  type: z.enum(["tlsCertificate", "caBundle"]),
  hasPrivateKey: z.boolean(),
  subject: z.string().nullable(),
  issuer: z.string().nullable(),
  sans: z.array(z.string()),
  fingerprintSha256: z.string().nullable(),
  notBefore: ZTime.nullable(),
  notAfter: ZTime.nullable(),
  daysLeft: z.number().int().nullable(),
  expiresSoon: z.boolean().describe("Within 30 days"),
  expired: z.boolean(),
  error: z.string().nullable(),
});

export const ZAuditOut = z.array(z.object({ id: z.number().int(), at: ZTime, actor: z.string(), action: z.string(), target: z.string().nullable(), ip: z.string().nullable(), details: z.unknown() }));

const ZFigures = z
  .object({
    name: z.string(),
    requests: z.number(),
    statusClasses: z.record(z.string(), z.number()),
    errorRatio: z.number().describe("5xx / requests"),
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    rps: z.number(),
  })
  .catchall(z.unknown());
export const ZRouteMetricsOut = z.object({ window: z.number().int(), generatedAt: ZTime, routes: z.array(ZFigures) });
export const ZClusterMetricsOut = z.object({ window: z.number().int(), generatedAt: ZTime, clusters: z.array(ZFigures) });

export const ZTracesOut = z.object({
  traces: z.array(
    z.object({
      traceId: z.string(),
      rootSpanId: z.string(),
      name: z.string(),
      route: z.string(),
      cluster: z.string(),
      status: z.number().int(),
      responseFlags: z.string(),
      durationMs: z.number(),
      startTime: ZTime,
      nodeId: z.string(),
      spanCount: z.number().int(),
      error: z.boolean(),
    }),
  ),
});
export const ZTraceOut = z.object({ traceId: z.string(), durationMs: z.number(), spans: z.array(z.object({ spanId: z.string(), parentSpanId: z.string().nullable(), name: z.string(), offsetMs: z.number(), durationMs: z.number(), depth: z.number().int() }).catchall(z.unknown())) });

export const ZHealthOut = z.object({ ok: z.boolean(), error: z.string().optional() });
