"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, useContext, useState, type ReactNode } from "react";
import { useTRPC } from "./trpc.ts";

/**
 * The console's one live channel, opened once per tab (in the console layout): the
 * `telemetry.live` tRPC subscription (SSE) ticks when nodes' stats, spans or health events,
 * a version or rollout change, a working-config edit or a node registry change are stored,
 * on any console replica. Each tick invalidates the queries it concerns, so every page shows
 * the current state without polling; open forms are never reset by it (useLiveRecord).
 */
export type TLiveChange = { at: number; scope: string; actor: string | null; resources?: string[] | undefined };
type TLiveState = { lastTick: number | null; status: string; changes: TLiveChange[] };

const LiveContext = createContext<TLiveState>({ lastTick: null, status: "idle", changes: [] });

/** Changes remembered for "changed by X" (the newest last). */
const KEEP_CHANGES = 50;

/** Routers whose reads a working-config edit can change. */
const CONFIG_READS = ["resources", "routes", "clusters", "config", "certificates", "versions", "overview", "tester"] as const;

export function LiveProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<Omit<TLiveState, "status">>({ lastTick: null, changes: [] });
  const invalidate = (...routers: string[]) => {
    for (const r of routers) void queryClient.invalidateQueries({ queryKey: [[r]] });
  };
  const sub = useSubscription(
    trpc.telemetry.live.subscriptionOptions(undefined, {
      onData: (d) => {
        const kinds = new Set<string>(d.kinds);
        const changes = d.changes ?? [];
        // Every tick (the heartbeat too: telemetry stored by another replica).
        void queryClient.invalidateQueries({ queryKey: trpc.telemetry.pathKey() });
        if (kinds.has("version")) invalidate("versions", "rollouts", "nodes", "overview", "topology");
        // The SLO guard's figures on the rollout page and the Overview's traffic come from the stored stats.
        if (kinds.has("stats")) invalidate("rollouts", "overview");
        if (changes.some((c) => c.scope === "working")) invalidate(...CONFIG_READS);
        // Node rows carry applied versions and each cluster's endpoint health as the node reports it.
        if (changes.some((c) => c.scope === "nodes")) invalidate("nodes", "rollouts", "versions", "clusters", "overview");
        if (changes.some((c) => c.scope === "endpoints")) invalidate("clusters");
        setState((s) => ({
          lastTick: d.at,
          changes: changes.length ? [...s.changes, ...changes.map((c) => ({ ...c, at: d.at }))].slice(-KEEP_CHANGES) : s.changes,
        }));
      },
    }),
  );
  return <LiveContext.Provider value={{ ...state, status: sub.status }}>{children}</LiveContext.Provider>;
}

export function useLive(): TLiveState {
  return useContext(LiveContext);
}

/** The time of the last tick and the connection state, for the "live" badge of the dashboards. */
export function useLiveTelemetry(): { lastTick: number | null; status: string } {
  const { lastTick, status } = useLive();
  return { lastTick, status };
}

/** The newest working-config change that names one of `resources` (`kind/name`), else the newest one. */
export function latestChangeOf(changes: readonly TLiveChange[], resources: readonly string[]): TLiveChange | null {
  const working = changes.filter((c) => c.scope === "working");
  return working.findLast((c) => c.resources?.some((r) => resources.includes(r))) ?? working.at(-1) ?? null;
}
