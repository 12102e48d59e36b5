import { onLive, type TLiveEvent } from "../../../telemetry/bus.ts";
import { protectedProcedure } from "../../trpc.ts";

/** At most one tick per COALESCE_MS (a burst of node windows is one refresh). */
const COALESCE_MS = 1_000;
/** A tick at least this often, so a browser on another replica's data still refreshes within a stats window. */
const HEARTBEAT_MS = 5_000;

/**
 * Live dashboards (tRPC subscription over SSE): yields `{ at, kinds }` whenever nodes'
 * telemetry or a new version was stored; the browser then refetches what it shows.
 */
export const liveProcedure = protectedProcedure.subscription(async function* ({ signal }) {
  let kinds = new Set<TLiveEvent["kind"]>();
  let wake: (() => void) | null = null;
  const off = onLive((e) => {
    kinds.add(e.kind);
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
      kinds = new Set();
      yield { at: Date.now(), kinds: batch };
      await new Promise((r) => setTimeout(r, COALESCE_MS));
    }
  } finally {
    off();
  }
});
