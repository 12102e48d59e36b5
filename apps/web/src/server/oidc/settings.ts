import { readFileSync } from "node:fs";
import type { TRole } from "@switchyard/db";
import type { TEnv } from "../../env.ts";

/** Highest first: a user in several mapped groups gets the highest role among them. */
const ROLES_BY_RANK: readonly TRole[] = ["admin", "editor", "viewer"];

/** `admin=platform-admins,editor=platform-devs,viewer=*` parsed: per role, the claim values granting it ("*" = any signed-in user). */
export type TRoleMap = Readonly<Record<TRole, readonly string[]>>;

export type TOidcSettings = Readonly<{
  issuer: URL;
  clientId: string;
  /** Undefined: a public client (token endpoint auth "none"; PKCE protects the code). */
  clientSecret: string | undefined;
  redirectUrl: URL;
  scopes: string;
  roleClaim: string;
  roleMap: TRoleMap;
  providerName: string;
  /** Where the provider sends the browser after ending its session (RP-initiated logout), or null: logout is the console's only. */
  postLogoutRedirectUrl: URL | null;
}>;

type TOidcEnv = Pick<
  TEnv,
  | "SWITCHYARD_OIDC_ISSUER"
  | "SWITCHYARD_OIDC_CLIENT_ID"
  | "SWITCHYARD_OIDC_CLIENT_SECRET"
  | "SWITCHYARD_OIDC_CLIENT_SECRET_FILE"
  | "SWITCHYARD_PUBLIC_URL"
  | "SWITCHYARD_OIDC_REDIRECT_URL"
  | "SWITCHYARD_OIDC_SCOPES"
  | "SWITCHYARD_OIDC_ROLE_CLAIM"
  | "SWITCHYARD_OIDC_ROLE_MAP"
  | "SWITCHYARD_OIDC_PROVIDER_NAME"
  | "SWITCHYARD_OIDC_PROVIDER_LOGOUT"
>;

export const OIDC_CALLBACK_PATH = "/api/auth/oidc/callback";
export const OIDC_LOGIN_PATH = "/api/auth/oidc/login";

/** Parses SWITCHYARD_OIDC_ROLE_MAP; throws a message naming the bad entry. A role may repeat (`admin=sre,admin=ops`). */
export function parseRoleMap(text: string): TRoleMap {
  const map: Record<TRole, string[]> = { admin: [], editor: [], viewer: [] };
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf("=");
    const role = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim();
    if (eq < 0 || !value) throw new Error(`"${entry}" is not role=claim-value`);
    if (!(ROLES_BY_RANK as readonly string[]).includes(role)) throw new Error(`"${entry}": the role must be admin, editor or viewer`);
    map[role as TRole].push(value);
  }
  if (ROLES_BY_RANK.every((r) => map[r].length === 0)) throw new Error("maps no role (e.g. admin=platform-admins,viewer=*)");
  return map;
}

