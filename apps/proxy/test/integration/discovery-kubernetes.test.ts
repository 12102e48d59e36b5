import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeKubeApi, type TFakeKubeApi, type TSliceEndpoint } from "../helpers/fake-kube-apiserver.ts";
import { freePort } from "../helpers/free-port.ts";
import { startLoad, startOnHosts, waitFor, type TNamedServer } from "../helpers/load.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/**
 * discovery: kubernetes through the real proxy CLI with a kubeconfig. No cluster runs
 * here, so the API server is a FAKE speaking the real EndpointSlice list/watch wire
 * protocol (resourceVersion, bookmarks, 410 Expired; helpers/fake-kube-apiserver.ts).
 * Pods are real HTTP servers on 127.0.0.2-4 sharing one port, as pod IPs would.
 */
type TClusterView = { name: string; source: string; discoveryLastError: string | null; endpoints: { address: string; port: number }[] };

const TOKEN = "test-service-account-token";

describe("Kubernetes discovery", () => {
  let api: TFakeKubeApi;
  let pods: TNamedServer[];
  let podPort: number;
  let proxy: TProxyProcess;
  let base: string;
  const ready = (ip: string): TSliceEndpoint => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } });
  const terminating = (ip: string): TSliceEndpoint => ({ addresses: [ip], conditions: { ready: false, serving: true, terminating: true } });
  const notReady = (ip: string): TSliceEndpoint => ({ addresses: [ip], conditions: { ready: false, serving: false, terminating: false } });
  const slice = (name: string, endpoints: TSliceEndpoint[]) => ({ name, service: "users", ports: [{ name: "http", port: podPort }, { name: "metrics", port: 1 }], endpoints });

  beforeAll(async () => {
    api = await startFakeKubeApi(TOKEN);
    pods = await startOnHosts(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    podPort = (pods[0] as TNamedServer).port;
    api.apply(slice("users-abc12", [ready("127.0.0.2"), notReady("127.0.0.4")]));
    // Another service in the namespace: must not leak in.
    api.apply({ name: "orders-xyz", service: "orders", ports: [{ name: "http", port: podPort }], endpoints: [ready("127.0.0.3")] });
    const dir = await mkdtemp(join(tmpdir(), "switchyard-kube-"));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: test",
        "clusters:",
        `- name: fake\n  cluster:\n    server: ${api.url}`,
        "users:",
        `- name: proxy\n  user:\n    token: ${TOKEN}`,
        "contexts:",
        "- name: test\n  context:\n    cluster: fake\n    user: proxy\n    namespace: default",
      ].join("\n"),
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proxy = await startProxy({
      env: { KUBECONFIG: kubeconfig },
      config: {
        listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "main" }],
        routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "users", match: { prefix: "/" }, route: { cluster: "users" } }] }] }],
        clusters: [{ name: "users", discovery: "kubernetes", kubernetes: { namespace: "default", service: "users", port: "http" } }],
      },
    });
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    await api?.close();
    await Promise.all((pods ?? []).map((s) => s.close()));
  });

  const cluster = async (): Promise<TClusterView> => {
    const body = (await (await proxy.admin("/clusters")).json()) as { clusters: TClusterView[] };
    return body.clusters.find((x) => x.name === "users") as TClusterView;
  };
  const ips = async () => (await cluster()).endpoints.map((e) => e.address).sort();

  it("lists then watches EndpointSlices; ready endpoints serve, terminating ones drain, under load with zero failed requests", async () => {
    expect(await ips()).toEqual(["127.0.0.2"]);
    expect((await cluster()).endpoints[0]?.port).toBe(podPort);
    expect((await cluster()).source).toContain("kubernetes default/users port http (kubeconfig");
    expect(api.requests[0]).toBe("LIST");
    expect(api.requests[1]).toMatch(/^WATCH rv=\d+ bookmarks=true$/);
    const load = startLoad(base, 6);
    try {
      await waitFor("traffic on .2", () => (load.byUpstream.get("127.0.0.2") ?? 0) > 20);
      // Scale up: .3 becomes ready, .4 too (in a second slice).
      api.apply(slice("users-abc12", [ready("127.0.0.2"), ready("127.0.0.3")]));
      api.apply(slice("users-def34", [ready("127.0.0.4")]));
      await waitFor("three pods", async () => (await ips()).length === 3, 5_000, 20);
      await waitFor("traffic on .3 and .4", () => (load.byUpstream.get("127.0.0.3") ?? 0) > 10 && (load.byUpstream.get("127.0.0.4") ?? 0) > 10);
      // Rolling: .2 terminates (ready false, serving true) -> leaves the balancer at once.
      api.apply(slice("users-abc12", [terminating("127.0.0.2"), ready("127.0.0.3")]));
      await waitFor(".2 drained", async () => JSON.stringify(await ips()) === JSON.stringify(["127.0.0.3", "127.0.0.4"]), 5_000, 20);
      // A deleted slice takes its endpoints with it.
      api.remove("users-def34");
      await waitFor(".4 gone", async () => JSON.stringify(await ips()) === JSON.stringify(["127.0.0.3"]), 5_000, 20);
      const before = load.byUpstream.get("127.0.0.3") ?? 0;
      await waitFor("more traffic on .3", () => (load.byUpstream.get("127.0.0.3") ?? 0) > before + 30);
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
  }, 30_000);

  it("bookmarks advance the resourceVersion; 410 Expired makes it re-list and keep following", async () => {
    const listsBefore = api.requests.filter((r) => r === "LIST").length;
    api.bookmark();
    api.expireWatches();
    await waitFor("a re-list", () => api.requests.filter((r) => r === "LIST").length > listsBefore, 5_000, 20);
    await proxy.waitForEvent((e) => e.event === "kubernetes_watch_gone");
    // Changes after the re-list are followed by the new watch.
    api.apply(slice("users-abc12", [ready("127.0.0.2"), ready("127.0.0.3")]));
    await waitFor("following after re-list", async () => JSON.stringify(await ips()) === JSON.stringify(["127.0.0.2", "127.0.0.3"]), 5_000, 20);
    expect((await cluster()).discoveryLastError).toBeNull();
  }, 20_000);

  it("when no endpoint is ready, serving+terminating ones answer (kube-proxy's fallback); not-ready ones never do", async () => {
    api.apply(slice("users-abc12", [terminating("127.0.0.2"), notReady("127.0.0.3")]));
    await waitFor("fallback", async () => JSON.stringify(await ips()) === JSON.stringify(["127.0.0.2"]), 5_000, 20);
    const r = await fetch(base);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-upstream")).toBe("127.0.0.2");
    await r.text();
    api.apply(slice("users-abc12", [notReady("127.0.0.2")]));
    await waitFor("empty", async () => (await ips()).length === 0, 5_000, 20);
    const empty = await fetch(base);
    expect(empty.status).toBe(503);
    expect(empty.headers.get("x-switchyard-response-flags")).toBe("UH");
    await empty.text();
  }, 20_000);
});
