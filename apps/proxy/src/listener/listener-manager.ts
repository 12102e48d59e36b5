import type { TLog } from "../observability/log.ts";
import type { TCompiledListener } from "../runtime/types.ts";
import { HttpListener, listenerKey, type THttpHandlers } from "./http-listener.ts";
import { TcpListener, type TTcpStats } from "./tcp-listener.ts";

/** Removed listeners get this long to finish in-flight requests before connections are cut. */
const REMOVED_LISTENER_GRACE_MS = 10_000;

type TListenerSocket = HttpListener | TcpListener;

export type TListenerHandlers = THttpHandlers & { readonly tcpStats: TTcpStats };

export type TListenerPlan = {
  readonly next: readonly { compiled: TCompiledListener; listener: TListenerSocket; fresh: boolean }[];
};

/** A listener of the new version could not be bound; names the config path. */
export class ListenerBindError extends Error {
  readonly code = "SWY_ERR_LISTENER_BIND";
  readonly path: string;
  constructor(path: string, address: string, port: number, cause: unknown) {
    const reason = (cause as { code?: string } | null)?.code ?? (cause as Error | null)?.message ?? String(cause);
    super(`cannot listen on ${address}:${port}: ${reason}`, { cause });
    this.name = "ListenerBindError";
    this.path = path;
  }
}

/**
 * Opens and closes listening sockets as versions add or remove listeners. Sockets are
 * keyed by protocol + address:port, so a listener that keeps them keeps its socket (its
 * limits and certificates are updated in place). Two phases, like the cluster manager:
 * `prepare` binds what is new (all or nothing), `commit` swaps and closes what is gone.
 */
export class ListenerManager {
  #live = new Map<string, TListenerSocket>();
  readonly #handlers: TListenerHandlers;
  readonly #log: TLog;

  constructor(handlers: TListenerHandlers, log: TLog) {
    this.#handlers = handlers;
    this.#log = log;
  }

  async prepare(listeners: readonly TCompiledListener[]): Promise<TListenerPlan> {
    const next: { compiled: TCompiledListener; listener: TListenerSocket; fresh: boolean }[] = [];
    const opened: TListenerSocket[] = [];
    try {
      for (const [i, compiled] of listeners.entries()) {
        const existing = this.#live.get(keyOf(compiled));
        if (existing) {
          next.push({ compiled, listener: existing, fresh: false });
          continue;
        }
        try {
          const listener = compiled.protocol === "tcp" ? await TcpListener.open(compiled, this.#handlers.tcpStats) : await HttpListener.open(compiled, this.#handlers);
          opened.push(listener);
          next.push({ compiled, listener, fresh: true });
        } catch (err) {
          throw new ListenerBindError(`listeners[${i}].port`, compiled.address, compiled.port, err);
        }
      }
    } catch (err) {
      await Promise.all(opened.map((l) => l.close(0)));
      throw err;
    }
    return { next };
  }

  /** Synchronous: the swap of every listener's compiled version happens in one tick. */
  commit(plan: TListenerPlan): void {
    const live = new Map<string, TListenerSocket>();
    for (const { compiled, listener, fresh } of plan.next) {
      listener.update(compiled);
      live.set(listener.key, listener);
      if (fresh) this.#log("listener_up", { listener: compiled.name, protocol: compiled.protocol, address: compiled.address, port: listener.address().port });
    }
    for (const [key, old] of this.#live) {
      if (live.has(key)) continue;
      const name = old.current.name;
      void old.close(REMOVED_LISTENER_GRACE_MS).then(() => this.#log("listener_down", { listener: name, address: old.current.address, port: old.current.port }));
    }
    this.#live = live;
  }

  async discard(plan: TListenerPlan): Promise<void> {
    await Promise.all(plan.next.filter((n) => n.fresh).map((n) => n.listener.close(0)));
  }

  /** Every live listener with its bound port. */
  list(): { name: string; address: string; port: number }[] {
    return [...this.#live.values()].map((l) => ({ name: l.current.name, ...l.address() }));
  }

  /** Graceful stop: stop accepting everywhere, finish in-flight up to graceMs. */
  async close(graceMs: number): Promise<void> {
    const all = [...this.#live.values()];
    this.#live = new Map();
    await Promise.all(all.map((l) => l.close(graceMs)));
  }
}

function keyOf(l: TCompiledListener): string {
  return l.protocol === "tcp" ? `tcp|${l.address}|${l.port}` : listenerKey(l);
}
