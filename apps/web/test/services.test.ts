/**
 * The console's services on real PostgreSQL: every write goes through the whole-config
 * validation of config-model, and its issues come back scoped to the edited form.
 */
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { getWorkingConfig, replaceWorkingConfig } from "@switchyard/db";
import { ZCluster, ZListener, ZRateLimitPolicy, ZRoute } from "@switchyard/config-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../src/server/services/app-error.ts";
import type { TCluster } from "@switchyard/config-model";
import type { TWho } from "../src/server/services/context.ts";
import { createRoute, listWorkingRoutes, updateRoute } from "../src/server/services/routes.ts";
import { createResource, getResource, listResources, updateResource } from "../src/server/services/resources.ts";
import { pendingDiff, publish, rollback } from "../src/server/services/versions.ts";

let t: TTestDatabase;
const actor: TWho = { actor: "tester@switchyard.test", ip: "192.0.2.7" };
const someoneElse: TWho = { actor: "someone@else.test", ip: null };
// Clusters are one more resource kind: the generic service, with its rules.
const createCluster = (_db: unknown, who: TWho, c: TCluster) => createResource(t.db, who, "clusters", c);
const updateCluster = (_db: unknown, who: TWho, name: string, c: TCluster, baseRevision?: number) => updateResource(t.db, who, "clusters", name, c, baseRevision);
const getWorkingCluster = async (_db: unknown, name: string) => {
  const row = await getResource(t.db, "clusters", name);
  return { ...row, endpoints: row.resource.endpoints };
};
const listWorkingClusters = (_db: unknown) => listResources(t.db, "clusters");
const route = (r: unknown) => ZRoute.parse(r);
const cluster = (c: unknown) => ZCluster.parse(c);

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("working-config services", () => {
  it("creates a cluster, then a route that creates its route config and virtual host", async () => {
    await createCluster(t.db, actor, cluster({ name: "backend", endpoints: [{ address: "127.0.0.1", port: 9000 }] }));
    const row = await createRoute(t.db, actor, {
      routeConfig: "main",
      virtualHost: "all",
      domains: ["*"],
      route: route({ name: "users", match: { prefix: "/users" }, route: { cluster: "backend" } }),
    });
    expect(row).toMatchObject({ routeConfig: "main", virtualHost: "all", order: 0, actionKind: "route", actionSummary: "→ backend" });
    expect((await listWorkingClusters(t.db))[0]?.usedBy).toEqual(["route main/all/users"]);
  });

  it("maps a regex that does not compile to the form field match.regex, storing nothing", async () => {
    const before = await getWorkingConfig(t.db);
    const err = await failure(
      createRoute(t.db, actor, { routeConfig: "main", virtualHost: "all", route: route({ name: "bad", match: { regex: "(unclosed" }, route: { cluster: "backend" } }) }),
    );
    expect(err.code).toBe("VALIDATION");
    expect(err.issues).toEqual([
      { path: "routeConfigs[0].virtualHosts[0].routes[1].match.regex", field: "match.regex", message: expect.stringMatching(/^invalid regex/) },
    ]);
    expect((await getWorkingConfig(t.db)).revision).toBe(before.revision);
  });

  it("maps an unknown cluster to route.cluster and a duplicate route name to name", async () => {
    const unknown = await failure(
      createRoute(t.db, actor, { routeConfig: "main", virtualHost: "all", route: route({ name: "x", match: { prefix: "/x" }, route: { cluster: "userz" } }) }),
    );
    expect(unknown.issues).toEqual([{ path: "routeConfigs[0].virtualHosts[0].routes[1].route.cluster", field: "route.cluster", message: 'unknown cluster "userz"' }]);
    const dup = await failure(
      createRoute(t.db, actor, { routeConfig: "main", virtualHost: "all", route: route({ name: "users", match: { prefix: "/u" }, route: { cluster: "backend" } }) }),
    );
    expect(dup.issues[0]).toMatchObject({ field: "name", message: expect.stringContaining('duplicate name "users"') });
  });

  it("asks for domains when the virtual host would be new, and maps bad domains to that field", async () => {
    const missing = await failure(
      createRoute(t.db, actor, { routeConfig: "main", virtualHost: "api", route: route({ name: "a", match: { prefix: "/" }, directResponse: { status: 204 } }) }),
    );
    expect(missing.issues[0]?.field).toBe("domains");
    const bad = await failure(
      createRoute(t.db, actor, {
        routeConfig: "main",
        virtualHost: "api",
        domains: ["a*b"],
        route: route({ name: "a", match: { prefix: "/" }, directResponse: { status: 204 } }),
      }),
    );
    expect(bad.issues[0]).toMatchObject({ path: "routeConfigs[0].virtualHosts[1].domains[0]", field: "domains[0]" });
  });

  it("updates a route in place (keeping its order) and moves it when the placement changes", async () => {
    await createRoute(t.db, actor, { routeConfig: "main", virtualHost: "all", route: route({ name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } }) });
    const updated = await updateRoute(t.db, actor, {
      ref: { routeConfig: "main", virtualHost: "all", name: "users" },
      routeConfig: "main",
      virtualHost: "all",
      route: route({ name: "users", match: { prefix: "/people" }, route: { cluster: "backend", prefixRewrite: "/" } }),
    });
    expect(updated.order).toBe(0);
    expect(updated.match.prefix).toBe("/people");
    const moved = await updateRoute(t.db, actor, {
      ref: { routeConfig: "main", virtualHost: "all", name: "ping" },
      routeConfig: "edge",
      virtualHost: "health",
      domains: ["health.local"],
      route: route({ name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } }),
    });
    expect(moved).toMatchObject({ routeConfig: "edge", virtualHost: "health", order: 0 });
    expect((await listWorkingRoutes(t.db)).map((r) => `${r.routeConfig}/${r.virtualHost}/${r.name}`)).toEqual(["main/all/users", "edge/health/ping"]);
  });

  it("maps endpoint problems to endpoints[i] fields of the cluster form", async () => {
    const err = await failure(
      updateCluster(
        t.db,
        actor,
        "backend",
        cluster({ name: "backend", endpoints: [{ address: "127.0.0.1", port: 9000 }, { address: "127.0.0.1", port: 9000 }] }),
      ),
    );
    expect(err.issues).toEqual([{ path: "clusters[0].endpoints[1]", field: "endpoints[1]", message: "duplicate endpoint 127.0.0.1:9000 (also endpoints[0])" }]);
  });

  it("re-applies an edit when another writer changed the config in between", async () => {
    const { config, revision } = await getWorkingConfig(t.db);
    // A REST client writes after our read; editWorkingConfig must notice and retry.
    const saved = await replaceWorkingConfig(t.db, { ...config, clusters: [...config.clusters, { name: "other", endpoints: [{ address: "10.0.0.1", port: 80 }] }] }, { actor: "rest", expectedRevision: revision });
    expect(saved.ok).toBe(true);
    await createCluster(t.db, actor, cluster({ name: "third", endpoints: [{ address: "10.0.0.2", port: 80 }] }));
    expect((await listWorkingClusters(t.db)).map((c) => c.name)).toEqual(["backend", "other", "third"]);
  });

  it("refuses a form edit made on a stale revision of the same resource with 409 and what changed; other resources' changes do not block", async () => {
    const loaded = await getWorkingCluster(t.db, "other");
    // Someone else changes "other" after the form loaded it...
    await updateCluster(t.db, someoneElse, "other", cluster({ name: "other", endpoints: [{ address: "10.0.0.9", port: 81 }] }));
    const stale = await failure(updateCluster(t.db, actor, "other", cluster({ name: "other", endpoints: [{ address: "10.0.0.1", port: 82 }] }), loaded.revision));
    expect(stale.code).toBe("STALE_REVISION");
    expect(stale.message).toContain("clusters/other was changed by someone else");
    expect(stale.message).toMatch(/by someone@else\.test at .*~ clusters\/other: endpoints\[0\]\.address, endpoints\[0\]\.port/);
    expect((await getWorkingCluster(t.db, "other")).endpoints[0]).toMatchObject({ address: "10.0.0.9", port: 81 });

    // A change to another cluster since loading does not block an edit of this one.
    const fresh = await getWorkingCluster(t.db, "other");
    await updateCluster(t.db, someoneElse, "third", cluster({ name: "third", endpoints: [{ address: "10.0.0.2", port: 8080 }] }));
    await updateCluster(t.db, actor, "other", cluster({ name: "other", endpoints: [{ address: "10.0.0.1", port: 82 }] }), fresh.revision);
    expect((await getWorkingCluster(t.db, "other")).endpoints[0]).toMatchObject({ port: 82 });
    await updateCluster(t.db, actor, "third", cluster({ name: "third", endpoints: [{ address: "10.0.0.2", port: 80 }] }));
    await updateCluster(t.db, actor, "other", cluster({ name: "other", endpoints: [{ address: "10.0.0.1", port: 80 }] }));
  });

  it("shows the pending diff, publishes, and rolls back as a new version", async () => {
    const first = await pendingDiff(t.db);
    expect(first.liveVersion).toBeNull();
    expect(first.diff.clusters.added).toEqual(["backend", "other", "third"]);
    const v1 = await publish(t.db, actor, { message: "first" });
    expect(v1).toMatchObject({ version: 1, unchanged: false });
    expect((await pendingDiff(t.db)).diff.empty).toBe(true);

    await createCluster(t.db, actor, cluster({ name: "fourth", endpoints: [{ address: "10.0.0.3", port: 80 }] }));
    const diff = await pendingDiff(t.db);
    expect(diff).toMatchObject({ liveVersion: 1, diff: { empty: false, clusters: { added: ["fourth"] } } });
    await publish(t.db, actor, { message: "second" });

    const rolled = await rollback(t.db, actor, 1);
    expect(rolled.version).toBe(3);
    expect((await listWorkingClusters(t.db)).map((c) => c.name)).toEqual(["backend", "other", "third"]);
    expect((await failure(rollback(t.db, actor, 99))).code).toBe("NOT_FOUND");
  });
});

