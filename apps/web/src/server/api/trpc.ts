import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import { dbFailureOf, type Db } from "@switchyard/db";
import { ZodError } from "zod";
import { formatPath } from "@switchyard/config-model";
import type { TFieldIssue } from "../../lib/issues.ts";
import { AppError, APP_ERROR_CODES } from "../services/app-error.ts";
import { userForSession, type TSessionUser } from "../services/auth.ts";
import {
  clearedCsrfCookie,
  clearedSessionCookie,
  CSRF_HEADER,
  csrfCookie,
  csrfMatches,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from "./session-cookie.ts";

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
  setSession(token: string, expiresAt: Date): void;
  /** Re-sends the CSRF cookie of the current session (sessions from before it existed). */
  refreshCsrf(): void;
  clearSession(): void;
};

/** Built per request by the node-http adapter in server.ts, so procedures share its Db. */
export async function createContext(deps: { db: Db; log: TLog }, req: IncomingMessage, res: ServerResponse): Promise<TContext> {
  const sessionToken = readCookie(req.headers.cookie, SESSION_COOKIE);
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
  return {
    db: deps.db,
    log: deps.log,
    user: await userForSession(deps.db, sessionToken).catch((err: unknown) => {
      // The session lookup is the first query of every call: an unreachable database is a
      // 503 with a clear message here, not an opaque 500.
      const failure = dbFailureOf(err);
      if (failure) throw new TRPCError({ code: failure.status === 503 ? "SERVICE_UNAVAILABLE" : "BAD_REQUEST", message: failure.message, cause: failure });
      throw err;
    }),
    sessionToken,
    ip: req.socket.remoteAddress ?? null,
    csrfOk: sessionToken !== undefined && csrfMatches(sessionToken, req.headers[CSRF_HEADER]),
    // Set before tRPC writes the response; appendHeader keeps other cookies intact.
    setSession: (token, expiresAt) => {
      res.appendHeader("Set-Cookie", sessionCookie(token, expiresAt, secure));
      res.appendHeader("Set-Cookie", csrfCookie(token, expiresAt, secure));
    },
    refreshCsrf: () => {
      if (sessionToken) res.appendHeader("Set-Cookie", csrfCookie(sessionToken, new Date(Date.now() + 7 * 24 * 3600 * 1000), secure));
    },
    clearSession: () => {
      res.appendHeader("Set-Cookie", clearedSessionCookie());
      res.appendHeader("Set-Cookie", clearedCsrfCookie());
    },
  };
}

/**
 * Every error the client sees carries `data.issues` ([{path, message, field?}]) when it
 * is about input: zod input errors (path relative to the procedure input, the field is
 * the same path without the leading `route.` / `cluster.` wrapper) and config-model
 * issues raised by services (already scoped to form fields).
 */
function issuesOf(error: TRPCError): TFieldIssue[] | null {
  const cause = error.cause;
  if (cause instanceof AppError) return cause.issues.length ? cause.issues : null;
  if (cause instanceof ZodError) {
    return cause.issues.map((i) => {
      const path = formatPath(i.path as PropertyKey[]);
      const [head, ...rest] = i.path;
      const field = (head === "route" || head === "cluster" || head === "resource") && rest.length ? formatPath(rest as PropertyKey[]) : path;
      return { path, message: i.message, field };
    });
  }
  return null;
}

const t = initTRPC.context<TContext>().create({
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error);
    // zod's own message is its issue list as JSON; a form wants one readable line.
    const message = error.cause instanceof ZodError && issues?.[0] ? `${issues[0].path}: ${issues[0].message}` : shape.message;
    return { ...shape, message, data: { ...shape.data, issues, stack: undefined } };
  },
});

/** Maps service errors (AppError) to tRPC codes in one place; everything else is a 500. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: APP_ERROR_CODES[cause.code].trpc, message: cause.message, cause });
  }
  // Bad text for the database (NUL bytes...) is a 400; an unreachable database a 503.
  const failure = result.ok ? null : dbFailureOf(result.error.cause);
  if (failure) throw new TRPCError({ code: failure.status === 503 ? "SERVICE_UNAVAILABLE" : "BAD_REQUEST", message: failure.message, cause: failure });
  return result;
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
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "log in first" });
  if (type === "mutation" && !ctx.csrfOk) {
    throw new TRPCError({ code: "FORBIDDEN", message: `missing or wrong ${CSRF_HEADER} header (CSRF protection): reload the page` });
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

function requireRole(role: TRole) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (RANK[ctx.user.role as TRole] === undefined || RANK[ctx.user.role as TRole] < RANK[role]) {
      throw new TRPCError({ code: "FORBIDDEN", message: `this needs the ${role} role; you are ${ctx.user.role}` });
    }
    return next();
  });
}

/** Changes config, publishes, rolls out: editors and admins. */
export const editorProcedure = requireRole("editor");
/** Manages users, tokens and node tokens: admins only. */
export const adminProcedure = requireRole("admin");
