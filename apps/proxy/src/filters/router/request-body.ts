import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

/**
 * Request bodies of routes with a retry policy or mirrors. Up to `limit` bytes the body is
 * read into memory first so every try (and every mirror) can send it again; a bigger body
 * (by Content-Length, or once the chunks read so far pass the limit) is streamed to the
 * first try only, with back pressure, and is not replayable.
 */
export type TRequestBody =
  | { readonly kind: "buffered"; readonly data: Buffer }
  | { readonly kind: "stream"; readonly source: AsyncIterable<Buffer> };

export class DownstreamBodyError extends Error {
  readonly code = "SWY_ERR_DOWNSTREAM_BODY";
  constructor() {
    super("downstream closed before the request body was complete");
    this.name = "DownstreamBodyError";
  }
}

/** `req`: the HTTP/1.1 engine's H1Request or the HTTP/2 H2Request (both Readable). */
export function readReplayableBody(req: Readable & { readonly headers: IncomingHttpHeaders }, limit: number): Promise<TRequestBody> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve({ kind: "stream", source: req });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      chunks.push(c);
      if (size > limit) {
        cleanup();
        req.pause();
        resolve({ kind: "stream", source: prepend(chunks, req) });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: "buffered", data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    };
    const onClose = () => {
      cleanup();
      reject(new DownstreamBodyError());
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

async function* prepend(head: Buffer[], rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for (const c of head) yield c;
  yield* rest;
}

/** The same for a body that is already an async iterable (a filtered body): buffered up to `limit`, else streamed on. */
export async function bufferIterable(source: AsyncIterable<Buffer>, limit: number): Promise<TRequestBody> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { kind: "buffered", data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) };
    chunks.push(r.value);
    size += r.value.length;
    if (size > limit) return { kind: "stream", source: prepend(chunks, { [Symbol.asyncIterator]: () => it }) };
  }
}

/**
 * Waits for the first bytes of a filtered body (or its end), then gives the whole body
 * back. A try starts only then, so a filter that holds the body (bufferLimits, extAuthz
 * with withRequestBody) keeps the upstream untouched until it lets go, as Envoy's
 * StopIteration does. Rejects as the body does (a filter answered, the client left).
 */
export async function firstBytes(source: AsyncIterable<Buffer>): Promise<AsyncIterable<Buffer>> {
  const it = source[Symbol.asyncIterator]();
  const r = await it.next();
  if (r.done) return prepend([], { [Symbol.asyncIterator]: () => it });
  return prepend([r.value], { [Symbol.asyncIterator]: () => it });
}
