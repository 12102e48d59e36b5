/**
 * OIDC sign-in against a REAL OpenID provider process (oidc-provider, see
 * helpers/oidc-provider-process.ts) and real PostgreSQL: the console's callback paths
 * (success, role from the claim at each sign-in, refusals, tampering, a provider that is
 * down), the session they make (the same cookies as a password login), audit rows, and
 * that secrets stay out of the log. A small cookie jar plays the browser.
 */
import { createServer, type Server } from "node:http";
import { createUser, ensureAdminUser, listAudit } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { Agent, fetch as fetchVia } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";
import { createTrpcHandler } from "../src/server/api/handler.ts";
import { csrfTokenFor } from "../src/server/api/session-cookie.ts";
import { createRequestListener } from "../src/server/http-server.ts";
import { createOidcHandler } from "../src/server/oidc/handler.ts";
import { createProviderClient } from "../src/server/oidc/provider-client.ts";
import { OIDC_LOGIN_PATH, oidcSettingsFromEnv, parseRoleMap, roleForClaims, type TOidcSettings } from "../src/server/oidc/settings.ts";
import { freePort } from "./helpers/start-console.ts";
import { startOidcProvider, type TOidcAccount, type TOidcProvider } from "./helpers/start-oidc-provider.ts";

const ACCOUNTS: Record<string, TOidcAccount> = {
  alice: { email: "alice@example.test", groups: ["platform-admins", "staff"] },
  victor: { email: "victor@example.test", groups: ["platform-readers"] },
  nora: { email: "nora@example.test", groups: ["sales"] },
  gail: { email: "gail@example.test" },
  taken: { email: "taken@example.test", groups: ["platform-admins"] },
};
const ROLE_MAP = "admin=platform-admins,editor=platform-devs,viewer=platform-readers";

let t: TTestDatabase;
let provider: TOidcProvider;
let settings: TOidcSettings;
let base: string;
const servers: Server[] = [];
const agents: Agent[] = [];
const events: { event: string; fields?: Record<string, unknown> }[] = [];
const log = (event: string, fields?: Record<string, unknown>) => void events.push({ event, fields });

