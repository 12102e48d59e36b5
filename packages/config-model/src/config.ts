import { z } from "zod";
import { ZCluster } from "./cluster.ts";
import { ZListener } from "./listener.ts";
import { ZRateLimitPolicy } from "./rate-limit.ts";
import { ZRouteConfig } from "./route.ts";
import { ZSecret } from "./secret.ts";

/** The whole config document v1 (DESIGN.md §3): standalone file, REST body, snapshot content. */
export const ZConfig = z.strictObject({
  listeners: z.array(ZListener).default([]),
  routeConfigs: z.array(ZRouteConfig).default([]),
  clusters: z.array(ZCluster).default([]),
  secrets: z.array(ZSecret).default([]),
  rateLimitPolicies: z.array(ZRateLimitPolicy).default([]),
});

/** A validated config with every default filled in. */
export type TConfig = z.infer<typeof ZConfig>;
/** What a user may write: defaults optional. */
export type TConfigInput = z.input<typeof ZConfig>;

/** Resource kinds of a config, in document order. */
export const RESOURCE_KINDS = ["listeners", "routeConfigs", "clusters", "secrets", "rateLimitPolicies"] as const;
export type TResourceKind = (typeof RESOURCE_KINDS)[number];

export function emptyConfig(): TConfig {
  return { listeners: [], routeConfigs: [], clusters: [], secrets: [], rateLimitPolicies: [] };
}
