/**
 * Exponential back-off with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): the delay is uniform in [0, min(cap, base * 2^attempt)). Full jitter spreads a
 * fleet of nodes that lost the console at the same moment, so they do not reconnect in
 * lock step when it comes back.
 */
export type TBackoffOptions = {
  /** First ceiling, in ms. Default 500. */
  baseMs?: number;
  /** Largest ceiling, in ms. Default 4 000. */
  capMs?: number;
  /** Source of randomness in [0, 1); injectable so tests can pin it. Default Math.random. */
  random?: () => number;
};

export const DEFAULT_BACKOFF_BASE_MS = 500;
/**
 * 4 s, not Envoy's 30 s: a restarted console must have its nodes back (and converged)
 * within 5 s (issue #10). Full jitter still spreads a fleet over those 4 s, and a
 * reconnect is one WebSocket upgrade plus one hello frame per node.
 */
export const DEFAULT_BACKOFF_CAP_MS = 4_000;

/** The ceiling for a given attempt (0-based): min(cap, base * 2^attempt). */
export function backoffCeilingMs(attempt: number, baseMs = DEFAULT_BACKOFF_BASE_MS, capMs = DEFAULT_BACKOFF_CAP_MS): number {
  // 2^attempt overflows to Infinity long after it passed the cap; Math.min handles both.
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
}

/** One full-jitter delay for a given attempt (0-based). */
export function computeBackoffMs(attempt: number, options: TBackoffOptions = {}): number {
  const random = options.random ?? Math.random;
  const ceiling = backoffCeilingMs(attempt, options.baseMs, options.capMs);
  return Math.floor(random() * ceiling);
}

/** Counts attempts between successes; `next()` is the delay before the next try. */
export class Backoff {
  #attempt = 0;
  readonly #options: TBackoffOptions;

  constructor(options: TBackoffOptions = {}) {
    this.#options = options;
  }

  /** Delay before the next attempt; each call raises the ceiling until the cap. */
  next(): number {
    const delay = computeBackoffMs(this.#attempt, this.#options);
    this.#attempt++;
    return delay;
  }

  /** Back to the first ceiling, after a connection proved healthy. */
  reset(): void {
    this.#attempt = 0;
  }

  get attempt(): number {
    return this.#attempt;
  }
}
