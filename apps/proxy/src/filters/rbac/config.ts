import { BlockList, isIPv4 } from "node:net";
import type { TRbacFilter, TRbacPrincipal } from "@switchyard/config-model";
import { compileValueMatcher } from "../../router/index.ts";
import type { TCompiledValueMatcher } from "../../router/types.ts";
import type { TFilterRequest } from "../api.ts";
import { jwtClaimsOf } from "../jwt-authn/filter.ts";

/** RBAC rules compiled once per version: CIDRs into BlockLists, header regexes built once. */
export type TCompiledRbacRule = {
  readonly allow: boolean;
  readonly principals: readonly ((ctx: TFilterRequest) => boolean)[];
  readonly paths: readonly string[];
  /** null = any method. */
  readonly methods: ReadonlySet<string> | null;
  readonly headers: readonly TCompiledValueMatcher[];
};

export type TRbacConfig = { readonly rules: readonly TCompiledRbacRule[] };

export function compileRbac(f: TRbacFilter): TRbacConfig {
  return Object.freeze({
    rules: f.rules.map((r) =>
      Object.freeze({
        allow: r.allow,
        principals: r.principals.map(compilePrincipal),
        paths: r.paths,
        methods: r.methods.length ? new Set(r.methods) : null,
        headers: r.headers.map((h) => compileValueMatcher(h, true)),
      }),
    ),
  });
}

function compilePrincipal(p: TRbacPrincipal): (ctx: TFilterRequest) => boolean {
  if ("any" in p) return () => true;
  if ("sourceIp" in p) {
    const [addr = "", bits] = p.sourceIp.split("/");
    const v4 = isIPv4(addr);
    const list = new BlockList();
    list.addSubnet(addr, bits === undefined ? (v4 ? 32 : 128) : Number(bits), v4 ? "ipv4" : "ipv6");
    return (ctx) => {
      // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d.
      const ip = ctx.remoteAddress.startsWith("::ffff:") && isIPv4(ctx.remoteAddress.slice(7)) ? ctx.remoteAddress.slice(7) : ctx.remoteAddress;
      return list.check(ip, isIPv4(ip) ? "ipv4" : "ipv6");
    };
  }
  if ("san" in p) {
    const san = p.san;
    return (ctx) => ctx.peer !== null && (ctx.peer.uris.includes(san) || ctx.peer.dns.includes(san));
  }
  const { name, value } = p.jwtClaim;
  return (ctx) => {
    const v = jwtClaimsOf(ctx)?.[name];
    // Array claims (groups, scopes as list) match when they contain the value.
    return Array.isArray(v) ? v.some((x) => String(x) === value) : v !== undefined && v !== null && String(v) === value;
  };
}
