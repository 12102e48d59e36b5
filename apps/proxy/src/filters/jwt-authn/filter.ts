import { jwtVerify } from "jose";
import type { TFilterContext, TFilterResult, THttpFilterInstance, TLocalReply } from "../chain.ts";
import type { TJwtConfig } from "./config.ts";

/**
 * JWT authentication (Envoy jwt_authn, one provider): the token comes from
 * `Authorization: Bearer`; signature (JWKS), `iss`, `aud` (any of `audiences`), `exp`
 * and `nbf` are checked. Failure -> 401 with `WWW-Authenticate: Bearer ...` (RFC 6750)
 * and response flag UAEX. Success -> claims kept for RBAC, chosen claims copied to
 * upstream headers, Authorization removed unless `forward`. Claim headers sent by the
 * client are always removed first, so they cannot be forged.
 */
export function createJwtAuthnFilter(cfg: TJwtConfig): THttpFilterInstance {
  const verifyOptions = { issuer: cfg.issuer, ...(cfg.audiences.length ? { audience: [...cfg.audiences] } : {}) };
  return {
    name: "jwtAuthn",
    onRequest(ctx: TFilterContext): TFilterResult | Promise<TFilterResult> {
      for (const c of cfg.claimToHeaders) ctx.removeRequestHeaders.push(c.header);
      const auth = ctx.headers.authorization;
      const token = typeof auth === "string" && /^bearer /i.test(auth) ? auth.slice(7).trim() : null;
      if (token === null || token === "") {
        if (cfg.allowMissing) return null;
        return unauthorized('Bearer realm="switchyard"', "Jwt is missing");
      }
      return jwtVerify(token, cfg.keys, verifyOptions).then(
        ({ payload }) => {
          ctx.jwtClaims = payload;
          if (!cfg.forward) ctx.removeRequestHeaders.push("authorization");
          for (const c of cfg.claimToHeaders) {
            const v = payload[c.claim];
            if (v === undefined || v === null) continue;
            // Header values must not carry CR/LF/controls: strip them.
            const text = (typeof v === "string" ? v : JSON.stringify(v)).replace(CONTROL_CHARS, "");
            ctx.addRequestHeaders.push(c.header, text);
          }
          return null;
        },
        (err: unknown) => unauthorized(`Bearer realm="switchyard", error="invalid_token", error_description="${describe(err)}"`, `Jwt verification fails: ${describe(err)}`),
      );
    },
  };
}

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

function unauthorized(challenge: string, body: string): TLocalReply {
  return { status: 401, flag: "UAEX", body: `${body}\n`, headers: ["www-authenticate", challenge] };
}

/** A short, quote-free reason (jose's codes: ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED, ...). */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return (e.message ?? e.code ?? "invalid token").replace(/["\\\r\n]/g, "'").slice(0, 200);
}
