import { describe, expect, it } from "vitest";
import { decodeMessage, lineOfPath, parseConfigText, validateConfig, ZConsoleToNodeMessage, ZNodeToConsoleMessage } from "../src/index.ts";

describe("wire messages", () => {
  it("decodes a hello with defaults", () => {
    const msg = decodeMessage(ZNodeToConsoleMessage, JSON.stringify({ type: "hello", nodeId: "n1" }));
    expect(msg).toMatchObject({ type: "hello", nodeId: "n1", group: "default", appliedVersion: null, labels: {} });
  });

  it("refuses frames that are not JSON or not a known message", () => {
    expect(decodeMessage(ZNodeToConsoleMessage, "{nope")).toEqual({ error: "frame is not JSON" });
    const bad = decodeMessage(ZNodeToConsoleMessage, JSON.stringify({ type: "ack", version: -1, hash: "x" }));
    expect(bad).toHaveProperty("error");
    const unknown = decodeMessage(ZConsoleToNodeMessage, JSON.stringify({ type: "hello", nodeId: "n" }));
    expect(unknown).toHaveProperty("error");
  });

  it("carries a snapshot and a nack with issues", () => {
    const hash = "a".repeat(64);
    expect(decodeMessage(ZConsoleToNodeMessage, JSON.stringify({ type: "snapshot", version: 3, hash, config: {} }))).toMatchObject({ version: 3 });
    const nack = decodeMessage(ZNodeToConsoleMessage, JSON.stringify({ type: "nack", version: 3, error: "bad", issues: [{ path: "a", message: "b" }] }));
    expect(nack).toMatchObject({ type: "nack", issues: [{ path: "a", message: "b" }] });
  });
});

describe("parseConfigText", () => {
  const yaml = [
    "listeners:",
    "  - name: public",
    "    port: 8080",
    "    routeConfig: main",
    "routeConfigs:",
    "  - name: main",
    "    virtualHosts:",
    "      - name: all",
    "        domains: ['*']",
    "        routes:",
    "          - name: users",
    "            match: { prefix: /users }",
    "            route: { cluster: userz }",
    "clusters:",
    "  - name: users",
    "    endpoints: [{ address: 127.0.0.1, port: 9000 }]",
    "",
  ].join("\n");

  it("parses YAML and JSON, and locates a validation error on its line", () => {
    const parsed = parseConfigText(yaml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const result = validateConfig(parsed.value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]!.path).toBe("routeConfigs[0].virtualHosts[0].routes[0].route.cluster");
    expect(lineOfPath(yaml, result.issues[0]!.path)).toBe(13);
    expect(parseConfigText('{"clusters": []}')).toEqual({ ok: true, value: { clusters: [] } });
    expect(parseConfigText("")).toEqual({ ok: true, value: {} });
  });

  it("reports syntax errors with their line", () => {
    const parsed = parseConfigText("clusters:\n  - name: a\n   bad: [\n");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues[0]!.message).toMatch(/^line \d+, column \d+:/);
    expect(parsed.issues[0]!.line).toBeGreaterThan(1);
  });

  it("refuses duplicate keys", () => {
    expect(parseConfigText("a: 1\na: 2\n").ok).toBe(false);
  });
});
