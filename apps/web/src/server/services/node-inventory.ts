import { base64DecodedLength, type TConfig } from "@switchyard/config-model";
import { connectedNodePlugins, getVersion, type Db } from "@switchyard/db";
import { nodesWithTargets } from "../rollout/service.ts";

export type TGroupPlugin = { module: string; name: string; version: string; nodes: number };
export type TGroupWasmModule = { name: string; sha256: string; bytes: number; listeners: string[]; versions: number[] };
export type TGroupInventory = { group: string; nodes: number; connected: number; targetVersions: number[]; plugins: TGroupPlugin[]; wasmModules: TGroupWasmModule[] };

/**
 * Per node group: the plugins its connected nodes announced (module, name, version and how
 * many nodes have each) and the wasmModule secrets the versions its nodes are targeted at
 * use (a stepped rollout can target two). Module bytes never leave the server: only the
 * pinned SHA-256 and the size.
 */
export async function groupInventory(db: Db): Promise<TGroupInventory[]> {
  const [nodes, announced] = await Promise.all([nodesWithTargets(db), connectedNodePlugins(db)]);
  const groups = [...new Set(nodes.map((n) => n.group))].sort();
  const versions = [...new Set(nodes.flatMap((n) => (n.targetVersion === null ? [] : [n.targetVersion])))];
  const configs = new Map<number, TConfig>();
  for (const v of versions) {
    const found = await getVersion(db, v);
    if (found) configs.set(v, found.config);
  }
  return groups.map((group) => {
    const members = nodes.filter((n) => n.group === group);
    const targetVersions = [...new Set(members.flatMap((n) => (n.targetVersion === null ? [] : [n.targetVersion])))].sort((a, b) => a - b);
    const plugins = new Map<string, TGroupPlugin>();
    for (const n of announced.filter((a) => a.group === group && members.some((m) => m.id === a.id && m.connected))) {
      for (const p of n.plugins) {
        const key = `${p.module}\u0000${p.version}`;
        const seen = plugins.get(key);
        if (seen) seen.nodes++;
        else plugins.set(key, { module: p.module, name: p.name, version: p.version, nodes: 1 });
      }
    }
    const wasm = new Map<string, TGroupWasmModule>();
    for (const v of targetVersions) {
      const config = configs.get(v);
      if (config) for (const m of wasmModulesOf(config)) mergeModule(wasm, m, v);
    }
    return {
      group,
      nodes: members.length,
      connected: members.filter((n) => n.connected).length,
      targetVersions,
      plugins: [...plugins.values()].sort((a, b) => a.module.localeCompare(b.module) || a.version.localeCompare(b.version)),
      wasmModules: [...wasm.values()].sort((a, b) => a.name.localeCompare(b.name)),
    };
  });
}

/** The wasmModule secrets a config's listeners' wasm filters load, with those listeners. */
function wasmModulesOf(config: TConfig): Omit<TGroupWasmModule, "versions">[] {
  const out = new Map<string, Omit<TGroupWasmModule, "versions">>();
  for (const l of config.listeners) {
    for (const f of l.httpFilters) {
      if (f.type !== "wasm") continue;
      const secret = config.secrets.find((s) => s.name === f.module.secret);
      if (secret?.type !== "wasmModule") continue;
      const seen = out.get(secret.name);
      if (seen) {
        if (!seen.listeners.includes(l.name)) seen.listeners.push(l.name);
      } else out.set(secret.name, { name: secret.name, sha256: secret.sha256, bytes: base64DecodedLength(secret.data), listeners: [l.name] });
    }
  }
  return [...out.values()];
}

/** Two versions naming one secret with different bytes list it twice (by name and hash). */
function mergeModule(into: Map<string, TGroupWasmModule>, m: Omit<TGroupWasmModule, "versions">, version: number) {
  const key = `${m.name}\u0000${m.sha256}`;
  const seen = into.get(key);
  if (seen) {
    seen.versions.push(version);
    for (const l of m.listeners) if (!seen.listeners.includes(l)) seen.listeners.push(l);
  } else into.set(key, { ...m, versions: [version] });
}
