import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
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

/** Fixed latency buckets (ms) of the stats frames the tests send. */
export const TEST_BOUNDS = [5, 10, 25, 50, 100, 250, 500, 1000];

/** One stats window: `requests` with `errors5xx` of them 5xx, every latency in the bucket of `latencyMs`. */
export function statsFrame(opts: { requests: number; errors5xx: number; latencyMs?: number; windowStart?: number; windowMs?: number }) {
  const windowStart = opts.windowStart ?? Date.now();
  const latency = opts.latencyMs ?? 4;
  const counts = new Array<number>(TEST_BOUNDS.length + 1).fill(0);
  const bucket = TEST_BOUNDS.findIndex((b) => latency <= b);
  counts[bucket === -1 ? TEST_BOUNDS.length : bucket] = opts.requests;
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
        requests: opts.requests,
        codeClasses: { "1xx": 0, "2xx": opts.requests - opts.errors5xx, "3xx": 0, "4xx": 0, "5xx": opts.errors5xx },
        bytesIn: 0,
        bytesOut: 0,
        latency: { bounds: TEST_BOUNDS, counts, sum: latency * opts.requests, count: opts.requests },
      },
    ],
  };
}
