import type { TPathNormalization } from "@switchyard/config-model";

/**
 * One path for every spelling of it. A request target is read here, once, before routing,
 * filters, rate limits, the access log or the upstream see it, so that `//admin`,
 * `/./admin`, `/%61dmin`, `/x/../admin` and `/admin` are the same path everywhere (the
 * confusion Envoy's normalize_path / merge_slashes / path_with_escaped_slashes_action
 * switches exist for; here they are on by default).
 *
 * Steps, in order (RFC 3986 §6.2.2 and §5.2.4; RFC 9112 §3.2):
 *   1. bytes: only visible ASCII (no controls, spaces, non-ASCII), no fragment -> else invalid;
 *   2. form: origin-form `/path?query`; absolute-form `http://authority/path?query` gives
 *      the authority (which then wins over Host) and continues with its path; `*` only
 *      for OPTIONS; anything else is invalid;
 *   3. escapes: `%XX` must be two hex digits and not NUL; unreserved characters are
 *      decoded and the rest upper-cased (normalize); `%2F` / `%5C` follow escapedSlashes;
 *      the decoded bytes must be valid UTF-8 (an overlong `%C0%AE` is a dot to some origins);
 *   4. `\` is read as `/` (normalize), runs of `/` merged (mergeSlashes);
 *   5. dot segments removed (normalize); a dot segment with parameters (`/..;/`, which
 *      Tomcat reads as `..`) is invalid.
 * The query is kept byte for byte (only step 1 applies to it).
 */

export type TTargetVerdict =
  /** `target` is the normalised origin-form target; `authority` is set for absolute-form. */
  | { readonly kind: "ok"; readonly target: string; readonly authority: string | null }
  /** 400: the target cannot be read one way only. */
  | { readonly kind: "invalid"; readonly reason: string }
  /** escapedSlashes: redirect -> 307 to `location` (the unescaped, normalised target). */
  | { readonly kind: "redirect"; readonly location: string; readonly authority: string | null };

/** Step 1: visible ASCII only, and no fragment (RFC 9112 §3.2: a request target has none). */
const INVALID_BYTE = /[^\x21-\x7e]|#/;
const ABSOLUTE_FORM = /^(https?):\/\/([^/?#]*)(.*)$/i;
/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
const UNRESERVED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") UNRESERVED[c.charCodeAt(0)] = 1;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function normalizeTarget(rawTarget: string, method: string, policy: TPathNormalization): TTargetVerdict {
  if (INVALID_BYTE.test(rawTarget)) return invalid("control, space, non-ASCII byte or fragment in the request target");
  let target = rawTarget;
  let authority: string | null = null;
  if (target.charCodeAt(0) !== 47 /* / */) {
    if (target === "*") return method === "OPTIONS" ? { kind: "ok", target, authority } : invalid("'*' is only a target for OPTIONS");
    const m = ABSOLUTE_FORM.exec(target);
    if (!m) return invalid("the request target is neither origin-form nor absolute-form");
    authority = m[2] as string;
    // userinfo is not allowed in an http(s) URI used as a target (RFC 9110 §4.2.4).
    if (authority === "" || authority.includes("@")) return invalid("absolute-form target without a valid authority");
    const rest = m[3] as string;
    target = rest === "" ? "/" : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest;
    if (target.charCodeAt(0) !== 47) return invalid("absolute-form target without a path");
  }
  const q = target.indexOf("?");
  if (!needsWork(target, q === -1 ? target.length : q)) return { kind: "ok", target, authority };
  const path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q);

  const r = normalizePath(path, policy);
  if (typeof r === "string") return invalid(r);
  const out = r.path + query;
  if (r.escapedSlash && policy.escapedSlashes === "redirect") return { kind: "redirect", location: out, authority };
  return { kind: "ok", target: out, authority };
}

/**
 * The fast path (one scan, no allocation): the path `target[0, end)` needs work when it
 * holds an escape, a backslash, a `;`, `//` or a segment starting with `.`.
 */
function needsWork(target: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c === 37 /* % */ || c === 92 /* \ */ || c === 59 /* ; */) return true;
    if (c === 47 /* / */) {
      const next = target.charCodeAt(i + 1);
      if (next === 47 || next === 46 /* . */) return true;
    }
  }
  return false;
}

/** Steps 3-5 on the path (no query); a string is the reason it is invalid. */
function normalizePath(path: string, policy: TPathNormalization): { path: string; escapedSlash: boolean } | string {
  let out = "";
  let escapedSlash = false;
  let highBytes = false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 92 /* \ */) {
      out += policy.normalize ? "/" : "\\";
      continue;
    }
    if (c !== 37 /* % */) {
      out += path[i];
      continue;
    }
    const byte = hexByte(path, i + 1);
    if (byte < 0) return "a '%' not followed by two hex digits";
    if (byte === 0) return "an escaped NUL (%00)";
    i += 2;
    if (byte === 0x2f || byte === 0x5c) {
      escapedSlash = true;
      const action = policy.escapedSlashes;
      if (action === "reject") return "an escaped slash (%2F or %5C)";
      if (action === "keep") out += byte === 0x2f ? "%2F" : "%5C";
      // redirect and unescape both go on with the unescaped path.
      else out += byte === 0x2f || policy.normalize ? "/" : "\\";
      continue;
    }
    if (byte >= 0x80) highBytes = true;
    if (policy.normalize && byte < 0x80 && UNRESERVED[byte] === 1) out += String.fromCharCode(byte);
    else out += policy.normalize ? `%${hex2(byte)}` : path.slice(i - 2, i + 1);
  }
  if (highBytes && policy.normalize && !validUtf8(out)) return "escaped bytes that are not valid UTF-8 (e.g. an overlong encoding)";
  if (policy.mergeSlashes) out = out.replace(/\/{2,}/g, "/");
  if (policy.normalize) {
    const r = removeDotSegments(out);
    if (r === null) return "a dot segment with parameters (e.g. '/..;/')";
    out = r;
  }
  return { path: out, escapedSlash };
}

/**
 * RFC 3986 §5.2.4 on an absolute path: `.` segments go, `..` removes the segment before
 * it (never above the root); a path ending in either ends with `/`. Null for a segment
 * such as `..;x` (a dot segment to servers that strip path parameters).
 */
function removeDotSegments(path: string): string | null {
  const segments = path.split("/");
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i] as string;
    const semi = seg.indexOf(";");
    if (semi !== -1) {
      const name = seg.slice(0, semi);
      if (name === "." || name === "..") return null;
    }
    trailingSlash = false;
    if (seg === ".") trailingSlash = true;
    else if (seg === "..") {
      out.pop();
      trailingSlash = true;
    } else out.push(seg);
  }
  return `/${out.join("/")}${trailingSlash && out.length ? "/" : ""}`;
}

/** True when the path's escaped bytes, read with its ASCII, form valid UTF-8. */
function validUtf8(path: string): boolean {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) === 37 && i + 2 < path.length) {
      bytes.push(hexByte(path, i + 1));
      i += 2;
    } else bytes.push(path.charCodeAt(i));
  }
  try {
    utf8.decode(new Uint8Array(bytes));
    return true;
  } catch {
    return false;
  }
}

function hexByte(s: string, at: number): number {
  const h = hexDigit(s.charCodeAt(at));
  const l = hexDigit(s.charCodeAt(at + 1));
  return h < 0 || l < 0 ? -1 : h * 16 + l;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}

function invalid(reason: string): TTargetVerdict {
  return { kind: "invalid", reason };
}
