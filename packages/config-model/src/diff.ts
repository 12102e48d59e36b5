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
      // Edits share unchanged resources with the config they came from: same object, no change.
      if (b === undefined || a === b) continue;
      const fields = changedFields(a, b);
      if (fields.length) d.changed.push({ name, fields });
    }
    if (d.added.length || d.removed.length || d.changed.length) empty = false;
    out[kind] = d;
  }
  return { ...out, empty };
}

const MAX_FIELDS = 200;

/** Paths inside two versions of one resource that differ (at most 200), e.g. `match.prefix`. */
export function changedFields(a: unknown, b: unknown): string[] {
  const fields: string[] = [];
  diffValues(a, b, "", fields);
  return fields;
}

function diffValues(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_FIELDS || a === b) return;
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

/**
 * One entry of a working-config change set: a resource added, removed, changed (with the
 * fields) or only moved (its position among its siblings changed: route order matters).
 * Routes are resources of their own here (kind `routes`, scope `<routeConfig>/<virtualHost>`),
 * so a change set says which route changed, not only which route config.
 */
export type TConfigChange = {
  kind: TResourceKind | "routes";
  /** `<routeConfig>/<virtualHost>` for routes; absent for the other kinds. */
  scope?: string;
  name: string;
  op: "add" | "remove" | "change" | "move";
  fields?: string[];
};

/** `routeConfigs/main`, `routes/main/all/users`: how a change set names a resource. */
export function changeTarget(c: Pick<TConfigChange, "kind" | "scope" | "name">): string {
  return c.scope ? `${c.kind}/${c.scope}/${c.name}` : `${c.kind}/${c.name}`;
}

const OP_SIGN = { add: "+", remove: "-", change: "~", move: "↕" } as const;

/** One line per change (`~ clusters/users: endpoints[0].port`), for the audit log and 409 answers. */
export function formatChanges(changes: readonly TConfigChange[]): string[] {
  return changes.map((c) => `${OP_SIGN[c.op]} ${changeTarget(c)}${c.op === "change" && c.fields?.length ? `: ${c.fields.join(", ")}` : ""}`);
}
