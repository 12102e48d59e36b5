import { formatPath, ZRouteConfig, type TRouteConfig, type TVirtualHost } from "@switchyard/config-model";
import type { z } from "zod";
import type { TFieldIssue } from "./issues.ts";
import { mutationFormOf, mutationOf, type THeaderMutationForm } from "./route-form.ts";

export type TRouteConfigInput = z.input<typeof ZRouteConfig>;

let nextKey = 1;
const key = () => nextKey++;

export type TDomainRow = { key: number; value: string };
/**
 * One virtual host as the form edits it. Its routes are not edited here (the route form
 * does that, one route at a time): they are carried through unchanged, in order.
 */
export type TVirtualHostForm = {
  key: number;
  name: string;
  domains: TDomainRow[];
  /** "" = no virtual-host rate limit (the schema's default). */
  rateLimit: string;
  requestHeaders: THeaderMutationForm;
  responseHeaders: THeaderMutationForm;
  routes: TVirtualHost["routes"];
};
export type TRouteConfigForm = { name: string; virtualHosts: TVirtualHostForm[] };

export const domainRow = (value = ""): TDomainRow => ({ key: key(), value });

/** A new virtual host: the schema has no default for domains (at least one), so one empty row. */
export function emptyVirtualHost(): TVirtualHostForm {
  return { key: key(), name: "", domains: [domainRow()], rateLimit: "", requestHeaders: { add: [], remove: "" }, responseHeaders: { add: [], remove: "" }, routes: [] };
}

/** A new route config: ZRouteConfig's default is no virtual hosts; start with one catching every host. */
export function emptyRouteConfigForm(): TRouteConfigForm {
  const vh = emptyVirtualHost();
  return { name: "", virtualHosts: [{ ...vh, name: "all", domains: [domainRow("*")] }] };
}

export function routeConfigFormOf(rc: TRouteConfig): TRouteConfigForm {
  return {
    name: rc.name,
    virtualHosts: rc.virtualHosts.map((vh) => ({
      key: key(),
      name: vh.name,
      domains: vh.domains.map((d) => domainRow(d)),
      rateLimit: vh.rateLimit ?? "",
      requestHeaders: mutationFormOf(vh.requestHeaders),
      responseHeaders: mutationFormOf(vh.responseHeaders),
      routes: vh.routes,
    })),
  };
}

export function buildRouteConfig(form: TRouteConfigForm): TRouteConfigInput {
  return {
    name: form.name.trim(),
    virtualHosts: form.virtualHosts.map((vh) => ({
      name: vh.name.trim(),
      domains: vh.domains.map((d) => d.value.trim()),
      rateLimit: vh.rateLimit || undefined,
      routes: vh.routes,
      requestHeaders: mutationOf(vh.requestHeaders),
      responseHeaders: mutationOf(vh.responseHeaders),
    })),
  };
}

/** The browser's check with the server's schema; paths relative to the route config. */
export function checkRouteConfig(rc: TRouteConfigInput): TFieldIssue[] {
  const r = ZRouteConfig.safeParse(rc);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, field: formatPath(i.path) }));
}

/**
 * What a domain pattern matches, in the proxy's order of precedence: exact names first,
 * then `*.suffix` (longest suffix wins), then `prefix.*` (longest prefix wins), then `*`.
 */
export function domainKind(domain: string): { kind: "exact" | "suffix" | "prefix" | "any" | "invalid"; text: string } {
  const d = domain.trim().toLowerCase();
  if (d === "") return { kind: "invalid", text: "type a host name or pattern" };
  if (d === "*") return { kind: "any", text: "any host: used when no other virtual host matches" };
  const stars = d.split("*").length - 1;
  if (stars > 1 || (stars === 1 && !d.startsWith("*") && !d.endsWith("*"))) return { kind: "invalid", text: 'only one "*", at the start or the end' };
  if (d.startsWith("*")) return { kind: "suffix", text: `suffix: any host ending in "${d.slice(1)}"` };
  if (d.endsWith("*")) return { kind: "prefix", text: `prefix: any host starting with "${d.slice(0, -1)}"` };
  return { kind: "exact", text: "exact host (the port is ignored)" };
}
