export { createDb, transaction, lockConfig, type Db, type Tx } from "./client.ts";
export { migrateDatabase, MigrationError } from "./migrate.ts";
export { startEmbeddedPostgres, type TEmbeddedPostgres } from "./embedded.ts";
export { DbError, VersionNotFoundError, StoredConfigError, dbFailureOf } from "./errors.ts";
export {
  getWorkingConfig,
  getWorkingConfigRevision,
  replaceWorkingConfig,
  changesSince,
  type TReplaceResult,
  type TRevisionChange,
} from "./working-config.ts";
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
  updateUser,
  deleteUser,
  UserError,
  SESSION_TTL_MS,
  type TUser,
  type TRole,
} from "./users.ts";
export { appendAudit, countAudit, listAudit, AUDIT_ACTIONS, type TAuditEntry, type TAuditInput } from "./audit.ts";
export { seedDemoConfig } from "./seed.ts";
export {
  createSecretBox,
  parseSecretKey,
  generateSecretKey,
  keyIdOf,
  SecretKeyError,
  type TSecretBox,
} from "./secret-box.ts";
export { reencryptSecrets } from "./secrets-rotation.ts";
export {
  getDeployTargets,
  targetOf,
  promoteRollout,
  rollBackRollout,
  setRolloutBaseline,
  appendRolloutEvent,
  listActiveRollouts,
  listRollouts,
  getRollout,
  RolloutError,
  STABLE_GROUP,
  type TDeployTarget,
  type TDeployTargets,
  type TRollout,
  type TRolloutEvent,
  type TRolloutState,
  type TCanaryInput,
} from "./rollouts.ts";
export { recordStatsWindow, readGroupWindow, pruneStatsWindows, mergeHistograms, quantileOf, type TGroupWindow } from "./stats-windows.ts";
export {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  authenticateApiToken,
  createNodeToken,
  listNodeTokens,
  revokeNodeToken,
  nodeTokensConfigured,
  authenticateNodeToken,
  hashToken,
  type TApiToken,
  type TApiTokenOwner,
  type TNodeToken,
  type TTokenScope,
} from "./tokens.ts";
