import type { ClusterRuntime, UpstreamEndpoint } from "../../upstream/cluster.ts";
import type { TUpstreamHandler } from "../../upstream/dispatch.ts";
import { PerTryTimeoutError, UpstreamIdleTimeoutError } from "../../upstream/errors.ts";
import { outcomeOfStatus } from "../../upstream/outlier.ts";

/**
 * One try of an exchange against one endpoint: the pool's dispatch handler. It owns the
 * try's circuit-breaker accounting (cluster active/pending/retry gauges), its per-try and
 * idle timers, and reports to outlier detection; every decision about the response
 * (forward, retry, local reply) belongs to the exchange through `TTryOwner`.
 *
 * The dispatch-handler methods (onConnect/onHeaders/onData/onComplete/onError, see
 * upstream/dispatch.ts) are called by the pools directly: no controller object per response.
 */

export type TTryOwner = {
  /**
   * Response head. Return "retry" to abandon this try (it is aborted here); "held" keeps
   * the response paused while the owner waits for a decision (it calls `resume` or cancels).
   */
  tryHeaders(t: UpstreamTry, status: number, rawHeaders: (Buffer | string)[], resume: () => void): "forwarded" | "retry" | "held";
  tryData(chunk: Buffer): boolean;
  /** `trailers`: raw [name, value, ...] (HTTP/2, gRPC and chunked HTTP/1.1 upstreams), else null. */
  tryComplete(t: UpstreamTry, trailers: (Buffer | string)[] | null): void;
  /** Transport failure or our per-try / idle timer. */
  tryFailed(t: UpstreamTry, err: Error): void;
};

export class UpstreamTry implements TUpstreamHandler {
  readonly owner: TTryOwner;
  readonly cluster: ClusterRuntime;
  readonly endpoint: UpstreamEndpoint;
  readonly isRetry: boolean;
  done = false;
  status = 0;
  #pending = true;
  #abort: ((err: Error) => void) | null = null;
  #abortReason: Error | null = null;
  #perTryTimer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(owner: TTryOwner, cluster: ClusterRuntime, endpoint: UpstreamEndpoint, isRetry: boolean, perTryTimeoutMs: number, idleTimeoutMs: number) {
    this.owner = owner;
    this.cluster = cluster;
    this.endpoint = endpoint;
    this.isRetry = isRetry;
    // Admitted already (cluster.admitTry; a retry holds its maxRetries slot too): gauges only.
    cluster.tryStarted();
    endpoint.activeRequests++;
    if (perTryTimeoutMs > 0) this.#perTryTimer = setTimeout(onPerTryTimeout, perTryTimeoutMs, this, perTryTimeoutMs);
    if (idleTimeoutMs > 0) this.#idleTimer = setTimeout(onIdleTimeout, idleTimeoutMs, this, idleTimeoutMs);
  }

  /** Ends the try from outside (route timeout, client gone, retry): aborts the upstream request. */
  cancel(reason: Error, success = false): void {
    if (this.done) return;
    this.#finish(success);
    this.#abortReason = reason;
    this.#abort?.(reason);
  }

  /** Local failure of this try (timer): outlier outcome, then the owner decides. */
  fail(err: Error): void {
    if (this.done) return;
    this.cluster.recordOutcome(this.endpoint, "localFailure");
    this.cancel(err);
    this.owner.tryFailed(this, err);
  }

  #finish(success: boolean): void {
    this.done = true;
    if (this.#perTryTimer !== null) clearTimeout(this.#perTryTimer);
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.cluster.tryEnded(this.#pending, this.isRetry);
    this.#pending = false;
    const e = this.endpoint;
    e.activeRequests--;
    if (success) e.successes++;
    else e.errors++;
  }

  // ---- dispatch handler (TUpstreamHandler) ------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    if (this.#abortReason) return abort(this.#abortReason);
    this.#abort = abort;
    // Sent on a connection: no longer pending (maxPendingRequests counts the queued).
    if (this.#pending) {
      this.#pending = false;
      this.cluster.tryConnected();
    }
  }

  onHeaders(statusCode: number, rawHeaders: (Buffer | string)[], resume: () => void): boolean {
    // 1xx are not forwarded (the final response follows), except 101: the answer of a
    // tunnel's try (pools never pass one for a plain request).
    if (statusCode < 200 && statusCode !== 101) return true;
    if (this.done) return false;
    this.status = statusCode;
    this.#idleTimer?.refresh();
    this.cluster.recordOutcome(this.endpoint, outcomeOfStatus(statusCode));
    return this.owner.tryHeaders(this, statusCode, rawHeaders, resume) === "forwarded";
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return true;
    this.#idleTimer?.refresh();
    return this.owner.tryData(chunk);
  }

  onComplete(trailers?: (Buffer | string)[] | null): void {
    if (this.done) return;
    this.#finish(this.status < 500);
    this.owner.tryComplete(this, trailers ?? null);
  }

  onError(err: Error): void {
    // Done already: completed, or ended by us (timeout, DC, retry) when that happened.
    if (this.done) return;
    this.cluster.recordOutcome(this.endpoint, "localFailure");
    this.#finish(false);
    this.owner.tryFailed(this, err);
  }
}

function onPerTryTimeout(t: UpstreamTry, ms: number): void {
  t.fail(new PerTryTimeoutError(ms));
}

function onIdleTimeout(t: UpstreamTry, ms: number): void {
  t.fail(new UpstreamIdleTimeoutError(ms));
}
