import type { IncomingMessage, ServerResponse } from "node:http";
import { stringify as toYaml } from "yaml";
import { yamlSchemaModeline, type TConfigIssue } from "@switchyard/config-model";

/** Request bodies above this are refused with 413 (a config with many certificates fits easily). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * Every failure the REST API answers with: a stable `code`, an HTTP status and a JSON
 * body `{ error, code, issues? }`. Handlers throw these; one place turns them into
 * responses.
 */
export class RestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: TConfigIssue[] | undefined;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  constructor(
    status: number,
    code: string,
    message: string,
    options: { issues?: TConfigIssue[]; headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "RestError";
    this.status = status;
    this.code = code;
    this.issues = options.issues;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

export function invalidConfig(issues: TConfigIssue[]): RestError {
  return new RestError(422, "SWY_REST_INVALID_CONFIG", "invalid config", { issues });
}

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

export function sendError(res: ServerResponse, err: RestError): void {
  const body: Record<string, unknown> = { error: err.message, code: err.code, ...err.extra };
  if (err.issues) body.issues = err.issues;
  sendJson(res, err.status, body, err.headers);
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

export type TBodyFormat = "json" | "yaml";

/** JSON or YAML by Content-Type; a missing type is read as YAML, which also accepts JSON. */
export function bodyFormat(req: IncomingMessage): TBodyFormat {
  const type = mediaType(req.headers["content-type"]);
  if (type === "" || YAML_TYPES.has(type)) return "yaml";
  if (type === "application/json" || type.endsWith("+json")) return "json";
  throw new RestError(415, "SWY_REST_UNSUPPORTED_MEDIA_TYPE", `unsupported Content-Type "${type}": send application/json or application/yaml`);
}

/** Reads the whole body as UTF-8, refusing more than MAX_BODY_BYTES with 413. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () =>
    new RestError(413, "SWY_REST_BODY_TOO_LARGE", `request body exceeds ${limit} bytes`, { headers: { connection: "close" } });
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

/** The line (1-based) of a character offset, for JSON.parse errors that only give a position. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
