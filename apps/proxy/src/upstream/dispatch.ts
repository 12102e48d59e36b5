import type { Readable } from "node:stream";

/**
 * The dispatch protocol every upstream pool speaks (H1Pool, H2Pool, AlpnPool): undici's
 * legacy dispatch-handler shape (the router spoke it to undici before), so the router's
 * try does not care which pool it talks to. onConnect(abort) once the request has a connection ->
 * onHeaders (false = pause until resume) -> onData* (false = back pressure until resume)
 * -> onComplete(trailers) | onError.
 */
export type TUpstreamHandler = {
  onConnect(abort: (err?: Error) => void): void;
  /** rawHeaders: flat [name, value, ...] as received (the tunnel's try passes Buffers). */
  onHeaders(statusCode: number, rawHeaders: (Buffer | string)[], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: (Buffer | string)[] | null): void;
  onError(err: Error): void;
};

export type TDispatchOptions = {
  method: string;
  path: string;
  /** Flat [name, value, ...] list, lower-case names, no connection-specific fields. */
  headers: string[];
  /** A Buffer is a replayable (retried or mirrored) body; streams are sent with back pressure. */
  body: Readable | AsyncIterable<Buffer> | Buffer | null;
};

/** What the cluster and the router need of a pool. */
export type TUpstreamPool = {
  dispatch(opts: TDispatchOptions, handler: TUpstreamHandler): boolean;
  /** connected: open upstream sockets (upstream_cx_active). */
  readonly stats: { readonly connected: number };
  /** Graceful: queued and in-flight requests finish, then every connection closes. */
  close(): Promise<void>;
  destroy(): Promise<void>;
};
