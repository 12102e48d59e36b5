/**
 * The events drawn on every traffic chart, so a change and its effect share one time
 * axis: publishes, rollbacks, canary starts, each step of a stepped rollout, promotions and
 * guard trips (issue #19).
 */
export type TMarkerKind = "publish" | "rollback" | "canary" | "step" | "promote" | "guard";
export type TChartMarker = { at: number; kind: TMarkerKind; version: number; label: string; detail: string };

export const MARKER_STYLE: Record<TMarkerKind, { color: string; word: string }> = {
  publish: { color: "#2456d6", word: "publish" },
  rollback: { color: "#c4302b", word: "rollback" },
  canary: { color: "#8a4fd1", word: "canary start" },
  step: { color: "#5b3aa8", word: "rollout step" },
  promote: { color: "#1d7a46", word: "promotion" },
  guard: { color: "#d08a00", word: "guard trip" },
};

type TVersionRow = { version: number; at: number; message: string; author: string; rollback: boolean };
type TRolloutRow = {
  id: number;
  version: number;
  previousVersion: number | null;
  group: string;
  state: string;
  startedAt: number;
  finishedAt: number | null;
  reason: string | null;
  /** When the SLO guard rolled it back, the time of that trip. */
  guardTrippedAt: number | null;
  /** Stepped rollouts: when each step after the first began (the first begins with the rollout). */
  steps?: { at: number; step: number; percent: number }[];
  /** Stepped rollouts: the first step's percentage. */
  firstPercent?: number | null;
};

/** A canary publish stores a version and starts a rollout in one transaction: one marker, not two. */
const SAME_EVENT_MS = 5_000;

/** Markers in [from, to], oldest first. */
export function buildMarkers(versions: TVersionRow[], rollouts: TRolloutRow[], from: number, to: number): TChartMarker[] {
  const out: TChartMarker[] = [];
  const canaryStart = (v: TVersionRow) => rollouts.some((r) => r.version === v.version && Math.abs(r.startedAt - v.at) <= SAME_EVENT_MS);
  for (const v of versions) {
    if (canaryStart(v)) continue;
    out.push(
      v.rollback
        ? { at: v.at, kind: "rollback", version: v.version, label: `v${v.version} ↺`, detail: `${v.message} (by ${v.author})` }
        : { at: v.at, kind: "publish", version: v.version, label: `v${v.version}`, detail: `published v${v.version}: ${v.message} (by ${v.author})` },
    );
  }
  for (const r of rollouts) {
    if (r.firstPercent) {
      out.push({ at: r.startedAt, kind: "canary", version: r.version, label: `v${r.version} ${r.firstPercent}%`, detail: `stepped rollout of v${r.version} starts: step 1 on ${r.firstPercent}% of group "${r.group}"` });
    } else {
      out.push({ at: r.startedAt, kind: "canary", version: r.version, label: `v${r.version} canary`, detail: `canary v${r.version} on group "${r.group}"` });
    }
    for (const st of r.steps ?? []) {
      out.push({ at: st.at, kind: "step", version: r.version, label: `v${r.version} ${st.percent}%`, detail: `v${r.version} step ${st.step + 1}: ${st.percent}% of group "${r.group}"` });
    }
    if (r.state === "promoted" && r.finishedAt !== null) {
      out.push({ at: r.finishedAt, kind: "promote", version: r.version, label: `v${r.version} promoted`, detail: `v${r.version} promoted from group "${r.group}" to every node` });
    }
    if (r.guardTrippedAt !== null) {
      out.push({ at: r.guardTrippedAt, kind: "guard", version: r.version, label: `v${r.version} guard`, detail: `SLO guard tripped on group "${r.group}": ${r.reason ?? ""}` });
    } else if (r.state === "rolled_back" && r.finishedAt !== null) {
      out.push({
        at: r.finishedAt,
        kind: "rollback",
        version: r.version,
        label: `v${r.version} ↺`,
        detail: `canary v${r.version} rolled back on group "${r.group}" to v${r.previousVersion ?? "-"}: ${r.reason ?? ""}`,
      });
    }
  }
  return out.filter((m) => m.at >= from && m.at <= to).sort((a, b) => a.at - b.at);
}
