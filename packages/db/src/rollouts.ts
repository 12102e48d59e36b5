import { AUDIT_ACTIONS, appendAudit, clampLimit, toJson } from "./audit.ts";
import { lockConfig, transaction, type Db, type Tx } from "./client.ts";
import { DbError } from "./errors.ts";
import { notifyVersion } from "./notify.ts";
import { cutFor, inStep } from "./rollout-steps.ts";

/**
 * Staged rollouts. Which version a node must serve is decided by DeployTarget rows:
 * the row of the node's group when there is one (a canary, or a canary rolled back),
 * else the row "*" (the stable version). Every change here NOTIFYs config_version, so
 * every console replica recomputes its nodes' targets.
 *
 * A rollout with `steps` (percentages of the group's nodes, e.g. 10, 50, 100) serves its
 * version to part of the group at a time: the group's row carries a cut (rollout-steps.ts)
 * and the version the nodes beyond it keep. Each step is promoted by hand or, once it has
 * held for `bakeMs` with the SLO guard satisfied, by the guard loop (advanceRolloutStep);
 * promoting the last step promotes the rollout like a canary: the version goes to every node.
 */

export const STABLE_GROUP = "*";

export type TRolloutState = "canary" | "promoted" | "rolled_back" | "superseded";
export type TCanaryInput = { group: string; guard?: unknown; steps?: number[]; bakeMs?: number };
/** `cut`/`baseVersion`: a stepped rollout's group row (only nodes below the cut serve `version`). */
export type TDeployTarget = { group: string; version: number; since: Date; rolloutId: number | null; cut: number | null; baseVersion: number | null };
export type TDeployTargets = { stable: TDeployTarget | null; groups: Map<string, TDeployTarget> };
export type TRolloutEvent = { id: number; at: Date; kind: string; message: string; details: unknown };
export type TRollout = {
  id: number;
  version: number;
  previousVersion: number | null;
  group: string;
  state: TRolloutState;
  guard: unknown;
  baseline: unknown;
  reason: string | null;
  createdBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  /** Stepped rollouts: the percentages, the step serving now, its bake time and start; null/0 on a group canary. */
  steps: number[] | null;
  stepIndex: number;
  bakeMs: number | null;
  stepStartedAt: Date | null;
  pausedAt: Date | null;
  pausedBy: string | null;
};

export class RolloutError extends DbError {
  constructor(status: 404 | 409, message: string) {
    super(status === 404 ? "SWY_ERR_ROLLOUT_NOT_FOUND" : "SWY_ERR_ROLLOUT_STATE", status, message);
    this.name = "RolloutError";
  }
}

/** Every target row; `stable` is null only before the first publish (or on a database from before rollouts). */
export async function getDeployTargets(db: Db): Promise<TDeployTargets> {
  const rows = await db.prisma.deployTarget.findMany();
  const groups = new Map<string, TDeployTarget>();
  let stable: TDeployTarget | null = null;
  for (const r of rows) {
    const t = { group: r.group, version: r.version, since: r.since, rolloutId: r.rolloutId, cut: r.cut, baseVersion: r.baseVersion };
    if (r.group === STABLE_GROUP) stable = t;
    else groups.set(r.group, t);
  }
  if (!stable) {
    // Databases published before rollouts existed: the latest version is the stable one.
    const latest = await db.prisma.configVersion.findFirst({ orderBy: { version: "desc" }, select: { version: true, createdAt: true } });
    if (latest) stable = { group: STABLE_GROUP, version: latest.version, since: latest.createdAt, rolloutId: null, cut: null, baseVersion: null };
  }
  return { stable, groups };
}

/** The target of one node: its group's row (below a stepped rollout's cut, else the version the rest keep), else the stable one. */
export function targetOf(targets: TDeployTargets, node: { id: string; group: string }): TDeployTarget | null {
  const row = targets.groups.get(node.group);
  if (!row) return targets.stable;
  if (row.baseVersion !== null && !inStep(node.id, row.cut)) return { ...row, version: row.baseVersion };
  return row;
}

