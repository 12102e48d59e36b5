import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { LATENCY_BOUNDS_MS, latencyBucket } from "@switchyard/config-model";
import type { TJsonBody } from "./cp-server.ts";

/**
 * A node client that speaks the control-plane wire protocol over a real WebSocket:
 * hello, ack/nack of snapshots, stats frames. Used where a test needs to control what
 * a node answers (a nack) or report (stats windows) precisely.
 */
export type TFakeNode = {
  ws: WebSocket;
  frames: Record<string, TJsonBody>[];
  closed: { code: number; reason: string } | null;
  send(msg: unknown): void;
  snapshots(): Record<string, TJsonBody>[];
  close(): void;
};

export function connectNode(url: string, headers: Record<string, string> = {}): Promise<TFakeNode> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const node: TFakeNode = {
      ws,
      frames: [],
      closed: null,
      send: (msg) => ws.send(typeof msg === "string" ? msg : JSON.stringify(msg)),
      snapshots: () => node.frames.filter((f) => f.type === "snapshot"),
      close: () => ws.terminate(),
    };
    ws.on("message", (data) => node.frames.push(JSON.parse(String(data)) as Record<string, TJsonBody>));
    ws.on("close", (code, reason) => (node.closed = { code, reason: reason.toString() }));
    ws.once("open", () => resolve(node));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res: IncomingMessage) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

export function helloFrame(nodeId: string, group: string, extra: Record<string, unknown> = {}) {
  return { type: "hello", nodeId, group, labels: { zone: "a" }, proxyVersion: "test", ...extra };
}

/** One stats window: `requests` with `errors5xx` of them 5xx, every latency in the bucket of `latencyMs` (config-model's shared layout). */
export function statsFrame(opts: { requests: number; errors5xx: number; latencyMs?: number; windowStart?: number; windowMs?: number }) {
  const windowStart = opts.windowStart ?? Date.now();
  const latency = opts.latencyMs ?? 4;
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  counts[latencyBucket(latency)] = opts.requests;
  return {
    type: "stats",
    windowStart,
    windowEnd: windowStart + (opts.windowMs ?? 1000),
    dropped: 0,
    entries: [
      {
        kind: "route",
        name: "r1",
        listener: "l1",
        cluster: "c1",
        requests: opts.requests,
        codeClasses: { "1xx": 0, "2xx": opts.requests - opts.errors5xx, "3xx": 0, "4xx": 0, "5xx": opts.errors5xx },
        bytesIn: 0,
        bytesOut: 0,
        latency: { bounds: [...LATENCY_BOUNDS_MS], counts, sum: latency * opts.requests, count: opts.requests },
      },
      // Like a proxy: the same requests again in their cluster's row (readers count route rows only).
      {
        kind: "cluster",
        name: "c1",
        requests: opts.requests,
        codeClasses: { "1xx": 0, "2xx": opts.requests - opts.errors5xx, "3xx": 0, "4xx": 0, "5xx": opts.errors5xx },
        bytesIn: 0,
        bytesOut: 0,
        latency: { bounds: [...LATENCY_BOUNDS_MS], counts, sum: latency * opts.requests, count: opts.requests },
      },
    ],
  };
}
