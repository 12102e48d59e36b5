/**
 * Issue #20 item 1: a read-only caller sends YAML that is deeply nested in block style
 * (`- - - … x`, indentation) or merely huge, to POST /api/v1/config/validate (read token)
 * and to the import check (viewer session). Before: the event loop was blocked for
 * seconds to minutes, RSS grew by GBs and V8's regexp compiler could abort the process.
 * Now: refused before parsing (nesting) or by the parser thread's time and heap bounds,
 * while GET /api/v1/healthz keeps answering within 500 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockNestingDepth, MAX_BLOCK_NESTING, parseConfigText } from "@switchyard/config-model";
import { expectResponsive, probeHealth, startConsoleCore, type TConsoleCore } from "./helpers/console-core.ts";

let core: TConsoleCore;
beforeAll(async () => {
  core = await startConsoleCore();
});
afterAll(async () => {
  await core?.close();
});

const compactBomb = (levels: number) => `${"- ".repeat(levels)}x\n`;
const indentedBomb = (levels: number) => Array.from({ length: levels }, (_, i) => `${" ".repeat(i)}-\n`).join("") + `${" ".repeat(levels)}x\n`;
/** Not nested at all, only big: ~1.2 M sequence entries (the parser needs ~20 s and >1 GB for it). */
const flatHuge = () => "- x\n".repeat(1_200_000);

describe("block nesting is bounded before parsing", () => {
  it("counts compact and indented nesting, and passes real configs", () => {
    expect(blockNestingDepth(compactBomb(100))).toBeGreaterThan(MAX_BLOCK_NESTING);
    expect(blockNestingDepth(indentedBomb(100))).toBeGreaterThan(MAX_BLOCK_NESTING);
    expect(blockNestingDepth("a:\n  b:\n    - c\n    - d: e\n      f: [1, 2]\n")).toBeLessThanOrEqual(4);
    const started = Date.now();
    const parsed = parseConfigText(compactBomb(1_000_000));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(parsed.ok).toBe(false);
  });
});

describe("a read-only caller cannot stall the console with YAML", () => {
  it("REST validate with a read token: nested bombs are refused at once, a huge flat one within the parse bound; health stays < 500 ms", async () => {
    const probe = await probeHealth(core.url);
    await new Promise((r) => setTimeout(r, 300));
    const compact = await core.rest("POST", "/config/validate", { token: core.viewer.token, body: compactBomb(1_000_000), contentType: "application/yaml" });
    const indented = await core.rest("POST", "/config/validate", { token: core.viewer.token, body: indentedBomb(2_000), contentType: "application/yaml" });
    const flat = await core.rest("POST", "/config/validate", { token: core.viewer.token, body: flatHuge(), contentType: "application/yaml" });
    const health = await probe.stop();
    expect(compact.status, compact.text.slice(0, 300)).toBe(400);
    expect(compact.body.issues[0].message).toMatch(/nested more than 64 levels/);
    expect(indented.status, indented.text.slice(0, 300)).toBe(400);
    expect(flat.status, flat.text.slice(0, 300)).toBe(413);
    expect(flat.ms).toBeLessThan(10_000);
    expectResponsive(health);
  }, 90_000);

  it("the import check with a viewer session: refused with an issue, health stays < 500 ms", async () => {
    const probe = await probeHealth(core.url);
    await new Promise((r) => setTimeout(r, 300));
    const nested = await core.trpc("mutation", "config.importCheck", { text: compactBomb(1_000_000), format: "yaml" });
    const flat = await core.trpc("mutation", "config.importCheck", { text: flatHuge(), format: "yaml" });
    const health = await probe.stop();
    expect(nested.status, nested.text.slice(0, 300)).toBe(200);
    expect(nested.body.result.data.valid).toBe(false);
    expect(nested.body.result.data.issues[0].message).toMatch(/nested more than/);
    expect(flat.status, flat.text.slice(0, 300)).toBe(413);
    expectResponsive(health);
  }, 90_000);

  it("a valid YAML document still validates through the parser thread", async () => {
    const doc = "listeners: []\nrouteConfigs: []\nclusters:\n  - name: app\n    endpoints:\n      - { address: 127.0.0.1, port: 8080 }\n";
    const r = await core.rest("POST", "/config/validate", { token: core.viewer.token, body: doc, contentType: "application/yaml" });
    expect(r.status, r.text).toBe(200);
    expect(r.body.valid).toBe(true);
    const bad = await core.rest("POST", "/config/validate", { token: core.viewer.token, body: "clusters:\n  - name: app\n    lbPolicy: nope\n", contentType: "application/yaml" });
    expect(bad.status, bad.text).toBe(422);
    expect(bad.body.issues[0].line).toBe(3);
  });
});
