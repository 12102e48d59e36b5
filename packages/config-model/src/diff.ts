import { RESOURCE_KINDS, type TConfig, type TResourceKind } from "./config.ts";
import { canonicalJson } from "./hash.ts";

export type TResourceChange = {
  name: string;
  /** Paths inside the resource that differ, e.g. `virtualHosts[0].routes[1].match.prefix`. */
  fields: string[];
};

export type TKindDiff = { added: string[]; removed: string[]; changed: TResourceChange[] };
export type TConfigDiff = Record<TResourceKind, TKindDiff> & { empty: boolean };

/** Semantic diff per resource kind and name: what a publish adds, removes and changes. */
export function diffConfigs(from: TConfig, to: TConfig): TConfigDiff {
  let empty = true;
  const out = {} as Record<TResourceKind, TKindDiff>;
  for (const kind of RESOURCE_KINDS) {
    const before = new Map<string, unknown>(from[kind].map((r) => [r.name, r]));
    const after = new Map<string, unknown>(to[kind].map((r) => [r.name, r]));
    const d: TKindDiff = { added: [], removed: [], changed: [] };
    for (const name of after.keys()) if (!before.has(name)) d.added.push(name);
    for (const name of before.keys()) if (!after.has(name)) d.removed.push(name);
    for (const [name, a] of before) {
      const b = after.get(name);
      if (b === undefined) continue;
      const fields: string[] = [];
      diffValues(a, b, "", fields);
      if (fields.length) d.changed.push({ name, fields });
    }
    if (d.added.length || d.removed.length || d.changed.length) empty = false;
    out[kind] = d;
  }
  return { ...out, empty };
}

const MAX_FIELDS = 200;

function diffValues(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_FIELDS) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) diffValues(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push(path || "(value)");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One line per change, for logs and CLI output. */
export function formatDiff(diff: TConfigDiff): string {
  if (diff.empty) return "no changes";
  const lines: string[] = [];
  for (const kind of RESOURCE_KINDS) {
    const d = diff[kind];
    for (const n of d.added) lines.push(`+ ${kind}/${n}`);
    for (const n of d.removed) lines.push(`- ${kind}/${n}`);
    for (const c of d.changed) lines.push(`~ ${kind}/${c.name}: ${c.fields.join(", ")}`);
  }
  return lines.join("\n");
}
