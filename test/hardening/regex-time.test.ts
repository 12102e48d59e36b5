/**
 * Config regexes against 64 KiB header values (issue #15 item 7). The structural guard
 * (regex-safety.ts) refuses what is exponential for a backtracking engine, but patterns
 * such as `.*.*.*=` pass it and are polynomial there: V8 needs hours for one 64 KiB value.
 * The proxy matches with RE2's linear-time engine (config-model linear-regex.ts), so each
 * of them is decided in milliseconds. Timed here three ways: the backtracking engine (to
 * show the patterns really are the worst cases), the matcher the proxy compiles, and a
 * real proxy process answering while another client is served.
 */
import vm from "node:vm";
import { validateConfig } from "@switchyard/config-model";
import { compileValueMatcher, matchValue } from "@switchyard/config-model/matcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";

/** Accepted by the guard, polynomial for a backtracking engine on a value without the final character. */
const WORST_PATTERNS = [".*.*.*=", "(?:a|b)*(?:a|b)*c", "[a-z]*[a-z]*[a-z]*!", ".*a.*a.*a.*b", "\\w+\\w+\\w+;", "a*a*a*b"];
/** The largest header value a default listener lets through (limits.maxHeaderBytes 65536), less the head's other bytes. */
const VALUE = "a".repeat(64 * 1024 - 512);
/** Per match on a loaded 2-core machine; RE2 measured 1-10 ms, backtracking did not finish in 1 s. */
const BOUND_MS = 250;

function configWith(regex: string, port = 8080) {
  return {
    listeners: [{ name: "edge", address: "127.0.0.1", port, routeConfig: "main" }],
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              { name: "by-header", match: { prefix: "/", headers: [{ name: "x-probe", regex }] }, directResponse: { status: 200, body: "matched" } },
              { name: "by-path", match: { regex: `/p/${regex}` }, directResponse: { status: 200, body: "path" } },
              { name: "rest", match: { prefix: "/" }, directResponse: { status: 200, body: "missed" } },
            ],
          },
        ],
      },
    ],
  };
}

describe("the worst regexes the validator accepts, on 64 KiB values", () => {
  it.each(WORST_PATTERNS)("%s is accepted by validateConfig and stalls a backtracking engine for over a second", (pattern) => {
    expect(validateConfig(configWith(pattern)).ok).toBe(true);
    const backtracking = new RegExp(`^(?:${pattern})$`);
    // vm's timeout interrupts the running regex; finishing in time would mean the case is not a worst case.
    expect(() => vm.runInNewContext("r.test(s)", { r: backtracking, s: VALUE }, { timeout: 1000 })).toThrow(/timed out/);
  });

  it.each(WORST_PATTERNS)(`%s is decided by the proxy's matcher in under ${BOUND_MS} ms`, (pattern) => {
    const matcher = compileValueMatcher({ name: "x-probe", regex: pattern, invert: false }, true);
    const started = performance.now();
    // Inside vm with a timeout, so a backtracking matcher fails the test instead of hanging it.
    const [miss, hit] = vm.runInNewContext("[match(value), match(value + last)]", { match: (v: string) => matchValue(matcher, v), value: VALUE, last: pattern.at(-1) }, { timeout: 2 * BOUND_MS }) as boolean[];
    expect(miss).toBe(false);
    expect(hit).toBe(true);
    expect(performance.now() - started).toBeLessThan(2 * BOUND_MS);
  });

  it("keeps RE2's meaning: whole-value match, no lookaround or backreferences (refused with the path)", () => {
    const matcher = compileValueMatcher({ name: "x", regex: "v[0-9]+", invert: false }, true);
    expect(matchValue(matcher, "v12")).toBe(true);
    expect(matchValue(matcher, "xv12")).toBe(false);
    for (const refused of ["a(?=b)", "(?!x)y"]) {
      const r = validateConfig(configWith(refused));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.issues[0]).toMatchObject({ path: "routeConfigs[0].virtualHosts[0].routes[0].match.headers[0].regex", message: expect.stringMatching(/^invalid regex \(RE2 syntax\)/) });
    }
  });
});

describe("a real proxy with those regexes in its routes", () => {
  let proxy: TProxyProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    proxy = await startProxy({ config: configWith(".*.*.*=", port) });
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  it(`answers a request with a 64 KiB header value that misses a polynomial pattern in time, and a bystander meanwhile`, async () => {
    const started = performance.now();
    const [hostile, bystander] = await Promise.all([
      fetch(`http://127.0.0.1:${port}/x`, { headers: { "x-probe": VALUE }, signal: AbortSignal.timeout(5_000) }),
      fetch(`http://127.0.0.1:${port}/bystander`, { signal: AbortSignal.timeout(5_000) }),
    ]);
    const ms = performance.now() - started;
    // Missed the header route: answered by the catch-all.
    expect(hostile.status).toBe(200);
    expect(await hostile.text()).toBe("missed");
    expect(bystander.status).toBe(200);
    expect(ms).toBeLessThan(2_000);
    const hit = await fetch(`http://127.0.0.1:${port}/x`, { headers: { "x-probe": `${VALUE}=` } });
    expect(await hit.text()).toBe("matched");
  });

  it("matches a path regex against a long path in time", async () => {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/p/${"a".repeat(16 * 1024)}`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("missed");
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
