/**
 * OIDC sign-in in a real browser (Debian's Chromium via playwright-core) against the real
 * console process and a REAL OpenID provider process (oidc-provider, signing in through
 * its own interaction pages): the login page offers "Sign in with <provider>" beside local
 * login; an admin signs in, publishes and logs out of the console and the provider; a
 * viewer signs in and cannot publish; a user whose groups map to no role is refused with a
 * page; a tampered state is refused; local users still log in. Screenshots go to
 * test-artifacts/oidc-signin/.
 */
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type TOidcProvider } from "../helpers/start-oidc-provider.ts";
import { artifactsDir, freePort, logIn, openBrowser, screenshotAfter, seedConfig, startConsole, withEvidence, type TConsoleHandle } from "./fixtures.ts";

const ARTIFACTS = artifactsDir("oidc-signin");
/** Each flow crosses two servers and several page loads: generous for a loaded machine. */
const FLOW_MS = 180_000;

let app: TConsoleHandle;
let provider: TOidcProvider;
let browser: Browser;
let page: Page;
const contexts: BrowserContext[] = [];

/** A fresh browser profile (no console session, no provider session). */
async function freshPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

/** From the console's login page through the provider's sign-in page, as `login`, up to its consent page. */
async function toConsentPage(p: Page, login: string): Promise<void> {
  await p.goto(`${app.url}/login`);
  await p.getByRole("link", { name: "Sign in with Acme SSO" }).click();
  await p.waitForURL((u) => u.origin === provider.issuer);
  await p.locator('input[name="login"]').fill(login);
  await p.locator('input[name="password"]').fill("any password");
  await p.getByRole("button", { name: "Sign-in" }).click();
  await p.getByRole("button", { name: "Continue" }).waitFor();
}

/** The whole sign-in at the provider, consent given. */
async function signInAtProvider(p: Page, login: string): Promise<void> {
  await toConsentPage(p, login);
  await p.getByRole("button", { name: "Continue" }).click();
}

/** A fresh profile signed in at the provider as `login`, landed on the console as `whoami` ("email role"). */
async function signedInAs(login: string, whoami: string): Promise<void> {
  await freshPage();
  await signInAtProvider(page, login);
  await page.waitForURL(`${app.url}/overview`);
  await expect.poll(() => page.getByTestId("whoami").textContent()).toBe(whoami);
}

/** This browser has no console session: a console page sends it to the login page. */
async function expectNoSession(): Promise<void> {
  await page.goto(`${app.url}/overview`);
  await page.waitForURL((u) => u.pathname === "/login");
}

beforeAll(async () => {
  const port = await freePort();
  const consoleUrl = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    redirectUri: `${consoleUrl}/api/auth/oidc/callback`,
    accounts: {
      ada: { email: "ada@acme.test", groups: ["platform-admins"] },
      vic: { email: "vic@acme.test", groups: ["platform-readers"] },
      nora: { email: "nora@acme.test", groups: ["sales"] },
    },
  });
  app = await startConsole({
    port,
    env: {
      SWITCHYARD_OIDC_ISSUER: provider.issuer,
      SWITCHYARD_OIDC_CLIENT_ID: provider.clientId,
      SWITCHYARD_OIDC_CLIENT_SECRET: provider.clientSecret,
      SWITCHYARD_PUBLIC_URL: consoleUrl,
      SWITCHYARD_OIDC_SCOPES: "openid email profile groups",
      SWITCHYARD_OIDC_ROLE_MAP: "admin=platform-admins,editor=platform-devs,viewer=platform-readers",
      SWITCHYARD_OIDC_PROVIDER_NAME: "Acme SSO",
      SWITCHYARD_OIDC_PROVIDER_LOGOUT: "on",
    },
  });
  const route = (name: string) => ({ name, match: { path: `/${name}` }, directResponse: { status: 200, body: name } });
  await seedConfig(app, { listeners: [], routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [route("ping")] }] }], clusters: [] }, "v1");
  // A pending change for the admin to publish.
  await seedConfig(app, { listeners: [], routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [route("ping"), route("pong")] }] }], clusters: [] });
  ({ browser, page } = await openBrowser());
}, 600_000);

afterEach(async (ctx) => {
  await screenshotAfter(page, "oidc-signin", ctx.task);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await app?.stop();
  await provider?.stop();
});

