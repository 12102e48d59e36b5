/**
 * Hostile config, property-based (fast-check): thousands of random and mutated configs go
 * through config-model's validateConfig, and a stream of mutated configs is written to a
 * running standalone proxy. Invariants: validation never throws; an invalid config is
 * refused with issues that each name a path; the proxy never crashes and never half-applies
 * (a refused file leaves /config_dump exactly as it was); a regex the validator accepts
 * cannot backtrack catastrophically (each run is bounded by a vm timeout).
 */
import vm from "node:vm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig, regexSafetyProblem } from "@switchyard/config-model";
import { makeConfig } from "@switchyard/config-model/testing";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { startRecordingUpstream, type TRecordingUpstream } from "./helpers/raw.ts";

/** Known catastrophic shapes (and their relatives) a config might carry. */
const EVIL_REGEXES = ["(a+)+$", "(a*)*b", "(a|a)*c", "(a|aa)+$", "^(([a-z])+.)+[A-Z]([a-z])+$", "(x+x+)+y", "(\\d+)*$", "(.*a){12}", "(a)\\1+", "(?<=a)b", "(\\w|\\d)+$", "((ab)*)+$"];

/** A valid base config: two routes (one by regex, one with matchers), two clusters, limits and a policy. */
function baseConfig(listenerPort: number, upstreamPort: number): Record<string, unknown> {
  return makeConfig({
    listeners: [{ name: "edge", address: "127.0.0.1", port: listenerPort, routeConfig: "main", limits: { maxHeaderBytes: 16384, maxRequestBodyBytes: 100000 } }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "re", match: { regex: "/items/[0-9]+", headers: [{ name: "x-v", regex: "v[0-9]" }], query: [{ name: "q", present: true }] }, route: { cluster: "backend", retryPolicy: { retryOn: ["5xx"] } } },
              { name: "probe", match: { prefix: "/" }, route: { cluster: "backend", timeoutMs: 5000 } },
            ],
          },
        ],
      },
    ],
    clusters: [
      { name: "backend", endpoints: [{ address: "127.0.0.1", port: upstreamPort }], circuitBreakers: { maxRequests: 100 } },
      { name: "spare", endpoints: [{ address: "127.0.0.1", port: upstreamPort }], lbPolicy: "ringHash" },
    ],
    rateLimitPolicies: [{ name: "per-ip", requests: 1000 }],
  }) as Record<string, unknown>;
}

/**
 * Paths a mutation may touch. Addresses and discovery are left alone on purpose: the
 * running proxy must only ever talk to 127.0.0.1 (endpoint ports may change).
 */
const MUTABLE_PATHS: (string | number)[][] = [
  ["listeners", 0, "name"],
  ["listeners", 0, "protocol"],
  ["listeners", 0, "routeConfig"],
  ["listeners", 0, "limits"],
  ["listeners", 0, "limits", "maxHeaderBytes"],
  ["listeners", 0, "limits", "maxRequestBodyBytes"],
  ["listeners", 0, "limits", "maxHeadersCount"],
  ["listeners", 0, "limits", "headersTimeoutMs"],
  ["listeners", 0, "limits", "requestTimeoutMs"],
  ["listeners", 0, "httpFilters"],
  ["listeners", 0, "tls"],
  ["routeConfigs", 0, "name"],
  ["routeConfigs", 0, "virtualHosts", 0, "domains"],
  ["routeConfigs", 0, "virtualHosts", 0, "domains", 0],
  ["routeConfigs", 0, "virtualHosts", 0, "rateLimit"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "name"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "match"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "match", "regex"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "match", "prefix"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "match", "headers", 0, "regex"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "match", "query", 0, "regex"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "route"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "route", "cluster"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "route", "retryPolicy"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "route", "retryPolicy", "numRetries"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "route", "weightedClusters"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "directResponse"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 1, "route", "timeoutMs"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 1, "requestHeaders"],
  ["routeConfigs", 0, "virtualHosts", 0, "routes", 1, "redirect"],
  ["clusters", 0, "name"],
  ["clusters", 0, "lbPolicy"],
  ["clusters", 0, "protocol"],
  ["clusters", 0, "endpoints", 0, "port"],
  ["clusters", 0, "endpoints", 0, "weight"],
  ["clusters", 0, "healthCheck"],
  ["clusters", 0, "outlierDetection"],
  ["clusters", 0, "circuitBreakers", "maxRequests"],
  ["clusters", 1, "ringHashMinimumRingSize"],
  ["rateLimitPolicies", 0, "requests"],
  ["rateLimitPolicies", 0, "per"],
  ["rateLimitPolicies", 0, "key"],
  ["secrets"],
];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -10, max: 70_000 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 24 }),
  fc.constantFrom(...EVIL_REGEXES, "", "*", "backend", "spare", "main", "per-ip", "http2", "TLSv1.3", "\r\nx: y", "(unclosed"),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("name", "cluster", "prefix", "regex", "type", "status", "foo"), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 3 }),
);

