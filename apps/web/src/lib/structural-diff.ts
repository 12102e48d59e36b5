import { RESOURCE_KINDS, REDACTED, canonicalJson, mapSealedField, type TConfig, type TResourceKind } from "@switchyard/config-model";
import { diffArrays } from "diff";

/**
 * A structural diff of two configs, like `terraform plan`: per resource, each value that
 * changed with its before and after, and moves. Routes are resources of their own (kind
 * `routes`, scope `<routeConfig>/<virtualHost>`), because their order decides which one
 * matches: a reordered route is a change even when no field of it changed.
 *
 * Arrays of named objects (virtual hosts, routes, filters by name) are matched by name,
 * other arrays by content (jsdiff's LCS), so inserting an endpoint shows one insertion,
 * not a change of every endpoint after it.
 */

export type TValueChange = {
  /** Inside the resource: `match.prefix`, `endpoints[1].port`, `virtualHosts["api"].domains`. */
  path: string;
  op: "add" | "remove" | "change";
  before?: unknown;
  after?: unknown;
};

export type TResourceDiff = {
  kind: TResourceKind | "routes";
  /** `<routeConfig>/<virtualHost>` for routes. */
  scope?: string;
  name: string;
  op: "add" | "remove" | "change";
  /** Routes only: its position among its virtual host's routes changed (1-based). */
  moved?: { from: number; to: number };
  changes: TValueChange[];
};

export type TStructuralDiff = { resources: TResourceDiff[]; empty: boolean };

/** At most this many value changes per resource (a rewritten resource says so once). */
export const MAX_CHANGES = 200;

export function structuralDiff(from: TConfig, to: TConfig): TStructuralDiff {
  const resources: TResourceDiff[] = [];
  for (const kind of RESOURCE_KINDS) {
    const before = byName(from[kind] as { name: string }[]);
    const after = byName(to[kind] as { name: string }[]);
    for (const [name, b] of before) {
      const a = after.get(name);
      if (a === undefined) resources.push({ kind, name, op: "remove", changes: [{ path: "", op: "remove", before: redact(kind, b) }] });
    }
    for (const [name, a] of after) {
      const b = before.get(name);
      if (b === undefined) {
        resources.push({ kind, name, op: "add", changes: [{ path: "", op: "add", after: redact(kind, a) }] });
        continue;
      }
      if (b === a) continue;
      if (kind === "routeConfigs") {
        resources.push(...routeConfigDiff(b as TRouteConfigLike, a as TRouteConfigLike));
        continue;
      }
      const changes = redactChanges(kind, diffValues(b, a));
      if (changes.length) resources.push({ kind, name, op: "change", changes });
    }
  }
  return { resources, empty: resources.length === 0 };
}

type TRouteConfigLike = { name: string; virtualHosts: { name: string; routes: { name: string }[] }[] };

/**
 * A route config without its routes (domains, virtual hosts added or removed), then its
 * routes one by one: added, removed, changed, moved. A route whose virtual host is new
 * or gone is part of that virtual host's entry, not listed again.
 */
function routeConfigDiff(b: TRouteConfigLike, a: TRouteConfigLike): TResourceDiff[] {
  const out: TResourceDiff[] = [];
  // Routes of a virtual host on both sides are compared one by one below; a new or
  // removed virtual host keeps its routes in its own entry.
  const shell = (rc: TRouteConfigLike, other: TRouteConfigLike) => {
    const hosts = new Set(other.virtualHosts.map((vh) => vh.name));
    return { ...rc, virtualHosts: rc.virtualHosts.map((vh) => (hosts.has(vh.name) ? { ...vh, routes: undefined } : vh)) };
  };
  const own = diffValues(shell(b, a), shell(a, b));
  if (own.length) out.push({ kind: "routeConfigs", name: a.name, op: "change", changes: own });
  const beforeHosts = byName(b.virtualHosts);
  for (const vh of a.virtualHosts) {
    const old = beforeHosts.get(vh.name);
    if (old) out.push(...routesDiff(`${a.name}/${vh.name}`, old.routes, vh.routes));
  }
  return out;
}

function routesDiff(scope: string, before: { name: string }[], after: { name: string }[]): TResourceDiff[] {
  const out: TResourceDiff[] = [];
  const was = byName(before);
  const now = byName(after);
  const moved = movedNames(before.map((r) => r.name), after.map((r) => r.name));
  for (const r of before) if (!now.has(r.name)) out.push({ kind: "routes", scope, name: r.name, op: "remove", changes: [{ path: "", op: "remove", before: r }] });
  after.forEach((r, i) => {
    const old = was.get(r.name);
    if (!old) {
      out.push({ kind: "routes", scope, name: r.name, op: "add", changes: [{ path: "", op: "add", after: r }] });
      return;
    }
    const changes = old === r ? [] : diffValues(old, r);
    const move = moved.has(r.name) ? { from: before.indexOf(old) + 1, to: i + 1 } : undefined;
    if (changes.length || move) out.push({ kind: "routes", scope, name: r.name, op: "change", changes, ...(move ? { moved: move } : {}) });
  });
  return out;
}

/**
 * Names whose order relative to the others changed: the names common to both lists that
 * are not on a longest common subsequence (the fewest moves that explain the new order).
 */
