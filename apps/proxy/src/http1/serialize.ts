import { STATUS_CODES } from "node:http";

/**
 * A field name or value this proxy will not write: CR, LF or NUL would end the line (or
 * the head) early and let a filter's or an upstream's value inject fields or a second
 * message; a name must be a token.
 */
export class InvalidFieldError extends Error {
  constructor(name: string, what: "name" | "value") {
    super(`invalid header ${what} for "${name.slice(0, 64)}"`);
    this.name = "InvalidFieldError";
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What may not appear in a value on the wire: the line breaks and NUL (node refuses the same). */
const BAD_VALUE = /[\r\n\0]/;

/** "name: value\r\n" for each pair; values as strings, checked once here. */
function fieldLines(flat: readonly string[]): string {
  let out = "";
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    const value = flat[i + 1] as string;
    if (!TOKEN.test(name)) throw new InvalidFieldError(name, "name");
    if (BAD_VALUE.test(value)) throw new InvalidFieldError(name, "value");
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/** A response head, "HTTP/1.1 200 OK\r\n" + fields + "\r\n" (write it as latin1). */
export function responseHead(status: number, flatHeaders: readonly string[], reason?: string): string {
  const phrase = reason ?? STATUS_CODES[status] ?? "Unknown";
  if (BAD_VALUE.test(phrase)) throw new InvalidFieldError("reason-phrase", "value");
  return `HTTP/1.1 ${status} ${phrase}\r\n${fieldLines(flatHeaders)}\r\n`;
}

/** A request head, "GET /x HTTP/1.1\r\n" + fields + "\r\n" (write it as latin1). */
export function requestHead(method: string, target: string, flatHeaders: readonly string[]): string {
  if (!TOKEN.test(method)) throw new InvalidFieldError(method, "name");
  // The target came through the request parser or a filter's rewrite: no whitespace or controls.
  if (!visibleAscii(target)) throw new InvalidFieldError("request-target", "value");
  return `${method} ${target} HTTP/1.1\r\n${fieldLines(flatHeaders)}\r\n`;
}

/** Non-empty and only 0x21-0x7e: no whitespace, controls, DEL or obs-text in a request target. */
function visibleAscii(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** The size line before a chunk's data (RFC 9112 §7.1). */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

/** What ends each chunk's data. */
export const CHUNK_END = "\r\n";

/** The last chunk, then the trailer section (fields, or none) and its blank line. */
export function lastChunk(trailers?: readonly string[] | null): string {
  return trailers && trailers.length > 0 ? `0\r\n${fieldLines(trailers)}\r\n` : "0\r\n\r\n";
}