type TMutation = { path: (string | number)[]; value: unknown; del: boolean };
const mutation: fc.Arbitrary<TMutation> = fc.record({ path: fc.constantFrom(...MUTABLE_PATHS), value: anyValue, del: fc.boolean() });

function applyMutations(base: Record<string, unknown>, muts: TMutation[]): Record<string, unknown> {
  const cfg = structuredClone(base);
  for (const m of muts) {
    let node: unknown = cfg;
    for (const key of m.path.slice(0, -1)) {
      if (node === null || typeof node !== "object") break;
      node = (node as Record<string | number, unknown>)[key];
    }
    if (node === null || typeof node !== "object") continue;
    const last = m.path[m.path.length - 1] as string | number;
    if (m.del) delete (node as Record<string | number, unknown>)[last];
    else (node as Record<string | number, unknown>)[last] = m.value;
  }
  return cfg;
}

function expectWellFormedResult(input: unknown): void {
  const r = validateConfig(input);
  if (r.ok) return;
  expect(r.issues.length).toBeGreaterThan(0);
  const isObject = input !== null && typeof input === "object" && !Array.isArray(input);
  for (const issue of r.issues) {
    expect(typeof issue.message).toBe("string");
    expect(issue.message.length).toBeGreaterThan(0);
    // Only a document that is not an object at all is refused as a whole.
    if (isObject) expect(issue.path, issue.message).not.toBe("");
  }
}

