import { onLive, type TLiveEvent } from "../../../telemetry/bus.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Changes carried by one tick at most (the page refetches whatever it shows anyway). */
const MAX_CHANGES = 50;
/** At most one tick per COALESCE_MS (a burst of node windows is one refresh). */
const COALESCE_MS = 1_000;
/** A tick at least this often, so a browser on another replica's data still refreshes within a stats window. */
const HEARTBEAT_MS = 5_000;

/**
 * The console's one live channel (tRPC subscription over SSE): yields `{ at, kinds, changes }`
 * whenever nodes' telemetry, a version or rollout change, a working-config edit or a node
 * registry change was stored; the browser then refetches what it shows (lib/live.tsx), and
 * an open editor learns who changed its resource (`changes`: scope, actor, resources).
 */
export const liveProcedure = protectedProcedure.subscription(async function* ({ signal }) {
  let kinds = new Set<TLiveEvent["kind"]>();
  let changes: NonNullable<TLiveEvent["change"]>[] = [];
  let wake: (() => void) | null = null;
  const off = onLive((e) => {
    kinds.add(e.kind);
    if (e.change && changes.length < MAX_CHANGES) changes.push(e.change);
    wake?.();
  });
  try {
    while (!signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HEARTBEAT_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        signal?.addEventListener("abort", () => wake?.(), { once: true });
      });
      wake = null;
      if (signal?.aborted) break;
      const batch = [...kinds];
      const changed = changes;
      kinds = new Set();
      changes = [];
      yield { at: Date.now(), kinds: batch, changes: changed };
      await new Promise((r) => setTimeout(r, COALESCE_MS));
    }
  } finally {
    off();
  }
});
