import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import type { Db, TWho } from "../services/context.ts";

export type TRestLog = (event: string, fields?: Record<string, unknown>) => void;

export type TRestDeps = {
  db: Db;
  /** SWITCHYARD_API_TOKEN; without it only tokens made in the console authenticate. */
  apiToken?: string;
  log: TRestLog;
};

export type TMethod = "GET" | "PUT" | "POST" | "DELETE";

/** What a handler gets besides its parsed input. */
export type TRestCall = {
  db: Db;
  /** The token's actor and the client address: what services write into audit rows. */
  who: TWho;
  log: TRestLog;
  req: IncomingMessage;
  /** The client asked for YAML (Accept, or `?format=yaml` on routes that offer it). */
  yaml: boolean;
};

/** A handler's answer when it is more than a JSON body with the route's status. */
export type TRestReply = {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  yaml?: boolean;
  /** A YAML config document names its JSON Schema in a modeline (editors validate it). */
  schemaUrl?: string | null;
};

/**
 * One REST endpoint: parse (the tRPC procedure's own zod schema, from the path
 * parameters, the query string and the body) -> service -> send. The table of these is
 * the API: the handler serves it and the OpenAPI document is generated from it.
 */
export type TRestRoute<TIn = unknown, TOut = unknown> = {
  method: TMethod;
  /** Below /api/v1, with `:name` segments that are input fields, e.g. `/versions/:version`. */
  path: string;
  /** OpenAPI: a short summary, the group, and what the answer holds. */
  summary: string;
  tag: string;
  description?: string;
  /** The input schema, the same one the tRPC procedure declares. */
  input?: z.ZodType<TIn>;
  /**
   * Where the rest of the input comes from: `query` (GET: the query string), `fields` (a
   * JSON or YAML object whose members are input fields) or `document` (the body is a
   * config document: input `{ text, format }`).
   */
  body?: "fields" | "document";
  /** Input members implied by the path (GET /metrics/routes is `kind: "route"`). */
  fixed?: Record<string, unknown>;
  /** Fields taken from headers (If-Match -> revision). */
  headers?: (req: IncomingMessage) => Record<string, unknown>;
  /** public: no token (health, the API's own description); read (default for GET, and dry runs); write. */
  access?: "public" | "read" | "write";
  /** `?format=json|yaml` and Accept choose the representation. */
  negotiate?: boolean;
  run: (call: TRestCall, input: TIn) => Promise<TOut>;
  /** Success status when `send` does not say (default 200). */
  status?: number;
  send?: (result: TOut, call: TRestCall) => TRestReply;
  /** OpenAPI: the success answer's schema (documentation only) and description. */
  response?: { description: string; schema?: z.ZodType };
};

/** Declares a route with its input and output types tied to its schema and service. */
export function restRoute<TIn, TOut>(route: TRestRoute<TIn, TOut>): TRestRoute {
  return route as unknown as TRestRoute;
}

export type TRouteMatch = { route: TRestRoute; params: Record<string, string> };

/** The routes whose pattern matches `path` segment by segment (one per method), with the parameters. */
export function matchPath(routes: readonly TRestRoute[], path: string): TRouteMatch[] {
  const parts = path.split("/").filter(Boolean);
  const out: TRouteMatch[] = [];
  for (const route of routes) {
    const pattern = route.path.split("/").filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      const v = parts[i]!;
      if (p.startsWith(":")) params[p.slice(1)] = safeDecode(v);
      else ok = p === v;
    }
    if (ok) out.push({ route, params });
  }
  return out;
}

/** The `Allow` header of a path: its methods, plus HEAD wherever GET is served. */
export function allowedMethods(matches: readonly TRouteMatch[]): string[] {
  const methods: string[] = matches.map((m) => m.route.method);
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
