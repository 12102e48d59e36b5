import { configJsonSchema } from "@switchyard/config-model";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { completeAt, resourceSchema, schemaIssues, type TJsonSchema } from "../src/lib/schema-assist.ts";

const config = configJsonSchema() as TJsonSchema;
const cluster = resourceSchema(config, "clusters");
const listener = resourceSchema(config, "listeners");

/** Completions where `|` stands in the text. */
function complete(schema: TJsonSchema, withCursor: string) {
  const pos = withCursor.indexOf("|");
  return completeAt(schema, withCursor.replace("|", ""), pos);
}
const labels = (r: ReturnType<typeof complete>) => r?.options.map((o) => o.label) ?? [];

describe("completeAt", () => {
  it("offers the keys a cluster may have, without those already written", () => {
    const r = complete(cluster, "name: users\nlb|");
    expect(labels(r)).toContain("lbPolicy");
    expect(labels(r)).toContain("healthCheck");
    expect(labels(r)).not.toContain("name");
    expect(r!.from).toBe("name: users\n".length);
    expect(r!.options.find((o) => o.label === "name")).toBeUndefined();
    expect(r!.options.find((o) => o.label === "lbPolicy")!.apply).toBe("lbPolicy: ");
  });

  it("offers enum values after a key, and the keys of nested objects and list items", () => {
    expect(labels(complete(cluster, "name: users\nlbPolicy: |"))).toEqual(["roundRobin", "leastRequest", "random", "ringHash", "maglev"]);
    expect(labels(complete(listener, "name: public\nprotocol: ht|"))).toEqual(expect.arrayContaining(["http", "https", "tcp"]));
    expect(labels(complete(cluster, "name: users\nendpoints:\n  - address: 10.0.0.1\n    |"))).toEqual(expect.arrayContaining(["port", "weight"]));
    expect(labels(complete(cluster, "name: users\nendpoints:\n  - address: 10.0.0.1\n    |"))).not.toContain("address");
    expect(labels(complete(cluster, "name: users\nhealthCheck:\n  type: http\n  |"))).toEqual(expect.arrayContaining(["path", "intervalMs"]));
  });

  it("offers the whole config's kinds at the top of an import document", () => {
    expect(labels(complete(config, "clusters: []\n|"))).toEqual(expect.arrayContaining(["listeners", "routeConfigs", "secrets", "rateLimitPolicies"]));
    expect(labels(complete(config, "clusters:\n  - name: a\n    discovery: |"))).toContain("kubernetes");
  });

  it("offers nothing in the middle of a value it does not know", () => {
    expect(complete(cluster, "name: us|")).toBeNull();
    expect(complete(cluster, "# a comment|")).toBeNull();
  });
});

describe("schemaIssues", () => {
  const issues = (schema: TJsonSchema, text: string) => schemaIssues(schema, text, parse(text));

  it("is empty for a valid document", () => {
    expect(issues(cluster, "name: users\nendpoints:\n  - { address: 10.0.0.1, port: 9000 }\n")).toEqual([]);
  });

  it("gives each issue its path and line: ranges, unknown keys, enums", () => {
    const text = "name: users\nlbPolicy: fastest\nendpoints:\n  - address: 10.0.0.1\n    port: 70000\nhealthChek: {}\n";
    const found = issues(cluster, text);
    expect(found).toEqual(
      expect.arrayContaining([
        { path: "endpoints[0].port", message: "must be <= 65535", line: 5 },
        { path: "healthChek", message: 'unknown field "healthChek"', line: 6 },
        expect.objectContaining({ path: "lbPolicy", line: 2 }),
      ]),
    );
    expect(found.find((i) => i.path === "lbPolicy")!.message).toMatch(/roundRobin/);
  });

  it("reports the alternative the document chose (a secret's type), not every branch of oneOf", () => {
    const secret = resourceSchema(config, "secrets");
    const found = issues(secret, "name: ca\ntype: caBundle\ncertificate: PEM\nprivateKey: x\n");
    expect(found).toEqual([{ path: "privateKey", message: 'unknown field "privateKey"', line: 4 }]);
  });
});
