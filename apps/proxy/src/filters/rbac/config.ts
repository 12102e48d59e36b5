import type { TRbacFilter, TRbacPrincipal } from "@switchyard/config-model";
import { compileValueMatcher } from "../../router/index.ts";
import type { TCompiledValueMatcher } from "../../router/types.ts";
import { compileAddressSet } from "../../listener/address-set.ts";
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
    const inSet = compileAddressSet([p.sourceIp]);
    return (ctx) => inSet(ctx.remoteAddress);
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
