import type { TRPCError } from "@trpc/server";
import { ConfigValidationError } from "@switchyard/config-model";
import { DbError, dbFailureOf } from "@switchyard/db";
import type { TFieldIssue } from "../../lib/issues.ts";

type TTrpcCode = ConstructorParameters<typeof TRPCError>[0]["code"];

/**
 * The console's one error scheme (documenso / fastify style): every failure a caller sees
 * is an AppError with a stable `code`; this table is the only place that says which HTTP
 * status (REST, and tRPC over HTTP) and which tRPC code each one is. REST answers
 * `{ error, code, issues?, ...details }`; tRPC carries `code`, `issues` and `details` in
 * `error.data`. Add a code here, never a status in a handler.
 */
export const APP_ERRORS = {
  /** The request's shape is wrong where it came in the URL: path, query, a tRPC query's input. */
  INVALID_INPUT: { http: 400, trpc: "BAD_REQUEST" },
  /** JSON or YAML that does not parse (issues carry the line). */
  MALFORMED_BODY: { http: 400, trpc: "PARSE_ERROR" },
  UNAUTHORIZED: { http: 401, trpc: "UNAUTHORIZED" },
  FORBIDDEN: { http: 403, trpc: "FORBIDDEN" },
  NOT_FOUND: { http: 404, trpc: "NOT_FOUND" },
  METHOD_NOT_ALLOWED: { http: 405, trpc: "METHOD_NOT_SUPPORTED" },
  /** The request conflicts with the current state (a resource in use, a rollout not in canary...). */
  CONFLICT: { http: 409, trpc: "CONFLICT" },
  /** Someone changed what the caller read (If-Match, a form's baseRevision): details say what, by whom. */
  STALE_REVISION: { http: 409, trpc: "CONFLICT" },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE" },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, trpc: "UNSUPPORTED_MEDIA_TYPE" },
  /** A request body (a mutation's input) or the config it would make is invalid: issues name each path. */
  VALIDATION: { http: 422, trpc: "UNPROCESSABLE_CONTENT" },
  RATE_LIMITED: { http: 429, trpc: "TOO_MANY_REQUESTS" },
  INTERNAL: { http: 500, trpc: "INTERNAL_SERVER_ERROR" },
  /** A service the console depends on (the OIDC identity provider) failed or did not answer. */
  BAD_GATEWAY: { http: 502, trpc: "BAD_GATEWAY" },
  /** The console's database does not answer; retry shortly. */
  DB_UNAVAILABLE: { http: 503, trpc: "SERVICE_UNAVAILABLE" },
} as const satisfies Record<string, { http: number; trpc: TTrpcCode }>;

export type TAppErrorCode = keyof typeof APP_ERRORS;
export const APP_ERROR_CODES = Object.keys(APP_ERRORS) as TAppErrorCode[];

export class AppError extends Error {
  readonly code: TAppErrorCode;
  readonly issues: TFieldIssue[];
  /** Extra members of the answer, e.g. `currentRevision` and `changes` of a STALE_REVISION. */
  readonly details: Record<string, unknown>;
  constructor(code: TAppErrorCode, message: string, issues: TFieldIssue[] = [], details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.issues = issues;
    this.details = details;
  }

  get status(): number {
    return APP_ERRORS[this.code].http;
  }
}

export function validationError(issues: TFieldIssue[], code: "VALIDATION" | "INVALID_INPUT" = "VALIDATION"): AppError {
  const first = issues[0];
  const summary = first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : "invalid input";
  return new AppError(code, issues.length > 1 ? `${summary} (and ${issues.length - 1} more)` : summary, issues);
}

const BY_DB_STATUS: Record<number, TAppErrorCode> = { 400: "INVALID_INPUT", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT", 422: "VALIDATION", 503: "DB_UNAVAILABLE" };

/**
 * Any error as the AppError a caller sees: AppErrors as they are, the data layer's
 * errors by their status, config-model's issues as VALIDATION, a database that cannot
 * store the input (NUL bytes...) or does not answer as INVALID_INPUT / DB_UNAVAILABLE;
 * anything else is a bug: INTERNAL, with the original kept as `cause` for the log.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ConfigValidationError) return validationError(err.issues);
  const failure = dbFailureOf(err);
  const db = err instanceof DbError ? err : failure;
  const code = db ? BY_DB_STATUS[db.status] : undefined;
  if (db && code) {
    const issues = (db as DbError & { issues?: { path: string; message: string }[] }).issues ?? [];
    return new AppError(code, db.message, issues, {}, { cause: err });
  }
  return new AppError("INTERNAL", "internal error", [], {}, { cause: err });
}
