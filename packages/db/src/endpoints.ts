import { ZClusterStatusMessage, ZEndpoint, validateConfig, type TClusterStatusMessage, type TEndpoint } from "@switchyard/config-model";
import { z } from "zod";
import { appendAudit, toJson } from "./audit.ts";
import { transaction, type Db } from "./client.ts";
import { DbError } from "./errors.ts";
import { notifyEndpoints } from "./notify.ts";
import { readWorkingConfigInTx } from "./working-config.ts";
import { openSnapshot } from "./versions.ts";

/**
 * Console-managed endpoints of `discovery: eds` clusters. They live beside the config
 * versions, not in them: a write bumps the cluster's own endpoints version and NOTIFYs
 * cluster_endpoints, and every console replica pushes the set to its nodes at once.
 */

export type TClusterEndpointSet = { cluster: string; version: number; endpoints: TEndpoint[]; updatedBy: string; updatedAt: Date };

export class EndpointsError extends DbError {
  readonly issues: { path: string; message: string }[];
  constructor(code: string, status: number, message: string, issues: { path: string; message: string }[] = []) {
    super(code, status, message);
    this.name = "EndpointsError";
    this.issues = issues;
  }
}

const ZEndpoints = z.array(ZEndpoint).max(10_000, "at most 10000 endpoints");

export async function getClusterEndpointSet(db: Db, cluster: string): Promise<TClusterEndpointSet | null> {
  const row = await db.prisma.clusterEndpointSet.findUnique({ where: { cluster } });
  return row ? toSet(row) : null;
}

export async function listClusterEndpointSets(db: Db): Promise<TClusterEndpointSet[]> {
  const rows = await db.prisma.clusterEndpointSet.findMany({ orderBy: { cluster: "asc" } });
  return rows.map(toSet);
}

/**
 * Replaces the endpoints of an eds cluster (version + 1). Refused with 404 when no
 * cluster of that name exists in the working config or the latest published version,
 * 409 when it exists but is not `discovery: eds`, 422 with issues when an endpoint is invalid.
 */
export async function setClusterEndpoints(db: Db, input: { cluster: string; endpoints: unknown; actor: string }): Promise<TClusterEndpointSet> {
  const parsed = ZEndpoints.safeParse(input.endpoints);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: ["endpoints", ...i.path].map((p, k) => (typeof p === "number" ? `[${p}]` : k ? `.${String(p)}` : String(p))).join(""), message: i.message }));
    throw new EndpointsError("SWY_ERR_ENDPOINTS_INVALID", 422, "invalid endpoints", issues);
  }
  const kind = await discoveryOf(db, input.cluster);
  if (kind === null) throw new EndpointsError("SWY_ERR_CLUSTER_NOT_FOUND", 404, `unknown cluster "${input.cluster}"`);
  if (kind !== "eds") throw new EndpointsError("SWY_ERR_CLUSTER_NOT_EDS", 409, `cluster "${input.cluster}" has discovery ${kind}; endpoints can only be pushed to discovery: eds clusters`);
  return transaction(db, async (tx) => {
    // Row lock (or insert) serialises concurrent writers of one cluster, so versions never repeat.
    await tx.$executeRaw`SELECT 1 FROM "ClusterEndpointSet" WHERE "cluster" = ${input.cluster} FOR UPDATE`;
    const cur = await tx.clusterEndpointSet.findUnique({ where: { cluster: input.cluster } });
    const version = (cur?.version ?? 0) + 1;
    const row = await tx.clusterEndpointSet.upsert({
      where: { cluster: input.cluster },
      create: { cluster: input.cluster, version, endpoints: toJson(parsed.data), updatedBy: input.actor },
      update: { version, endpoints: toJson(parsed.data), updatedBy: input.actor },
    });
    await appendAudit(tx, { actor: input.actor, action: "cluster.endpoints", target: input.cluster, details: { version, endpoints: parsed.data.length } });
    await notifyEndpoints(tx, input.cluster);
    return toSet(row);
  });
}

/** The cluster's discovery kind in the latest version, else in the working config; null when it exists in neither. */
async function discoveryOf(db: Db, cluster: string): Promise<string | null> {
  const latest = await db.prisma.configVersion.findFirst({ orderBy: { version: "desc" }, select: { snapshot: true } });
  // Snapshots hold sealed private keys: open them before validating.
  const fromLatest = latest ? validateConfig(openSnapshot(latest.snapshot, db.secrets)) : null;
  const inLatest = fromLatest?.ok ? fromLatest.config.clusters.find((c) => c.name === cluster) : undefined;
  if (inLatest?.discovery === "eds") return "eds";
  const working = await transaction(db, (tx) => readWorkingConfigInTx(tx, db, { validate: false }));
  const w = working.config.clusters.find((c) => c.name === cluster);
  if (w) return w.discovery;
  return inLatest?.discovery ?? null;
}

function toSet(row: { cluster: string; version: number; endpoints: unknown; updatedBy: string; updatedAt: Date }): TClusterEndpointSet {
  // Validated on the way in; parse again so a hand-edited row cannot reach a node malformed.
  const endpoints = ZEndpoints.safeParse(row.endpoints);
  return { cluster: row.cluster, version: row.version, endpoints: endpoints.success ? endpoints.data : [], updatedBy: row.updatedBy, updatedAt: row.updatedAt };
}

export type TNodeEndpointAck = { version: number; ok: boolean; error?: string; at: string };
export type TNodeClusterStatus = {
  nodeId: string;
  clusters: TClusterStatusMessage["clusters"];
  endpointAcks: Record<string, TNodeEndpointAck>;
  updatedAt: Date;
};

/** Stores a node's latest clusterStatus frame (overwrites the previous one). */
export async function recordNodeClusterStatus(db: Db, nodeId: string, clusters: TClusterStatusMessage["clusters"]): Promise<void> {
  await db.prisma.nodeClusterStatus.upsert({ where: { nodeId }, create: { nodeId, clusters: toJson(clusters) }, update: { clusters: toJson(clusters) } });
}

/** Records a node's endpointsAck / endpointsNack for one cluster. */
export async function recordNodeEndpointAck(db: Db, nodeId: string, cluster: string, ack: { version: number; ok: boolean; error?: string }): Promise<void> {
  await transaction(db, async (tx) => {
    await tx.$executeRaw`INSERT INTO "NodeClusterStatus" ("nodeId", "updatedAt") VALUES (${nodeId}, now()) ON CONFLICT ("nodeId") DO NOTHING`;
    await tx.$executeRaw`SELECT 1 FROM "NodeClusterStatus" WHERE "nodeId" = ${nodeId} FOR UPDATE`;
    const row = await tx.nodeClusterStatus.findUnique({ where: { nodeId } });
    const acks = { ...((row?.endpointAcks ?? {}) as Record<string, TNodeEndpointAck>), [cluster]: { ...ack, at: new Date().toISOString() } };
    await tx.nodeClusterStatus.update({ where: { nodeId }, data: { endpointAcks: toJson(acks) } });
  });
}

export async function listNodeClusterStatus(db: Db): Promise<TNodeClusterStatus[]> {
  const rows = await db.prisma.nodeClusterStatus.findMany({ orderBy: { nodeId: "asc" } });
  return rows.map((r) => {
    const clusters = ZClusterStatusMessage.shape.clusters.safeParse(r.clusters);
    return { nodeId: r.nodeId, clusters: clusters.success ? clusters.data : [], endpointAcks: (r.endpointAcks ?? {}) as Record<string, TNodeEndpointAck>, updatedAt: r.updatedAt };
  });
}
