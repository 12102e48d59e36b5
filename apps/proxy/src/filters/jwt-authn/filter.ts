import { jwtVerify } from "jose";
import type { TFilterLocalReply, TFilterRequest, THttpFilter } from "../api.ts";
import type { TJwtConfig } from "./config.ts";

/** Where a verified token's claims are kept in the request's metadata (read by rbac, the access log, a user's filter). */
export const JWT_METADATA_KEY = "jwtAuthn";

/** The claims jwtAuthn verified for this request, else null. */
export function jwtClaimsOf(req: TFilterRequest): Readonly<Record<string, unknown>> | null {
  const m = req.metadata.get(JWT_METADATA_KEY) as { claims?: Record<string, unknown> } | undefined;
  return m?.claims ?? null;
}

/**
 * JWT authentication (Envoy jwt_authn, one provider): the token comes from
 * `Authorization: Bearer`; signature (JWKS), `iss`, `aud` (any of `audiences`), `exp`
 * and `nbf` are checked. Failure -> 401 with `WWW-Authenticate: Bearer ...` (RFC 6750)
 * and response flag UAEX. Success -> claims in `metadata.jwtAuthn.claims`, chosen claims
 * copied to upstream headers, Authorization removed unless `forward`. Claim headers sent
 * by the client are always removed first, so they cannot be forged.
 */
export function createJwtAuthnFilter(name: string, cfg: TJwtConfig): THttpFilter {
  const verifyOptions = { issuer: cfg.issuer, ...(cfg.audiences.length ? { audience: [...cfg.audiences] } : {}) };
  return {
    name,
    onRequestHeaders(req: TFilterRequest) {
      for (const c of cfg.claimToHeaders) req.headers.remove(c.header);
      const auth = req.headers.get("authorization");
      const token = auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() : null;
      if (token === null || token === "") {
        if (cfg.allowMissing) return;
        return unauthorized('Bearer realm="switchyard"', "Jwt is missing");
      }
      return jwtVerify(token, cfg.keys, verifyOptions).then(
        ({ payload }) => {
          req.metadata.set(JWT_METADATA_KEY, { claims: payload });
          if (!cfg.forward) req.headers.remove("authorization");
          for (const c of cfg.claimToHeaders) {
            const v = payload[c.claim];
            if (v === undefined || v === null) continue;
            // Header values must not carry CR/LF/controls: strip them.
            const text = (typeof v === "string" ? v : JSON.stringify(v)).replace(CONTROL_CHARS, "");
            req.headers.add(c.header, text);
          }
          return undefined;
        },
        (err: unknown) => unauthorized(`Bearer realm="switchyard", error="invalid_token", error_description="${describe(err)}"`, `Jwt verification fails: ${describe(err)}`),
      );
    },
  };
}

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

function unauthorized(challenge: string, body: string): TFilterLocalReply {
  return { status: 401, flag: "UAEX", body: `${body}\n`, headers: { "www-authenticate": challenge } };
}

/** A short, quote-free reason (jose's codes: ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED, ...). */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return (e.message ?? e.code ?? "invalid token").replace(/["\\\r\n]/g, "'").slice(0, 200);
}
