/**
 * One whole flow with the keyboard only (issue #6): log in, open New route, fill it,
 * save, open the publish dialog (Esc closes it and focus returns), publish. Only Tab,
 * Shift+Tab, Enter, Space, Esc and typed text; no clicks. Every control focus passes
 * through must show a visible focus indicator (`:focus-visible` outline, or the outline
 * of the label around a visually hidden radio).
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactsDir, openBrowser, seedConfig, startConsole, type TConsoleHandle } from "./fixtures.ts";

const ARTIFACTS = artifactsDir();

let app: TConsoleHandle;
let browser: Browser;
let page: Page;

type TFocus = { desc: string; visible: boolean };

/** The focused element, described, and whether its focus is visible. */
function focused(p: Page): Promise<TFocus> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { desc: "(body)", visible: true };
    const name = el.getAttribute("aria-label") ?? (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) ?? el.textContent ?? "";
    const desc = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${(el as HTMLInputElement).type ? `[${(el as HTMLInputElement).type}]` : ""} "${name.trim().slice(0, 40)}"`;
    const outlined = (e: Element) => {
      const s = getComputedStyle(e);
      return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== "transparent" && s.outlineColor !== "rgba(0, 0, 0, 0)";
    };
    const hidden = parseFloat(getComputedStyle(el).opacity) === 0;
    const label = el.closest("label");
    const visible = el.matches(":focus-visible") && (hidden ? label !== null && outlined(label) : outlined(el));
    return { desc, visible };
  });
}

/** Presses `key` (Tab / Shift+Tab) until the focused element matches; records every stop. */
async function tabTo(p: Page, target: string, seen: TFocus[], key = "Tab", max = 120): Promise<void> {
  if (await p.evaluate((sel) => document.activeElement?.matches(sel) ?? false, target)) {
    seen.push(await focused(p));
    return;
  }
  for (let i = 0; i < max; i++) {
    await p.keyboard.press(key);
    const f = await focused(p);
    seen.push(f);
    if (await p.evaluate((sel) => document.activeElement?.matches(sel) ?? false, target)) return;
  }
  throw new Error(`${key} never reached ${target}; last stops: ${seen.slice(-8).map((f) => f.desc).join(" | ")}`);
}

beforeAll(async () => {
  app = await startConsole();
  await seedConfig(app, {
    clusters: [{ name: "backend", endpoints: [{ address: "127.0.0.1", port: 9 }] }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [] }] }],
  });
  ({ browser, page } = await openBrowser());
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe("keyboard only", () => {
  it("logs in, creates a route, publishes it from the dialog, with visible focus on every control passed", async () => {
    const seen: TFocus[] = [];
    try {
      await page.goto(`${app.url}/login`);
      await page.locator("#email, input[type=email]").first().waitFor();

      // Log in: Tab to the email field, type, Tab to the password, type, Enter submits.
      await tabTo(page, "input[type=email]", seen);
      await page.keyboard.type(app.adminEmail);
      await tabTo(page, "input[type=password]", seen);
      await page.keyboard.type(app.adminPassword);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/overview$/);
      await page.getByRole("heading", { name: "Overview" }).waitFor();

      // The main navigation: Routes, then the New route link.
      await tabTo(page, 'nav[aria-label="Main"] a[href="/routes"]', seen);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/routes$/);
      await page.getByRole("link", { name: /New route/ }).waitFor();
      await tabTo(page, 'a[href="/routes/new"]', seen);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/routes\/new$/);
      await page.locator("#name").waitFor();

      // Fill it: name, then the match value; Shift+Tab goes back to fix the name.
      await tabTo(page, "#name", seen);
      await page.keyboard.type("kb-route");
      await tabTo(page, "#matchValue", seen);
      await page.keyboard.press("Control+A");
      await page.keyboard.type("/kb");
      await tabTo(page, "#name", seen, "Shift+Tab");
      // Tabbing into a text field selects its text: End to append.
      await page.keyboard.press("End");
      await page.keyboard.type("s");
      expect(await page.locator("#name").inputValue()).toBe("kb-routes");
      // Space toggles a checkbox: the case-sensitive match.
      await tabTo(page, 'input[type=checkbox]', seen);
      const before = await page.evaluate(() => (document.activeElement as HTMLInputElement).checked);
      await page.keyboard.press("Space");
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).checked)).toBe(!before);
      await page.keyboard.press("Space");

      // Save with the submit button.
      await tabTo(page, 'button[type=submit]', seen);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/routes$/);
      await page.getByText('Created route "kb-routes"').waitFor();

      // The publish dialog: Space opens it, Esc closes it and focus returns to the button.
      await tabTo(page, '[data-testid="publish-open"]', seen, "Shift+Tab");
      await page.keyboard.press("Space");
      const dialog = page.getByRole("dialog", { name: "Publish" });
      await dialog.waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("publish-open");
      seen.push(await focused(page));
      await page.keyboard.press("Enter");
      await dialog.waitFor();
      await dialog.getByRole("list", { name: "Pending changes" }).getByText("main").first().waitFor();
      await tabTo(page, "#dlg-publish-message", seen);
      await page.keyboard.type("keyboard: kb-routes");
      await tabTo(page, 'dialog button[type=submit]', seen);
      await page.keyboard.press("Enter");
      await dialog.getByTestId("publish-result").getByText("Published version 1").waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
    } finally {
      await page.screenshot({ path: join(ARTIFACTS, "keyboard-flow.png"), fullPage: true }).catch(() => {});
    }
    const invisible = seen.filter((f) => !f.visible).map((f) => f.desc);
    expect([...new Set(invisible)], `focus not visible on: ${[...new Set(invisible)].join(", ")}`).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
  }, 180_000);
});