/** The ids of a group's connected nodes: what a step's share is counted over. */
async function connectedIdsOf(tx: Tx, group: string): Promise<string[]> {
  return (await tx.node.findMany({ where: { group, connected: true }, select: { id: true } })).map((n) => n.id);
}

function stepMessage(r: { version: number; group: string; steps: number[] }, index: number, cut: number | null, ids: string[], by: string): string {
  const serving = ids.filter((id) => inStep(id, cut)).length;
  return `step ${index + 1} of ${r.steps.length}: v${r.version} on ${r.steps[index]}% of group "${r.group}" (${serving} of ${ids.length} connected nodes), by ${by}`;
}

// --- inside the publish transaction (config lock held) ---------------------------------

/** A version for everyone: it becomes stable; canaries in flight are superseded. */
export async function setStableInTx(tx: Tx, opts: { version: number; actor: string; ip: string | null }): Promise<void> {
  const active = await tx.rollout.findMany({ where: { state: "canary" } });
  for (const r of active) {
    const message = `superseded by v${opts.version}, published to all nodes`;
    await tx.rollout.update({ where: { id: r.id }, data: { state: "superseded", finishedAt: new Date(), reason: message } });
    await tx.rolloutEvent.create({ data: { rolloutId: r.id, kind: "superseded", message } });
    await appendAudit(tx, { actor: opts.actor, ip: opts.ip, action: AUDIT_ACTIONS.rolloutSuperseded, target: `rollout/${r.id}`, details: { version: r.version, by: opts.version } });
  }
  await tx.deployTarget.deleteMany({ where: { group: { not: STABLE_GROUP } } });
  await tx.deployTarget.upsert({
    where: { group: STABLE_GROUP },
    create: { group: STABLE_GROUP, version: opts.version, since: new Date() },
    update: { version: opts.version, since: new Date(), rolloutId: null },
  });
}

/** A version for one group only; refused while another canary is in flight. */
export async function startCanaryInTx(
  tx: Tx,
  opts: { version: number; group: string; guard?: unknown; steps?: number[]; bakeMs?: number; actor: string; ip: string | null; latestVersion: number },
): Promise<number> {
  if (opts.group === STABLE_GROUP) throw new DbError("SWY_ERR_ROLLOUT_GROUP", 422, `"${STABLE_GROUP}" is not a group name`);
  const active = await tx.rollout.findFirst({ where: { state: "canary" } });
  if (active) {
    throw new RolloutError(409, `rollout #${active.id} (v${active.version} on group "${active.group}") is still in canary: promote it or roll it back first`);
  }
  let stable = await tx.deployTarget.findUnique({ where: { group: STABLE_GROUP } });
  // Before rollouts existed every publish went to all: the previous latest is stable.
  stable ??= await tx.deployTarget.create({ data: { group: STABLE_GROUP, version: opts.latestVersion } });
  const steps = opts.steps?.length ? opts.steps : null;
  const ids = steps ? await connectedIdsOf(tx, opts.group) : [];
  const cut = steps ? cutFor(steps[0]!, ids) : null;
  const stepped = steps ? { cut, baseVersion: stable.version } : { cut: null, baseVersion: null };
  const rollout = await tx.rollout.create({
    data: {
      version: opts.version,
      previousVersion: stable.version,
      group: opts.group,
      state: "canary",
      ...(opts.guard === undefined || opts.guard === null ? {} : { guard: toJson(opts.guard) }),
      ...(steps ? { steps, bakeMs: opts.bakeMs ?? null, stepStartedAt: new Date() } : {}),
      createdBy: opts.actor,
    },
  });
  await tx.deployTarget.upsert({
    where: { group: opts.group },
    create: { group: opts.group, version: opts.version, rolloutId: rollout.id, ...stepped },
    update: { version: opts.version, since: new Date(), rolloutId: rollout.id, ...stepped },
  });
  await tx.rolloutEvent.create({
    data: {
      rolloutId: rollout.id,
      kind: "started",
      message: steps
        ? `v${opts.version} rolls out to group "${opts.group}" in steps of ${steps.join("% → ")}%${opts.bakeMs ? `, each baking ${Math.round(opts.bakeMs / 1000)} s` : ""}; the rest stays on v${stable.version}`
        : `v${opts.version} published to group "${opts.group}"; the others stay on v${stable.version}`,
      details: toJson({ guard: opts.guard ?? null, steps, bakeMs: opts.bakeMs ?? null }),
    },
  });
  if (steps) {
    await tx.rolloutEvent.create({
      data: { rolloutId: rollout.id, kind: "step", message: stepMessage({ version: opts.version, group: opts.group, steps }, 0, cut, ids, opts.actor), details: toJson({ step: 0, percent: steps[0], cut }) },
    });
  }
  await appendAudit(tx, {
    actor: opts.actor,
    ip: opts.ip,
    action: AUDIT_ACTIONS.rolloutStart,
    target: `rollout/${rollout.id}`,
    details: { version: opts.version, group: opts.group, previousVersion: stable.version, guard: opts.guard ?? null, ...(steps ? { steps, bakeMs: opts.bakeMs ?? null } : {}) },
  });
  return rollout.id;
}

