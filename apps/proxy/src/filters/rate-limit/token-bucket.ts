/**
 * A token bucket refilled lazily on each take (no timers): `burst` tokens at most,
 * `ratePerMs` tokens added per millisecond. Times are performance.now() milliseconds.
 */
export class TokenBucket {
  tokens: number;
  #last: number;

  constructor(burst: number, now: number) {
    this.tokens = burst;
    this.#last = now;
  }

  /** Refills, then takes one token when there is one. */
  take(burst: number, ratePerMs: number, now: number): boolean {
    if (now > this.#last) {
      this.tokens = Math.min(burst, this.tokens + (now - this.#last) * ratePerMs);
      this.#last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
