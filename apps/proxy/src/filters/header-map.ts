import type { THeaderMap } from "./api.ts";

/**
 * THeaderMap over a flat `[name, value, name, value, ...]` array with lower-case names:
 * the form undici takes for a request and `writeHead` for a response, so a filter's edits
 * are the headers that go out, with no conversion after the filters. Lookups are linear:
 * a request has tens of fields, and a Map would cost more to build than it saves.
 */
export class FlatHeaderMap implements THeaderMap {
  /** Read by the pipeline after the filters ran; filters go through the methods. */
  list: string[];

  constructor(list: string[]) {
    this.list = list;
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    const l = this.list;
    let out: string | undefined;
    for (let i = 0; i < l.length; i += 2) {
      if (l[i] !== n) continue;
      out = out === undefined ? (l[i + 1] as string) : `${out}, ${l[i + 1] as string}`;
    }
    return out;
  }

  has(name: string): boolean {
    const n = name.toLowerCase();
    const l = this.list;
    for (let i = 0; i < l.length; i += 2) if (l[i] === n) return true;
    return false;
  }

  set(name: string, value: string): void {
    this.remove(name);
    this.list.push(checkName(name), checkValue(value));
  }

  add(name: string, value: string): void {
    this.list.push(checkName(name), checkValue(value));
  }

  remove(name: string): void {
    const n = name.toLowerCase();
    const l = this.list;
    let w = 0;
    for (let r = 0; r < l.length; r += 2) {
      if (l[r] === n) continue;
      l[w] = l[r] as string;
      l[w + 1] = l[r + 1] as string;
      w += 2;
    }
    l.length = w;
  }

  *entries(): IterableIterator<[string, string]> {
    const l = this.list;
    for (let i = 0; i < l.length; i += 2) yield [l[i] as string, l[i + 1] as string];
  }
}

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** A value with CR/LF (or other controls but tab) would split the header block: refused, never sent. */
function checkValue(value: string): string {
  if (BAD_VALUE.test(value)) throw new TypeError("header value contains control characters");
  return value;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A name that is not a token (a space, a colon, a line break) would be refused when the
 * head is written, too late to blame the filter (upstream it would look like a broken
 * connection): refused here, where the filter's phase fails with its name (500 FE).
 */
function checkName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`header name ${JSON.stringify(name.slice(0, 64))} is not a token`);
  return name.toLowerCase();
}

/** Lower-cased request fields from Node's rawHeaders, without HTTP/2 pseudo-headers. */
export function requestHeaderList(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name.charCodeAt(0) === 58) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/** A plain object's headers (a filter's local reply) appended to a flat list. */
export function pushHeaderObject(out: string[], headers: Readonly<Record<string, string>> | undefined): void {
  if (!headers) return;
  for (const name in headers) out.push(checkName(name), checkValue(String(headers[name])));
}
