export { createDb, transaction, lockConfig, type Db, type Tx } from "./client.ts";
export { migrateDatabase, MigrationError } from "./migrate.ts";
export { startEmbeddedPostgres, type TEmbeddedPostgres } from "./embedded.ts";
export { DbError, VersionNotFoundError, StoredConfigError } from "./errors.ts";
export { getWorkingConfig, getWorkingConfigRevision, replaceWorkingConfig, type TReplaceResult } from "./working-config.ts";
export {
  publishVersion,
  rollbackToVersion,
  getLatestVersion,
  getVersion,
  listVersions,
  diffVersions,
  hasVersions,
  type TVersion,
  type TVersionSummary,
  type TPublishResult,
} from "./versions.ts";
export { listenForVersions, VERSION_CHANNEL, ENDPOINTS_CHANNEL, type TVersionListener } from "./notify.ts";
export {
  getClusterEndpointSet,
  listClusterEndpointSets,
  setClusterEndpoints,
  recordNodeClusterStatus,
  recordNodeEndpointAck,
  listNodeClusterStatus,
  EndpointsError,
  type TClusterEndpointSet,
  type TNodeClusterStatus,
  type TNodeEndpointAck,
} from "./endpoints.ts";
export {
  recordNodeHello,
  recordNodeAck,
  recordNodeNack,
  recordNodeDisconnected,
  touchNode,
  listNodes,
  getNode,
  markAllNodesDisconnected,
  type TNodeStatus,
} from "./nodes.ts";
export {
  ensureAdminUser,
  createUser,
  verifyPassword,
  getUser,
  listUsers,
  createSession,
  getSessionUser,
  deleteSession,
  deleteExpiredSessions,
  hashPassword,
  SESSION_TTL_MS,
  type TUser,
  type TRole,
} from "./users.ts";
export { appendAudit, listAudit, AUDIT_ACTIONS, type TAuditEntry, type TAuditInput } from "./audit.ts";
export { seedDemoConfig } from "./seed.ts";
