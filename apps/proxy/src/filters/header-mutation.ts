import type { THeaderMutation } from "@switchyard/config-model";

/**
 * Request/response header mutations (route- and virtual-host-level `requestHeaders` /
 * `responseHeaders`), compiled once per config version.
 *
 * Headers on the hot path are a flat array `[name, value, name, value, ...]` with
 * lower-case names: that is what undici takes for a request and what
 * `ServerResponse.writeHead` takes for a response, so no object is built per request.
 */
export type TCompiledHeaderMutation = {
  /** Lower-case names removed before any add of this mutation. */
  readonly remove: ReadonlySet<string>;
  /** Applied in order. `append: false` replaces every existing value of the name. */
  readonly add: readonly { readonly name: string; readonly value: string; readonly append: boolean }[];
};

/** null when the mutation does nothing, so the hot path can skip it with one check. */
export function compileHeaderMutation(m: THeaderMutation | undefined): TCompiledHeaderMutation | null {
  if (!m || (m.add.length === 0 && m.remove.length === 0)) return null;
  return Object.freeze({
    remove: new Set(m.remove.map((n) => n.toLowerCase())),
    add: Object.freeze(m.add.map((a) => Object.freeze({ name: a.name.toLowerCase(), value: a.value, append: a.append }))),
  });
}

/**
 * Applies mutations in order (route first, then virtual host, as Envoy does by default:
 * the less specific level runs last, so its overwrites win). Mutates `headers` in place.
 */
export function applyHeaderMutations(headers: string[], mutations: readonly TCompiledHeaderMutation[]): void {
  for (const m of mutations) {
    if (m.remove.size) removeHeaders(headers, m.remove);
    for (const a of m.add) {
      if (!a.append) removeHeader(headers, a.name);
      // append: a second field line with the same name; HTTP treats it as a comma-joined value.
      headers.push(a.name, a.value);
    }
  }
}

/** Removes every header whose lower-case name is in `names`, keeping the order of the rest. */
export function removeHeaders(headers: string[], names: ReadonlySet<string>): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const name = headers[r] as string;
    if (names.has(name)) continue;
    headers[w] = name;
    headers[w + 1] = headers[r + 1] as string;
    w += 2;
  }
  headers.length = w;
}

export function removeHeader(headers: string[], name: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const n = headers[r] as string;
    if (n === name) continue;
    headers[w] = n;
    headers[w + 1] = headers[r + 1] as string;
    w += 2;
  }
  headers.length = w;
}

/** First value of a header in a flat list, or undefined. */
export function getHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}
