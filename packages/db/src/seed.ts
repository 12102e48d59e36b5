import { ConfigValidationError, validateConfig } from "@switchyard/config-model";
import { lockConfig, transaction, type Db } from "./client.ts";
import { hasVersions, publishInTx } from "./versions.ts";
import { readWorkingConfigInTx, writeWorkingConfig } from "./working-config.ts";

/**
 * Seeds a fresh installation: only when no version exists yet, the working config is
 * set to `config` and published as v1 "demo config". One transaction under the config
 * lock, so two consoles starting together seed once. Returns whether it seeded.
 */
export async function seedDemoConfig(db: Db, config: unknown, opts: { actor: string }): Promise<boolean> {
  const validated = validateConfig(config);
  if (!validated.ok) throw new ConfigValidationError(validated.issues);
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    if (await hasVersions(tx)) return false;
    const before = await readWorkingConfigInTx(tx, db, { validate: false });
    await writeWorkingConfig(tx, db, before.config, validated.config, { actor: opts.actor, source: "seed" });
    await publishInTx(tx, validated.config, db.secrets, { actor: opts.actor, message: "demo config" });
    return true;
  });
}
