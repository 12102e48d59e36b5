import { formatPath, ZRateLimitPolicy, type TRateLimitPolicy } from "@switchyard/config-model";
import type { z } from "zod";
import type { TFieldIssue } from "./issues.ts";

export type TRateLimitInput = z.input<typeof ZRateLimitPolicy>;

/** The schema's defaults (a minimal policy parsed). `burst` defaults to `requests`. */
export const RATE_LIMIT_DEFAULTS = ZRateLimitPolicy.parse({ name: "x", requests: 1 });

export type TRateLimitForm = {
  name: string;
  scope: TRateLimitPolicy["scope"];
  requests: string;
  per: TRateLimitPolicy["per"];
  /** "" = as many as `requests`. */
  burst: string;
  keyKind: "remoteAddress" | "path" | "none" | "header";
  keyHeader: string;
  failOpen: boolean;
};

export function emptyRateLimitForm(): TRateLimitForm {
  const d = RATE_LIMIT_DEFAULTS;
  return { name: "", scope: d.scope, requests: "", per: d.per, burst: "", keyKind: typeof d.key === "string" ? d.key : "header", keyHeader: "", failOpen: d.failOpen };
}

export function rateLimitFormOf(p: TRateLimitPolicy): TRateLimitForm {
  return {
    name: p.name,
    scope: p.scope,
    requests: String(p.requests),
    per: p.per,
    burst: p.burst === undefined ? "" : String(p.burst),
    keyKind: typeof p.key === "string" ? p.key : "header",
    keyHeader: typeof p.key === "string" ? "" : p.key.header,
    failOpen: p.failOpen,
  };
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

export function buildRateLimit(form: TRateLimitForm): TRateLimitInput {
  return {
    name: form.name.trim(),
    scope: form.scope,
    requests: num(form.requests) as number,
    per: form.per,
    burst: num(form.burst),
    key: form.keyKind === "header" ? { header: form.keyHeader.trim() } : form.keyKind,
    failOpen: form.failOpen,
  };
}

/** The browser's check with the server's schema (ZRateLimitPolicy); paths relative to the policy. */
export function checkRateLimit(policy: TRateLimitInput): TFieldIssue[] {
  const r = ZRateLimitPolicy.safeParse(policy);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message, field: formatPath(i.path) }));
}
