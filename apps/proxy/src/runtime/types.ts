import type { TConfig, TListenerLimits, TPathNormalization } from "@switchyard/config-model";
import type { TListenerChains } from "../filters/build.ts";
import type { TFilterCode } from "../filters/code/index.ts";
import type { TNetworkFilter } from "../filters/network/api.ts";
import type { TCompiledTls } from "../listener/tls-context.ts";
import type { TCompiledRouteTable } from "../router/types.ts";
import type { TAccessLogFormat } from "../observability/access-log.ts";
import type { TTracingPolicy } from "../observability/tracing/request-trace.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";

/** A listener compiled for one config version. Its socket may outlive it (see listener/). */
export type TCompiledListener = {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: "http" | "https" | "tcp";
  readonly limits: TListenerLimits;
  /** Empty for tcp listeners. */
  readonly routeTable: TCompiledRouteTable<ClusterRuntime>;
  /** https listeners, and tcp listeners with tls (TLS termination); else null. */
  readonly tls: TCompiledTls | null;
  /** Filter chains per route (httpFilters, rate limits, header mutations); the terminal runs after them. */
  readonly chains: TListenerChains;
  /** tcp listeners only: the network filters, then the tcp proxy. */
  readonly tcp: {
    /** `tcp.cluster`: dialled when no filter set `conn.cluster`; null = a filter must (sniRouter). */
    readonly cluster: ClusterRuntime | null;
    readonly idleTimeoutMs: number;
    /** Built once per version; empty = bytes are piped straight through. */
    readonly filters: readonly TNetworkFilter[];
    /** Every cluster of the version, for `conn.cluster` names set by filters. */
    readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  } | null;
  /** Head sampling and the force header (defaults: 1.0, x-switchyard-force-trace). */
  readonly tracing: TTracingPolicy;
  /** Fraction of requests logged (default 1) and the line format (null = JSON). */
  readonly accessLog: { readonly sampleRate: number; readonly format: TAccessLogFormat };
  /** How request targets are normalised before anything reads them (listener/path-normalize.ts). */
  readonly pathNormalization: TPathNormalization;
  /** x-forwarded-for entries to trust (listener/client-address.ts); 0 = the peer is the client. */
  readonly trustedHops: number;
  /** Connections start with a PROXY protocol header (listener/proxy-protocol.ts). */
  readonly proxyProtocol: boolean;
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
  /** The version's loaded filter code (plugin instances), reused by the next load where unchanged. */
  readonly filterCode: TFilterCode;
};
