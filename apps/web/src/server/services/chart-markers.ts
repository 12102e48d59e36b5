import { getRollout, listRollouts, listVersionMarkers, type Db } from "@switchyard/db";
import { buildMarkers, type TChartMarker } from "../../lib/chart-markers.ts";

/** Rollouts looked at for markers: the newest ones (a range of at most a day holds far fewer). */
const ROLLOUTS_SCANNED = 200;

/** Every marker of the traffic charts in the last `rangeS` seconds: publishes, rollbacks, canary starts, promotions, guard trips. */
export async function chartMarkers(db: Db, q: { rangeS: number }, now = Date.now()): Promise<{ from: number; to: number; markers: TChartMarker[] }> {
  const from = now - q.rangeS * 1000;
  const [versions, rollouts] = await Promise.all([listVersionMarkers(db, new Date(from)), listRollouts(db, { limit: ROLLOUTS_SCANNED })]);
  const inRange = rollouts.filter((r) => r.startedAt.getTime() >= from || (r.finishedAt !== null && r.finishedAt.getTime() >= from));
  const rows = await Promise.all(
    inRange.map(async (r) => {
      // Only a rolled-back rollout can carry a guard trip; its events say when.
      const trip = r.state === "rolled_back" ? (await getRollout(db, r.id))?.events.find((e) => e.kind === "guard_tripped") : undefined;
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
      };
    }),
  );
  return { from, to: now, markers: buildMarkers(versions, rows, from, now) };
}
