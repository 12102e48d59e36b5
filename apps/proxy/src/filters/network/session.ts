import { HOLD, isClose, NETWORK_HOLD_LIMIT_BYTES, type TNetworkCloseInfo, type TNetworkConnection, type TNetworkDirection, type TNetworkFilter } from "./api.ts";

/** What the session asks of its tcp listener (the sockets and the terminal live there). */
export type TSessionSockets = {
  /** Every onConnect continued: dial `conn.cluster` (else the listener's tcp.cluster). */
  connectUpstream(): void;
  writeUpstream(data: Buffer): void;
  writeClient(data: Buffer): void;
  endUpstream(): void;
  endClient(): void;
  /** Close both sides; `filter` names the filter that closed it, `beforeUpstream` = the connection was refused. */
  close(flag: string, filter: string | null, beforeUpstream: boolean): void;
  filterError(filter: string, err: unknown): void;
};

type TConnInfo = Omit<TNetworkConnection, "cluster" | "metadata" | "close">;

const isThenable = (x: unknown): x is PromiseLike<unknown> => typeof (x as { then?: unknown } | null)?.then === "function";

/**
 * One connection through a listener's network filters (the lifecycle is in api.ts). Bytes
 * of each direction are handled strictly in order on their own queue; onConnect runs on
 * the client's queue, so bytes from the client wait for it. A filter's held bytes are kept
 * here (per filter and direction), bounded by NETWORK_HOLD_LIMIT_BYTES per connection.
 */
export class NetworkSession {
  readonly conn: TNetworkConnection;
  readonly #filters: readonly TNetworkFilter[];
  readonly #io: TSessionSockets;
  /** Filters [0, next) have had onConnect called. */
  #next = 0;
  /** The filter whose onConnect answered HOLD and whose onData has not continued yet; -1 = none. */
  #holder = -1;
  #upstream = false;
  #closed = false;
  #heldBytes = 0;
  readonly #held: Record<TNetworkDirection, (THeld | undefined)[]> = { toUpstream: [], toClient: [] };
  readonly #tail: Record<TNetworkDirection, Promise<void>> = { toUpstream: Promise.resolve(), toClient: Promise.resolve() };

  constructor(filters: readonly TNetworkFilter[], info: TConnInfo, io: TSessionSockets) {
    this.#filters = filters;
    this.#io = io;
    this.conn = { ...info, cluster: null, metadata: new Map(), close: (flag?: string) => this.#close(flag ?? "FC", null) };
  }

  start(): Promise<void> {
    return this.#enqueue("toUpstream", () => this.#runConnect());
  }

  /** Resolves once the chunk has been handled (the caller resumes reading then). */
  fromClient(chunk: Buffer): Promise<void> {
    return this.#enqueue("toUpstream", () => this.#pass("toUpstream", chunk));
  }

  fromUpstream(chunk: Buffer): Promise<void> {
    return this.#enqueue("toClient", () => this.#pass("toClient", chunk));
  }

  /** The client half-closed: after its queued bytes, end the upstream side (or close: nothing was dialled). */
  clientEnded(): Promise<void> {
    return this.#enqueue("toUpstream", () => (this.#upstream ? this.#io.endUpstream() : this.#close("DC", null)));
  }

  upstreamEnded(): Promise<void> {
    return this.#enqueue("toClient", () => this.#io.endClient());
  }

  /** After both sockets closed: onClose for every filter whose onConnect ran, in chain order. Never throws. */
  finish(info: TNetworkCloseInfo): void {
    this.#closed = true;
    for (let i = 0; i < this.#next; i++) {
      const f = this.#filters[i] as TNetworkFilter;
      try {
        f.onClose?.(info, this.conn);
      } catch (err) {
        this.#io.filterError(f.name, err);
      }
    }
  }

  #enqueue(dir: TNetworkDirection, step: () => void | Promise<void>): Promise<void> {
    const next = this.#tail[dir].then(() => (this.#closed ? undefined : step()));
    // Phases' own failures are handled in #call; anything else must not leave the connection hanging.
    this.#tail[dir] = next.catch(() => this.#close("FE", null));
    return this.#tail[dir];
  }

