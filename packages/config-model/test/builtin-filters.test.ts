import { describe, expect, it } from "vitest";
import { validateConfig, type TConfigIssue } from "../src/index.ts";
import { makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "../src/testing/fixtures.ts";

/** The issue #14 built-in filters' schemas: defaults, refusals with the field's path, route overrides checked by the same schema. */
function issues(httpFilters: unknown[], filterOverrides?: unknown): TConfigIssue[] {
  const r = validateConfig(
    makeConfig({
      listeners: [makeListener({ httpFilters: httpFilters as never })],
      routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ filterOverrides: filterOverrides as never })] })] })],
    }),
  );
  return r.ok ? [] : r.issues;
}
const paths = (xs: TConfigIssue[]) => xs.map((i) => i.path);

describe("built-in filters (issue #14 item 6)", () => {
  it("accepts each with its defaults filled in", () => {
    const r = validateConfig(
      makeConfig({
        listeners: [
          makeListener({
            httpFilters: [
              { type: "extAuthz", url: "http://authz:9000/check" },
              { type: "compression" },
              { type: "fault", abort: { httpStatus: 503 } },
              { type: "localReplies" },
              { type: "grpcWeb" },
              { type: "bufferLimits", maxRequestBytes: 1024 },
            ] as never,
          }),
        ],
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [authz, compression, fault] = r.config.listeners[0]!.httpFilters as Record<string, unknown>[];
    expect(authz).toMatchObject({ timeoutMs: 200, failOpen: false, statusOnError: 403, allowedHeaders: [], allowedUpstreamHeaders: [] });
    expect(compression).toMatchObject({ algorithms: ["zstd", "br", "gzip"], minContentLength: 30 });
    expect(fault).toMatchObject({ abort: { httpStatus: 503, percentage: 100 }, headerControl: false, maxHeaderDelayMs: 10_000 });
  });

  it("refuses bad fields with their paths", () => {
    expect(paths(issues([{ type: "extAuthz", url: "ftp://x/" }]))).toEqual(["listeners[0].httpFilters[0].url"]);
    expect(paths(issues([{ type: "compression", algorithms: ["gzip", "gzip"] }]))).toEqual(["listeners[0].httpFilters[0].algorithms"]);
    expect(paths(issues([{ type: "compression", algorithms: ["deflate"] }]))).toEqual(["listeners[0].httpFilters[0].algorithms[0]"]);
    expect(paths(issues([{ type: "fault" }]))).toEqual(["listeners[0].httpFilters[0]"]);
    expect(paths(issues([{ type: "fault", delay: { fixedDelayMs: 10, percentage: 101 } }]))).toEqual(["listeners[0].httpFilters[0].delay.percentage"]);
    expect(paths(issues([{ type: "bufferLimits" }]))).toEqual(["listeners[0].httpFilters[0].maxRequestBytes"]);
    expect(paths(issues([{ type: "fault", abort: { percentage: 5 } }]))).toEqual(["listeners[0].httpFilters[0].abort"]);
    expect(issues([{ type: "fault", abort: { grpcStatus: 14 } }])).toEqual([]);
    expect(paths(issues([{ type: "grpcWeb", extra: 1 }]))).toEqual(["listeners[0].httpFilters[0].extra"]);
  });

  it("localReplies templates know their fields; formats are json xor text", () => {
    expect(issues([{ type: "localReplies", format: { text: "%RESPONSE_CODE% %REQ(x-user)% %PATH%" } }])).toEqual([]);
    const bad = issues([{ type: "localReplies", mappers: [{ body: "%ENV(SECRET)%" }], format: { json: { a: "x" }, text: "y" } }]);
    expect(paths(bad).sort()).toEqual(["listeners[0].httpFilters[0].format", "listeners[0].httpFilters[0].mappers[0].body"]);
    expect(bad.find((i) => i.path.endsWith("body"))?.message).toMatch(/unknown %FIELD%/);
  });

  it("a route's replacement config is checked by the same schema", () => {
    const at = "routeConfigs[0].virtualHosts[0].routes[0].filterOverrides.bufferLimits.config.maxRequestBytes";
    expect(paths(issues([{ type: "bufferLimits", maxRequestBytes: 10 }], { bufferLimits: { config: { maxRequestBytes: -1 } } }))).toEqual([at]);
    expect(issues([{ type: "bufferLimits", maxRequestBytes: 10 }], { bufferLimits: { config: { maxRequestBytes: 99 } } })).toEqual([]);
  });
});
