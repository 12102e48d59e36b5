import { EventEmitter } from "node:events";

/**
 * In-process fan-out of "new telemetry stored" events to live dashboards (tRPC
 * subscriptions). Only this console replica's nodes are seen; with several replicas a
 * browser still refreshes within one stats window because each subscription also ticks
 * on a timer (see routers/telemetry/live.ts).
 */
export type TLiveEvent = { kind: "stats" | "health" | "spans" | "version"; at: number; nodeId?: string };

const bus = new EventEmitter();
bus.setMaxListeners(0);

export function publishLive(event: TLiveEvent): void {
  bus.emit("event", event);
}

export function onLive(listener: (event: TLiveEvent) => void): () => void {
  bus.on("event", listener);
  return () => bus.off("event", listener);
}
