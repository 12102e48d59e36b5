import type { TCorsFilter } from "@switchyard/config-model";

/** CORS config compiled once per version: lookups are sets, header values pre-joined. */
export type TCorsConfig = {
  /** null = "*" (any origin). */
  readonly origins: ReadonlySet<string> | null;
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly allowCredentials: boolean;
  readonly maxAge: string;
};

export function compileCors(f: TCorsFilter): TCorsConfig {
  return Object.freeze({
    origins: f.allowOrigins.includes("*") ? null : new Set(f.allowOrigins),
    allowMethods: f.allowMethods.join(", "),
    allowHeaders: f.allowHeaders.join(", "),
    exposeHeaders: f.exposeHeaders.join(", "),
    allowCredentials: f.allowCredentials,
    maxAge: String(f.maxAgeSeconds),
  });
}