describe("config-model under fuzz", () => {
  const base = baseConfig(8080, 9000);

  it("the base config is valid (so mutations start from something real)", () => {
    expect(validateConfig(base).ok).toBe(true);
  });

  it("arbitrary JSON values never throw and are refused with paths", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => expectWellFormedResult(v)), { numRuns: 1500 });
    fc.assert(fc.property(fc.anything({ maxDepth: 3 }), (v) => expectWellFormedResult(v)), { numRuns: 500 });
  });

  it("mutated configs never throw; refusals name a path; acceptance is stable and idempotent", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        const cfg = applyMutations(base, muts);
        expectWellFormedResult(cfg);
        const r = validateConfig(cfg);
        if (r.ok) {
          // The validated output is itself valid and unchanged by a second pass.
          const again = validateConfig(JSON.parse(JSON.stringify(r.config)));
          expect(again.ok).toBe(true);
          if (again.ok) expect(again.config).toEqual(r.config);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("every known catastrophic regex is refused at its path, in routes, header/query matchers and RBAC rules", () => {
    for (const evil of EVIL_REGEXES) {
      const route = ["routeConfigs", 0, "virtualHosts", 0, "routes", 0, "match"];
      const cfg = applyMutations(base, [
        { path: [...route, "regex"], value: evil, del: false },
        { path: [...route, "headers", 0, "regex"], value: evil, del: false },
        { path: [...route, "query"], value: [{ name: "q", regex: evil }], del: false },
        { path: ["listeners", 0, "httpFilters"], value: [{ type: "rbac", rules: [{ allow: true, principals: [{ any: true }], headers: [{ name: "x", regex: evil }] }] }], del: false },
      ]);
      const r = validateConfig(cfg);
      expect(r.ok, evil).toBe(false);
      if (r.ok) continue;
      const paths = r.issues.map((i) => i.path);
      expect(paths, evil).toEqual(
        expect.arrayContaining([
          "routeConfigs[0].virtualHosts[0].routes[0].match.regex",
          "routeConfigs[0].virtualHosts[0].routes[0].match.headers[0].regex",
          "routeConfigs[0].virtualHosts[0].routes[0].match.query[0].regex",
          "listeners[0].httpFilters[0].rules[0].headers[0].regex",
        ]),
      );
      expect(r.issues.every((i) => /regex/.test(i.message))).toBe(true);
    }
  });

  it("any generated regex the validator accepts runs in bounded time on pumped adversarial input", () => {
    // A small regex grammar over a two-letter alphabet plus classes, with every quantifier.
    const { re } = fc.letrec<{ re: string; atom: string }>((tie) => ({
      atom: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("a", "b", ".", "[ab]", "\\d", "\\w", "x"),
        tie("re").map((r) => `(${r})`),
        fc.tuple(tie("re"), tie("re")).map(([x, y]) => `(${x}|${y})`),
      ),
      re: fc
        .array(fc.tuple(tie("atom"), fc.constantFrom("", "", "*", "+", "?", "{2,5}", "{1,40}")), { minLength: 1, maxLength: 4 })
        .map((parts) => parts.map(([a, q]) => a + q).join("")),
    }));
    const inputs = ["a".repeat(30) + "!", "ab".repeat(15) + "!", "1".repeat(30) + "!", "x".repeat(30) + "!", "aab".repeat(10) + "!"];
    let accepted = 0;
    fc.assert(
      fc.property(re, (source) => {
        let compiled: RegExp;
        try {
          compiled = new RegExp(`^(?:${source})$`);
        } catch {
          return;
        }
        if (regexSafetyProblem(source) !== undefined) return;
        accepted++;
        for (const s of inputs) {
          // vm's timeout interrupts a running regex: a miss fails here instead of hanging.
          vm.runInNewContext("r.test(s)", { r: compiled, s }, { timeout: 250 });
        }
      }),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});

describe("a running proxy fed mutated configs", () => {
  let upstream: TRecordingUpstream;
  let proxy: TProxyProcess;
  let base: Record<string, unknown>;
  let port: number;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    port = await freePort();
    base = baseConfig(port, upstream.port);
    proxy = await startProxy({ config: base });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  const reloadEvents = () => proxy.events().filter((e) => e.event === "config_applied" || e.event === "config_rejected" || e.event === "config_reload_failed").length;
  const dump = async () => (await (await proxy.admin("/config_dump")).json()) as { version: number; hash: string; config: unknown };

  it("never crashes and never half-applies; the base config then serves again", async () => {
    const samples = fc.sample(fc.array(mutation, { minLength: 1, maxLength: 3 }), { numRuns: 40, seed: 4242 });
    let applied = 0;
    let rejected = 0;
    for (let i = 0; i < samples.length; i++) {
      const cfg = applyMutations(base, samples[i] as TMutation[]);
      const before = await dump();
      const seen = reloadEvents();
      // Trailing spaces keep every file's text distinct (an unchanged text is not re-applied).
      await proxy.writeConfig(JSON.stringify(cfg) + " ".repeat(i + 1));
      const deadline = Date.now() + 8_000;
      while (reloadEvents() === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(reloadEvents(), `no reload event for sample ${i}`).toBeGreaterThan(seen);
      expect(proxy.child.exitCode).toBeNull();
      expect((await proxy.admin("/ready")).status).toBe(200);
      const after = await dump();
      const last = proxy.events().filter((e) => e.event === "config_applied" || e.event === "config_rejected" || e.event === "config_reload_failed").at(-1);
      if (last?.event === "config_applied") {
        applied++;
        expect(after.version).toBe(before.version + 1);
      } else {
        rejected++;
        // Refused: nothing of it is in effect.
        expect(after).toEqual(before);
        const issues = (last?.issues ?? []) as { path: string }[];
        if (last?.event === "config_rejected") expect(issues.length + (typeof last.error === "string" ? 1 : 0)).toBeGreaterThan(0);
      }
    }
    expect(applied + rejected).toBe(samples.length);
    expect(rejected).toBeGreaterThan(0);
    // Back to the base config: traffic flows.
    const seen = reloadEvents();
    await proxy.writeConfig(JSON.stringify(base));
    const deadline = Date.now() + 8_000;
    while (reloadEvents() === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const res = await fetch(`http://127.0.0.1:${port}/probe`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }, 120_000);
});
