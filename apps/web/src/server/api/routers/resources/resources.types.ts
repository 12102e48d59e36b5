import { REDACTED, ZCaBundleSecret, ZListener, ZName, ZRateLimitPolicy, ZRouteConfig, ZTlsCertificateSecret } from "@switchyard/config-model";
import { z } from "zod";

export const ZResourceKind = z.enum(["listeners", "routeConfigs", "secrets", "rateLimitPolicies"]);

/** A tlsCertificate secret may come without its key ("" or "[redacted]"): the stored key is kept. */
const ZSecretInput = z.discriminatedUnion("type", [
  ZTlsCertificateSecret.extend({ privateKey: z.union([z.literal(""), z.literal(REDACTED), ZTlsCertificateSecret.shape.privateKey]) }),
  ZCaBundleSecret,
]);

/** The resource document, validated with its kind's config-model schema. */
const ZResourceOfKind = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("listeners"), resource: ZListener }),
  z.object({ kind: z.literal("routeConfigs"), resource: ZRouteConfig }),
  z.object({ kind: z.literal("secrets"), resource: ZSecretInput }),
  z.object({ kind: z.literal("rateLimitPolicies"), resource: ZRateLimitPolicy }),
]);

export const ZListResourcesInput = z.object({ kind: ZResourceKind });
export const ZResourceRef = z.object({ kind: ZResourceKind, name: ZName });
export const ZDuplicateInput = z.object({ kind: z.enum(["listeners", "routeConfigs", "secrets", "rateLimitPolicies", "clusters"]), name: ZName });
export const ZCreateResourceInput = ZResourceOfKind;
/** `name` is the current name; `resource.name` may rename it (refused while referenced). */
export const ZUpdateResourceInput = z.intersection(ZResourceOfKind, z.object({ name: ZName }));
