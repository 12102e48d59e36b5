import { EventEmitter } from "node:events";
import type { TConsoleChange } from "@switchyard/db";

/**
 * In-process fan-out of live events to the browsers' one subscription (routers/telemetry/live.ts):
 * "new telemetry stored" for the dashboards, a version or rollout change (NOTIFY
 * config_version) and a working-config edit or node registry change (NOTIFY console_change,
 * `change`) for the config pages. Telemetry is only this replica's nodes'; with several
 * replicas a browser still refreshes within one stats window because each subscription also
 * ticks on a timer. Versions and changes come from every replica (LISTEN).
 */
export type TLiveEvent = { kind: "stats" | "health" | "spans" | "version" | "change"; at: number; nodeId?: string; change?: TConsoleChange };

const bus = new EventEmitter();
bus.setMaxListeners(0);

export function publishLive(event: TLiveEvent): void {
  bus.emit("event", event);
}

export function onLive(listener: (event: TLiveEvent) => void): () => void {
  bus.on("event", listener);
  return () => bus.off("event", listener);
}
