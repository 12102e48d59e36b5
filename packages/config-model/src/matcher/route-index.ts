import { regexLiteralPrefix } from "../linear-regex.ts";
import type { TCompiledRoute } from "./types.ts";

/**
 * First-segment index over a virtual host's routes, built once per config version.
 * Matching stays "first match wins" over the SAME ordered list; the index only skips
 * routes that cannot match because their literal start names another first path segment.
 *
 * A route's literal start is its prefix or path (case-sensitive only), or the literal
 * characters a regex begins with. When that literal holds a second "/", every path the
 * route matches begins with the segment before it ("/svc1/" -> "/svc1"); an exact path
 * without one is its own segment. Every other route (prefix "/", "/api" which also
 * matches "/apis", case-insensitive ones, regexes starting with a class or holding "|")
 * is unindexed and stays a candidate for every path.
 *
 * Each segment's candidate list is its routes merged with the unindexed ones in config
 * order, so a lookup is one Map.get plus the walk of a short list: 10,000 routes over
 * distinct first segments cost about what 2 routes cost.
 */
export type TRouteIndex<C> = {
  /** First segment ("/svc1") -> candidate routes in config order. */
  readonly bySegment: ReadonlyMap<string, readonly TCompiledRoute<C>[]>;
  /** Candidates for a path whose segment no indexed route names. */
  readonly unindexed: readonly TCompiledRoute<C>[];
};

/** Below this many routes a linear walk is as fast as the lookup. */
const MIN_ROUTES = 16;
/** Unindexed routes are copied into every segment's list: past this many the copies cost more than they save. */
const MAX_UNINDEXED = 64;

/** The first path segment every path matched by `route` starts with, or null when it cannot be told. */
function segmentOf<C>(route: TCompiledRoute<C>, source: string | null): string | null {
  let literal: string;
  if (route.pathKind === "regex") {
    if (source === null) return null;
    literal = regexLiteralPrefix(source);
  } else {
    if (!route.caseSensitive) return null;
    literal = route.pathValue;
  }
  if (!literal.startsWith("/")) return null;
  const slash = literal.indexOf("/", 1);
  if (slash !== -1) return literal.slice(0, slash);
  return route.pathKind === "exact" ? literal : null;
}

/** The segment lookups use: the path up to its second "/" (the whole path without one). */
export function firstSegment(path: string): string {
  const slash = path.indexOf("/", 1);
  return slash === -1 ? path : path.slice(0, slash);
}

/**
 * Builds the index, or null when it would not pay (few routes, too many unindexed ones).
 * `regexSources[i]` is route i's regex as written in the config (null for prefix/path
 * routes): RegExp#source would not do, it escapes "/".
 */
export function buildRouteIndex<C>(routes: readonly TCompiledRoute<C>[], regexSources: readonly (string | null)[]): TRouteIndex<C> | null {
  if (routes.length < MIN_ROUTES) return null;
  const buckets = new Map<string, number[]>();
  const unindexed: number[] = [];
  routes.forEach((r, i) => {
    const seg = segmentOf(r, regexSources[i] ?? null);
    if (seg === null) unindexed.push(i);
    else {
      const b = buckets.get(seg);
      if (b) b.push(i);
      else buckets.set(seg, [i]);
    }
  });
  if (unindexed.length > MAX_UNINDEXED || buckets.size === 0) return null;
  const pick = (idx: number[]) => Object.freeze(idx.map((i) => routes[i] as TCompiledRoute<C>));
  const bySegment = new Map<string, readonly TCompiledRoute<C>[]>();
  for (const [seg, idx] of buckets) {
    // Merge two ascending index lists: config order is the match order.
    const merged: number[] = [];
    let a = 0;
    let b = 0;
    while (a < idx.length || b < unindexed.length) {
      if (b >= unindexed.length || (a < idx.length && (idx[a] as number) < (unindexed[b] as number))) merged.push(idx[a++] as number);
      else merged.push(unindexed[b++] as number);
    }
    bySegment.set(seg, pick(merged));
  }
  return Object.freeze({ bySegment, unindexed: pick(unindexed) });
}
