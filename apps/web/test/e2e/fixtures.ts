/**
 * What every browser test sets up, in one place: the console (a real process on a fresh
 * database), Debian's Chromium with a page, the REST API with the console's token, a
 * recording upstream, a managed proxy process connected to the console, waiting for
 * something to become true, logging in, and evidence when a test fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Dialog, type Page } from "playwright-core";
import { expect } from "vitest";
import { freePort, startConsole, type TConsoleHandle } from "../helpers/start-console.ts";

export { freePort, startConsole, type TConsoleHandle };
export const ROOT = resolve(import.meta.dirname, "../../../..");

/** Screenshots and failure evidence go under test-artifacts/ at the repo root. */
export function artifactsDir(sub = ""): string {
  const dir = join(ROOT, "test-artifacts", sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Chromium (Debian's) and one page: 1280x900, 15 s per action, confirmations accepted (or `onDialog`). */
export async function openBrowser(onDialog: (d: Dialog) => void = (d) => void d.accept()): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  // Confirmations (delete, unsaved changes) are accepted; the tests check what follows.
  page.on("dialog", onDialog);
  return { browser, page };
}

/** The REST API with the console's token; the body parsed when it is JSON. */
export async function api(app: TConsoleHandle, path: string, init: { method?: string; json?: unknown; token?: string } = {}) {
  const res = await fetch(`${app.url}/api/v1${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${init.token ?? app.apiToken}`, ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}

/** Replaces the working config through the REST API (and publishes it as `publish` when given). */
export async function seedConfig(app: TConsoleHandle, config: unknown, publish?: string): Promise<void> {
  const put = await api(app, "/config", { method: "PUT", json: config });
  expect(put.status, put.text).toBe(200);
  if (publish !== undefined) expect((await api(app, "/versions", { method: "POST", json: { message: publish } })).status).toBe(201);
}

/** Opens a console page and waits until React has hydrated it, so typing and clicks are not lost. */
export async function gotoHydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/** Logs in through the login page with the console's admin (or the given) credentials. */
export async function logIn(page: Page, app: TConsoleHandle, email = app.adminEmail, password = app.adminPassword): Promise<void> {
  await gotoHydrated(page, `${app.url}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}

/** An upstream on 127.0.0.1 that answers JSON naming itself and records each path. */
export async function startUpstream(name: string): Promise<{ server: Server; port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ upstream: name, path: req.url, host: req.headers.host }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export type TManagedProxy = { child: ChildProcess; adminPort: number; log: string[]; stop(): Promise<void> };

/** A proxy process (one worker) managed by the console, its admin on a free port, its output kept; `extraArgs` e.g. `["--group", "canary"]`. */
export async function startManagedProxy(app: TConsoleHandle, nodeId: string, extraArgs: string[] = []): Promise<TManagedProxy> {
  const adminPort = await freePort();
  const cacheDir = mkdtempSync(join(tmpdir(), `swy-e2e-${nodeId}-`));
  const child = spawn(
    process.execPath,
    [join(ROOT, "apps/proxy/bin/switchyard-proxy.js"), "--control-plane", `ws://127.0.0.1:${app.port}/api/xds`, "--node-id", nodeId, "--workers", "1", "--admin", `127.0.0.1:${adminPort}`, "--cache-dir", cacheDir, ...extraArgs],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  for (const s of [child.stdout!, child.stderr!]) s.on("data", (d: Buffer) => log.push(...d.toString().split("\n").filter(Boolean)));
  return {
    child,
    adminPort,
    log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it answers something (every 200 ms); the error says what, and `context()` more. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, context: () => string = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}${context() ? `\n${context()}` : ""}`);
}

/** A screenshot per test (`-failure` when it failed), under test-artifacts/<dir>/. */
export async function screenshotAfter(page: Page | undefined, dir: string, task: { name: string; result?: { state?: string } }): Promise<void> {
  const name = task.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase().slice(0, 60);
  await page?.screenshot({ path: join(artifactsDir(dir), `${name}${task.result?.state === "fail" ? "-failure" : ""}.png`), fullPage: true }).catch(() => {});
}

/** Runs a flow; when it fails, leaves the page as it was, its text and the console's log as evidence. */
export async function withEvidence(page: Page, app: TConsoleHandle, screenshot: string, flow: () => Promise<void>): Promise<void> {
  try {
    await flow();
  } catch (err) {
    await page.screenshot({ path: join(artifactsDir(), screenshot), fullPage: true }).catch(() => {});
    const text = await page.locator("body").innerText().catch(() => "");
    throw new Error(`${(err as Error).message}\n--- page ${page.url()} ---\n${text.slice(0, 2000)}\n--- console ---\n${app.output().slice(-3000)}`, { cause: err });
  }
}

const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
type TAxeNode = { target: string[]; html: string; failureSummary?: string };
export type TAxeViolation = { id: string; impact: string | null; help: string; nodes: TAxeNode[] };

/** Runs axe on the page as it is; the violations of every impact. */
export async function axe(p: Page): Promise<TAxeViolation[]> {
  await p.addScriptTag({ path: AXE_SOURCE });
  return p.evaluate(async () => {
    const run = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: TAxeViolation[] }> } }).axe.run;
    const r = await run(document, { resultTypes: ["violations"], runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200), failureSummary: n.failureSummary })) }));
  });
}

/** The serious and critical ones, one line per element, for the failure message. */
export function serious(violations: TAxeViolation[]): string[] {
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id} (${v.help}) at ${n.target.join(" ")}: ${n.html}`));
}

