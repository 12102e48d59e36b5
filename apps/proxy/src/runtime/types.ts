import type { TConfig, TListenerLimits } from "@switchyard/config-model";
import type { TCompiledRouteTable } from "../router/types.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import type { TRateLimiter } from "../filters/rate-limit/decision.ts";

/** A listener compiled for one config version. Its socket may outlive it (see listener/). */
export type TCompiledListener = {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly limits: TListenerLimits;
  readonly routeTable: TCompiledRouteTable<ClusterRuntime>;
  /** Rate limiters of this version by policy name (shared by every listener). */
  readonly rateLimiters: ReadonlyMap<string, TRateLimiter>;
};

/** Everything one applied config version serves with; immutable, swapped as one reference. */
export type TRuntime = {
  readonly version: number | null;
  readonly hash: string;
  readonly source: string;
  readonly appliedAt: string;
  readonly config: TConfig;
  readonly listeners: readonly TCompiledListener[];
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
};
