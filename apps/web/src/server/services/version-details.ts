import { diffConfigs, emptyConfig, redactConfig, type TConfigDiff } from "@switchyard/config-model";
import { getLatestVersion, getVersion, listNodes, type Db } from "@switchyard/db";
import { stringify } from "yaml";
import { structuralDiff, type TStructuralDiff } from "../../lib/structural-diff.ts";
import { AppError } from "./app-error.ts";
import { readWorkingConfig } from "./working-config.ts";

/** One version's content for the browser: YAML and JSON, private keys redacted. */
export async function versionDocument(db: Db, version: number) {
  const v = await getVersion(db, version);
  if (!v) throw new AppError("NOT_FOUND", `version ${version} not found`);
  const config = redactConfig(v.config);
  return { version: v.version, hash: v.hash, author: v.author, message: v.message, createdAt: v.createdAt, yaml: stringify(config) };
}

/**
 * Both versions' YAML (for the text hunks), the per-kind summary diff and the structural
 * diff from `a` to `b` (values before and after, routes moved).
 */
export async function compareVersions(
  db: Db,
  a: number,
  b: number,
): Promise<{ a: { version: number; yaml: string }; b: { version: number; yaml: string }; diff: TConfigDiff; changes: TStructuralDiff }> {
  const [va, vb] = await Promise.all([getVersion(db, a), getVersion(db, b)]);
  if (!va) throw new AppError("NOT_FOUND", `version ${a} not found`);
  if (!vb) throw new AppError("NOT_FOUND", `version ${b} not found`);
  return {
    a: { version: a, yaml: stringify(redactConfig(va.config)) },
    b: { version: b, yaml: stringify(redactConfig(vb.config)) },
    diff: diffConfigs(va.config, vb.config),
    changes: structuralDiff(va.config, vb.config),
  };
}

/** What a publish would change, value by value: the live version against the working config. */
export async function pendingChanges(db: Db): Promise<{ liveVersion: number | null; changes: TStructuralDiff }> {
  const [live, working] = await Promise.all([getLatestVersion(db), readWorkingConfig(db)]);
  return { liveVersion: live?.version ?? null, changes: structuralDiff(live?.config ?? emptyConfig(), working.config) };
}

/** How many connected nodes serve each version (applied), and how many nodes know it at all. */
export async function nodesPerVersion(db: Db): Promise<{ version: number; connected: number; total: number }[]> {
  const counts = new Map<number, { connected: number; total: number }>();
  for (const n of await listNodes(db)) {
    if (n.appliedVersion === null) continue;
    const c = counts.get(n.appliedVersion) ?? { connected: 0, total: 0 };
    c.total++;
    if (n.connected) c.connected++;
    counts.set(n.appliedVersion, c);
  }
  return [...counts.entries()].map(([version, c]) => ({ version, ...c }));
}
