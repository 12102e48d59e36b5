import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** A span as an OTLP/HTTP JSON collector receives it (opentelemetry-proto JSON mapping). */
export type TOtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status: { code: number };
};

export type TOtlpRequest = { path: string; contentType: string; headers: Record<string, string | string[] | undefined>; body: { resourceSpans: { resource: { attributes: TOtlpSpan["attributes"] }; scopeSpans: { scope: { name: string }; spans: TOtlpSpan[] }[] }[] } };

/**
 * A real OTLP/HTTP receiver on 127.0.0.1 (what Jaeger or the OpenTelemetry Collector
 * expose on :4318): accepts POST /v1/traces with JSON and answers 200 `{}` like the spec's
 * ExportTraceServiceResponse.
 */
export async function startOtlpReceiver(): Promise<{ url: string; requests: TOtlpRequest[]; spans(): TOtlpSpan[]; close(): Promise<void>; server: Server }> {
  const requests: TOtlpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      // OTLP/HTTP senders may gzip the body (OTEL_EXPORTER_OTLP_COMPRESSION=gzip).
      const raw = Buffer.concat(chunks);
      const text = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      requests.push({ path: req.url, contentType: req.headers["content-type"] ?? "", headers: req.headers, body: JSON.parse(text) });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    spans: () => requests.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Attribute value of an OTLP span as a plain JS value. */
export function attr(span: TOtlpSpan, key: string): unknown {
  const a = span.attributes.find((x) => x.key === key);
  if (!a) return undefined;
  const v = a.value;
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("boolValue" in v) return v.boolValue;
  if ("doubleValue" in v) return v.doubleValue;
  return undefined;
}
