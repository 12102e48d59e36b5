import { changedFields, type TConfig, type TConfigChange } from "@switchyard/config-model";

/**
 * The working config as rows (one per resource, routes included) and the plan that turns
 * one config into another by writing only the rows that differ. Pure: no database here.
 *
 * Edits share unchanged resources with the config they came from (copy-on-write), so an
 * unchanged row is found by object identity without comparing anything; a row whose
 * object differs is compared field by field, which also catches a replaced-but-equal one.
 */

export type TRowKind = TConfigChange["kind"];

export type TConfigRow = {
  kind: TRowKind;
  /** `<routeConfig>/<virtualHost>` for routes, "" otherwise. */
  scope: string;
  name: string;
  /** The resource document as stored (a route config without its routes; keys not sealed yet). */
  spec: unknown;
  /** The object the row came from: the same object means the same row. */
  source: object;
};

type TGroup = { kind: TRowKind; scope: string; names: string[] };
type TIndexed = { rows: Map<string, TConfigRow>; groups: Map<string, TGroup> };

const KINDS_IN_ORDER = ["listeners", "routeConfigs", "routes", "clusters", "secrets", "rateLimitPolicies"] as const satisfies readonly TRowKind[];

export function rowKey(kind: string, scope: string, name: string): string {
  return `${kind}\u0000${scope}\u0000${name}`;
}

export function routeScope(routeConfig: string, virtualHost: string): string {
  return `${routeConfig}/${virtualHost}`;
}

/** Every row of `config`, grouped by (kind, scope) in document order. */
export function indexRows(config: TConfig): TIndexed {
  const rows = new Map<string, TConfigRow>();
  const groups = new Map<string, TGroup>();
  const add = (kind: TRowKind, scope: string, name: string, spec: unknown, source: object) => {
    rows.set(rowKey(kind, scope, name), { kind, scope, name, spec, source });
    const g = rowKey(kind, scope, "");
    let group = groups.get(g);
    if (!group) groups.set(g, (group = { kind, scope, names: [] }));
    group.names.push(name);
  };
  for (const l of config.listeners) add("listeners", "", l.name, l, l);
  for (const rc of config.routeConfigs) {
    add("routeConfigs", "", rc.name, routeConfigSpec(rc), rc);
    for (const vh of rc.virtualHosts) for (const r of vh.routes) add("routes", routeScope(rc.name, vh.name), r.name, r, r);
  }
  for (const c of config.clusters) add("clusters", "", c.name, c, c);
  for (const s of config.secrets) add("secrets", "", s.name, s, s);
  for (const p of config.rateLimitPolicies) add("rateLimitPolicies", "", p.name, p, p);
  return { rows, groups };
}

/** A route config's row: its virtual hosts without their routes (those are rows of their own). */
function routeConfigSpec(rc: TConfig["routeConfigs"][number]): unknown {
  return { ...rc, virtualHosts: rc.virtualHosts.map(({ routes: _routes, ...vh }) => vh) };
}

export type TWritePlan = {
  /** Rows to insert or rewrite; a position is set where it must change. */
  upserts: (TConfigRow & { position?: number })[];
  deletes: TConfigRow[];
  /** Groups whose order gained or reordered members: their stored positions are needed. */
  reorder: TGroup[];
  changes: TConfigChange[];
  after: TIndexed;
};

