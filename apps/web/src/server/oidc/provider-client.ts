import * as oidc from "openid-client";
import type { TOidcSettings } from "./settings.ts";
import { signinFailure } from "./failures.ts";

/**
 * The console's side of the authorization code flow, through openid-client (certified
 * OpenID RP): discovery, the authorization URL with PKCE (S256), state and nonce, and the
 * callback's checks (state, issuer, code exchange, ID token signature, audience, nonce).
 * Nothing here logs: tokens, the client secret and the code verifier stay in memory.
 */

/** One flow in progress: kept in the browser's flow cookie until the callback. */
export type TFlow = { state: string; nonce: string; verifier: string; next: string };

/** What the provider vouches for, after every check passed. */
export type TOidcIdentity = { issuer: string; subject: string; email: string | undefined; emailVerified: boolean | undefined; claims: Record<string, unknown> };

const DISCOVERY_TIMEOUT_S = 10;
/** The provider's metadata is cached this long (keys rotate through the JWKS, which openid-client refetches itself). */
const DISCOVERY_TTL_MS = 60 * 60_000;

export type TProviderClient = {
  /** A new flow and the provider URL to send the browser to. */
  begin(next: string): Promise<{ flow: TFlow; url: URL }>;
  /** Checks the callback URL against the flow and returns the verified identity. */
  finish(callbackUrl: URL, flow: TFlow): Promise<TOidcIdentity>;
  /** The provider's end-session URL (RP-initiated logout), or null when off, unsupported or unreachable. */
  endSessionUrl(): Promise<URL | null>;
};

export function createProviderClient(settings: TOidcSettings): TProviderClient {
  let cached: { config: oidc.Configuration; at: number } | undefined;

  async function configuration(): Promise<oidc.Configuration> {
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(settings.issuer, settings.clientId, settings.clientSecret, undefined, {
        timeout: DISCOVERY_TIMEOUT_S,
        // settings.ts accepts http only for a loopback issuer.
        ...(settings.issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw signinFailure("provider_unreachable", describe(err), { cause: err });
    }
    const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
    // openid-client posts the secret in the body; a provider that takes it only as HTTP Basic gets that.
    if (settings.clientSecret && methods && !methods.includes("client_secret_post") && methods.includes("client_secret_basic")) {
      config = new oidc.Configuration(config.serverMetadata(), settings.clientId, settings.clientSecret, oidc.ClientSecretBasic(settings.clientSecret));
      if (settings.issuer.protocol === "http:") oidc.allowInsecureRequests(config);
    }
    cached = { config, at: Date.now() };
    return config;
  }

  return {
    async begin(next) {
      const config = await configuration();
      const flow: TFlow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), next };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl.href,
        scope: settings.scopes,
        code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: "S256",
        state: flow.state,
        nonce: flow.nonce,
      });
      return { flow, url };
    },

    async finish(callbackUrl, flow) {
      // The provider's own refusal (consent denied, login cancelled) comes back as ?error=.
      const error = callbackUrl.searchParams.get("error");
      if (error) {
        throw signinFailure(error === "access_denied" ? "access_denied" : "provider_error", `${error}${descriptionOf(callbackUrl)}`);
      }
      if (callbackUrl.searchParams.get("state") !== flow.state) throw signinFailure("state_mismatch", "the state parameter does not match this browser's sign-in");
      const config = await configuration();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
      } catch (err) {
        throw signinFailure(isTransport(err) ? "provider_unreachable" : "token_rejected", describe(err), { cause: err });
      }
      const idClaims = tokens.claims();
      if (!idClaims) throw signinFailure("token_rejected", "the provider returned no ID token");
      let claims: Record<string, unknown> = { ...idClaims };
      // Many providers put e-mail and groups only in UserInfo (ID tokens are kept small).
      if (config.serverMetadata().userinfo_endpoint) {
        try {
          const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
          // UserInfo adds what the ID token lacks; the ID token's signed claims win.
          claims = { ...info, ...idClaims };
        } catch (err) {
          throw signinFailure(isTransport(err) ? "provider_unreachable" : "token_rejected", `userinfo: ${describe(err)}`, { cause: err });
        }
      }
      return {
        issuer: idClaims.iss,
        subject: idClaims.sub,
        email: typeof claims.email === "string" ? claims.email : undefined,
        emailVerified: typeof claims.email_verified === "boolean" ? claims.email_verified : undefined,
        claims,
      };
    },

    async endSessionUrl() {
      if (!settings.postLogoutRedirectUrl) return null;
      // Logging out must work when the provider does not answer: then it ends the console session only.
      const config = await configuration().catch(() => null);
      if (!config?.serverMetadata().end_session_endpoint) return null;
      return oidc.buildEndSessionUrl(config, { client_id: settings.clientId, post_logout_redirect_uri: settings.postLogoutRedirectUrl.href });
    },
  };
}

function descriptionOf(url: URL): string {
  const d = url.searchParams.get("error_description");
  return d ? `: ${d.slice(0, 200)}` : "";
}

/**
 * Whether the provider failed to answer (as opposed to answering "no"): a network error or
 * timeout anywhere in the cause chain (openid-client wraps them), or an answer that is not
 * OAuth at all (an HTML error page from a proxy in front of the provider).
 */
function isTransport(err: unknown): boolean {
  for (let e = err as { name?: string; message?: string; code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.name === "TimeoutError" || e.name === "AbortError" || e.code === "OAUTH_RESPONSE_IS_NOT_CONFORM") return true;
    if (e instanceof TypeError && /fetch failed/.test(e.message)) return true;
  }
  return false;
}

/** A one-line reason without secrets: error names and messages only (never the request, which may carry the code). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message})` : "";
  return `${err.message}${cause}`.slice(0, 300);
}
