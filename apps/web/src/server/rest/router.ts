import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "@switchyard/db";

export type TRestLog = (event: string, fields?: Record<string, unknown>) => void;

export type TRestDeps = {
  db: Db;
  /** SWITCHYARD_API_TOKEN; without it every authenticated endpoint answers 401. */
  apiToken?: string;
  log: TRestLog;
};

/** Who is calling: the env token (full access) or a user's API token (its scope, capped by the user's role). */
export type TPrincipal = { actor: string; scope: "read" | "write"; ip: string | null };

export type TRestContext = {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  deps: TRestDeps;
  principal: TPrincipal;
};

export type TRestHandler = (ctx: TRestContext) => Promise<void>;

export type TRouteDef = {
  /** Path below /api/v1 with `:name` segments, e.g. `/versions/:a/diff/:b`. */
  pattern: string;
  methods: Partial<Record<"GET" | "PUT" | "POST" | "DELETE", TRestHandler>>;
  /** Served without a bearer token (only health checks). */
  public?: boolean;
  /** POSTs that change nothing (dry runs): a read token may call them. */
  readOnlyPost?: boolean;
};

export type TRouteMatch = { route: TRouteDef; params: Record<string, string> };

/** First route whose pattern matches `path` segment by segment, or null. */
export function matchRoute(routes: readonly TRouteDef[], path: string): TRouteMatch | null {
  const parts = path.split("/").filter(Boolean);
  for (const route of routes) {
    const pattern = route.pattern.split("/").filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      const v = parts[i]!;
      if (p.startsWith(":")) params[p.slice(1)] = safeDecode(v);
      else ok = p === v;
    }
    if (ok) return { route, params };
  }
  return null;
}

/** The `Allow` header of a route: its methods, plus HEAD wherever GET is served. */
export function allowedMethods(route: TRouteDef): string[] {
  const methods = Object.keys(route.methods);
  if (methods.includes("GET")) methods.push("HEAD");
  return methods;
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
