import {
  ConfigValidationError,
  diffConfigs,
  formatDiff,
  hashConfig,
  validateConfig,
  type TCluster,
  type TConfig,
  type TConfigIssue,
  type TListener,
  type TRateLimitPolicy,
  type TRouteConfig,
  type TSecret,
} from "@switchyard/config-model";
import { AUDIT_ACTIONS, appendAudit, toJson } from "./audit.ts";
import { lockConfig, transaction, type Db, type Tx } from "./client.ts";
import { StoredConfigError } from "./errors.ts";
import { openPrivateKey, sealPrivateKey, type TSecretBox } from "./secret-box.ts";

export type TReplaceResult =
  | { ok: true; config: TConfig; revision: number }
  | { ok: false; issues: TConfigIssue[] }
  | { ok: false; conflict: { currentRevision: number } };

/**
 * The working config assembled from its tables in document order, validated (defaults
 * filled, deep-frozen), with the revision that serves as its ETag. Read in one
 * repeatable-read transaction so the tables agree with each other and the revision.
 */
export async function getWorkingConfig(db: Db): Promise<{ config: TConfig; revision: number }> {
  return transaction(db, (tx) => readWorkingConfig(tx, { box: db.secrets }), { isolationLevel: "RepeatableRead" });
}

/**
 * Replaces the whole working config. Validation comes first (nothing is stored when the
 * input is invalid); then, in one transaction, the revision is checked against
 * `expectedRevision` (optimistic concurrency, for If-Match), every working-config row is
 * replaced, the revision bumped and an audit row written.
 */
export async function replaceWorkingConfig(
  db: Db,
  input: unknown,
  opts: { actor: string; expectedRevision?: number; ip?: string | null },
): Promise<TReplaceResult> {
  const validated = validateConfig(input);
  if (!validated.ok) return { ok: false, issues: validated.issues };
  const config = validated.config;
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const current = await readRevision(tx);
    if (opts.expectedRevision !== undefined && opts.expectedRevision !== current) {
      return { ok: false as const, conflict: { currentRevision: current } };
    }
    const before = await readWorkingConfig(tx, { validate: false, box: db.secrets });
    const revision = await writeWorkingConfig(tx, config, opts.actor, db.secrets);
    const diff = diffConfigs(before.config, config);
    await appendAudit(tx, {
      actor: opts.actor,
      ip: opts.ip ?? null,
      action: AUDIT_ACTIONS.replaceWorkingConfig,
      target: "working-config",
      details: { revision, hash: hashConfig(config), diff: diff.empty ? [] : formatDiff(diff).split("\n") },
    });
    return { ok: true as const, config, revision };
  });
}

export type TRevisionChange = { revision: number; actor: string; at: Date; diff: string[] };

/**
 * What changed the working config after `revision`, newest last, from the audit rows
 * every write leaves (who, when, which resources and fields): the body of a 409.
 */
export async function changesSince(db: Db, revision: number, limit = 50): Promise<TRevisionChange[]> {
  const rows = await db.prisma.auditLog.findMany({
    where: { action: { in: [AUDIT_ACTIONS.replaceWorkingConfig, AUDIT_ACTIONS.rollback] } },
    orderBy: { id: "desc" },
    take: limit,
  });
  const out: TRevisionChange[] = [];
  for (const r of rows) {
    const d = (r.details ?? {}) as { revision?: unknown; diff?: unknown };
    if (typeof d.revision !== "number" || d.revision <= revision) continue;
    out.push({ revision: d.revision, actor: r.actor, at: r.at, diff: Array.isArray(d.diff) ? d.diff.map(String) : [] });
  }
  return out.reverse();
}

/** The current revision of the working config (0 before the first write). */
export async function getWorkingConfigRevision(db: Db): Promise<number> {
  return readRevision(db.prisma);
}

// --- inside transactions ---------------------------------------------------------------

export async function readRevision(tx: Tx | Db["prisma"]): Promise<number> {
  const meta = await tx.workingConfigMeta.findUnique({ where: { id: 1 } });
  return meta?.revision ?? 0;
}

/**
 * Replaces every working-config row with `config` (already validated) and bumps the
 * revision. Callers hold the config lock. Afterwards the rows are read back and
 * compared by hash: a field the tables cannot hold (the model grew, the schema did not)
 * fails the write loudly instead of being dropped silently.
 */
