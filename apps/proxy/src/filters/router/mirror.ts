import type { TCompiledMirror } from "../../router/types.ts";
import type { ClusterRuntime, UpstreamEndpoint } from "../../upstream/cluster.ts";
import type { TUpstreamHandler } from "../../upstream/dispatch.ts";

/**
 * Request mirroring (Envoy's request_mirror_policies): a `fraction` of requests is copied
 * to another cluster, fire and forget. The copy's Host gets "-shadow" appended to the
 * host name (before any port, as Envoy does); its answer is read and dropped, and neither
 * its latency nor its failure reaches the client. A copy respects the mirror cluster's
 * maxRequests breaker; a body that was too big to buffer is not mirrored.
 */

export type TMirrorResult = "sent" | "failed" | "skipped";
export type TMirrorSink = (cluster: string, result: TMirrorResult) => void;

export function shadowHost(host: string): string {
  const colon = host.lastIndexOf(":");
  // "[::1]:80" and "a.b:80" have a port; a bare IPv6 literal ("::1") does not.
  const hasPort = host.startsWith("[") ? colon > host.lastIndexOf("]") : colon !== -1 && host.indexOf(":") === colon;
  return hasPort ? `${host.slice(0, colon)}-shadow${host.slice(colon)}` : `${host}-shadow`;
}

export function sendMirrors(
  mirrors: readonly TCompiledMirror<ClusterRuntime>[],
  method: string,
  path: string,
  headers: readonly string[],
  body: Buffer | null,
  sink: TMirrorSink,
): void {
  for (const m of mirrors) {
    if (m.fraction < 1 && Math.random() >= m.fraction) continue;
    const cluster = m.cluster;
    const endpoint = cluster.pick(undefined, null);
    if (endpoint === null) {
      sink(m.name, "skipped");
      continue;
    }
    // The node-wide maxRequests breaker (a promise when the worker asks its primary for a slot).
    const admitted = cluster.admitMirror();
    const go = (ok: boolean) => (ok ? shadow(cluster, endpoint, method, path, headers, body, sink) : sink(m.name, "skipped"));
    if (admitted === true || admitted === false) go(admitted);
    else void admitted.then(go);
  }
}

function shadow(cluster: ClusterRuntime, endpoint: UpstreamEndpoint, method: string, path: string, headers: readonly string[], body: Buffer | null, sink: TMirrorSink): void {
  const h = headers.slice();
  for (let i = 0; i < h.length; i += 2) if (h[i] === "host") h[i + 1] = shadowHost(h[i + 1] as string);
  cluster.activeRequests++;
  endpoint.activeRequests++;
  // As for tries: SNI is the pool's, never the (shadow) Host.
  endpoint.pool.dispatch({ method, path, headers: h, body }, new ShadowHandler(cluster, endpoint, sink));
}

/** Reads and drops the mirror's answer. */
class ShadowHandler implements TUpstreamHandler {
  readonly #cluster: ClusterRuntime;
  readonly #endpoint: UpstreamEndpoint;
  readonly #sink: TMirrorSink;
  #status = 0;
  #done = false;

  constructor(cluster: ClusterRuntime, endpoint: UpstreamEndpoint, sink: TMirrorSink) {
    this.#cluster = cluster;
    this.#endpoint = endpoint;
    this.#sink = sink;
  }

  onConnect(): void {}

  onHeaders(statusCode: number): boolean {
    if (statusCode >= 200) this.#status = statusCode;
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.#finish(this.#status < 500);
  }

  onError(): void {
    this.#finish(false);
  }

  #finish(ok: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#cluster.activeRequests--;
    this.#cluster.mirrorEnded();
    this.#endpoint.activeRequests--;
    if (ok) this.#endpoint.successes++;
    else this.#endpoint.errors++;
    this.#sink(this.#cluster.name, ok ? "sent" : "failed");
  }
}
