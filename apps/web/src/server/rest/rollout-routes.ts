import { z } from "zod";
import { promoteRollout, rollBackRollout, RolloutError } from "@switchyard/db";
import { rolloutDetail, rolloutList } from "../rollout/service.ts";
import { readDocument } from "./body.ts";
import { RestError, sendJson } from "./http.ts";
import type { TRestContext } from "./router.ts";

const ZId = z.string().regex(/^[1-9]\d{0,9}$/, "must be a rollout id (a positive integer)").transform(Number);
const ZRollbackBody = z.object({ reason: z.string().trim().min(1).max(500).optional() });

function idOf(params: Record<string, string>): number {
  const parsed = ZId.safeParse(params.id ?? "");
  if (!parsed.success) throw new RestError(400, "SWY_REST_INVALID_PARAM", `invalid rollout id "${params.id}"`, { issues: [{ path: "id", message: parsed.error.issues[0]?.message ?? "invalid" }] });
  return parsed.data;
}

/** GET /rollouts: newest first. */
export async function listRolloutsRoute({ res, deps }: TRestContext): Promise<void> {
  sendJson(res, 200, await rolloutList(deps.db, 50));
}

/** GET /rollouts/:id: state, events, the group's nodes and the guard's current figures. */
export async function getRolloutRoute({ res, params, deps }: TRestContext): Promise<void> {
  const detail = await rolloutDetail(deps.db, idOf(params));
  if (!detail) throw new RestError(404, "SWY_REST_ROLLOUT_NOT_FOUND", `rollout ${params.id} does not exist`);
  sendJson(res, 200, detail);
}

/** POST /rollouts/:id/promote: the canary version goes to every node. */
export async function promoteRolloutRoute({ res, params, deps, principal }: TRestContext): Promise<void> {
  try {
    sendJson(res, 200, await promoteRollout(deps.db, idOf(params), { actor: principal.actor, ip: principal.ip }));
  } catch (err) {
    if (err instanceof RolloutError) throw new RestError(err.status, err.code, err.message);
    throw err;
  }
}

/** POST /rollouts/:id/rollback {reason?}: the canary group returns to the previous version. */
export async function rollbackRolloutRoute({ req, res, params, deps, principal }: TRestContext): Promise<void> {
  const id = idOf(params);
  const body = await readDocument(req);
  const parsed = ZRollbackBody.safeParse(body.value ?? {});
  if (!parsed.success) {
    throw new RestError(422, "SWY_REST_INVALID_BODY", "invalid request body", { issues: parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message })) });
  }
  const result = await rollBackRollout(deps.db, id, {
    actor: principal.actor,
    ip: principal.ip,
    kind: "manual_rollback",
    reason: parsed.data.reason ?? `rolled back by ${principal.actor}`,
  });
  if (!result.changed) throw new RestError(409, "SWY_REST_ROLLOUT_STATE", `rollout ${id} is ${result.rollout?.state}, only a canary can be rolled back`);
  sendJson(res, 200, result.rollout);
}
