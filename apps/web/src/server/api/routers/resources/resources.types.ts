import { ZCluster, ZListener, ZName, ZRateLimitPolicy, ZRouteConfig } from "@switchyard/config-model";
import { z } from "zod";
import { ZSecretInput } from "../../../../lib/resource-kinds.ts";

export const ZResourceKind = z.enum(["listeners", "routeConfigs", "clusters", "secrets", "rateLimitPolicies"]);

/** The resource document, validated with its kind's config-model schema. */
const ZResourceOfKind = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("listeners"), resource: ZListener }),
  z.object({ kind: z.literal("routeConfigs"), resource: ZRouteConfig }),
  z.object({ kind: z.literal("clusters"), resource: ZCluster }),
  z.object({ kind: z.literal("secrets"), resource: ZSecretInput }),
  z.object({ kind: z.literal("rateLimitPolicies"), resource: ZRateLimitPolicy }),
]);

export const ZListResourcesInput = z.object({ kind: ZResourceKind });
export const ZResourceRef = z.object({ kind: ZResourceKind, name: ZName });
export const ZCreateResourceInput = ZResourceOfKind;
/**
 * `name` is the current name; `resource.name` may rename it (refused while referenced).
 * `baseRevision`: the working-config revision the form was loaded at (stale edits get 409).
 */
export const ZUpdateResourceInput = z.intersection(ZResourceOfKind, z.object({ name: ZName, baseRevision: z.number().int().min(0).optional() }));
