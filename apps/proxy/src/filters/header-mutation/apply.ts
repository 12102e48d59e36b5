/**
 * Request/response header mutations (route- and virtual-host-level `requestHeaders` /
 * `responseHeaders`). They are compiled with the route table in config-model's matcher
 * (`compileHeaderMutation`), so the console's route tester and the proxy build the same
 * objects; applying them to a live request happens here.
 *
 * Headers on the hot path are a flat array `[name, value, name, value, ...]` with
 * lower-case names: that is what undici takes for a request and what
 * `ServerResponse.writeHead` takes for a response, so no object is built per request.
 */
export { compileHeaderMutation, type TCompiledHeaderMutation } from "@switchyard/config-model/matcher";
import type { TCompiledHeaderMutation } from "@switchyard/config-model/matcher";

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
