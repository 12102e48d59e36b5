import type { TEndpoint } from "@switchyard/config-model";

/**
 * A discovery source feeds one cluster runtime's endpoint set. It lives exactly as long
 * as that runtime: started when the runtime's version is prepared, stopped when it drains.
 * Sources never throw into the proxy: a failed lookup keeps the last endpoints, is
 * counted, and is retried on the source's own schedule.
 */
export type TDiscoverySource = {
  /** Starts fetching; resolves after the first answer (or first failure), never rejects. */
  start(): Promise<void>;
  stop(): void;
  /** Where the endpoints come from, for /clusters and the console, e.g. "consul users@dc1 (http://127.0.0.1:8500)". */
  describe(): string;
  /** logicalDns: the address a NEW connection dials (the first of the latest answer); throws before the first answer. */
  dialAddress?: () => string;
};

/** Discovery state reported by /clusters and the clusterStatus frame. */
export type TDiscoveryStatus = {
  source: string;
  /** eds: the endpoints version serving. */
  endpointsVersion: number | null;
  /** Epoch ms of the last successful update. */
  updatedAt: number | null;
  lastError: string | null;
  failures: number;
  updates: number;
};

/** What a source reports to the cluster (wired in discovery/index.ts). */
export type TDiscoverySink = {
  update(endpoints: readonly TEndpoint[], meta?: { version?: number }): void;
  fail(error: string): void;
  log(event: string, fields: Record<string, unknown>): void;
};
