import pg from "pg";
import type { Db, Tx } from "./client.ts";

/** The channel every console replica LISTENs on; the payload is the version number. */
export const VERSION_CHANNEL = "config_version";

/** Queues NOTIFY config_version '<version>' in the transaction (sent on commit). */
export async function notifyVersion(tx: Tx, version: number): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${VERSION_CHANNEL}, ${String(version)})`;
}

/** Channel for console-managed (eds) endpoint writes; the payload is the cluster name. */
export const ENDPOINTS_CHANNEL = "cluster_endpoints";

/** Queues NOTIFY cluster_endpoints '<cluster>' in the transaction (sent on commit). */
export async function notifyEndpoints(tx: Tx, cluster: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${ENDPOINTS_CHANNEL}, ${cluster})`;
}

/** Channel for node token revocations; the payload is the token's id (every replica closes its sessions). */
export const NODE_TOKEN_CHANNEL = "node_token_revoked";

/** NOTIFY node_token_revoked '<id>' (sent at once: the revocation is already stored). */
export async function notifyNodeTokenRevoked(db: Db, tokenId: string): Promise<void> {
  await db.prisma.$executeRaw`SELECT pg_notify(${NODE_TOKEN_CHANNEL}, ${tokenId})`;
}

/**
 * Channel for "something the console shows changed" (#19 item 11): working-config edits
 * (scope "working", with the resources touched) and node registry changes (scope "nodes").
 * Every replica relays them to its browsers over the live subscription, so config pages
 * update from events instead of polling. Versions and rollouts already NOTIFY config_version.
 */
export const CHANGE_CHANNEL = "console_change";

/** "endpoints": a managed (eds) endpoint set, relayed from its own NOTIFY cluster_endpoints (`resources`: the cluster). */
export type TConsoleChange = { scope: "working" | "nodes" | "endpoints"; actor: string | null; revision?: number; resources?: string[] };

/** Resources named in one notification at most (a NOTIFY payload is limited to 8000 bytes). */
const MAX_NAMED = 40;

/** NOTIFY console_change (on commit when `db` is a transaction; at once otherwise). */
export async function notifyChange(db: Db | Tx, change: TConsoleChange): Promise<void> {
  const client = "prisma" in db ? db.prisma : db;
  const resources = change.resources && change.resources.length > MAX_NAMED ? undefined : change.resources;
  const payload = JSON.stringify({ ...change, ...(resources ? { resources: resources.map((r) => r.slice(0, 150)) } : { resources: undefined }) });
  await client.$executeRaw`SELECT pg_notify(${CHANGE_CHANNEL}, ${payload})`;
}

/** A console_change payload, checked (it crossed the database). */
export function parseChange(payload: string): TConsoleChange | null {
  try {
    const v = JSON.parse(payload) as Partial<TConsoleChange>;
    if (v.scope !== "working" && v.scope !== "nodes") return null;
    return {
      scope: v.scope,
      actor: typeof v.actor === "string" ? v.actor : null,
      ...(typeof v.revision === "number" ? { revision: v.revision } : {}),
      ...(Array.isArray(v.resources) ? { resources: v.resources.filter((r): r is string => typeof r === "string") } : {}),
    };
  } catch {
    return null;
  }
}

export type TVersionListener = { close(): Promise<void> };

/**
 * LISTENs for published versions on a dedicated connection (a pooled one would lose the
 * LISTEN when returned). When the connection drops it reconnects with capped,
 * jittered exponential back-off and calls `onReconnect`: notifications sent while it
 * was away are lost, so the caller should re-read the latest version then.
 * Resolves once the first LISTEN is in place; rejects if that first connection fails.
 */
export async function listenForVersions(
  databaseUrl: string,
  onVersion: (version: number) => void,
  opts: {
    onReconnect?: () => void;
    log?: (line: string) => void;
    maxBackoffMs?: number;
    /** Also LISTEN cluster_endpoints: called with the cluster whose eds endpoints changed. */
    onEndpoints?: (cluster: string) => void;
    /** Also LISTEN node_token_revoked: called with the revoked node token's id. */
    onNodeTokenRevoked?: (tokenId: string) => void;
    /** Also LISTEN console_change: called with each change (notifyChange). */
    onChange?: (change: TConsoleChange) => void;
  } = {},
): Promise<TVersionListener> {
  const log = opts.log ?? (() => {});
  const maxBackoffMs = opts.maxBackoffMs ?? 5_000;
  let closed = false;
  let current: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt = 0;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on("notification", (msg) => {
      if (msg.channel === ENDPOINTS_CHANNEL && opts.onEndpoints && msg.payload) return opts.onEndpoints(msg.payload);
      if (msg.channel === NODE_TOKEN_CHANNEL && opts.onNodeTokenRevoked && msg.payload) return opts.onNodeTokenRevoked(msg.payload);
      if (msg.channel === CHANGE_CHANNEL) {
        const change = msg.payload ? parseChange(msg.payload) : null;
        if (change && opts.onChange) opts.onChange(change);
        return;
      }
      if (msg.channel !== VERSION_CHANNEL) return;
      const version = Number(msg.payload);
      if (Number.isSafeInteger(version) && version > 0) onVersion(version);
      else log(`ignoring ${VERSION_CHANNEL} notification with payload ${JSON.stringify(msg.payload)}`);
    });
    // 'error' and 'end' may both fire for one drop; only the live client counts.
    c.on("error", (err) => {
      log(`LISTEN connection error: ${err.message}`);
      lost(c);
    });
    c.on("end", () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${VERSION_CHANNEL}`);
      if (opts.onEndpoints) await c.query(`LISTEN ${ENDPOINTS_CHANNEL}`);
      if (opts.onNodeTokenRevoked) await c.query(`LISTEN ${NODE_TOKEN_CHANNEL}`);
      if (opts.onChange) await c.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    current = c;
    attempt = 0;
  };

  const lost = (c: pg.Client) => {
    if (closed || c !== current) return;
    current = undefined;
    c.end().catch(() => {});
    log("LISTEN connection lost");
    retry();
  };

  const retry = () => {
    if (closed || retryTimer) return;
    // Full jitter: replicas that lost the database together do not return together.
    const delay = Math.random() * Math.min(maxBackoffMs, 100 * 2 ** attempt++);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (closed) return;
      connect().then(
        () => {
          if (closed) return;
          log("LISTEN connection restored");
          opts.onReconnect?.();
        },
        (err: Error) => {
          log(`LISTEN reconnect failed: ${err.message}`);
          retry();
        },
      );
    }, delay);
  };

  await connect();
  return {
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = current;
      current = undefined;
      await c?.end().catch(() => {});
    },
  };
}
