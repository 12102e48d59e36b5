import { AUDIT_ACTIONS, appendAudit, toJson } from "./audit.ts";
import { lockConfig, transaction, type Db } from "./client.ts";
import { isEncrypted } from "./secret-box.ts";
import { openSnapshot, sealSnapshot } from "./versions.ts";
import type { TConfig } from "@switchyard/config-model";

/**
 * Key rotation: rewrites every private key (working config and version snapshots) that
 * is in clear text or sealed under a previous key, under the current key. Contents and
 * hashes do not change. Idempotent; the console runs it at start.
 */
export async function reencryptSecrets(db: Db): Promise<{ secrets: number; versions: number }> {
  const box = db.secrets;
  if (!box) return { secrets: 0, versions: 0 };
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    let secrets = 0;
    for (const row of await tx.configResource.findMany({ where: { kind: "secrets" } })) {
      const spec = row.spec as { privateKey?: unknown };
      if (typeof spec.privateKey !== "string" || !box.isStale(spec.privateKey)) continue;
      const privateKey = box.encrypt(box.decrypt(spec.privateKey));
      await tx.configResource.update({ where: { kind_scope_name: { kind: row.kind, scope: row.scope, name: row.name } }, data: { spec: toJson({ ...spec, privateKey }) } });
      secrets++;
    }
    let versions = 0;
    // Only snapshots holding secrets can need it; the text filter keeps the scan cheap.
    const rows = await tx.$queryRaw<{ version: number; snapshot: unknown }[]>`SELECT version, snapshot FROM "ConfigVersion" WHERE snapshot::text LIKE '%"privateKey"%'`;
    for (const row of rows) {
      const list = (row.snapshot as { secrets?: { privateKey?: unknown }[] }).secrets ?? [];
      const stale = list.some((x) => typeof x.privateKey === "string" && (!isEncrypted(x.privateKey) || box.isStale(x.privateKey)));
      if (!stale) continue;
      const opened = openSnapshot(row.snapshot, box) as TConfig;
      await tx.configVersion.update({ where: { version: row.version }, data: { snapshot: toJson(sealSnapshot(opened, box)) } });
      versions++;
    }
    if (secrets || versions) {
      await appendAudit(tx, { actor: "system", action: AUDIT_ACTIONS.secretsReencrypt, target: "secrets", details: { keyId: box.keyId, secrets, versions } });
    }
    return { secrets, versions };
  }, { isolationLevel: "Serializable" });
}