describe("stale edits of listeners, rate-limit policies and route configs", () => {
  it("refuses a form edit made on a stale revision of the same resource with 409 and what changed; other resources' changes do not block", async () => {
    const policy = (p: unknown) => ZRateLimitPolicy.parse(p);
    await createResource(t.db, actor, "rateLimitPolicies", policy({ name: "per-ip", requests: 10 }));
    await createResource(t.db, actor, "rateLimitPolicies", policy({ name: "per-key", requests: 5 }));
    const loaded = await getResource(t.db, "rateLimitPolicies", "per-ip");
    expect(loaded.revision).toBeGreaterThan(0);

    // Someone else changes "per-ip" after the form loaded it...
    await updateResource(t.db, someoneElse, "rateLimitPolicies", "per-ip", policy({ name: "per-ip", requests: 20 }));
    const stale = await failure(updateResource(t.db, actor, "rateLimitPolicies", "per-ip", policy({ name: "per-ip", requests: 30 }), loaded.revision));
    expect(stale.code).toBe("STALE_REVISION");
    expect(stale.message).toContain("rateLimitPolicies/per-ip was changed by someone else");
    expect(stale.message).toMatch(/by someone@else\.test at .*~ rateLimitPolicies\/per-ip: requests/);
    expect((await getResource(t.db, "rateLimitPolicies", "per-ip")).resource).toMatchObject({ requests: 20 });

    // A change to another policy since loading does not block an edit of this one.
    const fresh = await getResource(t.db, "rateLimitPolicies", "per-ip");
    await updateResource(t.db, someoneElse, "rateLimitPolicies", "per-key", policy({ name: "per-key", requests: 6 }));
    await updateResource(t.db, actor, "rateLimitPolicies", "per-ip", policy({ name: "per-ip", requests: 30 }), fresh.revision);
    expect((await getResource(t.db, "rateLimitPolicies", "per-ip")).resource).toMatchObject({ requests: 30 });

    // Listeners and route configs go through the same path.
    const listener = (l: unknown) => ZListener.parse(l);
    await createResource(t.db, actor, "listeners", listener({ name: "web", port: 18080, routeConfig: "main" }));
    const l0 = await getResource(t.db, "listeners", "web");
    await updateResource(t.db, someoneElse, "listeners", "web", listener({ name: "web", port: 18081, routeConfig: "main" }));
    const staleListener = await failure(updateResource(t.db, actor, "listeners", "web", listener({ name: "web", port: 18082, routeConfig: "main" }), l0.revision));
    expect(staleListener.code).toBe("STALE_REVISION");
    expect(staleListener.message).toMatch(/~ listeners\/web: port/);

    const rc = await getResource(t.db, "routeConfigs", "main");
    await updateRoute(t.db, someoneElse, { routeConfig: "main", virtualHost: "all", ref: { routeConfig: "main", virtualHost: "all", name: "users" }, route: route({ name: "users", match: { prefix: "/people" }, route: { cluster: "backend" } }) });
    const staleRc = await failure(updateResource(t.db, actor, "routeConfigs", "main", rc.resource, rc.revision));
    expect(staleRc.code).toBe("STALE_REVISION");
    expect(staleRc.message).toContain("routeConfigs/main was changed by someone else");
  });
});
