import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { TSpan } from "@switchyard/config-model";
import type { TLog } from "../log.ts";
import { toOtlpJson, type TOtlpResource } from "./otlp.ts";

/**
 * Buffers spans and posts them to an OTLP/HTTP collector (Jaeger, the OpenTelemetry
 * Collector...) as JSON, off the request path: at most one export in flight, a batch
 * every FLUSH_MS or when BATCH_MAX spans wait. The buffer is bounded (QUEUE_MAX); spans
 * beyond it are dropped and counted, never block a request.
 */
const FLUSH_MS = 1_000;
const BATCH_MAX = 512;
const QUEUE_MAX = 8_192;
const EXPORT_TIMEOUT_MS = 5_000;
const gzipAsync = promisify(gzipCallback);

export type TOtlpExporter = {
  push(span: TSpan): void;
  /** Spans dropped since start (queue full or export failed). */
  dropped(): number;
  /** Exports what is buffered, then stops. */
  close(): Promise<void>;
};

/**
 * `--otlp-endpoint`: like OTEL_EXPORTER_OTLP_ENDPOINT, a base URL (http://host:4318) gets
 * the signal path /v1/traces appended; a URL with a path is used as it is.
 */
export function otlpTracesUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/v1/traces";
  return u.toString();
}

/** OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_COMPRESSION, as parsed by the CLI module. */
export type TOtlpTransport = { headers: Readonly<Record<string, string>>; compression: "gzip" | "none" };

export function createOtlpExporter(endpoint: string, resource: TOtlpResource, log: TLog, transport: TOtlpTransport = { headers: {}, compression: "none" }): TOtlpExporter {
  const url = otlpTracesUrl(endpoint);
  let queue: TSpan[] = [];
  let dropped = 0;
  let inFlight: Promise<void> | null = null;
  let lastErrorLogged = 0;

  const exportBatch = async (batch: TSpan[]): Promise<void> => {
    try {
      const json = JSON.stringify(toOtlpJson(batch, resource));
      const gzip = transport.compression === "gzip";
      const res = await fetch(url, {
        method: "POST",
        headers: { ...transport.headers, "content-type": "application/json", ...(gzip ? { "content-encoding": "gzip" } : {}) },
        body: gzip ? await gzipAsync(json) : json,
        signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`collector answered ${res.status}`);
    } catch (err) {
      dropped += batch.length;
      // One line per 10 s at most: a dead collector must not flood the event log.
      if (Date.now() - lastErrorLogged > 10_000) {
        lastErrorLogged = Date.now();
        log("otlp_export_failed", { url, spans: batch.length, dropped, error: err });
      }
    }
  };

  const flush = (): void => {
    if (inFlight || queue.length === 0) return;
    const batch = queue.length > BATCH_MAX ? queue.splice(0, BATCH_MAX) : queue;
    if (batch === queue) queue = [];
    inFlight = exportBatch(batch).finally(() => {
      inFlight = null;
      if (queue.length >= BATCH_MAX) flush();
    });
  };
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref();

  return {
    push(span) {
      if (queue.length >= QUEUE_MAX) {
        dropped++;
        return;
      }
      queue.push(span);
      if (queue.length >= BATCH_MAX) flush();
    },
    dropped: () => dropped,
    async close() {
      clearInterval(timer);
      while (inFlight || queue.length) {
        if (inFlight) await inFlight;
        else flush();
      }
    },
  };
}
