import { advanceRolloutStep, getRollout, promoteRollout, rollBackRollout, setRolloutPaused, type TRollout } from "@switchyard/db";
import { rolloutDetail, rolloutList } from "../rollout/service.ts";
import { AppError, toAppError } from "./app-error.ts";
import type { Db, TWho } from "./context.ts";

/** Staged rollouts, newest first. */
export async function listRollouts(db: Db) {
  return rolloutList(db, 50);
}

/** One rollout with its events, its group's nodes and the SLO guard's current figures. */
export async function getRolloutDetail(db: Db, id: number) {
  const detail = await rolloutDetail(db, id);
  if (!detail) throw new AppError("NOT_FOUND", `rollout ${id} does not exist`);
  return detail;
}

/**
 * Promote: a group canary's version goes to every node; a stepped rollout moves to its next
 * step (from the last one, to every node), or with `to: "all"` to every node at once.
 */
export async function promote(db: Db, who: TWho, input: { id: number; to?: "next" | "all" | undefined }): Promise<TRollout> {
  try {
    const r = await getRollout(db, input.id);
    if (r?.steps && input.to !== "all") return (await advanceRolloutStep(db, input.id, who)).rollout!;
    return await promoteRollout(db, input.id, who);
  } catch (err) {
    throw toAppError(err);
  }
}

/** Pause (no step promotes by itself; the guard still rolls back) or resume a stepped rollout. */
export async function setPaused(db: Db, who: TWho, input: { id: number }, paused: boolean): Promise<TRollout> {
  try {
    return await setRolloutPaused(db, input.id, paused, who);
  } catch (err) {
    throw toAppError(err);
  }
}

/** The group returns to the previous version (every step of a stepped rollout); only a rollout in progress can be rolled back. */
export async function rollBack(db: Db, who: TWho, input: { id: number; reason?: string | undefined }): Promise<TRollout | null> {
  let result;
  try {
    result = await rollBackRollout(db, input.id, { ...who, kind: "manual_rollback", reason: input.reason || `rolled back by ${who.actor}` });
  } catch (err) {
    throw toAppError(err);
  }
  if (!result.changed) throw new AppError("CONFLICT", `rollout ${input.id} is ${result.rollout?.state}, only a rollout in progress can be rolled back`);
  return result.rollout;
}