export async function writeWorkingConfig(tx: Tx, config: TConfig, actor: string, box: TSecretBox | null): Promise<number> {
  // Children first is not needed (ON DELETE CASCADE), but explicit is cheaper to reason about.
  await tx.route.deleteMany();
  await tx.virtualHost.deleteMany();
  await tx.routeConfig.deleteMany();
  await tx.endpoint.deleteMany();
  await tx.cluster.deleteMany();
  await tx.listener.deleteMany();
  await tx.secret.deleteMany();
  await tx.rateLimitPolicy.deleteMany();

  if (config.listeners.length) await tx.listener.createMany({ data: config.listeners.map(listenerRow) });
  for (const [position, rc] of config.routeConfigs.entries()) {
    await tx.routeConfig.create({ data: routeConfigRow(rc, position) });
  }
  for (const [position, c] of config.clusters.entries()) {
    await tx.cluster.create({ data: clusterRow(c, position) });
  }
  if (config.secrets.length) await tx.secret.createMany({ data: config.secrets.map((x, i) => secretRow(x, i, box)) });
  if (config.rateLimitPolicies.length) await tx.rateLimitPolicy.createMany({ data: config.rateLimitPolicies.map(policyRow) });

  const stored = await readWorkingConfig(tx, { validate: false, box });
  if (hashConfig(stored.config) !== hashConfig(config)) {
    const diff = formatDiff(diffConfigs(config, stored.config));
    throw new StoredConfigError(`the working-config tables cannot hold this config; lost or changed on the way in:\n${diff}`);
  }

  const meta = await tx.workingConfigMeta.upsert({
    where: { id: 1 },
    create: { id: 1, revision: 1, updatedBy: actor },
    update: { revision: { increment: 1 }, updatedBy: actor },
  });
  return meta.revision;
}

/**
 * Assembles the config from the rows. With `validate` (the default) the result goes
 * through config-model like any other untrusted input; rows that no longer form a valid
 * config (edited by hand, or the model tightened) raise StoredConfigError with the issues.
 */
export async function readWorkingConfig(
  tx: Tx,
  opts: { validate?: boolean; box: TSecretBox | null },
): Promise<{ config: TConfig; revision: number }> {
  const [revision, listeners, routeConfigs, clusters, secrets, policies] = [
    await readRevision(tx),
    await tx.listener.findMany({ orderBy: { position: "asc" } }),
    await tx.routeConfig.findMany({
      orderBy: { position: "asc" },
      include: { virtualHosts: { orderBy: { position: "asc" }, include: { routes: { orderBy: { order: "asc" } } } } },
    }),
    await tx.cluster.findMany({ orderBy: { position: "asc" }, include: { endpoints: { orderBy: { position: "asc" } } } }),
    await tx.secret.findMany({ orderBy: { position: "asc" } }),
    await tx.rateLimitPolicy.findMany({ orderBy: { position: "asc" } }),
  ];

  const raw = {
    listeners: listeners.map((l) =>
      compact({
        name: l.name,
        address: l.address,
        port: l.port,
        protocol: l.protocol,
        routeConfig: l.routeConfig,
        tcp: l.tcp,
        tls: l.tls,
        httpFilters: l.httpFilters,
        limits: l.limits,
        tracing: l.tracing,
        accessLog: l.accessLog,
      }),
    ),
    routeConfigs: routeConfigs.map((rc) => ({
      name: rc.name,
      virtualHosts: rc.virtualHosts.map((vh) =>
        compact({
          name: vh.name,
          domains: vh.domains,
          rateLimit: vh.rateLimit,
          routes: vh.routes.map((r) =>
            compact({
              name: r.name,
              match: r.match,
              route: r.route,
              redirect: r.redirect,
              directResponse: r.directResponse,
              requestHeaders: r.requestHeaders,
              responseHeaders: r.responseHeaders,
            }),
          ),
          requestHeaders: vh.requestHeaders,
          responseHeaders: vh.responseHeaders,
        }),
      ),
    })),
    clusters: clusters.map((c) =>
      compact({
        name: c.name,
        discovery: c.discovery,
        endpoints: c.endpoints.map((e) => ({ address: e.address, port: e.port, weight: e.weight })),
        kubernetes: c.kubernetes,
        consul: c.consul,
        dnsResolvers: c.dnsResolvers,
        dnsRefreshMs: c.dnsRefreshMs,
        lbPolicy: c.lbPolicy,
        protocol: c.protocol,
        connectTimeoutMs: c.connectTimeoutMs,
        idleTimeoutMs: c.idleTimeoutMs,
        panicThresholdPercent: c.panicThresholdPercent,
        ringHashMinimumRingSize: c.ringHashMinimumRingSize,
        tls: c.tls,
        healthCheck: c.healthCheck,
        outlierDetection: c.outlierDetection,
        circuitBreakers: c.circuitBreakers,
      }),
    ),
    secrets: secrets.map((s) => compact({ name: s.name, type: s.type, certificate: s.certificate, privateKey: s.privateKey === null ? null : openPrivateKey(opts.box, s.privateKey) })),
    rateLimitPolicies: policies.map((p) =>
      compact({ name: p.name, scope: p.scope, requests: p.requests, per: p.per, burst: p.burst, key: p.key, failOpen: p.failOpen }),
    ),
  };

  if (opts.validate === false) return { config: raw as unknown as TConfig, revision };
  const result = validateConfig(raw);
  if (!result.ok) {
    throw new StoredConfigError(`the stored working config is invalid:\n${new ConfigValidationError(result.issues).message}`, {
      cause: new ConfigValidationError(result.issues),
    });
  }
  return { config: result.config, revision };
}

