import { findUnenforceable, pluginEntries, type TConfig, type TConfigIssue } from "@switchyard/config-model";
import { connectedNodePlugins, connectedNodesLacking } from "@switchyard/db";
import { scopeIssues } from "../../lib/issues.ts";
import { validationError } from "./app-error.ts";
import type { Db } from "./context.ts";

/**
 * Where the console can know it (connected nodes announce their capabilities in hello), a
 * publish or a rollback (an old version for every node) that some target node cannot
 * enforce is refused with the path (a global rate limit without Redis; a plugin module, or
 * version, a node did not announce with --plugin), through config-model's findUnenforceable
 * (the check the proxy runs on itself at apply time), instead of being NACKed by those nodes.
 * Nodes that said nothing (older proxies) are not counted; they still NACK with that path.
 */
export async function refuseUnenforceable(db: Db, config: TConfig, group: string | undefined): Promise<void> {
  const issues = [...(await redisIssues(db, config, group)), ...(await pluginIssues(db, config, group))];
  if (issues.length) throw validationError(scopeIssues(issues, []));
}

const listed = (nodes: readonly { id: string; group: string }[]) =>
  nodes.slice(0, 3).map((n) => `${n.id} (group ${n.group})`).join(", ") + (nodes.length > 3 ? ` and ${nodes.length - 3} more` : "");

async function redisIssues(db: Db, config: TConfig, group: string | undefined): Promise<TConfigIssue[]> {
  if (!config.rateLimitPolicies.some((p) => p.scope === "global")) return [];
  const lacking = await connectedNodesLacking(db, "redis", group);
  if (!lacking.length) return [];
  return findUnenforceable(config, { redis: false }).map((i) => ({ ...i, message: `${i.message}; connected without Redis: ${listed(lacking)}` }));
}

/** Plugin entries (module, version pin) some connected node of the group did not announce (--plugin). */
async function pluginIssues(db: Db, config: TConfig, group: string | undefined): Promise<TConfigIssue[]> {
  if (!pluginEntries(config).length) return [];
  const byIssue = new Map<string, { issue: TConfigIssue; nodes: { id: string; group: string }[] }>();
  for (const node of await connectedNodePlugins(db, group)) {
    for (const issue of findUnenforceable(config, { redis: true, plugins: node.plugins })) {
      const key = `${issue.path}\u0000${issue.message}`;
      const seen = byIssue.get(key) ?? { issue, nodes: [] };
      seen.nodes.push(node);
      byIssue.set(key, seen);
    }
  }
  return [...byIssue.values()].map(({ issue, nodes }) => ({ path: issue.path, message: `${issue.message} on connected node ${listed(nodes)}` }));
}
