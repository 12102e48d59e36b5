import { redactConfig, type TConfigDiff } from "@switchyard/config-model";
import { diffVersions, getVersion, listNodes, type Db } from "@switchyard/db";
import { stringify } from "yaml";
import { AppError } from "./app-error.ts";

/** One version's content for the browser: YAML and JSON, private keys redacted. */
export async function versionDocument(db: Db, version: number) {
  const v = await getVersion(db, version);
  if (!v) throw new AppError("NOT_FOUND", `version ${version} not found`);
  const config = redactConfig(v.config);
  return { version: v.version, hash: v.hash, author: v.author, message: v.message, createdAt: v.createdAt, yaml: stringify(config) };
}

/** Both versions' YAML (for the side-by-side view) and the structural diff from `a` to `b`. */
export async function compareVersions(db: Db, a: number, b: number): Promise<{ a: { version: number; yaml: string }; b: { version: number; yaml: string }; diff: TConfigDiff }> {
  const [da, db2, diff] = await Promise.all([versionDocument(db, a), versionDocument(db, b), diffVersions(db, a, b)]);
  if (!diff) throw new AppError("NOT_FOUND", `version ${a} or ${b} not found`);
  return { a: { version: a, yaml: da.yaml }, b: { version: b, yaml: db2.yaml }, diff };
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
