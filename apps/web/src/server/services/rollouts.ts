import { promoteRollout, rollBackRollout, type TRollout } from "@switchyard/db";
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

/** The canary version goes to every node. */
export async function promote(db: Db, who: TWho, id: number): Promise<TRollout> {
  try {
    return await promoteRollout(db, id, who);
  } catch (err) {
    throw toAppError(err);
  }
}

/** The canary group returns to the previous version; only a canary can be rolled back. */
export async function rollBack(db: Db, who: TWho, input: { id: number; reason?: string | undefined }): Promise<TRollout | null> {
  let result;
  try {
    result = await rollBackRollout(db, input.id, { ...who, kind: "manual_rollback", reason: input.reason || `rolled back by ${who.actor}` });
  } catch (err) {
    throw toAppError(err);
  }
  if (!result.changed) throw new AppError("CONFLICT", `rollout ${input.id} is ${result.rollout?.state}, only a canary can be rolled back`);
  return result.rollout;
}
