import { listScrapeTargets, type Db } from "@switchyard/db";
import { GROUP_LABEL, NODE_LABEL } from "../telemetry/prometheus-reader.ts";

/** Path Prometheus scrapes on each node's admin server. */
const METRICS_PATH = "/stats/prometheus";

export type TScrapeGroup = { targets: string[]; labels: Record<string, string> };

/**
 * GET /api/v1/prometheus/targets: Prometheus HTTP service discovery (http_sd_configs)
 * over the connected nodes, one target group per node: its admin server's host:port, and
 * the labels the Prometheus telemetry reader queries by (`node`, `group`) plus
 * `__metrics_path__`. A node whose admin server listens on a wildcard address
 * (0.0.0.0, ::) is listed at the address it connected to the console from. Nodes of
 * proxies too old to announce their admin server are not listed.
 */
export async function prometheusTargets(db: Db): Promise<TScrapeGroup[]> {
  return (await listScrapeTargets(db)).map((n) => ({
    targets: [scrapeAddress(n.adminAddress, n.remoteAddress)],
    labels: { [NODE_LABEL]: n.id, [GROUP_LABEL]: n.group, __metrics_path__: METRICS_PATH },
  }));
}

export function scrapeAddress(admin: string, remoteAddress: string | null): string {
  const i = admin.lastIndexOf(":");
  const host = admin.slice(0, i).replace(/^\[|\]$/g, "");
  const port = admin.slice(i + 1);
  const wildcard = host === "" || host === "0.0.0.0" || host === "::";
  const peer = remoteAddress?.replace(/^::ffff:/, "") ?? null;
  const h = wildcard && peer ? peer : host;
  return `${h.includes(":") ? `[${h}]` : h}:${port}`;
}
