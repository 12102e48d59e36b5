/**
 * The TLS secret form and the stale-edit refusal in a real browser (issue #6): a secret
 * is created from a pasted certificate (its details shown beside it) and an uploaded
 * key, which the edit page never shows again; a proxy-wasm module is uploaded (its SHA-256
 * computed in the browser, its bytes never shown again); two tabs editing one rate-limit policy:
 * the second save is refused with what changed instead of overwriting the first; a
 * built-in filter without a form of its own (issue #14) edited as a YAML card.
 */
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileWat, minimalFilterWat } from "../../../proxy/test/helpers/wasm-modules.ts";
import { artifactsDir, logIn as logInAs, openBrowser, seedConfig, startConsole, type TConsoleHandle, gotoHydrated } from "./fixtures.ts";

const ARTIFACTS = artifactsDir();

let app: TConsoleHandle;
let browser: Browser;
let page: Page;
let dir: string;

function makeCertificate(): { cert: string; key: string; keyFile: string } {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const key = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const keyFile = join(dir, "key.pem");
  writeFileSync(keyFile, key);
  execFileSync("openssl", ["req", "-x509", "-key", keyFile, "-out", join(dir, "cert.pem"), "-days", "90", "-subj", "/CN=shop.example.com", "-addext", "subjectAltName=DNS:shop.example.com,DNS:www.shop.example.com"], { stdio: "ignore" });
  return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key, keyFile };
}

