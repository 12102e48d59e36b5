import type { TCompiledHashPolicy } from "../../router/types.ts";
import { hashString } from "../../upstream/lb-hash.ts";

/**
 * The request hash for ringHash / maglev clusters from the route's hashPolicy. Every
 * policy that finds a value contributes (rotate + xor, as Envoy combines them); undefined
 * when none finds one, and the balancer then picks at random.
 */
export function requestHash(
  policies: readonly TCompiledHashPolicy[],
  headers: Readonly<Record<string, string | string[] | undefined>>,
  remoteAddress: string | undefined,
): number | undefined {
  let hash: number | undefined;
  for (const p of policies) {
    let value: string | undefined;
    if (p.kind === "header") {
      const v = headers[p.name];
      value = v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
    } else if (p.kind === "cookie") value = cookieValue(headers.cookie, p.name);
    else value = remoteAddress;
    if (value === undefined) continue;
    const h = hashString(value);
    hash = hash === undefined ? h : (((hash << 1) | (hash >>> 31)) ^ h) >>> 0;
  }
  return hash;
}

/** Value of cookie `name` in a Cookie header, without building a map of all cookies. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === "string" ? header : header.join("; ");
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === ";") i++;
    const eq = text.indexOf("=", i);
    if (eq === -1) return undefined;
    let end = text.indexOf(";", eq);
    if (end === -1) end = text.length;
    if (text.slice(i, eq).trim() === name) return text.slice(eq + 1, end).trim();
    i = end + 1;
  }
  return undefined;
}
