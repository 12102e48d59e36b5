import type { TFieldIssue } from "../../lib/issues.ts";

/**
 * One error table for the console (documenso style): services throw AppError with a
 * stable code; the tRPC layer maps the code to a TRPCError code and carries `issues`
 * to the client so forms can show each message next to its field.
 */
export const APP_ERROR_CODES = {
  UNAUTHORIZED: { trpc: "UNAUTHORIZED", http: 401 },
  FORBIDDEN: { trpc: "FORBIDDEN", http: 403 },
  RATE_LIMITED: { trpc: "TOO_MANY_REQUESTS", http: 429 },
  NOT_FOUND: { trpc: "NOT_FOUND", http: 404 },
  CONFLICT: { trpc: "CONFLICT", http: 409 },
  VALIDATION: { trpc: "UNPROCESSABLE_CONTENT", http: 422 },
} as const;

export type TAppErrorCode = keyof typeof APP_ERROR_CODES;

export class AppError extends Error {
  readonly code: TAppErrorCode;
  readonly issues: TFieldIssue[];
  constructor(code: TAppErrorCode, message: string, issues: TFieldIssue[] = []) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.issues = issues;
  }
}

export function validationError(issues: TFieldIssue[]): AppError {
  const first = issues[0];
  const summary = first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : "invalid input";
  return new AppError("VALIDATION", issues.length > 1 ? `${summary} (and ${issues.length - 1} more)` : summary, issues);
}