// --- rollout steps ---------------------------------------------------------------------

/** Canary -> everyone: the version becomes stable for all groups (a stepped rollout from whatever step it is at). */
export async function promoteRollout(db: Db, id: number, opts: { actor: string; ip?: string | null }): Promise<TRollout> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const r = await tx.rollout.findUnique({ where: { id } });
    if (!r) throw new RolloutError(404, `rollout ${id} does not exist`);
    if (r.state !== "canary") throw new RolloutError(409, `rollout ${id} is ${r.state}, only a rollout in progress can be promoted`);
    return promoteInTx(tx, r, opts, `v${r.version} promoted to all nodes by ${opts.actor}`);
  });
}

type TRolloutRow = NonNullable<Awaited<ReturnType<Tx["rollout"]["findUnique"]>>>;

async function promoteInTx(tx: Tx, r: TRolloutRow, opts: { actor: string; ip?: string | null }, message: string): Promise<TRollout> {
  const updated = await tx.rollout.update({ where: { id: r.id }, data: { state: "promoted", finishedAt: new Date() } });
  await tx.deployTarget.deleteMany({ where: { group: { not: STABLE_GROUP } } });
  await tx.deployTarget.upsert({
    where: { group: STABLE_GROUP },
    create: { group: STABLE_GROUP, version: r.version },
    update: { version: r.version, since: new Date(), rolloutId: r.id },
  });
  await tx.rolloutEvent.create({ data: { rolloutId: r.id, kind: "promoted", message } });
  await appendAudit(tx, { actor: opts.actor, ip: opts.ip ?? null, action: AUDIT_ACTIONS.rolloutPromote, target: `rollout/${r.id}`, details: { version: r.version, group: r.group } });
  await notifyVersion(tx, r.version);
  return toRollout(updated);
}

/**
 * A stepped rollout's next step: the cut moves up to the next percentage of the group's
 * connected nodes (never down); from the last step the rollout is promoted. `expectStep`
 * (the guard loop's automatic promotion) makes it conditional: when another replica moved
 * it first, or it is no longer in progress, nothing changes (`changed: false`).
 */
