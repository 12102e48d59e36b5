import type { IncomingMessage, ServerResponse } from "node:http";
import { safeNextPath } from "../../lib/safe-next.ts";
import type { TLog } from "../api/trpc.ts";
import { requestIsSecure, sessionCookies } from "../api/session-cookie.ts";
import { AppError, toAppError } from "../services/app-error.ts";
import type { Db } from "../services/context.ts";
import { refuseWhileBackingOff } from "../services/login-guard.ts";
import { auditOidcFailure, completeOidcLogin } from "../services/oidc-login.ts";
import { sendSigninErrorPage } from "./error-page.ts";
import { signinFailure, signinReasonOf } from "./failures.ts";
import { clearedFlowCookie, flowCookie, readFlow } from "./flow-cookie.ts";
import type { TProviderClient } from "./provider-client.ts";
import { OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH, type TOidcSettings } from "./settings.ts";

export const OIDC_PREFIX = "/api/auth/oidc";

/**
 * The two browser endpoints of OIDC sign-in, served by the console's own server (like
 * tRPC and REST; they set cookies and redirect):
 *   GET /api/auth/oidc/login?next=/path  -> 302 to the provider (flow cookie set)
 *   GET /api/auth/oidc/callback?code&state -> session cookies, 302 to `next`
 * Every failure is a page with its status (sendSigninErrorPage) and an audit row; the
 * session is the one every login makes (createSession + sessionCookies).
 */
export function createOidcHandler(deps: { db: Db; log: TLog; settings: TOidcSettings | null; client: TProviderClient | null }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    if (url.pathname !== OIDC_LOGIN_PATH && url.pathname !== OIDC_CALLBACK_PATH) return false;
    const ip = req.socket.remoteAddress ?? null;
    const secure = requestIsSecure(req);
    try {
      if (req.method !== "GET" && req.method !== "HEAD") throw new AppError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here: the provider sends the browser back with GET`);
      if (!deps.settings || !deps.client) throw signinFailure("not_configured", "SWITCHYARD_OIDC_ISSUER is not set");
      await refuseWhileBackingOff(deps.db, ip);
      if (url.pathname === OIDC_LOGIN_PATH) {
        const { flow, url: to } = await deps.client.begin(safeNextPath(url.searchParams.get("next")));
        res.writeHead(302, { location: to.href, "set-cookie": flowCookie(flow, secure), "cache-control": "no-store" }).end();
        return true;
      }
      // The flow is single-use: whatever happens next, this browser must start again.
      res.appendHeader("set-cookie", clearedFlowCookie());
      const flow = readFlow(req.headers.cookie);
      if (!flow) throw signinFailure("state_mismatch", "no sign-in was started in this browser in the last 10 minutes");
      // The URL the provider redirected to: the configured one (its redirect_uri) with this query.
      const callbackUrl = new URL(deps.settings.redirectUrl.href);
      callbackUrl.search = url.search;
      const identity = await deps.client.finish(callbackUrl, flow);
      const session = await completeOidcLogin(deps.db, deps.settings, identity, ip);
      res.appendHeader("set-cookie", sessionCookies(session.token, session.expiresAt, secure));
      deps.log("console.login", { email: session.user.email, method: "oidc", role: session.user.role });
      res.writeHead(302, { location: flow.next, "cache-control": "no-store" }).end();
      return true;
    } catch (err) {
      const app = toAppError(err);
      const reason = signinReasonOf(app);
      // Reasons and messages only: never tokens, codes, the verifier or the client secret.
      if (app.code === "INTERNAL") deps.log("console.oidc.error", { path: url.pathname, message: app.message, cause: String((app.cause as Error | undefined)?.stack ?? app.cause) });
      else deps.log("console.oidc.refused", { path: url.pathname, reason: reason ?? app.code, message: app.message });
      // A provider that is down is not the person's failure: logged, not counted toward their back-off.
      if (reason && reason !== "not_configured" && reason !== "provider_unreachable") await auditOidcFailure(deps.db, app, ip).catch(() => {});
      sendSigninErrorPage(res, app);
      return true;
    }
  };
}
