import type { THistogram } from "./protocol.ts";

/**
 * The one latency histogram layout shared by proxy (records), console (stores, merges)
 * and dashboards (percentiles). Buckets are FIXED and log-spaced, so histograms from any
 * node and any time window merge by adding counts, and percentiles across nodes and time
 * come from the merged counts — never from averaging percentiles (DESIGN §2 "Report").
 *
 * Layout: upper bounds (ms) MIN_MS * GROWTH^i up to >= MAX_MS, plus a +Inf bucket.
 * A percentile is reported as the geometric midpoint of its bucket, so its relative
 * error is at most sqrt(GROWTH) - 1 = 3.9 % (inside the 5 % the dashboards promise).
 */
export const LATENCY_MIN_MS = 0.1;
export const LATENCY_GROWTH = 1.08;
export const LATENCY_MAX_MS = 120_000;

function buildBounds(): readonly number[] {
  const out: number[] = [];
  let b = LATENCY_MIN_MS;
  while (true) {
    // Rounded so the wire form is short and stable across platforms.
    out.push(Number(b.toPrecision(6)));
    if (b >= LATENCY_MAX_MS) break;
    b *= LATENCY_GROWTH;
  }
  return Object.freeze(out);
}

/**
 * Names this layout on the wire (compact stats frames carry the id instead of the 183
 * bounds): a node and a console that disagree on the id cannot merge histograms, and the
 * frame is refused rather than stored wrong. Change the id whenever a constant changes.
 */
export const LATENCY_LAYOUT_ID = `log${LATENCY_GROWTH}:${LATENCY_MIN_MS}-${LATENCY_MAX_MS}ms`;

/** Upper bounds in ms; counts arrays have one more slot (+Inf). */
export const LATENCY_BOUNDS_MS: readonly number[] = buildBounds();
const LOG_GROWTH = Math.log(LATENCY_GROWTH);
const N = LATENCY_BOUNDS_MS.length;

/** Index of the bucket holding `ms` (values <= bound[i] go to i; beyond the last: N = +Inf). O(1). */
export function latencyBucket(ms: number): number {
  if (!(ms > LATENCY_MIN_MS)) return 0;
  let i = Math.ceil(Math.log(ms / LATENCY_MIN_MS) / LOG_GROWTH);
  if (i >= N) return N;
  // Floating point and the rounded bounds can put a value one bucket off: fix it up.
  if (ms > (LATENCY_BOUNDS_MS[i] as number)) i++;
  else if (i > 0 && ms <= (LATENCY_BOUNDS_MS[i - 1] as number)) i--;
  return i;
}

export function emptyHistogram(): THistogram {
  return { bounds: [...LATENCY_BOUNDS_MS], counts: new Array<number>(N + 1).fill(0), sum: 0, count: 0 };
}

/** True when `h` uses the shared layout (anything else cannot be merged and is refused). */
export function hasStandardLayout(h: Pick<THistogram, "bounds" | "counts">): boolean {
  if (h.bounds.length !== N || h.counts.length !== N + 1) return false;
  for (let i = 0; i < N; i++) if (Math.abs((h.bounds[i] as number) - (LATENCY_BOUNDS_MS[i] as number)) > 1e-9 * (LATENCY_BOUNDS_MS[i] as number)) return false;
  return true;
}

/** Adds `from`'s counts into `into` (same layout). */
export function mergeCountsInto(into: number[], from: readonly number[]): void {
  const n = Math.min(into.length, from.length);
  for (let i = 0; i < n; i++) into[i] = (into[i] as number) + (from[i] as number);
}

/**
 * The q-quantile (0..1) in ms of a histogram given as counts in the shared layout, or
 * null when it is empty. Uses the nearest-rank definition over buckets.
 */
export function percentileMs(counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] as number;
    if (seen >= rank) {
      if (i === 0) return LATENCY_BOUNDS_MS[0] as number;
      if (i >= N) return LATENCY_BOUNDS_MS[N - 1] as number;
      return Math.sqrt((LATENCY_BOUNDS_MS[i - 1] as number) * (LATENCY_BOUNDS_MS[i] as number));
    }
  }
  return LATENCY_BOUNDS_MS[N - 1] as number;
}