describe("OIDC sign-in in the browser", () => {
  it("the login page offers the identity provider beside local login", async () => {
    await freshPage();
    await page.goto(`${app.url}/login`);
    const sso = page.getByRole("link", { name: "Sign in with Acme SSO" });
    await sso.waitFor();
    await expect.poll(() => page.getByRole("button", { name: "Log in" }).isVisible()).toBe(true);
    expect(await sso.getAttribute("href")).toBe("/api/auth/oidc/login?next=%2Foverview");
    await page.screenshot({ path: join(ARTIFACTS, "login-page.png") });
  }, FLOW_MS);

  it("an admin of the provider signs in through its pages, publishes, and logs out of the console and the provider", async () => {
    await signedInAs("ada", "ada@acme.test admin");
    await withEvidence(page, app, "oidc-admin-failure.png", async () => {
      await page.getByTestId("publish-open").click();
      const dialog = page.getByRole("dialog", { name: "Publish" });
      await dialog.getByLabel("Message").fill("published by an OIDC admin");
      await dialog.getByRole("button", { name: "Publish", exact: true }).click();
      await dialog.getByTestId("publish-result").getByText("Published version 2").waitFor();
      await page.keyboard.press("Escape");
      // Logging out ends the console session like a local one, then the provider's (RP-initiated logout).
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByRole("button", { name: "Yes, sign me out" }).click();
      await page.waitForURL(`${app.url}/login`);
      await expectNoSession();
      // The provider's session is gone too: signing in again asks for the login there.
      await page.getByRole("link", { name: "Sign in with Acme SSO" }).click();
      await page.locator('input[name="login"]').waitFor();
    });
  }, FLOW_MS);

  it("a viewer of the provider signs in read-only: no Publish, and the API refuses it", async () => {
    await signedInAs("vic", "vic@acme.test viewer");
    await withEvidence(page, app, "oidc-viewer-failure.png", async () => {
      await page.getByTestId("read-only-banner").waitFor();
      expect(await page.getByTestId("publish-open").count()).toBe(0);
      // The role holds on the server too: the page's own session, CSRF header and all, is refused.
      const status = await page.evaluate(async () => {
        const csrf = /(?:^|; )swy_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? "";
        const res = await fetch("/api/trpc/versions.publish", { method: "POST", headers: { "content-type": "application/json", "x-swy-csrf": decodeURIComponent(csrf) }, body: JSON.stringify({ message: "viewer" }) });
        return res.status;
      });
      expect(status).toBe(403);
    });
  }, FLOW_MS);

  it("a user whose groups map to no role is refused with a page, and has no session", async () => {
    await freshPage();
    await signInAtProvider(page, "nora");
    await page.getByRole("heading", { name: "No access to this console" }).waitFor();
    expect(await page.locator("body").innerText()).toContain("none of your groups is mapped to a console role");
    await page.screenshot({ path: join(ARTIFACTS, "no-role-page.png") });
    await page.getByRole("link", { name: "Back to sign-in" }).click();
    await page.waitForURL((u) => u.pathname === "/login");
    await expectNoSession();
  }, FLOW_MS);

  it("a tampered state is refused with a page", async () => {
    await freshPage();
    // Give consent with the page's own cookies but without following the redirects, to hold
    // the provider's redirect back to the console (code + state), then deliver it altered.
    await toConsentPage(page, "ada");
    const action = new URL((await page.locator('form:has(input[value="consent"])').getAttribute("action"))!, page.url());
    const consented = await page.request.post(action.href, { form: { prompt: "consent" }, maxRedirects: 0 });
    const resumed = await page.request.get(new URL(consented.headers().location!, action).href, { maxRedirects: 0 });
    const callback = new URL(resumed.headers().location!);
    expect(callback.pathname).toBe("/api/auth/oidc/callback");
    expect(callback.searchParams.get("code")).toBeTruthy();
    const tampered = new URL(callback);
    tampered.searchParams.set("state", "attacker-chosen-state");
    const res = await page.goto(tampered.href);
    expect(res?.status()).toBe(400);
    await page.getByRole("heading", { name: "This sign-in link is not valid" }).waitFor();
    // The flow was single-use: the genuine answer after the tampered one is refused too.
    expect((await page.goto(callback.href))?.status()).toBe(400);
    await expectNoSession();
  }, FLOW_MS);

  it("local users still log in with their password, and log out of the console only", async () => {
    await freshPage();
    await logIn(page, app);
    await expect.poll(() => page.getByTestId("whoami").textContent()).toBe(`${app.adminEmail} admin`);
    // The Users page marks the OIDC users (no password to reset).
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users", exact: true }).click();
    const ada = page.locator('tr[data-user="ada@acme.test"]');
    await ada.waitFor();
    expect(await ada.getByText("OIDC", { exact: true }).count()).toBe(1);
    expect(await page.locator('tr[data-user="nora@acme.test"]').count()).toBe(0);
    // A local user's logout stays in the console (no provider involved).
    await page.getByRole("button", { name: "Log out" }).click();
    // The login page, with or without `?next=`: a query of the page being left may meet the
    // ended session (401) and send it to /login?next=... before the logout's own redirect lands.
    await page.waitForURL((u) => u.origin === app.url && u.pathname === "/login");
    await expectNoSession();
  }, FLOW_MS);
});
