import { TRPCClientError } from "@trpc/client";
import type { TFieldIssue } from "./issues.ts";

/** The issues list the server attaches to validation errors (see server/api/trpc.ts). */
export function issuesOf(error: unknown): TFieldIssue[] {
  if (!(error instanceof TRPCClientError)) return [];
  const data = (error as TRPCClientError<never>).data as { issues?: TFieldIssue[] | null } | undefined;
  return data?.issues ?? [];
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "UNAUTHORIZED";
}

/** One line for a banner: the server's message, or a transport failure described plainly. */
export function messageOf(error: unknown): string {
  if (error instanceof TRPCClientError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
