import type { TCluster, TConfig } from "@switchyard/config-model";
import type { Db } from "@switchyard/db";
import { getWorkingConfig } from "@switchyard/db";
import { AppError } from "./app-error.ts";
import { usedBy } from "./references.ts";
import { editWorkingConfig } from "./working-config.ts";

export type TClusterRow = {
  name: string;
  discovery: TCluster["discovery"];
  lbPolicy: TCluster["lbPolicy"];
  connectTimeoutMs: number;
  endpoints: TCluster["endpoints"];
  /** Routes (as `routeConfig/virtualHost/route`) that send traffic to this cluster. */
  usedBy: string[];
  cluster: TCluster;
};

export function listClusters(config: TConfig): TClusterRow[] {
  const usedBy = new Map<string, string[]>();
  for (const rc of config.routeConfigs) {
    for (const vh of rc.virtualHosts) {
      for (const r of vh.routes) {
        const targets = [r.route?.cluster, ...(r.route?.weightedClusters ?? []).map((w) => w.cluster)];
        for (const c of new Set(targets)) {
          if (c === undefined) continue;
          usedBy.set(c, [...(usedBy.get(c) ?? []), `${rc.name}/${vh.name}/${r.name}`]);
        }
      }
    }
  }
  return config.clusters.map((c) => ({
    name: c.name,
    discovery: c.discovery,
    lbPolicy: c.lbPolicy,
    connectTimeoutMs: c.connectTimeoutMs,
    endpoints: c.endpoints,
    usedBy: usedBy.get(c.name) ?? [],
    cluster: c,
  }));
}

export async function listWorkingClusters(db: Db): Promise<TClusterRow[]> {
  return listClusters((await getWorkingConfig(db)).config);
}

/** The cluster and the revision it was read at (the form sends it back: stale edits get 409). */
export async function getWorkingCluster(db: Db, name: string): Promise<TClusterRow & { revision: number }> {
  const { config, revision } = await getWorkingConfig(db);
  const row = listClusters(config).find((c) => c.name === name);
  if (!row) throw notFound(name);
  return { ...row, revision };
}

export async function createCluster(db: Db, actor: string, cluster: TCluster): Promise<TClusterRow> {
  const { config } = await editWorkingConfig(db, actor, (draft) => {
    draft.clusters.push(cluster);
    return { scopes: [{ prefix: `clusters[${draft.clusters.length - 1}]` }], result: undefined };
  });
  return rowOf(config, cluster.name);
}

/**
 * Replaces the cluster named `name`. A rename does not rewrite the routes that use the
 * old name: validation then reports them as unknown clusters, which is the honest outcome.
 */
export async function updateCluster(db: Db, actor: string, name: string, cluster: TCluster, baseRevision?: number): Promise<TClusterRow> {
  const { config } = await editWorkingConfig(
    db,
    actor,
    (draft) => {
      const index = draft.clusters.findIndex((c) => c.name === name);
      if (index < 0) throw notFound(name);
      draft.clusters[index] = cluster;
      return { scopes: [{ prefix: `clusters[${index}]` }], result: undefined };
    },
    { baseRevision, resource: `clusters/${name}` },
  );
  return rowOf(config, cluster.name);
}

export async function deleteCluster(db: Db, actor: string, name: string): Promise<void> {
  await editWorkingConfig(db, actor, (draft) => {
    const index = draft.clusters.findIndex((c) => c.name === name);
    if (index < 0) throw notFound(name);
    const refs = usedBy(draft, "clusters", name);
    if (refs.length) throw new AppError("CONFLICT", `cluster "${name}" is used by ${refs.join(", ")}: change those first`);
    draft.clusters.splice(index, 1);
    return { scopes: [], result: undefined };
  });
}

function rowOf(config: TConfig, name: string): TClusterRow {
  const row = listClusters(config).find((c) => c.name === name);
  if (!row) throw notFound(name);
  return row;
}

function notFound(name: string): AppError {
  return new AppError("NOT_FOUND", `cluster "${name}" not found`);
}
