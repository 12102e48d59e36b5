/**
 * The network filter API: what a filter on a `tcp` listener (built-in or, later, a user's
 * plugin) implements; docs/filters.md "Network filters" describes it for users. It has the
 * shape of the HTTP filter API (../api.ts): a filter is built once per applied config
 * version and shared by every connection of that version, so per-connection state lives
 * in `conn.metadata`, never in the filter. Every phase is optional and may return a
 * promise; the connection waits for it (bytes queue behind it in order).
 *
 *   onConnect(conn)               void = continue | HOLD | TNetworkClose (refuse)
 *       In chain order, when the connection is accepted. HOLD stops the chain here: later
 *       filters' onConnect and the upstream connection wait until this filter's onData
 *       continues (Envoy's StopIteration from onNewConnection), e.g. to read a ClientHello.
 *   onData(chunk, direction, conn) void = pass the chunk | Buffer (replaces it) | HOLD
 *       (keep it: the next call gets every byte held so far as one chunk) | TNetworkClose
 *       direction "toUpstream": bytes from the client, in chain order (Envoy's read filters);
 *       "toClient": bytes from the upstream, in reverse chain order (Envoy's write filters).
 *   onClose(info, conn)           void, once, for every filter whose onConnect ran.
 *
 * The terminal (the tcp proxy) runs after every onConnect continued: it dials
 * `conn.cluster` (a filter may set it, e.g. the sniRouter), else the listener's
 * `tcp.cluster`; none = the connection is closed with flag NR. A phase that throws or
 * rejects closes the connection with flag FE (switchyard_filter_errors_total{filter}).
 */

/** Returned by onConnect or onData: stop here and wait for more bytes. */
export const HOLD: unique symbol = Symbol("switchyard.network.hold");

/** Returned by onConnect (refuse) or onData: close both sides now. `flag` goes to the log and metrics; default "FC" (filter closed). */
export type TNetworkClose = { readonly close: true; readonly flag?: string };

export type TNetworkDirection = "toUpstream" | "toClient";

export type TNetworkConnection = {
  /** The listener's name. */
  readonly listener: string;
  /** The client's address and port as the socket sees them. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /**
   * The cluster the tcp proxy will dial; null = the listener's `tcp.cluster`. Setting it
   * after the upstream connected changes nothing.
   */
  cluster: string | null;
  /** Shared by the connection's filters and its log line (e.g. "sniRouter" -> { serverName }). */
  readonly metadata: Map<string, unknown>;
  /** Closes both sides (from a timer, say); `flag` as in TNetworkClose. Later phases do not run. */
  close(flag?: string): void;
};

export type TNetworkCloseInfo = {
  /** Response flag: "-" (closed normally), FC, NR, UF, UH, IDLE, FE, or a filter's own. */
  readonly flag: string;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly durationMs: number;
  /** The cluster dialled, or null when the connection never got that far. */
  readonly cluster: string | null;
};

type TMaybe<T> = T | Promise<T>;

export type TNetworkFilter = {
  readonly name: string;
  onConnect?(conn: TNetworkConnection): TMaybe<typeof HOLD | TNetworkClose | void | undefined>;
  onData?(chunk: Buffer, direction: TNetworkDirection, conn: TNetworkConnection): TMaybe<Buffer | typeof HOLD | TNetworkClose | void | undefined>;
  onClose?(info: TNetworkCloseInfo, conn: TNetworkConnection): void;
};

/** Bytes one connection's filters may hold at once (HOLD) before it is closed with flag FB. */
export const NETWORK_HOLD_LIMIT_BYTES = 1_048_576;

export function isClose(x: unknown): x is TNetworkClose {
  return typeof x === "object" && x !== null && (x as { close?: unknown }).close === true;
}
