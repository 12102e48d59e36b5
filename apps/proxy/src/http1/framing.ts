import { HttpParseError } from "./errors.ts";
import type { TRequestHead, TResponseHead } from "./head.ts";

/** How a message's body is delimited (RFC 9112 §6). */
export type TBodyFraming = { readonly kind: "none" } | { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" } | { readonly kind: "close" };

export const NO_BODY: TBodyFraming = { kind: "none" };
const CHUNKED: TBodyFraming = { kind: "chunked" };
const CLOSE: TBodyFraming = { kind: "close" };

/** A Content-Length this codec accepts: 1 to 15 digits (2^53 > 10^15), nothing else. */
const LENGTH = /^\d{1,15}$/;

type TFramingFields = { te: string | null; length: number | null };

/**
 * Transfer-Encoding (all fields joined) and Content-Length of a head. Repeated or listed
 * lengths must agree ("3, 3" is one length; "3, 40" is two stories about one body);
 * anything but digits is refused: a sign, a space inside, hex.
 */
function framingFields(rawHeaders: readonly string[]): TFramingFields {
  let te: string | null = null;
  let length: number | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
      const v = rawHeaders[i + 1] as string;
      te = te === null ? v : `${te}, ${v}`;
    } else if (name.length === 14 && name.toLowerCase() === "content-length") {
      for (const part of (rawHeaders[i + 1] as string).split(",")) {
        const v = part.trim();
        if (!LENGTH.test(v)) throw new HttpParseError(400, "invalid Content-Length");
        const n = Number(v);
        if (length !== null && n !== length) throw new HttpParseError(400, "conflicting Content-Length values");
        length = n;
      }
    }
  }
  return { te, length };
}

/** Whether the last transfer coding is chunked; 501 for a coding this proxy does not implement before it. */
function chunkedLast(te: string): boolean {
  const codings = te.split(",").map((c) => c.trim().toLowerCase());
  const last = codings[codings.length - 1];
  if (last !== "chunked") return false;
  for (let i = 0; i < codings.length - 1; i++) {
    // "chunked" twice would mean the body is chunked inside chunked: refused like any other stacking.
    throw new HttpParseError(501, `transfer coding "${codings[i] as string}" is not implemented`);
  }
  return true;
}

/**
 * A request's body framing (RFC 9112 §6.1-6.3). The ambiguous ones that request
 * smuggling lives on are refused with 400, never resolved: Transfer-Encoding with
 * Content-Length, a Transfer-Encoding whose last coding is not chunked, and
 * Transfer-Encoding in an HTTP/1.0 request.
 */
export function requestFraming(head: TRequestHead): TBodyFraming {
  const { te, length } = framingFields(head.rawHeaders);
  if (te !== null) {
    if (length !== null) throw new HttpParseError(400, "both Transfer-Encoding and Content-Length");
    if (head.minor === 0) throw new HttpParseError(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (!chunkedLast(te)) throw new HttpParseError(400, "Transfer-Encoding does not end with chunked");
    return CHUNKED;
  }
  if (length === null || length === 0) return NO_BODY;
  return { kind: "length", length };
}

/**
 * A response's body framing (RFC 9112 §6.3): none for HEAD, 1xx, 204, 304 and a 2xx to
 * CONNECT; chunked when Transfer-Encoding ends with chunked (a Content-Length beside it
 * is ignored, and the response is not reused: see keepAlive's caller); else the length;
 * else the body runs until the connection closes.
 */
export function responseFraming(requestMethod: string, head: TResponseHead): TBodyFraming {
  const s = head.status;
  if (requestMethod === "HEAD" || s < 200 || s === 204 || s === 304) return NO_BODY;
  if (requestMethod === "CONNECT" && s < 300) return NO_BODY;
  const { te, length } = framingFields(head.rawHeaders);
  if (te !== null) return chunkedLast(te) ? CHUNKED : CLOSE;
  if (length === null) return CLOSE;
  return length === 0 ? NO_BODY : { kind: "length", length };
}

/** Whether the connection may carry another message after this one (RFC 9112 §9.3). */
export function keepAlive(minor: 0 | 1, rawHeaders: readonly string[]): boolean {
  let alive = minor === 1;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 10 || name.toLowerCase() !== "connection") continue;
    for (const t of (rawHeaders[i + 1] as string).split(",")) {
      const token = t.trim().toLowerCase();
      if (token === "close") return false;
      if (token === "keep-alive") alive = true;
    }
  }
  return alive;
}