export async function advanceRolloutStep(
  db: Db,
  id: number,
  opts: { actor: string; ip?: string | null; expectStep?: number; reason?: string },
): Promise<{ changed: boolean; rollout: TRollout | null }> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const r = await tx.rollout.findUnique({ where: { id } });
    if (!r) throw new RolloutError(404, `rollout ${id} does not exist`);
    const auto = opts.expectStep !== undefined;
    if (auto && (r.state !== "canary" || r.stepIndex !== opts.expectStep || r.pausedAt !== null)) return { changed: false, rollout: toRollout(r) };
    if (r.state !== "canary") throw new RolloutError(409, `rollout ${id} is ${r.state}, only a rollout in progress can be promoted`);
    const steps = Array.isArray(r.steps) ? (r.steps as number[]) : null;
    if (!steps) throw new RolloutError(409, `rollout ${id} is a group canary without steps: promote it to every node`);
    const why = opts.reason ? ` (${opts.reason})` : "";
    const next = r.stepIndex + 1;
    if (next >= steps.length) {
      return { changed: true, rollout: await promoteInTx(tx, r, opts, `last step held: v${r.version} promoted to all nodes by ${opts.actor}${why}`) };
    }
    const row = await tx.deployTarget.findUnique({ where: { group: r.group } });
    const ids = await connectedIdsOf(tx, r.group);
    const cut = cutFor(steps[next]!, ids, row?.cut ?? null);
    await tx.deployTarget.update({ where: { group: r.group }, data: { cut, since: new Date() } });
    const updated = await tx.rollout.update({ where: { id }, data: { stepIndex: next, stepStartedAt: new Date() } });
    await tx.rolloutEvent.create({
      data: { rolloutId: id, kind: "step", message: stepMessage({ version: r.version, group: r.group, steps }, next, cut, ids, opts.actor) + why, details: toJson({ step: next, percent: steps[next], cut }) },
    });
    await appendAudit(tx, {
      actor: opts.actor,
      ip: opts.ip ?? null,
      action: AUDIT_ACTIONS.rolloutStep,
      target: `rollout/${id}`,
      details: { version: r.version, group: r.group, step: next + 1, percent: steps[next], ...(opts.reason ? { reason: opts.reason } : {}) },
    });
    await notifyVersion(tx, r.version);
    return { changed: true, rollout: toRollout(updated) };
  });
}

/**
 * Pauses a stepped rollout (no step is promoted by itself; the SLO guard and nacks still
 * roll it back) or resumes it (the bake time of the current step starts again). Pausing a
 * paused rollout, or resuming a running one, changes nothing.
 */
export async function setRolloutPaused(db: Db, id: number, paused: boolean, opts: { actor: string; ip?: string | null }): Promise<TRollout> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const r = await tx.rollout.findUnique({ where: { id } });
    if (!r) throw new RolloutError(404, `rollout ${id} does not exist`);
    if (r.state !== "canary") throw new RolloutError(409, `rollout ${id} is ${r.state}, only a rollout in progress can be ${paused ? "paused" : "resumed"}`);
    if (!Array.isArray(r.steps)) throw new RolloutError(409, `rollout ${id} is a group canary: it never promotes by itself, there is nothing to ${paused ? "pause" : "resume"}`);
    if ((r.pausedAt !== null) === paused) return toRollout(r);
    const updated = await tx.rollout.update({
      where: { id },
      data: paused ? { pausedAt: new Date(), pausedBy: opts.actor } : { pausedAt: null, pausedBy: null, stepStartedAt: new Date() },
    });
    await tx.rolloutEvent.create({
      data: { rolloutId: id, kind: paused ? "paused" : "resumed", message: paused ? `paused by ${opts.actor}: no step is promoted by itself` : `resumed by ${opts.actor}: the bake time of step ${r.stepIndex + 1} starts again` },
    });
    await appendAudit(tx, { actor: opts.actor, ip: opts.ip ?? null, action: paused ? AUDIT_ACTIONS.rolloutPause : AUDIT_ACTIONS.rolloutResume, target: `rollout/${id}`, details: { version: r.version, group: r.group, step: r.stepIndex + 1 } });
    return toRollout(updated);
  });
}

/**
 * Canary -> back to the previous version for its group. Conditional on the rollout
 * still being a canary, so when several replicas' guards trip together exactly one
 * rolls back; the others get `changed: false`.
 */
