import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { overriddenFilter, redactConfig, REDACTED, validateConfig, WASM_MODULE_MAX_BYTES, type TConfigIssue } from "../src/index.ts";
import { makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

/** The wasm filter type and the wasmModule secret (issue #14 item 5): pinned sha256, size limit, references, overrides. */
const bytes = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const module = (b: Buffer = bytes) => ({ name: "geo-filter", type: "wasmModule" as const, sha256: createHash("sha256").update(b).digest("hex"), data: b.toString("base64") });
const wasm = { type: "wasm" as const, name: "geo", module: { secret: "geo-filter" }, config: "{\"zone\":\"eu\"}" };

function config(secret: unknown, filter: unknown = wasm, filterOverrides?: unknown) {
  return makeConfig({
    listeners: [makeListener({ httpFilters: [filter] as never })],
    routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute(filterOverrides ? { filterOverrides: filterOverrides as never } : {})] })] })],
    secrets: [secret] as never,
  });
}
function issues(input: unknown): TConfigIssue[] {
  const r = validateConfig(input);
  return r.ok ? [] : r.issues;
}

describe("wasm filters and wasmModule secrets", () => {
  it("accept a module whose sha256 matches its bytes; config defaults to empty", () => {
    const r = validateConfig(config(module(), { type: "wasm", module: { secret: "geo-filter" } }));
    expect(r.ok && r.config.listeners[0]?.httpFilters[0]).toEqual({ type: "wasm", module: { secret: "geo-filter" }, config: "" });
  });

  it("refuse a sha256 that does not match, with the path and the module's actual hash", () => {
    const [issue] = issues(config({ ...module(), sha256: "a".repeat(64) }));
    expect(issue?.path).toBe("secrets[0].sha256");
    expect(issue?.message).toContain(module().sha256);
    expect(issues(config({ ...module(), sha256: "ABC" }))[0]?.path).toBe("secrets[0].sha256");
  });

  it("refuse a module over 2 MiB and data that is not base64", () => {
    expect(issues(config(module(Buffer.alloc(WASM_MODULE_MAX_BYTES + 1))))).toEqual([{ path: "secrets[0].data", message: "module larger than 2097152 bytes (2 MiB)" }]);
    expect(validateConfig(config(module(Buffer.alloc(WASM_MODULE_MAX_BYTES)))).ok).toBe(true);
    expect(issues(config({ ...module(), data: "not base64!" }))[0]?.path).toBe("secrets[0].data");
  });

  it("refuse a filter naming a missing secret or a secret of another type", () => {
    expect(issues(config(module(), { ...wasm, module: { secret: "nope" } }))).toEqual([{ path: "listeners[0].httpFilters[0].module.secret", message: 'unknown secret "nope"' }]);
    const ca = { name: "geo-filter", type: "caBundle", certificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n" };
    expect(issues(config(ca))).toEqual([{ path: "listeners[0].httpFilters[0].module.secret", message: 'secret "geo-filter" is a caBundle, expected a wasmModule' }]);
  });

  it("route overrides replace the configuration string, keeping the module; a non-string is refused at the override's path", () => {
    expect(issues(config(module(), wasm, { geo: { config: "other" } }))).toEqual([]);
    expect(overriddenFilter(wasm, "other")).toEqual({ ...wasm, config: "other" });
    expect(issues(config(module(), wasm, { geo: { config: { zone: 1 } } }))[0]?.path).toBe("routeConfigs[0].virtualHosts[0].routes[0].filterOverrides.geo.config");
  });

  it("redactConfig hides a module's bytes like a private key", () => {
    const r = validateConfig(config(module()));
    expect(r.ok && redactConfig(r.config).secrets[0]).toEqual({ ...module(), data: REDACTED });
  });
});
