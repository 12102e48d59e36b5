import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { TListenerLimits } from "@switchyard/config-model";
import type { TCompiledListener } from "../runtime/types.ts";

export type TRequestHandler = (listener: TCompiledListener, req: IncomingMessage, res: ServerResponse) => void;

/** How often Node checks headersTimeout/requestTimeout (its default, 30 s, makes them coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** Socket identity: a config version reuses a listener's socket when this is unchanged. */
export function listenerKey(l: { address: string; port: number }): string {
  return `${l.address}|${l.port}`;
}

/**
 * One HTTP/1.1 listening socket. `current` is the compiled listener of the applied
 * version; each request reads it once on arrival, so a request that started on version
 * n finishes on n even if n+1 is swapped in meanwhile.
 */
export class HttpListener {
  readonly key: string;
  readonly server: Server;
  current: TCompiledListener;
  #closing: Promise<void> | null = null;

  private constructor(compiled: TCompiledListener, handler: TRequestHandler) {
    this.key = listenerKey(compiled);
    this.current = compiled;
    const l = compiled.limits;
    this.server = createServer(
      {
        maxHeaderSize: l.maxHeaderBytes,
        ...nodeTimeouts(l),
        keepAliveTimeout: l.idleTimeoutMs,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      (req, res) => handler(this.current, req, res),
    );
    // Node answers 431 for a head larger than maxHeaderSize and 408 for the timeouts itself.
    this.server.maxConnections = l.maxConnections;
  }

  /** Binds the socket; rejects (and leaves nothing open) when the address cannot be bound. */
  static open(compiled: TCompiledListener, handler: TRequestHandler): Promise<HttpListener> {
    const listener = new HttpListener(compiled, handler);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      listener.server.once("error", onError);
      listener.server.listen({ host: compiled.address, port: compiled.port }, () => {
        listener.server.off("error", onError);
        resolve(listener);
      });
    });
  }

  /** Swaps in the next version's compiled listener and its limits, keeping the socket. */
  update(compiled: TCompiledListener): void {
    const l = compiled.limits;
    const s = this.server as Server & { maxHeaderSize?: number };
    // Read by Node per new connection / per timeout check, so changes apply without a rebind.
    s.maxHeaderSize = l.maxHeaderBytes;
    const t = nodeTimeouts(l);
    s.requestTimeout = t.requestTimeout;
    s.headersTimeout = t.headersTimeout;
    s.keepAliveTimeout = l.idleTimeoutMs;
    s.maxConnections = l.maxConnections;
    this.current = compiled;
  }

  /**
   * Stops accepting, closes idle keep-alive connections as they become idle, and after
   * `graceMs` closes whatever is left.
   */
  close(graceMs: number): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const server = this.server;
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const hard = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(hard);
        resolve();
      });
      server.closeIdleConnections();
    });
    return this.#closing;
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    return a && typeof a === "object" ? { address: a.address, port: a.port } : { address: this.current.address, port: this.current.port };
  }
}

/** Node refuses headersTimeout > requestTimeout when both are set; 0 disables requestTimeout. */
function nodeTimeouts(l: TListenerLimits): { headersTimeout: number; requestTimeout: number } {
  const requestTimeout = l.requestTimeoutMs;
  const headersTimeout = requestTimeout > 0 ? Math.min(l.headersTimeoutMs, requestTimeout) : l.headersTimeoutMs;
  return { headersTimeout, requestTimeout };
}