export async function rollBackRollout(
  db: Db,
  id: number,
  opts: { actor: string; reason: string; kind: string; ip?: string | null; details?: unknown },
): Promise<{ changed: boolean; rollout: TRollout | null }> {
  return transaction(db, async (tx) => {
    await lockConfig(tx);
    const r = await tx.rollout.findUnique({ where: { id } });
    if (!r) throw new RolloutError(404, `rollout ${id} does not exist`);
    if (r.state !== "canary") return { changed: false, rollout: toRollout(r) };
    const updated = await tx.rollout.update({ where: { id }, data: { state: "rolled_back", finishedAt: new Date(), reason: opts.reason } });
    if (r.previousVersion !== null) {
      await tx.deployTarget.upsert({
        where: { group: r.group },
        create: { group: r.group, version: r.previousVersion, rolloutId: r.id },
        update: { version: r.previousVersion, since: new Date(), rolloutId: r.id, cut: null, baseVersion: null },
      });
    } else {
      await tx.deployTarget.deleteMany({ where: { group: r.group } });
    }
    await tx.rolloutEvent.create({ data: { rolloutId: id, kind: opts.kind, message: opts.reason, ...(opts.details === undefined ? {} : { details: toJson(opts.details) }) } });
    await tx.rolloutEvent.create({
      data: { rolloutId: id, kind: "rolled_back", message: `group "${r.group}" returned to v${r.previousVersion ?? "-"}` },
    });
    await appendAudit(tx, {
      actor: opts.actor,
      ip: opts.ip ?? null,
      action: AUDIT_ACTIONS.rolloutRollback,
      target: `rollout/${id}`,
      details: { version: r.version, group: r.group, to: r.previousVersion, reason: opts.reason, ...(opts.details === undefined ? {} : { evidence: opts.details }) },
    });
    await notifyVersion(tx, r.previousVersion ?? r.version);
    return { changed: true, rollout: toRollout(updated) };
  });
}

export async function setRolloutBaseline(db: Db, id: number, baseline: unknown): Promise<void> {
  await db.prisma.rollout.updateMany({ where: { id }, data: { baseline: toJson(baseline) } });
}

export async function appendRolloutEvent(db: Db, id: number, kind: string, message: string, details?: unknown): Promise<void> {
  await db.prisma.rolloutEvent.create({ data: { rolloutId: id, kind, message, ...(details === undefined ? {} : { details: toJson(details) }) } });
}

export async function listActiveRollouts(db: Db): Promise<TRollout[]> {
  return (await db.prisma.rollout.findMany({ where: { state: "canary" }, orderBy: { id: "asc" } })).map(toRollout);
}

export async function listRollouts(db: Db, opts: { limit?: number } = {}): Promise<TRollout[]> {
  return (await db.prisma.rollout.findMany({ orderBy: { id: "desc" }, take: clampLimit(opts.limit, 20, 200) })).map(toRollout);
}

export async function getRollout(db: Db, id: number): Promise<(TRollout & { events: TRolloutEvent[] }) | null> {
  const r = await db.prisma.rollout.findUnique({ where: { id }, include: { events: { orderBy: { id: "asc" } } } });
  if (!r) return null;
  return { ...toRollout(r), events: r.events.map((e) => ({ id: e.id, at: e.at, kind: e.kind, message: e.message, details: e.details ?? null })) };
}

function toRollout(r: {
  id: number;
  version: number;
  previousVersion: number | null;
  group: string;
  state: string;
  guard: unknown;
  baseline: unknown;
  reason: string | null;
  createdBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  steps: unknown;
  stepIndex: number;
  bakeMs: number | null;
  stepStartedAt: Date | null;
  pausedAt: Date | null;
  pausedBy: string | null;
}): TRollout {
  return {
    id: r.id,
    version: r.version,
    previousVersion: r.previousVersion,
    group: r.group,
    state: r.state as TRolloutState,
    guard: r.guard ?? null,
    baseline: r.baseline ?? null,
    reason: r.reason,
    createdBy: r.createdBy,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    steps: Array.isArray(r.steps) ? (r.steps as number[]) : null,
    stepIndex: r.stepIndex,
    bakeMs: r.bakeMs,
    stepStartedAt: r.stepStartedAt,
    pausedAt: r.pausedAt,
    pausedBy: r.pausedBy,
  };
}
