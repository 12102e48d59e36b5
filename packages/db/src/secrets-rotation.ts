import { AUDIT_ACTIONS, appendAudit, toJson } from "./audit.ts";
import { lockConfig, transaction, type Db } from "./client.ts";
import { isEncrypted } from "./secret-box.ts";
import { openSnapshot, sealSnapshot } from "./versions.ts";
import { mapSealedField, sealedFieldOf, type TConfig } from "@switchyard/config-model";

/**
 * Key rotation: rewrites every sealed secret field (private keys, wasm modules; working config and version snapshots) that
 * is in clear text or sealed under a previous key, under the current key. Contents and
 * hashes do not change. Idempotent; the console runs it at start.
 */
export async function reencryptSecrets(db: Db): Promise<{ secrets: number; versions: number }> {
  const box = db.secrets;
  if (!box) return { secrets: 0, versions: 0 };
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    let secrets = 0;
    const sealed = (spec: unknown): string | undefined => {
      const field = sealedFieldOf(spec);
      const v = field === undefined ? undefined : (spec as Record<string, unknown>)[field];
      return typeof v === "string" ? v : undefined;
    };
    for (const row of await tx.configResource.findMany({ where: { kind: "secrets" } })) {
      const value = sealed(row.spec);
      if (value === undefined || !box.isStale(value)) continue;
      const spec = mapSealedField(row.spec, (v) => box.encrypt(box.decrypt(v)));
      await tx.configResource.update({ where: { kind_scope_name: { kind: row.kind, scope: row.scope, name: row.name } }, data: { spec: toJson(spec) } });
      secrets++;
    }
    let versions = 0;
    // Only snapshots holding secrets can need it; the text filter keeps the scan cheap.
    const rows = await tx.$queryRaw<{ version: number; snapshot: unknown }[]>`SELECT version, snapshot FROM "ConfigVersion" WHERE snapshot::text LIKE '%"privateKey"%' OR snapshot::text LIKE '%"wasmModule"%'`;
    for (const row of rows) {
      const list = (row.snapshot as { secrets?: unknown[] }).secrets ?? [];
      const stale = list.some((x) => {
        const v = sealed(x);
        return v !== undefined && (!isEncrypted(v) || box.isStale(v));
      });
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
