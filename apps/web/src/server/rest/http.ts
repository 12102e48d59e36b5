import type { IncomingMessage, ServerResponse } from "node:http";
import { stringify as toYaml } from "yaml";
import { yamlSchemaModeline } from "@switchyard/config-model";
import { AppError, APP_ERRORS } from "../services/app-error.ts";
import type { TDocumentFormat } from "../services/document-text.ts";

/** Request bodies above this are refused with 413 (a config with many certificates fits easily). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function sendYaml(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, opts: { schemaUrl?: string | null } = {}): void {
  // A config document names its JSON Schema for editors (YAML language server).
  const text = (opts.schemaUrl ? yamlSchemaModeline(opts.schemaUrl) : "") + toYaml(body, { lineWidth: 0 });
  res.writeHead(status, {
    "content-type": "application/yaml; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

/**
 * An AppError as the REST API answers it: the status from the one table, a JSON body
 * `{ error, code, issues?, ...details }` (issues without the forms' `field`), and the
 * headers the status calls for.
 */
export function sendError(res: ServerResponse, err: AppError): void {
  const body: Record<string, unknown> = { error: err.message, code: err.code, ...err.details };
  if (err.issues.length) body.issues = err.issues.map(({ field: _field, ...issue }) => issue);
  const headers: Record<string, string> = {};
  if (err.code === "UNAUTHORIZED") headers["www-authenticate"] = 'Bearer realm="switchyard"';
  if (err.code === "DB_UNAVAILABLE") headers["retry-after"] = "1";
  if (err.code === "PAYLOAD_TOO_LARGE") headers.connection = "close";
  if (err.code === "METHOD_NOT_ALLOWED" && typeof err.details.allow === "string") headers.allow = err.details.allow;
  if (err.code === "STALE_REVISION" && typeof err.details.currentRevision === "number") headers.etag = etagOf(err.details.currentRevision);
  sendJson(res, APP_ERRORS[err.code].http, body, headers);
}

export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/**
 * If-Match -> expected revision: undefined when absent or `*` (no check). Any value that
 * is not one of our ETags can never match, so it becomes -1 and gets the 409 a stale one gets.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "" || value === "*") return undefined;
  const m = /^"(\d{1,15})"$/.exec(value.split(",")[0]!.trim());
  return m ? Number(m[1]) : -1;
}

/** Where this console serves the config's JSON Schema, as the client reached it (null for an odd Host header). */
export function configSchemaUrl(req: IncomingMessage): string | null {
  const host = req.headers.host ?? "";
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) return null;
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  return `${scheme}://${host}/api/v1/schema/config-v1.json`;
}

const YAML_TYPES = new Set(["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]);

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

/** True when the client asked for YAML (`Accept: application/yaml` or `text/yaml`). */
export function wantsYaml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => YAML_TYPES.has(mediaType(part)));
}

/** JSON or YAML by Content-Type; a missing type is read as YAML, which also accepts JSON. */
export function bodyFormat(req: IncomingMessage): TDocumentFormat {
  const type = mediaType(req.headers["content-type"]);
  if (type === "" || YAML_TYPES.has(type)) return "yaml";
  if (type === "application/json" || type.endsWith("+json")) return "json";
  throw new AppError("UNSUPPORTED_MEDIA_TYPE", `unsupported Content-Type "${type}": send application/json or application/yaml`);
}

/** Reads the whole body as UTF-8, refusing more than MAX_BODY_BYTES with 413. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () => new AppError("PAYLOAD_TOO_LARGE", `request body exceeds ${limit} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      // Stop buffering but let the rest drain so the 413 reaches the client.
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
