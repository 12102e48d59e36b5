import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { formatPath } from "@switchyard/config-model";
import type { TFieldIssue } from "../../lib/issues.ts";
import { AppError, APP_ERROR_CODES, APP_ERRORS, toAppError } from "../services/app-error.ts";
import { configSchemaUrl } from "../rest/http.ts";
import { userForSession, type TSessionUser } from "../services/auth.ts";
import type { Db, TUserWho } from "../services/context.ts";
import { clearedSessionCookies, CSRF_HEADER, csrfCookie, csrfMatches, readCookie, requestIsSecure, SESSION_COOKIE, sessionCookies } from "./session-cookie.ts";

export type TLog = (event: string, fields?: Record<string, unknown>) => void;

export type TContext = {
  db: Db;
  log: TLog;
  user: TSessionUser | null;
  sessionToken: string | undefined;
  /** The client's address (the socket's; forwarded headers are not trusted). */
  ip: string | null;
  /** The request carried the CSRF header matching its session. */
  csrfOk: boolean;
  /** The identity provider the login page offers beside local login ("Sign in with <name>"), or null. */
  oidcProvider: { name: string; loginPath: string } | null;
  /** Where an OIDC user goes after logout to end the provider's session too (SWITCHYARD_OIDC_PROVIDER_LOGOUT), or null. */
  oidcEndSessionUrl(): Promise<URL | null>;
  /** Where this console serves the config's JSON Schema, as the client reached it (exports name it). */
  schemaUrl: string | null;
  setSession(token: string, expiresAt: Date): void;
  /** Re-sends the CSRF cookie of the current session (sessions from before it existed). */
  refreshCsrf(): void;
  clearSession(): void;
};

/** Built per request by the node-http adapter in server.ts, so procedures share its Db. */
export type TContextDeps = { db: Db; log: TLog; oidcProvider?: TContext["oidcProvider"]; oidcEndSessionUrl?: TContext["oidcEndSessionUrl"] };

export async function createContext(deps: TContextDeps, req: IncomingMessage, res: ServerResponse): Promise<TContext> {
  const sessionToken = readCookie(req.headers.cookie, SESSION_COOKIE);
  const secure = requestIsSecure(req);
  return {
    db: deps.db,
    log: deps.log,
    user: await userForSession(deps.db, sessionToken).catch((err: unknown) => {
      // The session lookup is the first query of every call: an unreachable database is a
      // 503 with a clear message here, not an opaque 500.
      throw trpcErrorOf(toAppError(err));
    }),
    sessionToken,
    ip: req.socket.remoteAddress ?? null,
    csrfOk: sessionToken !== undefined && csrfMatches(sessionToken, req.headers[CSRF_HEADER]),
    oidcProvider: deps.oidcProvider ?? null,
    oidcEndSessionUrl: deps.oidcEndSessionUrl ?? (async () => null),
    schemaUrl: configSchemaUrl(req),
    // Set before tRPC writes the response; appendHeader keeps other cookies intact.
    setSession: (token, expiresAt) => {
      res.appendHeader("Set-Cookie", sessionCookies(token, expiresAt, secure));
    },
    refreshCsrf: () => {
      if (sessionToken) res.appendHeader("Set-Cookie", csrfCookie(sessionToken, new Date(Date.now() + 7 * 24 * 3600 * 1000), secure));
    },
    clearSession: () => {
      res.appendHeader("Set-Cookie", clearedSessionCookies());
    },
  };
}

/**
 * Zod input errors as issues: path relative to the procedure input, the field is the same
 * path without the leading `route.` / `cluster.` / `resource.` wrapper (the form's own field).
 */
function inputIssues(error: ZodError): TFieldIssue[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path as PropertyKey[]);
    const [head, ...rest] = i.path;
    const field = (head === "route" || head === "cluster" || head === "resource") && rest.length ? formatPath(rest as PropertyKey[]) : path;
    return { path, message: i.message, field };
  });
}

/** The TRPCError for an AppError: its tRPC code (hence HTTP status) from the one table. */
function trpcErrorOf(err: AppError): TRPCError {
  return new TRPCError({ code: APP_ERRORS[err.code].trpc, message: err.message, cause: err });
}

/**
 * Every error the client sees carries, in `data`, the AppError `appCode`, `issues`
 * ([{path, message, field?}]) when it is about input, and `details` (e.g. what changed,
 * for STALE_REVISION).
 */
const t = initTRPC.context<TContext>().create({
  errorFormatter({ shape, error }) {
    const app = error.cause instanceof AppError ? error.cause : null;
    return {
      ...shape,
      data: { ...shape.data, appCode: app?.code ?? null, issues: app?.issues.length ? app.issues : null, details: app && Object.keys(app.details).length ? app.details : null, stack: undefined },
    };
  },
});

/**
 * Turns whatever a procedure failed with into an AppError, then a TRPCError by the one
 * table. Input that fails its zod schema is INVALID_INPUT for a query (it came in the
 * URL) and VALIDATION for a mutation (a request body), as in the REST API.
 */
const errorMapping = t.middleware(async ({ next, type }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  let app: AppError;
  if (cause instanceof ZodError) {
    const issues = inputIssues(cause);
    const first = issues[0];
    app = new AppError(type === "query" ? "INVALID_INPUT" : "VALIDATION", first ? `${first.path}: ${first.message}` : "invalid input", issues);
  } else if (!(cause instanceof AppError) && result.error.code !== "INTERNAL_SERVER_ERROR") {
    // tRPC's own refusals (a body that does not parse, a wrong method...) keep their meaning.
    const code = APP_ERROR_CODES.find((c) => APP_ERRORS[c].trpc === result.error.code) ?? "INVALID_INPUT";
    app = new AppError(code, result.error.message, [], {}, { cause: result.error });
  } else app = toAppError(cause ?? result.error);
  throw trpcErrorOf(app);
});

export const createTRPCRouter = t.router;
export const publicProcedure = t.procedure.use(errorMapping);

export type TRole = "admin" | "editor" | "viewer";
const RANK: Record<TRole, number> = { viewer: 0, editor: 1, admin: 2 };

/**
 * Requires a valid session (`ctx.user` is non-null inside) and, for mutations, the CSRF
 * header of that session.
 */
export const protectedProcedure = publicProcedure.use(({ ctx, next, type }) => {
  if (!ctx.user) throw new AppError("UNAUTHORIZED", "log in first");
  if (type === "mutation" && !ctx.csrfOk) {
    throw new AppError("FORBIDDEN", `missing or wrong ${CSRF_HEADER} header (CSRF protection): reload the page`);
  }
  // `who` is what services record in audit rows: the user and the client's address.
  const who: TUserWho = { actor: ctx.user.email, ip: ctx.ip, userId: ctx.user.id, role: ctx.user.role };
  return next({ ctx: { ...ctx, user: ctx.user, who } });
});

function requireRole(role: TRole) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (RANK[ctx.user.role as TRole] === undefined || RANK[ctx.user.role as TRole] < RANK[role]) {
      throw new AppError("FORBIDDEN", `this needs the ${role} role; you are ${ctx.user.role}`);
    }
    return next();
  });
}

/** Changes config, publishes, rolls out: editors and admins. */
export const editorProcedure = requireRole("editor");
/** Manages users, tokens and node tokens: admins only. */
export const adminProcedure = requireRole("admin");