/** A console HTTP listener (the production one) with the given OIDC settings on `port`. */
async function serveConsole(port: number, s: TOidcSettings | null): Promise<string> {
  const client = s ? createProviderClient(s) : null;
  const listener = createRequestListener({
    rest: async () => false,
    trpc: createTrpcHandler({ db: t.db, log, oidcProvider: s ? { name: s.providerName, loginPath: OIDC_LOGIN_PATH } : null, oidcEndSessionUrl: async () => client?.endSessionUrl() ?? null }),
    oidc: createOidcHandler({ db: t.db, log, settings: s, client }),
    next: async (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("a console page"),
    log,
  });
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return `http://127.0.0.1:${port}`;
}

/**
 * Each browser connects from its own loopback address (127.0.0.2, .3...): refused sign-ins
 * are failed logins that back off per source address, and only the last test is about that.
 */
let nextHost = 2;

/** Cookies per origin, as a browser keeps them (path ignored: every test path is under one origin's roots). */
class Browser {
  jar = new Map<string, Map<string, string>>();
  readonly address: string;
  readonly #agent: Agent;
  constructor(address = `127.0.0.${nextHost++}`) {
    this.address = address;
    this.#agent = new Agent({ localAddress: address });
    agents.push(this.#agent);
  }
  cookieHeader(url: URL): string {
    return [...(this.jar.get(url.origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  store(url: URL, res: { headers: { getSetCookie(): string[] } }) {
    const cookies = this.jar.get(url.origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      if (attrs.some((a) => /max-age=0/i.test(a.trim()))) cookies.delete(name);
      else cookies.set(name, pair!.slice(eq + 1).trim());
    }
    this.jar.set(url.origin, cookies);
  }
  /**
   * Requests `url` and follows redirects like a browser, stopping at a page (non-3xx) or,
   * with `stopAt`, before requesting a URL it matches (to inspect or tamper with it).
   */
  async go(url: string, opts: { method?: string; form?: Record<string, string>; stopAt?: (u: URL) => boolean } = {}): Promise<{ res: Awaited<ReturnType<typeof fetchVia>>; url: URL; text: string; setCookies: string[]; stoppedAt?: URL }> {
    let current = new URL(url);
    let method = opts.method ?? "GET";
    let body: string | undefined = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    for (let hops = 0; hops < 20; hops++) {
      const res = await fetchVia(current, {
        dispatcher: this.#agent,
        method,
        redirect: "manual",
        headers: { cookie: this.cookieHeader(current), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
        ...(body ? { body } : {}),
      });
      this.store(current, res);
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        const nextUrl = new URL(location, current);
        if (opts.stopAt?.(nextUrl)) return { res, url: current, text: await res.text(), setCookies: res.headers.getSetCookie(), stoppedAt: nextUrl };
        // The final hop: the console sends the signed-in browser to its page.
        if (current.pathname.startsWith("/api/auth/oidc/callback")) return { res, url: current, text: await res.text(), setCookies: res.headers.getSetCookie() };
        current = nextUrl;
        method = "GET";
        body = undefined;
        continue;
      }
      return { res, url: current, text: await res.text(), setCookies: res.headers.getSetCookie() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Starts sign-in at the console and signs in at the provider as `login`, up to its consent page. */
  async toConsent(login: string, next = "/routes") {
    const loginPage = await this.go(`${base}${OIDC_LOGIN_PATH}?next=${encodeURIComponent(next)}`);
    expect(loginPage.url.origin, loginPage.text).toBe(provider.issuer);
    expect(loginPage.text).toContain('name="login"');
    const consent = await this.go(loginPage.url.href, { method: "POST", form: { prompt: "login", login, password: "anything" } });
    expect(consent.text).toContain('value="consent"');
    return consent;
  }

  /** The whole sign-in of `login` (consent given), answered by the console's callback. */
  async signIn(login: string, next = "/routes") {
    const consent = await this.toConsent(login, next);
    return this.go(consent.url.href, { method: "POST", form: { prompt: "consent" } });
  }

  session(): string | undefined {
    return this.jar.get(new URL(base).origin)?.get("swy_session");
  }
}

async function me(browser: Browser) {
  const session = browser.session();
  const res = await fetch(`${base}/api/trpc/auth.me`, { headers: { cookie: browser.cookieHeader(new URL(base)), ...(session ? { "x-swy-csrf": csrfTokenFor(decodeURIComponent(session)) } : {}) } });
  return ((await res.json()) as { result?: { data: { email: string; role: string } | null } }).result?.data ?? null;
}

async function auditRows(action: string) {
  return listAudit(t.db, { action, limit: 100 });
}

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureAdminUser(t.db, "admin@switchyard.test", "local-admin-password");
  await createUser(t.db, { email: "taken@example.test", password: "taken-password", role: "viewer" });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({ redirectUri: `${base}/api/auth/oidc/callback`, accounts: ACCOUNTS });
  const env = loadEnv({
    DATABASE_URL: "postgres://unused",
    SWITCHYARD_OIDC_ISSUER: provider.issuer,
    SWITCHYARD_OIDC_CLIENT_ID: provider.clientId,
    SWITCHYARD_OIDC_CLIENT_SECRET: provider.clientSecret,
    SWITCHYARD_PUBLIC_URL: base,
    SWITCHYARD_OIDC_SCOPES: "openid email profile groups",
    SWITCHYARD_OIDC_ROLE_MAP: ROLE_MAP,
    SWITCHYARD_OIDC_PROVIDER_NAME: "Test IdP",
    SWITCHYARD_OIDC_PROVIDER_LOGOUT: "on",
  });
  settings = oidcSettingsFromEnv(env)!;
  await serveConsole(port, settings);
}, 120_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await provider?.stop();
  await t?.drop();
});

describe("OIDC settings", () => {
  it("parses the role map and maps the highest role among the claim's values; no match is no access", () => {
    const map = parseRoleMap("admin=platform-admins, editor=platform-devs,admin=sre ,viewer=*");
    expect(map).toEqual({ admin: ["platform-admins", "sre"], editor: ["platform-devs"], viewer: ["*"] });
    expect(roleForClaims({ groups: ["platform-devs", "sre"] }, "groups", map)).toEqual({ role: "admin" });
    expect(roleForClaims({ groups: "platform-devs" }, "groups", map)).toEqual({ role: "editor" });
    expect(roleForClaims({}, "groups", map)).toEqual({ role: "viewer" });
    const strict = parseRoleMap(ROLE_MAP);
    expect(roleForClaims({ realm_access: { roles: ["platform-readers"] } }, "realm_access.roles", strict)).toEqual({ role: "viewer" });
    expect(roleForClaims({ groups: ["sales"] }, "groups", strict)).toEqual({ refused: "no_role", values: ["sales"] });
    expect(roleForClaims({ email: "x" }, "groups", strict)).toEqual({ refused: "claim_missing" });
  });

  it("refuses a bad OIDC environment at start, naming each variable", () => {
    const bad = () =>
      loadEnv({ DATABASE_URL: "postgres://x", SWITCHYARD_OIDC_ISSUER: "http://idp.example.com", SWITCHYARD_OIDC_ROLE_MAP: "owner=platform-admins", SWITCHYARD_OIDC_CLIENT_SECRET: "a", SWITCHYARD_OIDC_CLIENT_SECRET_FILE: "/x" });
    expect(bad).toThrow(/SWITCHYARD_OIDC_ISSUER must be https/);
    expect(bad).toThrow(/SWITCHYARD_OIDC_CLIENT_ID is required/);
    expect(bad).toThrow(/not both/);
    expect(bad).toThrow(/SWITCHYARD_PUBLIC_URL/);
    expect(bad).toThrow(/SWITCHYARD_OIDC_ROLE_MAP: "owner=platform-admins": the role must be admin, editor or viewer/);
    // Secrets are not echoed in the error.
    try {
      bad();
    } catch (err) {
      expect((err as Error).message).not.toMatch(/CLIENT_SECRET: a\b/);
    }
    const ok = oidcSettingsFromEnv(loadEnv({ DATABASE_URL: "postgres://x", SWITCHYARD_OIDC_ISSUER: "https://idp.example.com/realms/x", SWITCHYARD_OIDC_CLIENT_ID: "c", SWITCHYARD_PUBLIC_URL: "https://console.example.com", SWITCHYARD_OIDC_ROLE_MAP: "viewer=*" }))!;
    expect(ok.redirectUrl.href).toBe("https://console.example.com/api/auth/oidc/callback");
    expect(ok.providerName).toBe("idp.example.com");
    expect(ok.clientSecret).toBeUndefined();
    expect(ok.scopes).toBe("openid email profile");
  });
});

describe("OIDC sign-in against a real provider", () => {
  it("offers the provider to the login page", async () => {
    const res = await fetch(`${base}/api/trpc/auth.providers`);
    expect(await res.json()).toEqual({ result: { data: { local: true, oidc: { name: "Test IdP", loginPath: "/api/auth/oidc/login" } } } });
  });

  it("signs in an admin through the provider's pages with code + PKCE + state + nonce, with the session cookies of every login", async () => {
    const browser = new Browser();
    const start = await fetch(`${base}${OIDC_LOGIN_PATH}?next=/routes`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get("location")!);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    for (const p of ["code_challenge", "state", "nonce"]) expect(to.searchParams.get(p)?.length).toBeGreaterThanOrEqual(43);
    expect(to.searchParams.get("response_type")).toBe("code");
    expect(to.searchParams.get("redirect_uri")).toBe(`${base}/api/auth/oidc/callback`);
    expect(start.headers.get("set-cookie")).toMatch(/^swy_oidc=[^;]+; Path=\/api\/auth\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);

    const done = await browser.signIn("alice");
    expect(done.res.status, done.text).toBe(302);
    expect(done.res.headers.get("location")).toBe("/routes");
    expect(done.setCookies.find((c) => c.startsWith("swy_session="))).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
    expect(done.setCookies.find((c) => c.startsWith("swy_csrf="))).toMatch(/; Path=\/; SameSite=Strict; /);
    expect(done.setCookies).toContain("swy_oidc=; Path=/api/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0");
    expect(await me(browser)).toMatchObject({ email: "alice@example.test", role: "admin" });

    const row = await t.db.prisma.user.findUniqueOrThrow({ where: { email: "alice@example.test" } });
    expect(row).toMatchObject({ oidcIssuer: provider.issuer, oidcSubject: "alice", passwordHash: null, role: "admin" });
    const audit = (await auditRows("auth.login")).find((a) => a.actor === "alice@example.test");
    expect(audit).toMatchObject({ target: "alice@example.test", ip: browser.address, details: { method: "oidc", issuer: provider.issuer, role: "admin", created: true } });
  });

  it("logs an OIDC user out of the console and sends them on to end the provider's session; a local user stays local", async () => {
    const browser = new Browser();
    expect((await browser.signIn("alice")).res.status).toBe(302);
    const logout = async (cookie: string, session: string) =>
      fetch(`${base}/api/trpc/auth.logout`, { method: "POST", headers: { cookie, "content-type": "application/json", "x-swy-csrf": csrfTokenFor(session) }, body: "null" });
    const res = await logout(browser.cookieHeader(new URL(base)), decodeURIComponent(browser.session()!));
    const redirect = new URL(((await res.json()) as { result: { data: { redirect: string } } }).result.data.redirect);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(`${provider.issuer}/session/end`);
    expect(Object.fromEntries(redirect.searchParams)).toEqual({ client_id: provider.clientId, post_logout_redirect_uri: `${base}/login` });
    expect(await me(browser)).toBeNull();
    // The provider accepts it: its confirmation page, then back to the console's login page.
    const confirm = await browser.go(redirect.href);
    expect(confirm.text).toContain("Yes, sign me out");
    const form = /<form[^>]*action="([^"]+)"[\s\S]*?name="xsrf" value="([^"]+)"/.exec(confirm.text)!;
    const done = await browser.go(new URL(form[1]!, confirm.url).href, { method: "POST", form: { xsrf: form[2]!, logout: "yes" }, stopAt: (u) => u.origin === base });
    expect(done.stoppedAt?.href).toBe(`${base}/login`);

    const local = await fetch(`${base}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "admin@switchyard.test", password: "local-admin-password" }) });
    const token = /swy_session=([^;]+)/.exec(local.headers.getSetCookie().join("\n"))![1]!;
    const localOut = await logout(`swy_session=${token}`, decodeURIComponent(token));
    expect(await localOut.json()).toEqual({ result: { data: { ok: true, redirect: null } } });
  });

  it("takes the role from the claim at every sign-in: a viewer moved to the admins' group is an admin next time, and their old sessions end", async () => {
    const first = new Browser();
    expect((await first.signIn("victor")).res.status).toBe(302);
    expect(await me(first)).toMatchObject({ email: "victor@example.test", role: "viewer" });

    provider.setAccounts({ ...ACCOUNTS, victor: { email: "victor@example.test", groups: ["platform-admins"] } });
    try {
      const second = new Browser();
      expect((await second.signIn("victor")).res.status).toBe(302);
      expect(await me(second)).toMatchObject({ role: "admin" });
      expect(await me(first)).toBeNull();
      const audit = (await auditRows("auth.login")).find((a) => a.actor === "victor@example.test");
      expect(audit?.details).toMatchObject({ method: "oidc", role: "admin", previousRole: "viewer" });
      expect(await t.db.prisma.user.count({ where: { email: "victor@example.test" } })).toBe(1);
    } finally {
      provider.setAccounts(ACCOUNTS);
    }
  });

  it("refuses a user whose groups map to no role with a clear 403 page, an audit row and no user", async () => {
    const browser = new Browser();
    const done = await browser.signIn("nora");
    expect(done.res.status).toBe(403);
    expect(done.res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(done.text).toContain("No access to this console");
    expect(done.text).toContain("none of your groups is mapped to a console role");
    expect(done.text).toContain("[sales]");
    expect(done.text).not.toMatch(/at .*\.ts:\d+/);
    expect(browser.session()).toBeUndefined();
    expect(await t.db.prisma.user.count({ where: { email: "nora@example.test" } })).toBe(0);
    const failed = (await auditRows("auth.login_failed")).find((a) => a.actor === "nora@example.test");
    expect(failed?.details).toEqual({ method: "oidc", reason: "no_role" });
  });

  it("refuses a user without the role claim (claim missing)", async () => {
    const done = await new Browser().signIn("gail");
    expect(done.res.status).toBe(403);
    expect(done.text).toContain("carries no role or group information");
    expect(done.text).toContain('the &#34;groups&#34; claim is missing');
  });

  it("refuses a tampered state and a callback from a browser that did not start the sign-in", async () => {
    const browser = new Browser();
    const consent = await browser.toConsent("alice");
    const stopped = await browser.go(consent.url.href, { method: "POST", form: { prompt: "consent" }, stopAt: (u) => u.pathname === "/api/auth/oidc/callback" });
    const callback = stopped.stoppedAt!;
    expect(callback.searchParams.get("code")).toBeTruthy();

    // The same code, replayed by another browser (login CSRF): no flow cookie there.
    const other = await new Browser().go(callback.href);
    expect(other.res.status).toBe(400);
    expect(other.text).toContain("This sign-in link is not valid");
    expect(other.text).toContain("no sign-in was started in this browser");

    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${callback.searchParams.get("state")}x`);
    const res = await browser.go(tampered.href);
    expect(res.res.status).toBe(400);
    expect(res.text).toContain("the state parameter does not match");
    expect(browser.session()).toBeUndefined();
    // The flow is single-use: the genuine callback after that finds no flow any more.
    const genuine = await browser.go(callback.href);
    expect(genuine.res.status).toBe(400);
    expect(browser.session()).toBeUndefined();
  });

  it("shows a cancelled consent as a page, not an error", async () => {
    const browser = new Browser();
    const consent = await browser.toConsent("alice");
    const done = await browser.go(`${consent.url.href}/abort`);
    expect(done.url.pathname).toBe("/api/auth/oidc/callback");
    expect(done.res.status).toBe(403);
    expect(done.text).toContain("Sign-in cancelled");
    expect(browser.session()).toBeUndefined();
  });

  it("refuses to take over a local user's e-mail (409 page); the local user still logs in with the password, and an OIDC user has none", async () => {
    const done = await new Browser().signIn("taken");
    expect(done.res.status).toBe(409);
    expect(done.text).toContain("This e-mail address is taken");
    expect(await t.db.prisma.user.findUniqueOrThrow({ where: { email: "taken@example.test" } })).toMatchObject({ oidcSubject: null, role: "viewer" });

    const login = async (email: string, password: string) =>
      fetch(`${base}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
    expect((await login("taken@example.test", "taken-password")).status).toBe(200);
    expect((await login("admin@switchyard.test", "local-admin-password")).status).toBe(200);
    // alice exists (OIDC, no password): no password opens her account.
    expect((await login("alice@example.test", "")).status).toBe(422);
    const res = await login("alice@example.test", "anything");
    expect(res.status).toBe(401);
  });

  it("answers a provider that is down with a 502 page naming the problem, and an unconfigured console with a 404 page", async () => {
    const deadPort = await freePort();
    const downBase = await serveConsole(await freePort(), { ...settings, issuer: new URL(`http://127.0.0.1:${deadPort}`) });
    const res = await fetch(`${downBase}${OIDC_LOGIN_PATH}`, { redirect: "manual" });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain("The identity provider did not answer");
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);

    const offBase = await serveConsole(await freePort(), null);
    const off = await fetch(`${offBase}${OIDC_LOGIN_PATH}`, { redirect: "manual" });
    expect(off.status).toBe(404);
    expect(await off.text()).toContain("Single sign-on is not configured");
    expect(await (await fetch(`${offBase}/api/trpc/auth.providers`)).json()).toEqual({ result: { data: { local: true, oidc: null } } });
  });

  it("never writes the client secret, codes or tokens to the log", () => {
    const text = JSON.stringify(events);
    expect(events.some((e) => e.event === "console.login" && e.fields?.method === "oidc")).toBe(true);
    expect(events.some((e) => e.event === "console.oidc.refused" && e.fields?.reason === "no_role")).toBe(true);
    expect(text).not.toContain(provider.clientSecret);
    expect(text).not.toMatch(/code=|access_token|id_token|eyJ/);
  });

  it("counts refused OIDC sign-ins toward the source's login back-off", async () => {
    // Five refusals from one address are free; its next attempt within the window waits, another address does not.
    const attacker = new Browser();
    for (let i = 0; i < 5; i++) expect((await attacker.go(`${base}/api/auth/oidc/callback?code=x&state=y`)).res.status).toBe(400);
    const refused = await attacker.go(`${base}${OIDC_LOGIN_PATH}`);
    expect(refused.res.status).toBe(429);
    expect(refused.res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.text).toContain("Too many failed sign-ins");
    expect((await new Browser().signIn("alice")).res.status).toBe(302);
  });
});
