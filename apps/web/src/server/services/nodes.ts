import { listNodes as listStoredNodes, type Db } from "@switchyard/db";

/** Proxy nodes known to the control plane, connected first, then by id. */
export async function listNodes(db: Db) {
  const nodes = await listStoredNodes(db);
  return [...nodes].sort((a, b) => Number(b.connected) - Number(a.connected) || a.id.localeCompare(b.id));
}
