import type { THelloMessage } from "@switchyard/config-model";
import { toJson } from "./audit.ts";
import type { Db } from "./client.ts";

export type TNodeStatus = {
  id: string;
  group: string;
  labels: Record<string, string>;
  connected: boolean;
  appliedVersion: number | null;
  appliedHash: string | null;
  lastError: string | null;
  lastSeen: Date | null;
  /** Also known, for the console's node page. */
  proxyVersion: string | null;
  remoteAddress: string | null;
  nackedVersion: number | null;
  lastAckAt: Date | null;
  lastNackAt: Date | null;
  connectedAt: Date | null;
};

/**
 * A node said hello: register it or refresh it, mark it connected, and take the version
 * it says it serves (from its cache or a previous connection) as applied.
 */
export async function recordNodeHello(db: Db, hello: THelloMessage & { remoteAddress?: string }): Promise<void> {
  const now = new Date();
  const data = {
    group: hello.group,
    labels: toJson(hello.labels),
    proxyVersion: hello.proxyVersion,
    capabilities: toJson(hello.capabilities),
    remoteAddress: hello.remoteAddress ?? null,
    adminAddress: hello.admin ?? null,
    connected: true,
    appliedVersion: hello.appliedVersion,
    appliedHash: hello.appliedHash,
    connectedAt: now,
    lastSeen: now,
  };
  await db.prisma.node.upsert({ where: { id: hello.nodeId }, create: { id: hello.nodeId, ...data }, update: data });
}

/**
 * The node applied `version`; a previous nack error is cleared. Nodes are registered by
 * hello, so ack/nack/touch for an unknown id change nothing.
 */
export async function recordNodeAck(db: Db, nodeId: string, version: number, hash: string): Promise<void> {
  const now = new Date();
  await db.prisma.node.updateMany({
    where: { id: nodeId },
    data: { appliedVersion: version, appliedHash: hash, lastError: null, nackedVersion: null, lastAckAt: now, lastSeen: now },
  });
}

/** The node refused `version` and keeps serving its applied one. */
export async function recordNodeNack(db: Db, nodeId: string, version: number, error: string): Promise<void> {
  const now = new Date();
  await db.prisma.node.updateMany({
    where: { id: nodeId },
    data: { lastError: error, nackedVersion: version, lastNackAt: now, lastSeen: now },
  });
}

export async function recordNodeDisconnected(db: Db, nodeId: string): Promise<void> {
  await db.prisma.node.updateMany({ where: { id: nodeId }, data: { connected: false, lastSeen: new Date() } });
}

/** Any message (stats, heartbeats) shows the node is alive. */
export async function touchNode(db: Db, nodeId: string): Promise<void> {
  await db.prisma.node.updateMany({ where: { id: nodeId }, data: { lastSeen: new Date() } });
}

/**
 * At console start, rows left `connected` by a console that died are reset. With several
 * replicas on one database a starting replica must not touch the nodes of the others,
 * so only rows not seen for `staleAfterMs` are reset (live connections are touched on
 * every heartbeat pong, 15 s by default). Without `staleAfterMs` every row is reset.
 */
export async function markAllNodesDisconnected(db: Db, opts: { staleAfterMs?: number } = {}): Promise<number> {
  const stale = opts.staleAfterMs === undefined ? {} : { OR: [{ lastSeen: null }, { lastSeen: { lt: new Date(Date.now() - opts.staleAfterMs) } }] };
  const { count } = await db.prisma.node.updateMany({ where: { connected: true, ...stale }, data: { connected: false } });
  return count;
}

export async function listNodes(db: Db, opts: { group?: string } = {}): Promise<TNodeStatus[]> {
  const rows = await db.prisma.node.findMany({ where: opts.group ? { group: opts.group } : {}, orderBy: { id: "asc" } });
  return rows.map(toNodeStatus);
}

/**
 * Connected nodes (of `group`, or every group) whose last hello said they lack
 * `capability` — not those that said nothing (older proxies: unknown).
 */
export async function connectedNodesLacking(db: Db, capability: "redis", group?: string): Promise<{ id: string; group: string }[]> {
  return db.prisma.node.findMany({
    where: { connected: true, ...(group ? { group } : {}), capabilities: { path: [capability], equals: false } },
    select: { id: true, group: true },
    orderBy: { id: "asc" },
  });
}

export type TScrapeTarget = { id: string; group: string; labels: Record<string, string>; adminAddress: string; remoteAddress: string | null };

/** Connected nodes that announced their admin server (what Prometheus should scrape), by id. */
export async function listScrapeTargets(db: Db): Promise<TScrapeTarget[]> {
  const rows = await db.prisma.node.findMany({
    where: { connected: true, adminAddress: { not: null } },
    select: { id: true, group: true, labels: true, adminAddress: true, remoteAddress: true },
    orderBy: { id: "asc" },
  });
  return rows.map((r) => ({ id: r.id, group: r.group, labels: isStringRecord(r.labels) ? r.labels : {}, adminAddress: r.adminAddress as string, remoteAddress: r.remoteAddress }));
}

export async function getNode(db: Db, nodeId: string): Promise<TNodeStatus | null> {
  const row = await db.prisma.node.findUnique({ where: { id: nodeId } });
  return row ? toNodeStatus(row) : null;
}

function toNodeStatus(r: {
  id: string;
  group: string;
  labels: unknown;
  connected: boolean;
  appliedVersion: number | null;
  appliedHash: string | null;
  lastError: string | null;
  lastSeen: Date | null;
  proxyVersion: string | null;
  remoteAddress: string | null;
  nackedVersion: number | null;
  lastAckAt: Date | null;
  lastNackAt: Date | null;
  connectedAt: Date | null;
}): TNodeStatus {
  return {
    id: r.id,
    group: r.group,
    labels: isStringRecord(r.labels) ? r.labels : {},
    connected: r.connected,
    appliedVersion: r.appliedVersion,
    appliedHash: r.appliedHash,
    lastError: r.lastError,
    lastSeen: r.lastSeen,
    proxyVersion: r.proxyVersion,
    remoteAddress: r.remoteAddress,
    nackedVersion: r.nackedVersion,
    lastAckAt: r.lastAckAt,
    lastNackAt: r.lastNackAt,
    connectedAt: r.connectedAt,
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
}

/**
 * Forgets nodes that are not connected and were last seen before `before` (ids that never
 * come back: a proxy renamed, a test, a node token that said hello under many ids), with
 * what they reported about their clusters. Returns how many went.
 */
export async function forgetNodes(db: Db, before: Date): Promise<number> {
  const gone = await db.prisma.node.findMany({ where: { connected: false, OR: [{ lastSeen: null }, { lastSeen: { lt: before } }] }, select: { id: true } });
  if (!gone.length) return 0;
  const ids = gone.map((n) => n.id);
  const [, deleted] = await db.prisma.$transaction([
    db.prisma.nodeClusterStatus.deleteMany({ where: { nodeId: { in: ids } } }),
    db.prisma.node.deleteMany({ where: { id: { in: ids }, connected: false } }),
  ]);
  return deleted.count;
}
