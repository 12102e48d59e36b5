/**
 * A budget refilled lazily on each spend (no timers): at most `burst` units, `perSecond`
 * added per second. The console's per-caller limits (node frames, logins) are made of these.
 */
export class Budget {
  #units: number;
  #last: number;
  readonly #burst: number;
  readonly #perMs: number;

  constructor(burst: number, perSecond: number, now = Date.now()) {
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#units = burst;
    this.#last = now;
  }

  /** Refills, then spends `cost` when that much is left; false (nothing spent) otherwise. */
  spend(cost = 1, now = Date.now()): boolean {
    this.#refill(now);
    if (this.#units < cost) return false;
    this.#units -= cost;
    return true;
  }

  /** Full again: nothing was spent for long enough (its holder may forget it). */
  full(now = Date.now()): boolean {
    this.#refill(now);
    return this.#units >= this.#burst;
  }

  #refill(now: number): void {
    if (now > this.#last) {
      this.#units = Math.min(this.#burst, this.#units + (now - this.#last) * this.#perMs);
      this.#last = now;
    }
  }
}