/** What to write to go from `before` (what is stored) to `after`. */
export function planWrite(before: TConfig, after: TConfig): TWritePlan {
  const b = indexRows(before);
  const a = indexRows(after);
  const upserts: TWritePlan["upserts"] = [];
  const deletes: TConfigRow[] = [];
  const changes: TConfigChange[] = [];
  const change = (row: TConfigRow, op: TConfigChange["op"], fields?: string[]) =>
    changes.push({ kind: row.kind, ...(row.scope ? { scope: row.scope } : {}), name: row.name, op, ...(fields ? { fields } : {}) });

  for (const [key, row] of a.rows) {
    const old = b.rows.get(key);
    if (!old) {
      upserts.push(row);
      change(row, "add");
      continue;
    }
    if (old.source === row.source) continue;
    const fields = changedFields(old.spec, row.spec);
    if (fields.length) {
      upserts.push(row);
      change(row, "change", fields);
    }
  }
  for (const [key, row] of b.rows) {
    if (a.rows.has(key)) continue;
    deletes.push(row);
    change(row, "remove");
  }
  // A group needs positions when its surviving members are not simply the old ones in
  // the old order: something was added or moved (a removal alone leaves a gap, which is fine).
  const reorder: TGroup[] = [];
  for (const [key, group] of a.groups) {
    const old = b.groups.get(key)?.names ?? [];
    const now = new Set(group.names);
    const kept = old.filter((n) => now.has(n));
    if (kept.length !== group.names.length || kept.some((n, i) => group.names[i] !== n)) reorder.push(group);
  }
  changes.sort((x, y) => KINDS_IN_ORDER.indexOf(x.kind as (typeof KINDS_IN_ORDER)[number]) - KINDS_IN_ORDER.indexOf(y.kind as (typeof KINDS_IN_ORDER)[number]));
  return { upserts, deletes, reorder, changes, after: a };
}

/**
 * New positions for the members of one group, given the stored ones: the longest run of
 * members already in increasing order keeps its positions, every other member gets one
 * between its kept neighbours. Only the members whose position changes are returned, so
 * moving one route rewrites one row, not every route after it.
 */
export function assignPositions(names: readonly string[], stored: ReadonlyMap<string, number>): Map<string, number> {
  const keep = longestIncreasing(names.map((n) => stored.get(n)));
  const out = new Map<string, number>();
  let i = 0;
  while (i < names.length) {
    if (keep.has(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j < names.length && !keep.has(j)) j++;
    // Members i..j-1 go between the kept neighbours (or past the ends).
    const lo = i > 0 ? stored.get(names[i - 1]!)! : undefined;
    const hi = j < names.length ? stored.get(names[j]!)! : undefined;
    const n = j - i;
    for (let k = 0; k < n; k++) {
      const p = lo === undefined && hi === undefined ? k : lo === undefined ? hi! - (n - k) : hi === undefined ? lo + k + 1 : lo + ((hi - lo) * (k + 1)) / (n + 1);
      out.set(names[i + k]!, p);
    }
    // Halving a gap over and over eventually runs out of precision: renumber the group then.
    if (lo !== undefined && hi !== undefined && (hi - lo) / (n + 1) < 1e-9) return renumber(names, stored);
    i = j;
  }
  return out;
}

function renumber(names: readonly string[], stored: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  names.forEach((n, i) => {
    if (stored.get(n) !== i) out.set(n, i);
  });
  return out;
}

/** Indexes of a longest strictly increasing subsequence of the defined values (O(n log n)). */
function longestIncreasing(values: readonly (number | undefined)[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(values.length).fill(-1);
  values.forEach((v, i) => {
    if (v === undefined) return;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]!]! < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  });
  const keep = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) keep.add(i);
  return keep;
}

/**
 * The config document assembled from stored rows (ordered by kind, scope, position):
 * routes go back into their virtual hosts. Untrusted shape: validated by the caller.
 * A route whose virtual host no longer exists is reported, never dropped silently.
 */
export function assembleConfig(rows: readonly { kind: string; scope: string; spec: unknown }[]): { raw: Record<string, unknown[]>; orphans: string[] } {
  const raw: Record<string, unknown[]> = { listeners: [], routeConfigs: [], clusters: [], secrets: [], rateLimitPolicies: [] };
  const routes = new Map<string, unknown[]>();
  for (const r of rows) {
    if (r.kind === "routes") {
      const list = routes.get(r.scope) ?? [];
      list.push(r.spec);
      routes.set(r.scope, list);
    } else raw[r.kind]?.push(r.spec);
  }
  const placed = new Set<string>();
  raw.routeConfigs = raw.routeConfigs!.map((spec) => {
    const rc = spec as { name: string; virtualHosts?: { name: string }[] };
    return {
      ...rc,
      virtualHosts: (rc.virtualHosts ?? []).map((vh) => {
        const scope = routeScope(rc.name, vh.name);
        placed.add(scope);
        return { ...vh, routes: routes.get(scope) ?? [] };
      }),
    };
  });
  return { raw, orphans: [...routes.keys()].filter((s) => !placed.has(s)) };
}
