import { ZPluginInfo, type TPluginInfo } from "@switchyard/config-model";
import type { Db } from "./client.ts";

const ZPlugins = ZPluginInfo.array();

/**
 * Connected nodes (of `group`, else all) that announced their plugins in hello (`--plugin`),
 * with that list. Nodes that said nothing (older proxies) are left out: nobody knows.
 */
export async function connectedNodePlugins(db: Db, group?: string): Promise<{ id: string; group: string; plugins: TPluginInfo[] }[]> {
  const rows = await db.prisma.node.findMany({ where: { connected: true, ...(group ? { group } : {}) }, select: { id: true, group: true, capabilities: true }, orderBy: { id: "asc" } });
  return rows.flatMap((r) => {
    const parsed = ZPlugins.safeParse((r.capabilities as { plugins?: unknown } | null)?.plugins);
    return parsed.success ? [{ id: r.id, group: r.group, plugins: parsed.data }] : [];
  });
}

/** Every plugin (module + version) some connected node announced, with its config schema and the nodes that have it. */
export async function knownPlugins(db: Db): Promise<(TPluginInfo & { nodes: string[] })[]> {
  const out = new Map<string, TPluginInfo & { nodes: string[] }>();
  for (const n of await connectedNodePlugins(db)) {
    for (const p of n.plugins) {
      const key = `${p.module}\u0000${p.version}`;
      const seen = out.get(key);
      if (seen) seen.nodes.push(n.id);
      else out.set(key, { ...p, nodes: [n.id] });
    }
  }
  return [...out.values()].sort((a, b) => a.module.localeCompare(b.module) || a.version.localeCompare(b.version));
}
