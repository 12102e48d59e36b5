import { matchValue } from "../../router/index.ts";
import type { TFilterRequest, THttpFilter } from "../api.ts";
import type { TRbacConfig } from "./config.ts";

const DENIED = Object.freeze({ status: 403, flag: "RBAC", body: "RBAC: access denied\n" });

/**
 * RBAC: rules are tried in order; the first whose principals (any of), paths (any
 * prefix), methods and headers (all) match decides allow or deny. No match = deny.
 * Deny -> 403 with response flag RBAC. Runs after jwtAuthn when listed after it, so
 * jwtClaim principals see verified claims only (jwtAuthn's request metadata).
 */
export function createRbacFilter(name: string, cfg: TRbacConfig): THttpFilter {
  return {
    name,
    onRequestHeaders(req: TFilterRequest) {
      for (const rule of cfg.rules) {
        if (rule.methods !== null && !rule.methods.has(req.method)) continue;
        if (rule.paths.length && !rule.paths.some((p) => req.path.startsWith(p))) continue;
        if (rule.headers.length && !rule.headers.every((m) => matchValue(m, req.headers.get(m.name)))) continue;
        if (!rule.principals.some((p) => p(req))) continue;
        return rule.allow ? undefined : DENIED;
      }
      return DENIED;
    },
  };
}