// --- rows --------------------------------------------------------------------------------

function listenerRow(l: TListener, position: number) {
  return {
    position,
    name: l.name,
    address: l.address,
    port: l.port,
    protocol: l.protocol,
    routeConfig: l.routeConfig ?? null,
    ...optionalJson({ tcp: l.tcp, tls: l.tls, tracing: l.tracing, accessLog: l.accessLog }),
    httpFilters: toJson(l.httpFilters),
    limits: toJson(l.limits),
  };
}

function routeConfigRow(rc: TRouteConfig, position: number) {
  return {
    position,
    name: rc.name,
    virtualHosts: {
      create: rc.virtualHosts.map((vh, vhPosition) => ({
        position: vhPosition,
        name: vh.name,
        domains: [...vh.domains],
        rateLimit: vh.rateLimit ?? null,
        ...optionalJson({ requestHeaders: vh.requestHeaders, responseHeaders: vh.responseHeaders }),
        routes: {
          create: vh.routes.map((r, order) => ({
            order,
            name: r.name,
            match: toJson(r.match),
            ...optionalJson({
              route: r.route,
              redirect: r.redirect,
              directResponse: r.directResponse,
              requestHeaders: r.requestHeaders,
              responseHeaders: r.responseHeaders,
            }),
          })),
        },
      })),
    },
  };
}

function clusterRow(c: TCluster, position: number) {
  return {
    position,
    name: c.name,
    discovery: c.discovery,
    ...optionalJson({
      kubernetes: c.kubernetes,
      consul: c.consul,
      tls: c.tls,
      healthCheck: c.healthCheck,
      outlierDetection: c.outlierDetection,
      circuitBreakers: c.circuitBreakers,
    }),
    dnsResolvers: [...c.dnsResolvers],
    dnsRefreshMs: c.dnsRefreshMs,
    lbPolicy: c.lbPolicy,
    protocol: c.protocol,
    connectTimeoutMs: c.connectTimeoutMs,
    idleTimeoutMs: c.idleTimeoutMs,
    panicThresholdPercent: c.panicThresholdPercent,
    ringHashMinimumRingSize: c.ringHashMinimumRingSize,
    endpoints: { create: c.endpoints.map((e, i) => ({ position: i, address: e.address, port: e.port, weight: e.weight })) },
  };
}

/** Private keys are sealed (AES-256-GCM) before they reach the table. */
function secretRow(s: TSecret, position: number, box: TSecretBox | null) {
  return {
    position,
    name: s.name,
    type: s.type,
    certificate: s.certificate,
    privateKey: s.type === "tlsCertificate" ? sealPrivateKey(box, s.privateKey) : null,
  };
}

function policyRow(p: TRateLimitPolicy, position: number) {
  return {
    position,
    name: p.name,
    scope: p.scope,
    requests: p.requests,
    per: p.per,
    burst: p.burst ?? null,
    key: toJson(p.key),
    failOpen: p.failOpen,
  };
}

/** Json columns for the optional parts that are set; unset ones stay SQL NULL. */
function optionalJson<K extends string>(parts: Record<K, unknown>): Partial<Record<K, ReturnType<typeof toJson>>> {
  const out: Partial<Record<K, ReturnType<typeof toJson>>> = {};
  for (const key of Object.keys(parts) as K[]) {
    if (parts[key] !== undefined) out[key] = toJson(parts[key]);
  }
  return out;
}

/** Drops null members: a NULL column means "not set" in the config document. */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
