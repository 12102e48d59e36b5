import { findUnenforceable, type TConfig } from "@switchyard/config-model";
import { connectedNodesLacking } from "@switchyard/db";
import { scopeIssues } from "../../lib/issues.ts";
import { validationError } from "./app-error.ts";
import type { Db } from "./context.ts";

/**
 * Where the console can know it (connected nodes announce their capabilities in hello), a
 * publish or a rollback (an old version for every node) that some target node cannot
 * enforce is refused with the policy's path, through config-model's findUnenforceable (the
 * check the proxy runs on itself at apply time), instead of being NACKed by those nodes.
 * Nodes that said nothing (older proxies) are not counted; they still NACK with that path.
 */
export async function refuseUnenforceable(db: Db, config: TConfig, group: string | undefined): Promise<void> {
  if (!config.rateLimitPolicies.some((p) => p.scope === "global")) return;
  const lacking = await connectedNodesLacking(db, "redis", group);
  if (!lacking.length) return;
  const shown = lacking.slice(0, 3).map((n) => `${n.id} (group ${n.group})`).join(", ") + (lacking.length > 3 ? ` and ${lacking.length - 3} more` : "");
  const issues = findUnenforceable(config, { redis: false }).map((i) => ({ ...i, message: `${i.message}; connected without Redis: ${shown}` }));
  throw validationError(scopeIssues(issues, []));
}