const logIn = (p: Page) => logInAs(p, app);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "swy-secret-form-"));
  app = await startConsole();
  await seedConfig(app, {
    rateLimitPolicies: [{ name: "per-ip", requests: 10 }],
    clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: 9 }] }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "app" } }] }] }],
  });
  ({ browser, page } = await openBrowser());
  await logIn(page);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.sequential("resource forms in a browser", () => {
  it("creates a TLS secret from a pasted certificate and an uploaded key; the key is never shown again", async () => {
    const { cert, key, keyFile } = makeCertificate();
    const keyBody = key.split("\n")[1]!;
    await gotoHydrated(page, `${app.url}/secrets/new`);
    await page.locator("#secret-name").fill("shop");
    await page.locator("#secret-certificate").fill(cert);
    const details = page.getByRole("complementary", { name: "Certificate details" });
    await details.getByText("DNS:shop.example.com, DNS:www.shop.example.com").waitFor();
    await details.getByText(/CN=shop\.example\.com/).first().waitFor();
    // No key yet: the error is next to the key field, nothing is sent.
    await page.getByRole("button", { name: "Create secret" }).click();
    await page.locator('.field:has(#secret-private-key) .field-error').getByText(/paste the PEM private key/).waitFor();
    await page.locator("#secret-private-key-file").setInputFiles(keyFile);
    await expect.poll(() => page.locator("#secret-private-key").inputValue()).toContain(keyBody);
    await page.getByRole("button", { name: "Create secret" }).click();
    await page.waitForURL(/\/secrets$/);
    await page.getByTestId("toast").getByText('Created secret "shop"').waitFor();

    // The edit page: details shown, the key field empty, the key nowhere in the page; saving keeps it.
    await page.goto(`${app.url}/secrets/shop`);
    await page.getByRole("complementary", { name: "Certificate details" }).getByText(/SHA-256 fingerprint/).waitFor();
    expect(await page.locator("#secret-private-key").inputValue()).toBe("");
    expect(await page.content()).not.toContain(keyBody);
    await page.getByRole("button", { name: "Save secret" }).click();
    await page.getByTestId("toast").getByText('Saved secret "shop"').waitFor();
    // The YAML tab shows the key redacted.
    await page.goto(`${app.url}/secrets/shop?view=yaml`);
    await expect.poll(() => page.getByLabel("Secret (YAML or JSON)").textContent()).toContain("[redacted]");
    expect(await page.content()).not.toContain(keyBody);
  });

  it("uploads a proxy-wasm module: SHA-256 computed in the browser, the bytes never shown again, listed with its size", async () => {
    const bytes = await compileWat(minimalFilterWat());
    const file = join(dir, "geo.wasm");
    writeFileSync(file, bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const b64 = bytes.toString("base64");
    await gotoHydrated(page, `${app.url}/secrets/new`);
    await page.locator("#secret-name").fill("geo");
    await page.locator("#secret-type").selectOption("wasmModule");
    // No module yet: refused next to the file field, nothing sent.
    await page.getByRole("button", { name: "Create secret" }).click();
    await page.locator(".field:has(#secret-wasm-file) .field-error").getByText(/upload the .wasm module/).waitFor();
    await page.locator("#secret-wasm-file").setInputFiles(file);
    await expect.poll(() => page.locator("#secret-sha256").inputValue()).toBe(sha256);
    await page.getByRole("complementary", { name: "Module details" }).getByText(`${bytes.length.toLocaleString("en-US")} bytes`).waitFor();
    await page.getByRole("button", { name: "Create secret" }).click();
    await page.waitForURL(/\/secrets$/);
    await page.getByTestId("toast").getByText('Created secret "geo"').waitFor();
    await page.getByText(`proxy-wasm module, ${bytes.length.toLocaleString("en-US")} bytes`).waitFor();

    // The edit page shows the pinned hash, never the bytes; saving without a file keeps them.
    await page.goto(`${app.url}/secrets/geo`);
    await expect.poll(() => page.locator("#secret-sha256").inputValue()).toBe(sha256);
    expect(await page.content()).not.toContain(b64.slice(0, 40));
    await page.getByRole("button", { name: "Save secret" }).click();
    await page.getByTestId("toast").getByText('Saved secret "geo"').waitFor();
    const stored = (await (await fetch(`${app.url}/api/v1/config`, { headers: { authorization: `Bearer ${app.apiToken}` } })).json()) as { secrets?: { name: string; sha256?: string; data?: string }[] };
    expect(stored.secrets?.find((x) => x.name === "geo")).toMatchObject({ sha256, data: "[redacted]" });
  });

  it("refuses a stale edit from a second tab with what changed, instead of overwriting", async () => {
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    other.setDefaultTimeout(15_000);
    other.on("dialog", (d) => void d.accept());
    try {
      await logIn(other);
      await page.goto(`${app.url}/rate-limits/per-ip`);
      await other.goto(`${app.url}/rate-limits/per-ip`);
      await page.locator("#rl-requests").fill("20");
      await other.locator("#rl-requests").fill("30");
      await page.getByRole("button", { name: "Save rate-limit policy" }).click();
      await page.waitForURL(/\/rate-limits$/);
      await other.getByRole("button", { name: "Save rate-limit policy" }).click();
      const banner = other.getByRole("alert").filter({ hasText: "rateLimitPolicies/per-ip was changed by someone else" }).first();
      await banner.waitFor();
      expect(await banner.textContent()).toMatch(/~ rateLimitPolicies\/per-ip: requests/);
        await other.screenshot({ path: join(ARTIFACTS, "stale-edit-refused.png"), fullPage: true });
      const stored = (await (await fetch(`${app.url}/api/v1/config`, { headers: { authorization: `Bearer ${app.apiToken}` } })).json()) as { config?: { rateLimitPolicies: { requests: number }[] }; rateLimitPolicies?: { requests: number }[] };
      expect((stored.config ?? stored).rateLimitPolicies![0]!.requests).toBe(20);
    } finally {
      await other.close();
    }
  });

  it("edits a built-in filter without a form of its own as a YAML card: syntax and schema errors show on the card, a valid one is stored", async () => {
    await gotoHydrated(page, `${app.url}/listeners/new`);
    await page.getByLabel("Name", { exact: true }).fill("yaml-filters");
    await page.getByLabel("Port", { exact: true }).fill("8080");
    await page.getByLabel("Route config").selectOption("main");
    await page.getByRole("button", { name: "Add Compression filter" }).click();
    const yaml = page.locator("#filter-0-yaml");
    await expect.poll(() => yaml.inputValue()).toContain("algorithms:");
    await yaml.fill("minContentLength: [");
    await page.locator(".field:has(#filter-0-yaml) .field-error").getByText(/^YAML:/).waitFor();
    await yaml.fill("minContentLength: -1");
    await page.getByRole("button", { name: "Create listener" }).click();
    await page.locator(".field:has(#filter-0-yaml) .field-error").getByText(/^minContentLength: /).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "listener-yaml-filter-error.png"), fullPage: true });
    await yaml.fill("algorithms: [gzip]\nminContentLength: 100\n");
    await page.getByRole("button", { name: "Create listener" }).click();
    await page.waitForURL(/\/listeners$/);
    const stored = (await (await fetch(`${app.url}/api/v1/config`, { headers: { authorization: `Bearer ${app.apiToken}` } })).json()) as { config?: { listeners: { name: string; httpFilters: unknown[] }[] }; listeners?: { name: string; httpFilters: unknown[] }[] };
    const listener = (stored.config ?? stored).listeners!.find((l) => l.name === "yaml-filters");
    expect(listener?.httpFilters).toEqual([{ type: "compression", algorithms: ["gzip"], minContentLength: 100, contentTypes: expect.any(Array) }]);
    // Opened again, the card shows the stored fields.
    await page.goto(`${app.url}/listeners/yaml-filters`);
    await expect.poll(() => page.locator("#filter-0-yaml").inputValue()).toContain("minContentLength: 100");
  });
});
