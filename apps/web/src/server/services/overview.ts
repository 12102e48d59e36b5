import { getLatestVersion, getWorkingConfig, listAudit, listNodes, listVersions, type Db } from "@switchyard/db";
import { isTlsSecret } from "@switchyard/config-model";
import { certificateInfo } from "./certificates.ts";

/** Certificates expiring within this many days are listed on the overview. */
export const EXPIRY_WARNING_DAYS = 30;

/**
 * The overview page in one round trip: fleet by state, versions in use, the live
 * version, recent changes (publishes and audit entries) and certificates expiring soon
 * (parsed on the server; keys never leave it). Traffic panels need #7's stats storage.
 */
export async function overview(db: Db) {
  const [nodes, live, versions, audit, working] = await Promise.all([
    listNodes(db),
    getLatestVersion(db),
    listVersions(db, { limit: 5 }),
    listAudit(db, { limit: 8 }),
    getWorkingConfig(db),
  ]);
  const connected = nodes.filter((n) => n.connected);
  const inUse = new Map<string, number>();
  for (const n of connected) {
    const key = n.appliedVersion === null ? "none" : String(n.appliedVersion);
    inUse.set(key, (inUse.get(key) ?? 0) + 1);
  }
  const certificates = working.config.secrets
    .filter(isTlsSecret)
    .map((s) => ({ name: s.name, type: s.type, info: certificateInfo(s) }))
    .flatMap((c) => ("error" in c.info ? [] : [{ name: c.name, type: c.type, subject: c.info.subject, validTo: c.info.validTo, daysLeft: c.info.daysLeft }]))
    .filter((c) => c.daysLeft <= EXPIRY_WARNING_DAYS)
    .sort((a, b) => a.daysLeft - b.daysLeft);
  return {
    fleet: {
      total: nodes.length,
      connected: connected.length,
      disconnected: nodes.length - connected.length,
      onLive: connected.filter((n) => live !== null && n.appliedVersion === live.version).length,
      failing: nodes.filter((n) => n.lastError !== null).length,
    },
    versionsInUse: [...inUse.entries()].map(([version, count]) => ({ version: version === "none" ? null : Number(version), count })).sort((a, b) => (b.version ?? 0) - (a.version ?? 0)),
    live: live ? { version: live.version, hash: live.hash, author: live.author, message: live.message, createdAt: live.createdAt } : null,
    recentVersions: versions,
    recentAudit: audit.map((a) => ({ id: a.id, at: a.at, actor: a.actor, action: a.action, target: a.target })),
    certificates,
    expiryWarningDays: EXPIRY_WARNING_DAYS,
  };
}
