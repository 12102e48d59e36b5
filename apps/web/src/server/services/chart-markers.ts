import { getRollout, listRollouts, listVersionMarkers, type Db } from "@switchyard/db";
import { buildMarkers, type TChartMarker } from "../../lib/chart-markers.ts";

/** Rollouts looked at for markers: the newest ones (a range of at most a day holds far fewer). */
const ROLLOUTS_SCANNED = 200;

/** Every marker of the traffic charts in the last `rangeS` seconds: publishes, rollbacks, canary starts, rollout steps, promotions, guard trips. */
export async function chartMarkers(db: Db, q: { rangeS: number }, now = Date.now()): Promise<{ from: number; to: number; markers: TChartMarker[] }> {
  const from = now - q.rangeS * 1000;
  const [versions, rollouts] = await Promise.all([listVersionMarkers(db, new Date(from)), listRollouts(db, { limit: ROLLOUTS_SCANNED })]);
  const inRange = rollouts.filter((r) => r.startedAt.getTime() >= from || (r.finishedAt !== null && r.finishedAt.getTime() >= from));
  const rows = await Promise.all(
    inRange.map(async (r) => {
      // Only a rolled-back rollout can carry a guard trip, only a stepped one steps; their events say when.
      const events = r.state === "rolled_back" || r.steps ? ((await getRollout(db, r.id))?.events ?? []) : [];
      const trip = events.find((e) => e.kind === "guard_tripped");
      const steps = events.flatMap((e) => {
        const d = e.details as { step?: unknown; percent?: unknown } | null;
        return e.kind === "step" && typeof d?.step === "number" && d.step > 0 && typeof d.percent === "number" ? [{ at: e.at.getTime(), step: d.step, percent: d.percent }] : [];
      });
      return {
        id: r.id,
        version: r.version,
        previousVersion: r.previousVersion,
        group: r.group,
        state: r.state,
        startedAt: r.startedAt.getTime(),
        finishedAt: r.finishedAt?.getTime() ?? null,
        reason: r.reason,
        guardTrippedAt: trip ? trip.at.getTime() : null,
        steps,
        firstPercent: r.steps?.[0] ?? null,
      };
    }),
  );
  return { from, to: now, markers: buildMarkers(versions, rows, from, now) };
}
