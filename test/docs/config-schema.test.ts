import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CONFIG_SCHEMA_FILE, configJsonSchema, validateConfig } from "@switchyard/config-model";
import { PROXY_BIN } from "../../apps/proxy/test/helpers/start-proxy.ts";

/**
 * The config's JSON Schema (docs/config-v1.schema.json, zod's own converter over ZConfig)
 * and the example configs under examples/: the committed schema is the generated one,
 * every example names it in its first line, and every example passes the schema, the
 * config model and `switchyard-proxy --validate` (the real CLI).
 */
const ROOT = resolve(import.meta.dirname, "../..");
const committed = JSON.parse(readFileSync(join(ROOT, CONFIG_SCHEMA_FILE), "utf8")) as Record<string, unknown>;
const examples = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".yaml"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
const schemaCheck = ajv.compile(committed);

describe("config v1 JSON Schema", () => {
  it("the committed file is what `npm run schema` generates", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it("refuses what the config model refuses at the field level: an unknown key, a bad enum, a port out of range", () => {
    const bad = { listeners: [{ name: "l", address: "0.0.0.0", port: 70000, protocol: "gopher", routeConfig: "m", typo: 1 }] };
    expect(schemaCheck(bad)).toBe(false);
    const messages = (schemaCheck.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n");
    expect(messages).toMatch(/\/listeners\/0\/port must be <= 65535/);
    expect(messages).toMatch(/\/listeners\/0\/protocol must be equal to one of the allowed values/);
    expect(messages).toMatch(/must NOT have additional properties/);
    expect(validateConfig(bad).ok).toBe(false);
  });
});

describe.each(examples)("examples/%s", (name) => {
  const file = join(ROOT, "examples", name);
  const text = readFileSync(file, "utf8");

  it("names the schema in its first line, by a path that exists", () => {
    const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(m).not.toBeNull();
    expect(resolve(dirname(file), m![1]!)).toBe(join(ROOT, CONFIG_SCHEMA_FILE));
  });

  it("passes the JSON Schema and the config model", () => {
    const doc = parse(text) as unknown;
    expect(schemaCheck(doc), JSON.stringify(schemaCheck.errors)).toBe(true);
    const result = validateConfig(doc);
    expect(result.ok, JSON.stringify(result.ok ? [] : result.issues)).toBe(true);
  });

  it("passes switchyard-proxy --validate", { timeout: 60_000 }, () => {
    const out = execFileSync(process.execPath, [PROXY_BIN, "--validate", "--config", file], { encoding: "utf8" });
    expect(out).toMatch(/: valid \(/);
  });
});

describe("switchyard-proxy --validate", () => {
  it("exits 1 with every issue's path and line, and starts nothing", { timeout: 60_000 }, () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [PROXY_BIN, "--validate", "--config", join(ROOT, "test/docs/fixtures/bad-config.yaml"), "--admin", "127.0.0.1:1"], { encoding: "utf8", stdio: "pipe" });
    } catch (err) {
      ({ status, stderr } = err as { status: number; stderr: string });
    }
    expect(status).toBe(1);
    expect(stderr).toContain("routeConfigs[0].virtualHosts[0].routes[0].route.cluster (line 9): unknown cluster \"userz\"");
    // No admin server: --admin 127.0.0.1:1 would have failed to bind.
    expect(stderr).not.toMatch(/cannot listen/);
  });
});
