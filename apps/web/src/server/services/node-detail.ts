import { lineOfPath, redactConfig } from "@switchyard/config-model";
import { getVersion, type Db } from "@switchyard/db";
import { stringify } from "yaml";
import { parseNackText } from "../../lib/nack.ts";
import { structuralDiff, type TStructuralDiff } from "../../lib/structural-diff.ts";
import { nodesWithTargets } from "../rollout/service.ts";
import { AppError } from "./app-error.ts";

/** Lines shown around an offending line of a refused version. */
const CONTEXT_LINES = 2;

/**
 * One node against what it should run: its applied version and its group's target, the
 * structural diff between the two (empty when it is on target), and its last refusal
 * with each offending path, the line of that path in the refused version and the lines
 * around it.
 */
export async function nodeDetail(db: Db, id: string) {
  const node = (await nodesWithTargets(db)).find((n) => n.id === id);
  if (!node) throw new AppError("NOT_FOUND", `node "${id}" is not known to this console`);
  const [applied, target] = await Promise.all([
    node.appliedVersion !== null ? getVersion(db, node.appliedVersion) : null,
    node.targetVersion !== null && node.targetVersion !== node.appliedVersion ? getVersion(db, node.targetVersion) : null,
  ]);
  let toTarget: TStructuralDiff | null = null;
  if (applied && target) toTarget = structuralDiff(applied.config, target.config);
  const meta = (v: typeof applied) => (v ? { version: v.version, hash: v.hash, message: v.message, author: v.author, createdAt: v.createdAt } : null);

  let lastNack = null;
  if (node.lastError !== null) {
    const parsed = parseNackText(node.lastError);
    const refused = node.nackedVersion !== null ? await getVersion(db, node.nackedVersion) : null;
    const yaml = refused ? stringify(redactConfig(refused.config)).split("\n") : [];
    lastNack = {
      version: node.nackedVersion,
      at: node.lastNackAt,
      error: parsed.error,
      more: parsed.more,
      issues: parsed.issues.map((i) => {
        const line = refused && i.path ? lineOfPath(yaml.join("\n"), i.path) : undefined;
        const first = line === undefined ? 0 : Math.max(1, line - CONTEXT_LINES);
        return {
          ...i,
          line: line ?? null,
          excerpt: line === undefined ? [] : yaml.slice(first - 1, line + CONTEXT_LINES).map((text, k) => ({ line: first + k, text })),
        };
      }),
    };
  }
  return {
    node,
    applied: meta(applied),
    target: node.targetVersion === node.appliedVersion ? meta(applied) : meta(target),
    onTarget: node.targetVersion === null || node.targetVersion === node.appliedVersion,
    toTarget,
    lastNack,
  };
}