export function movedNames(before: string[], after: string[]): Set<string> {
  const inBoth = new Set(after.filter((n) => before.includes(n)));
  const b = before.filter((n) => inBoth.has(n));
  const a = after.filter((n) => inBoth.has(n));
  const kept = new Set<string>();
  for (const part of diffArrays(b, a)) if (!part.added && !part.removed) for (const n of part.value) kept.add(n);
  return new Set([...inBoth].filter((n) => !kept.has(n)));
}

/** Every value that differs between two versions of one resource (at most MAX_CHANGES). */
export function diffValues(before: unknown, after: unknown): TValueChange[] {
  const out: TValueChange[] = [];
  walk(before, after, "", out);
  // The walk stops once past the bound, so the rest is not counted.
  if (out.length > MAX_CHANGES) return [...out.slice(0, MAX_CHANGES), { path: "(more changes not shown)", op: "change" }];
  return out;
}

function walk(b: unknown, a: unknown, path: string, out: TValueChange[]): void {
  if (out.length > MAX_CHANGES || b === a) return;
  if (b === undefined) return void out.push({ path, op: "add", after: a });
  if (a === undefined) return void out.push({ path, op: "remove", before: b });
  if (isObject(b) && isObject(a)) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    for (const k of keys) walk(b[k], a[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(b) && Array.isArray(a)) return walkArray(b, a, path, out);
  if (canonicalJson(b) !== canonicalJson(a)) out.push({ path, op: "change", before: b, after: a });
}

function walkArray(b: unknown[], a: unknown[], path: string, out: TValueChange[]): void {
  if (canonicalJson(b) === canonicalJson(a)) return;
  if (isNamedList(b) && isNamedList(a)) {
    const was = byName(b);
    const now = byName(a);
    for (const item of b) if (!now.has(item.name)) out.push({ path: `${path}[${JSON.stringify(item.name)}]`, op: "remove", before: item });
    for (const item of a) {
      const old = was.get(item.name);
      const at = `${path}[${JSON.stringify(item.name)}]`;
      if (old) walk(old, item, at, out);
      else out.push({ path: at, op: "add", after: item });
    }
    const moved = movedNames(b.map((i) => i.name), a.map((i) => i.name));
    if (moved.size) out.push({ path, op: "change", before: b.map((i) => i.name), after: a.map((i) => i.name) });
    return;
  }
  // Lists of plain values (domains, methods) read best whole: [GET] -> [GET, POST].
  if (b.every((v) => !isObject(v)) && a.every((v) => !isObject(v))) return void out.push({ path, op: "change", before: b, after: a });
  // Lists of objects without names (endpoints): by content, a removal next to an addition
  // at the same place is a change of that element.
  const parts = diffArrays(b, a, { comparator: (x, y) => canonicalJson(x) === canonicalJson(y) });
  let ib = 0;
  let ia = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    const next = parts[p + 1];
    if (part.removed && next?.added) {
      const n = Math.min(part.count ?? part.value.length, next.count ?? next.value.length);
      for (let k = 0; k < n; k++) walk(b[ib + k], a[ia + k], `${path}[${ia + k}]`, out);
      for (let k = n; k < part.value.length; k++) out.push({ path: `${path}[${ib + k}]`, op: "remove", before: b[ib + k] });
      for (let k = n; k < next.value.length; k++) out.push({ path: `${path}[${ia + k}]`, op: "add", after: a[ia + k] });
      ib += part.value.length;
      ia += next.value.length;
      p++;
    } else if (part.removed) {
      part.value.forEach((v, k) => out.push({ path: `${path}[${ib + k}]`, op: "remove", before: v }));
      ib += part.value.length;
    } else if (part.added) {
      part.value.forEach((v, k) => out.push({ path: `${path}[${ia + k}]`, op: "add", after: v }));
      ia += part.value.length;
    } else {
      ib += part.value.length;
      ia += part.value.length;
    }
  }
}

/** Sealed secret fields (private keys, wasm modules) never leave the server: a change shows as changed, not as its value. */
function redactChanges(kind: TResourceKind, changes: TValueChange[]): TValueChange[] {
  if (kind !== "secrets") return changes;
  return changes.map((c) => (c.path === "privateKey" || c.path === "data" ? { path: c.path, op: c.op, ...(c.op !== "add" ? { before: REDACTED } : {}), ...(c.op !== "remove" ? { after: REDACTED } : {}) } : c));
}

function redact(kind: TResourceKind, value: unknown): unknown {
  return kind === "secrets" && isObject(value) ? mapSealedField(value, () => REDACTED) : value;
}

function byName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i]));
}

function isNamedList(v: unknown[]): v is { name: string }[] {
  if (!v.length || !v.every((i) => isObject(i) && typeof i.name === "string")) return false;
  return new Set(v.map((i) => (i as { name: string }).name)).size === v.length;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `routes main/api/users`, `clusters users`: how the diff names a resource. */
export function resourceLabel(r: Pick<TResourceDiff, "kind" | "scope" | "name">): string {
  return r.scope ? `${r.kind} ${r.scope}/${r.name}` : `${r.kind} ${r.name}`;
}

/** A value as one short line: strings quoted, objects as compact JSON, long ones cut. */
export function formatValue(v: unknown, max = 120): string {
  const s = v === undefined ? "(unset)" : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
