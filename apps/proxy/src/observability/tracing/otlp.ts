import type { TSpan } from "@switchyard/config-model";

/**
 * OTLP/HTTP JSON encoding of spans (opentelemetry-proto `ExportTraceServiceRequest`,
 * JSON mapping: trace and span ids as hex strings, enums as integers, 64-bit integers
 * as decimal strings). Pure: the exporter posts what this returns.
 */

/** opentelemetry-proto Span.SpanKind */
const KIND = { server: 2, client: 3 } as const;
/** opentelemetry-proto Status.StatusCode */
const STATUS = { unset: 0, ok: 1, error: 2 } as const;

type TAnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

function anyValue(v: string | number | boolean): TAnyValue {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function attributes(rec: Record<string, string | number | boolean>) {
  return Object.entries(rec).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** `attributes`: OTEL_RESOURCE_ATTRIBUTES; service.* below win over them (the spec's precedence for service.name). */
export type TOtlpResource = { serviceName: string; serviceInstanceId: string; serviceVersion: string; attributes?: Readonly<Record<string, string>> };

export function toOtlpJson(spans: readonly TSpan[], resource: TOtlpResource): unknown {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: attributes({
            ...resource.attributes,
            "service.name": resource.serviceName,
            "service.instance.id": resource.serviceInstanceId,
            "service.version": resource.serviceVersion,
          }),
        },
        scopeSpans: [
          {
            scope: { name: "switchyard-proxy", version: resource.serviceVersion },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: KIND[s.kind],
              startTimeUnixNano: s.startUnixNano,
              endTimeUnixNano: s.endUnixNano,
              attributes: attributes(s.attributes),
              status: { code: STATUS[s.status] },
            })),
          },
        ],
      },
    ],
  };
}
