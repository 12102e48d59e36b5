import { z } from "zod";
import { readCookie } from "../api/session-cookie.ts";
import type { TFlow } from "./provider-client.ts";

/**
 * The sign-in in progress, in the browser that started it: state, nonce, PKCE verifier and
 * where to go after. httpOnly (no script reads the verifier), SameSite=Lax (sent on the
 * provider's top-level redirect back, not on cross-site subrequests), only on the OIDC
 * paths, 10 minutes. It binds the callback to this browser: a callback URL carried to
 * another browser (login CSRF) finds no cookie there, a tampered state does not match it.
 */
export const FLOW_COOKIE = "swy_oidc";
const FLOW_PATH = "/api/auth/oidc";
export const FLOW_TTL_S = 600;

const ZFlow = z.object({ state: z.string().min(1).max(200), nonce: z.string().min(1).max(200), verifier: z.string().min(43).max(128), next: z.string().max(2048) });

export function flowCookie(flow: TFlow, secure: boolean): string {
  const value = Buffer.from(JSON.stringify(flow)).toString("base64url");
  return [`${FLOW_COOKIE}=${value}`, `Path=${FLOW_PATH}`, "HttpOnly", "SameSite=Lax", `Max-Age=${FLOW_TTL_S}`, ...(secure ? ["Secure"] : [])].join("; ");
}

export function clearedFlowCookie(): string {
  return `${FLOW_COOKIE}=; Path=${FLOW_PATH}; HttpOnly; SameSite=Lax; Max-Age=0`;
}

/** The flow this browser started, or null (none, expired, or not ours). */
export function readFlow(cookieHeader: string | undefined): TFlow | null {
  const raw = readCookie(cookieHeader, FLOW_COOKIE);
  if (!raw) return null;
  try {
    const parsed = ZFlow.safeParse(JSON.parse(Buffer.from(raw, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
