"use client";
import { RANGE_OPTIONS } from "../lib/telemetry-format.ts";

/** 5 min to 24 h; the choice lives in the URL (?range=) so links keep it. */
export function RangePicker({ value, onChange }: { value: number; onChange: (s: number) => void }) {
  return (
    <div className="segmented" role="group" aria-label="Time range">
      {RANGE_OPTIONS.map((o) => (
        <button key={o.s} type="button" className={o.s === value ? "active" : ""} aria-pressed={o.s === value} onClick={() => onChange(o.s)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function LiveBadge({ lastTick, status }: { lastTick: number | null; status: string }) {
  // tRPC: "pending" = the stream is open and waiting for ticks; "connecting" = (re)connecting.
  const on = status === "pending" || lastTick !== null && status !== "error" && status !== "connecting";
  return (
    <span className={`live-badge ${on ? "on" : ""}`} data-testid="live-badge" title={lastTick ? `last update ${new Date(lastTick).toLocaleTimeString()}` : "waiting for data"}>
      {on ? "live" : status === "error" ? "offline" : "connecting"}
    </span>
  );
}