  /** onConnect from the next filter on, until one holds or refuses, or the terminal is reached. */
  async #runConnect(): Promise<void> {
    while (this.#next < this.#filters.length) {
      const i = this.#next++;
      const f = this.#filters[i] as TNetworkFilter;
      if (!f.onConnect) continue;
      const r = await this.#call(f, () => f.onConnect?.(this.conn));
      if (this.#closed || r === FAILED) return;
      if (isClose(r)) return this.#close(r.flag ?? "FC", f.name);
      if (r === HOLD) {
        this.#holder = i;
        return;
      }
    }
    this.#upstream = true;
    this.#io.connectUpstream();
  }

  /** One chunk through the filters of its direction (toClient: in reverse), then out. */
  async #pass(dir: TNetworkDirection, chunk: Buffer): Promise<void> {
    const n = this.#filters.length;
    const up = dir === "toUpstream";
    let data = chunk;
    for (let k = 0; k < n; k++) {
      const i = up ? k : n - 1 - k;
      const f = this.#filters[i] as TNetworkFilter;
      if (!f.onData) {
        if (up && i === this.#holder) return this.#close("FE", f.name); // held without onData: it can never continue
        continue;
      }
      const held = this.#held[dir][i];
      const input = held ? append(held, data) : data;
      const r = await this.#call(f, () => f.onData?.(input, dir, this.conn));
      if (this.#closed || r === FAILED) return;
      if (isClose(r)) return this.#close(r.flag ?? "FC", f.name);
      if (r === HOLD) {
        if (!held) {
          const h: THeld = { buf: Buffer.alloc(0), len: 0 };
          append(h, input);
          this.#held[dir][i] = h;
        }
        this.#heldBytes += data.length;
        if (this.#heldBytes > NETWORK_HOLD_LIMIT_BYTES) this.#close("FB", f.name);
        return;
      }
      if (held) this.#heldBytes -= held.len - data.length;
      this.#held[dir][i] = undefined;
      data = Buffer.isBuffer(r) ? r : input;
      if (up && i === this.#holder) {
        // The holder continued: the rest of the chain connects, then the bytes go on to it.
        this.#holder = -1;
        await this.#runConnect();
        if (this.#closed) return;
      }
      if (!data.length) return;
    }
    if (up) {
      if (this.#upstream) this.#io.writeUpstream(data);
      return;
    }
    this.#io.writeClient(data);
  }

  /** Runs a phase; a throw or rejection closes the connection with FE and counts the filter's error. */
  async #call<T>(f: TNetworkFilter, phase: () => T | PromiseLike<T>): Promise<T | typeof FAILED> {
    try {
      const r = phase();
      return isThenable(r) ? await r : r;
    } catch (err) {
      this.#io.filterError(f.name, err);
      this.#close("FE", f.name);
      return FAILED;
    }
  }

  #close(flag: string, filter: string | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#io.close(flag, filter, !this.#upstream);
  }
}

const FAILED: unique symbol = Symbol("failed");

/** Bytes a filter holds: a buffer grown by doubling, so a hello sent byte by byte costs O(n) copies, not O(n²). */
type THeld = { buf: Buffer; len: number };

/** Appends `data` and returns a view of everything held; earlier views keep their bytes (only the tail is written). */
function append(h: THeld, data: Buffer): Buffer {
  const need = h.len + data.length;
  if (need > h.buf.length) {
    const grown = Buffer.allocUnsafe(Math.max(need, h.buf.length * 2, 256));
    h.buf.copy(grown, 0, 0, h.len);
    h.buf = grown;
  }
  data.copy(h.buf, h.len);
  h.len = need;
  return h.buf.subarray(0, h.len);
}
