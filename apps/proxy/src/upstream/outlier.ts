import type { TOutlierDetection } from "@switchyard/config-model";

/**
 * Passive outlier detection (Envoy's consecutive_5xx and consecutive_gateway_failure,
 * without split local-origin errors: a connect failure, reset or timeout counts as a 503).
 *
 * Ejection happens the moment a counter reaches its threshold (as Envoy does for the
 * consecutive detectors), if fewer than maxEjectionPercent of the endpoints are ejected
 * (at least one may always be ejected when the percent is > 0, as Envoy). It lasts
 * baseEjectionTimeMs * (number of times ejected), capped at max(maxEjectionTimeMs, base).
 * Every intervalMs a sweep un-ejects endpoints whose time is up and lowers the ejection
 * multiplier of endpoints that stayed in for a whole interval.
 */

export type TOutlierState = {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  /** performance.now() deadline; 0 = not ejected. */
  ejectedUntil: number;
  /** The ejection multiplier (times ejected, decayed by the sweep). */
  ejections: number;
  /** Set when ejected since the last sweep, so that sweep does not decay it. */
  ejectedThisInterval: boolean;
};

export function newOutlierState(): TOutlierState {
  return { consecutive5xx: 0, consecutiveGatewayFailure: 0, ejectedUntil: 0, ejections: 0, ejectedThisInterval: false };
}

/** The outcome of one upstream try, as outlier detection sees it. */
export type TTryOutcome = "success" | "error5xx" | "gatewayFailure" | "localFailure";

export function outcomeOfStatus(status: number): TTryOutcome {
  if (status < 500) return "success";
  return status === 502 || status === 503 || status === 504 ? "gatewayFailure" : "error5xx";
}

export type TOutlierHost = { readonly outlier: TOutlierState };

export class OutlierDetector<E extends TOutlierHost> {
  readonly #cfg: TOutlierDetection;
  /** The cluster's current endpoint set (discovery may swap it). */
  readonly #endpoints: () => readonly E[];
  readonly #onChange: (endpoint: E, ejected: boolean) => void;
  #timer: NodeJS.Timeout | null = null;

  constructor(cfg: TOutlierDetection, endpoints: () => readonly E[], onChange: (endpoint: E, ejected: boolean) => void) {
    this.#cfg = cfg;
    this.#endpoints = endpoints;
    this.#onChange = onChange;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sweep(performance.now()), this.#cfg.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Called once per finished upstream try. Cheap: two counters, a compare. */
  record(e: E, outcome: TTryOutcome, now: number): void {
    const s = e.outlier;
    if (outcome === "success") {
      s.consecutive5xx = 0;
      s.consecutiveGatewayFailure = 0;
      return;
    }
    s.consecutive5xx++;
    if (outcome === "error5xx") s.consecutiveGatewayFailure = 0;
    else s.consecutiveGatewayFailure++;
    if (s.ejectedUntil !== 0) return;
    const c = this.#cfg;
    const tripped =
      (c.consecutive5xx > 0 && s.consecutive5xx >= c.consecutive5xx) ||
      (c.consecutiveGatewayFailure > 0 && s.consecutiveGatewayFailure >= c.consecutiveGatewayFailure);
    if (tripped && this.#mayEject()) this.#eject(e, now);
  }

  #mayEject(): boolean {
    const pct = this.#cfg.maxEjectionPercent;
    if (pct === 0) return false;
    let ejected = 0;
    for (const e of this.#endpoints()) if (e.outlier.ejectedUntil !== 0) ejected++;
    const allowed = Math.max(1, Math.floor((this.#endpoints().length * pct) / 100));
    return ejected < allowed;
  }

  #eject(e: E, now: number): void {
    const s = e.outlier;
    s.ejections++;
    s.ejectedThisInterval = true;
    const c = this.#cfg;
    const duration = Math.min(c.baseEjectionTimeMs * s.ejections, Math.max(c.maxEjectionTimeMs, c.baseEjectionTimeMs));
    s.ejectedUntil = now + duration;
    s.consecutive5xx = 0;
    s.consecutiveGatewayFailure = 0;
    this.#onChange(e, true);
  }

  /** Un-ejects endpoints whose time is up; decays the multiplier of endpoints not ejected. */
  sweep(now: number): void {
    for (const e of this.#endpoints()) {
      const s = e.outlier;
      if (s.ejectedUntil !== 0) {
        if (s.ejectedUntil <= now) {
          s.ejectedUntil = 0;
          this.#onChange(e, false);
        }
      } else if (!s.ejectedThisInterval && s.ejections > 0) {
        s.ejections--;
      }
      s.ejectedThisInterval = false;
    }
  }

  ejectedCount(): number {
    let n = 0;
    for (const e of this.#endpoints()) if (e.outlier.ejectedUntil !== 0) n++;
    return n;
  }
}