/** http only on a loopback address (a provider on the same machine, as in the tests); anything else must be https. */
function insecureRemote(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

/** The environment's OIDC mistakes, each naming its variable (env.ts reports them all at start). */
export function oidcEnvIssues(env: TOidcEnv): { name: keyof TOidcEnv; message: string }[] {
  const issues: { name: keyof TOidcEnv; message: string }[] = [];
  if (env.SWITCHYARD_OIDC_ISSUER && insecureRemote(env.SWITCHYARD_OIDC_ISSUER)) {
    issues.push({ name: "SWITCHYARD_OIDC_ISSUER", message: "SWITCHYARD_OIDC_ISSUER must be https (http only on 127.0.0.1 / localhost)" });
  }
  if (!env.SWITCHYARD_OIDC_CLIENT_ID) issues.push({ name: "SWITCHYARD_OIDC_CLIENT_ID", message: "SWITCHYARD_OIDC_CLIENT_ID is required with SWITCHYARD_OIDC_ISSUER" });
  if (env.SWITCHYARD_OIDC_CLIENT_SECRET && env.SWITCHYARD_OIDC_CLIENT_SECRET_FILE) {
    issues.push({ name: "SWITCHYARD_OIDC_CLIENT_SECRET_FILE", message: "set SWITCHYARD_OIDC_CLIENT_SECRET or SWITCHYARD_OIDC_CLIENT_SECRET_FILE, not both" });
  }
  if (!env.SWITCHYARD_OIDC_REDIRECT_URL && !env.SWITCHYARD_PUBLIC_URL) {
    issues.push({
      name: "SWITCHYARD_PUBLIC_URL",
      message: `SWITCHYARD_PUBLIC_URL (the console's address as browsers reach it) or SWITCHYARD_OIDC_REDIRECT_URL is required with SWITCHYARD_OIDC_ISSUER (the provider sends the browser back to ${OIDC_CALLBACK_PATH})`,
    });
  }
  if (!env.SWITCHYARD_OIDC_ROLE_MAP) {
    issues.push({ name: "SWITCHYARD_OIDC_ROLE_MAP", message: "SWITCHYARD_OIDC_ROLE_MAP is required with SWITCHYARD_OIDC_ISSUER (e.g. admin=platform-admins,editor=platform-devs,viewer=*)" });
  } else {
    try {
      parseRoleMap(env.SWITCHYARD_OIDC_ROLE_MAP);
    } catch (err) {
      issues.push({ name: "SWITCHYARD_OIDC_ROLE_MAP", message: `SWITCHYARD_OIDC_ROLE_MAP: ${(err as Error).message}` });
    }
  }
  if (!/(^|\s)openid(\s|$)/.test(env.SWITCHYARD_OIDC_SCOPES)) issues.push({ name: "SWITCHYARD_OIDC_SCOPES", message: 'SWITCHYARD_OIDC_SCOPES must include "openid"' });
  return issues;
}

/** The OIDC settings of a validated environment, or null when OIDC is off. Reads the secret file (a mounted secret) once. */
export function oidcSettingsFromEnv(env: TOidcEnv): TOidcSettings | null {
  if (!env.SWITCHYARD_OIDC_ISSUER) return null;
  const issuer = new URL(env.SWITCHYARD_OIDC_ISSUER);
  let clientSecret = env.SWITCHYARD_OIDC_CLIENT_SECRET;
  if (env.SWITCHYARD_OIDC_CLIENT_SECRET_FILE) {
    try {
      clientSecret = readFileSync(env.SWITCHYARD_OIDC_CLIENT_SECRET_FILE, "utf8").trim();
    } catch (err) {
      throw new Error(`SWITCHYARD_OIDC_CLIENT_SECRET_FILE: cannot read ${env.SWITCHYARD_OIDC_CLIENT_SECRET_FILE} (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
    }
    if (!clientSecret) throw new Error(`SWITCHYARD_OIDC_CLIENT_SECRET_FILE: ${env.SWITCHYARD_OIDC_CLIENT_SECRET_FILE} is empty`);
  }
  const redirectUrl = new URL(env.SWITCHYARD_OIDC_REDIRECT_URL ?? new URL(OIDC_CALLBACK_PATH, env.SWITCHYARD_PUBLIC_URL).href);
  return Object.freeze({
    issuer,
    clientId: env.SWITCHYARD_OIDC_CLIENT_ID!,
    clientSecret,
    redirectUrl,
    scopes: env.SWITCHYARD_OIDC_SCOPES,
    roleClaim: env.SWITCHYARD_OIDC_ROLE_CLAIM,
    roleMap: Object.freeze(parseRoleMap(env.SWITCHYARD_OIDC_ROLE_MAP!)),
    providerName: env.SWITCHYARD_OIDC_PROVIDER_NAME ?? issuer.hostname,
    postLogoutRedirectUrl: env.SWITCHYARD_OIDC_PROVIDER_LOGOUT === "on" ? new URL("/login", redirectUrl) : null,
  });
}

/** The claim at a dotted path (`realm_access.roles`), as a list of strings; undefined when absent. */
export function claimValues(claims: Record<string, unknown>, path: string): string[] | undefined {
  let value: unknown = claims;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return undefined;
}

export type TRoleDecision = { role: TRole } | { refused: "claim_missing" } | { refused: "no_role"; values: string[] };

/**
 * The console role for a user's claims: the highest role one of whose values the claim
 * holds; "*" grants its role to anyone the provider signed in, claim or not. No match = no
 * access (the user is refused, not made a viewer).
 */
export function roleForClaims(claims: Record<string, unknown>, roleClaim: string, roleMap: TRoleMap): TRoleDecision {
  const values = claimValues(claims, roleClaim);
  for (const role of ROLES_BY_RANK) {
    if (roleMap[role].some((v) => v === "*" || (values?.includes(v) ?? false))) return { role };
  }
  return values === undefined ? { refused: "claim_missing" } : { refused: "no_role", values };
}
