"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import { useTRPC } from "./trpc.ts";

/**
 * Keeps every telemetry query on the page fresh: a tRPC subscription (SSE) ticks when
 * nodes' stats, spans, health events or a new version are stored, and each tick
 * invalidates the telemetry queries. Returns the time of the last tick and the
 * connection state for the "live" badge.
 */
export function useLiveTelemetry(): { lastTick: number | null; status: string } {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [lastTick, setLastTick] = useState<number | null>(null);
  const sub = useSubscription(
    trpc.telemetry.live.subscriptionOptions(undefined, {
      onData: (d) => {
        setLastTick(d.at);
        void queryClient.invalidateQueries({ queryKey: trpc.telemetry.pathKey() });
      },
    }),
  );
  return { lastTick, status: sub.status };
}
