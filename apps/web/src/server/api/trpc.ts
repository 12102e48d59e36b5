import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Db } from "@switchyard/db";
import { ZodError } from "zod";
import { formatPath } from "@switchyard/config-model";
import type { TFieldIssue } from "../../lib/issues.ts";
import { AppError, APP_ERROR_CODES } from "../services/app-error.ts";
import { userForSession, type TSessionUser } from "../services/auth.ts";
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from "./session-cookie.ts";

export type TLog = (event: string, fields?: Record<string, unknown>) => void;

export type TContext = {
  db: Db;
  log: TLog;
  user: TSessionUser | null;
  sessionToken: string | undefined;
  setSession(token: string, expiresAt: Date): void;
  clearSession(): void;
};

/** Built per request by the node-http adapter in server.ts, so procedures share its Db. */
export async function createContext(deps: { db: Db; log: TLog }, req: IncomingMessage, res: ServerResponse): Promise<TContext> {
  const sessionToken = readCookie(req.headers.cookie, SESSION_COOKIE);
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
  return {
    db: deps.db,
    log: deps.log,
    user: await userForSession(deps.db, sessionToken),
    sessionToken,
    // Set before tRPC writes the response; appendHeader keeps other cookies intact.
    setSession: (token, expiresAt) => void res.appendHeader("Set-Cookie", sessionCookie(token, expiresAt, secure)),
    clearSession: () => void res.appendHeader("Set-Cookie", clearedSessionCookie()),
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
  return result;
});

export const createTRPCRouter = t.router;
export const publicProcedure = t.procedure.use(errorMapping);

/** Requires a valid session; `ctx.user` is non-null inside. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "log in first" });
  return next({ ctx: { ...ctx, user: ctx.user } });
});
