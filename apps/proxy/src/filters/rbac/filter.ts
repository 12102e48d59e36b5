import { matchHeaders } from "../../router/index.ts";
import type { TFilterContext, TFilterResult, THttpFilterInstance } from "../chain.ts";
import type { TRbacConfig } from "./config.ts";

const DENIED = Object.freeze({ status: 403, flag: "RBAC" as const, body: "RBAC: access denied\n", headers: [] });

/**
 * RBAC: rules are tried in order; the first whose principals (any of), paths (any
 * prefix), methods and headers (all) match decides allow or deny. No match = deny.
 * Deny -> 403 with response flag RBAC. Runs after jwtAuthn when listed after it, so
 * jwtClaim principals see verified claims only.
 */
export function createRbacFilter(cfg: TRbacConfig): THttpFilterInstance {
  return {
    name: "rbac",
    onRequest(ctx: TFilterContext): TFilterResult {
      for (const rule of cfg.rules) {
        if (rule.methods !== null && !rule.methods.has(ctx.method)) continue;
        if (rule.paths.length && !rule.paths.some((p) => ctx.path.startsWith(p))) continue;
        if (rule.headers.length && !matchHeaders(rule.headers, ctx.headers)) continue;
        if (!rule.principals.some((p) => p(ctx))) continue;
        return rule.allow ? null : DENIED;
      }
      return DENIED;
    },
  };
}
