import { z } from "zod";
import { LOG_LEVELS } from "@switchyard/config-model";
import { oidcEnvIssues } from "./server/oidc/settings.ts";

/**
 * The console's environment, validated once at start (STYLE.md habit 3: the only reader
 * of process.env). Empty strings count as unset so `FOO= npm start` does not enable a
 * feature with an empty secret.
 */
const optionalSecret = z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional());
const optionalUrl = (name: string) =>
  z.preprocess((v) => (v === "" ? undefined : v), z.url({ protocol: /^https?$/, error: `${name} must be an http(s) URL` }).optional());

export const ZEnv = z
  .object({
    DATABASE_URL: z
      .string({ error: "DATABASE_URL is required (a postgres:// URL; `npm start` supplies an embedded one)" })
      .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// or postgresql:// URL"),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    /** Bearer token always accepted by the REST API. */
    SWITCHYARD_API_TOKEN: optionalSecret,
    SWITCHYARD_ADMIN_EMAIL: z.preprocess((v) => (v === "" ? undefined : v), z.string().regex(/^[^\s@]+@[^\s@]+$/, "SWITCHYARD_ADMIN_EMAIL must be an email address").optional()),
    SWITCHYARD_ADMIN_PASSWORD: optionalSecret,
    /** Token proxy nodes present on /api/xds; unset = nodes are not authenticated. */
    SWITCHYARD_NODE_TOKEN: optionalSecret,
    /**
     * 32-byte key (64 hex digits or base64) sealing private keys at rest (AES-256-GCM).
     * Required in production; `npm start` generates one under .data/ when unset.
     */
    SWITCHYARD_SECRET_KEY: optionalSecret,
    /** Comma-separated previous keys: still decrypt, re-encrypted under the current key at start. */
    SWITCHYARD_SECRET_KEY_PREVIOUS: optionalSecret,
    /**
     * PEM files: the console serves HTTPS and WSS (the control plane carries TLS private
     * keys to the nodes); both or neither. With SWITCHYARD_TLS_CLIENT_CA, nodes must present
     * a client certificate signed by that CA on /api/xds.
     */
    SWITCHYARD_TLS_CERT: optionalSecret,
    SWITCHYARD_TLS_KEY: optionalSecret,
    SWITCHYARD_TLS_CLIENT_CA: optionalSecret,
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    /** Event log threshold on stdout: debug, info (default), warn or error. */
    SWITCHYARD_LOG_LEVEL: z.preprocess((v) => (v === "" ? undefined : v), z.enum(LOG_LEVELS, { error: `SWITCHYARD_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` }).default("info")),
    /** Telemetry retention: 10 s stats buckets (hours, default 24), 1 min rollups (days, default 7), spans (hours, default 24). */
    SWITCHYARD_STATS_RAW_RETENTION_HOURS: z.coerce.number().positive("must be > 0").default(24),
    SWITCHYARD_STATS_ROLLUP_RETENTION_DAYS: z.coerce.number().positive("must be > 0").default(7),
    SWITCHYARD_SPAN_RETENTION_HOURS: z.coerce.number().positive("must be > 0").default(24),
    /** Nodes neither connected nor seen for this many hours are forgotten; default 24. */
    SWITCHYARD_NODE_FORGET_HOURS: z.coerce.number().positive("must be > 0").default(24),
    /** How often the rollup + retention job runs, in ms; default 60000. */
    SWITCHYARD_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000, "must be >= 1000").default(60_000),
    /** "off": serve the REST API, tRPC and /api/xds without the pages (no `next build` needed: API-only replicas, the control-plane bench). Default "on". */
    SWITCHYARD_CONSOLE_UI: z.enum(["on", "off"], { error: "SWITCHYARD_CONSOLE_UI must be on or off" }).default("on"),
    /**
     * OIDC sign-in (docs/oidc.md), beside local users: on when the issuer is set. The issuer
     * URL (https; http only on a loopback address), the client registered there, its secret
     * (or a file holding it; neither = a public client, PKCE only) and where the provider
     * sends the browser back: SWITCHYARD_OIDC_REDIRECT_URL, default
     * SWITCHYARD_PUBLIC_URL + /api/auth/oidc/callback.
     */
    SWITCHYARD_OIDC_ISSUER: optionalUrl("SWITCHYARD_OIDC_ISSUER"),
    SWITCHYARD_OIDC_CLIENT_ID: optionalSecret,
    SWITCHYARD_OIDC_CLIENT_SECRET: optionalSecret,
    SWITCHYARD_OIDC_CLIENT_SECRET_FILE: optionalSecret,
    /** The console's address as browsers reach it (e.g. https://console.example.com). */
    SWITCHYARD_PUBLIC_URL: optionalUrl("SWITCHYARD_PUBLIC_URL"),
    SWITCHYARD_OIDC_REDIRECT_URL: optionalUrl("SWITCHYARD_OIDC_REDIRECT_URL"),
    /** Space-separated scopes asked for; default "openid email profile". */
    SWITCHYARD_OIDC_SCOPES: z.preprocess((v) => (v === "" ? undefined : v), z.string().default("openid email profile")),
    /** The claim holding the user's groups or roles (a dotted path such as realm_access.roles); default "groups". */
    SWITCHYARD_OIDC_ROLE_CLAIM: z.preprocess((v) => (v === "" ? undefined : v), z.string().default("groups")),
    /** Console role per claim value, e.g. "admin=platform-admins,editor=platform-devs,viewer=*"; required with the issuer. */
    SWITCHYARD_OIDC_ROLE_MAP: optionalSecret,
    /**
     * "on": logging out of the console also ends the session at the provider (RP-initiated
     * logout; register <public URL>/login as a post-logout redirect URI there). Default "off".
     */
    SWITCHYARD_OIDC_PROVIDER_LOGOUT: z.enum(["on", "off"], { error: "SWITCHYARD_OIDC_PROVIDER_LOGOUT must be on or off" }).default("off"),
    /** The name on the "Sign in with …" button; default the issuer's host name. */
    SWITCHYARD_OIDC_PROVIDER_NAME: optionalSecret,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && env.SWITCHYARD_SECRET_KEY === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHYARD_SECRET_KEY"],
        message: "SWITCHYARD_SECRET_KEY is required in production (32 bytes as 64 hex digits or base64, e.g. `openssl rand -base64 32`): private keys are encrypted with it",
      });
    }
    for (const name of ["SWITCHYARD_SECRET_KEY", "SWITCHYARD_SECRET_KEY_PREVIOUS"] as const) {
      for (const key of env[name]?.split(",") ?? []) {
        const t = key.trim();
        const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? 32 : Buffer.from(t, "base64").length;
        if (bytes !== 32) ctx.addIssue({ code: "custom", path: [name], message: `${name} must be 32 bytes as 64 hex digits or base64 (got ${bytes} bytes)` });
      }
    }
    if ((env.SWITCHYARD_TLS_CERT === undefined) !== (env.SWITCHYARD_TLS_KEY === undefined)) {
      ctx.addIssue({ code: "custom", path: ["SWITCHYARD_TLS_KEY"], message: "SWITCHYARD_TLS_CERT and SWITCHYARD_TLS_KEY must be set together" });
    }
    if (env.SWITCHYARD_TLS_CLIENT_CA !== undefined && env.SWITCHYARD_TLS_CERT === undefined) {
      ctx.addIssue({ code: "custom", path: ["SWITCHYARD_TLS_CLIENT_CA"], message: "SWITCHYARD_TLS_CLIENT_CA needs SWITCHYARD_TLS_CERT and SWITCHYARD_TLS_KEY (client certificates are a TLS feature)" });
    }
    if ((env.SWITCHYARD_ADMIN_EMAIL === undefined) !== (env.SWITCHYARD_ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["SWITCHYARD_ADMIN_PASSWORD"],
        message: "SWITCHYARD_ADMIN_EMAIL and SWITCHYARD_ADMIN_PASSWORD must be set together",
      });
    }
    if (env.SWITCHYARD_OIDC_ISSUER !== undefined) {
      for (const issue of oidcEnvIssues(env)) ctx.addIssue({ code: "custom", path: [issue.name], message: issue.message });
    }
  });

export type TEnv = z.infer<typeof ZEnv>;

/** Parses the environment; throws one error naming every bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): TEnv {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new Error(`invalid environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
