import { BUFFER_BODY, type THttpFilter } from "../filters/api.ts";
import { FilterError } from "../filters/chain.ts";
import { DownstreamClosedError, RequestBodyTooLargeError } from "../upstream/errors.ts";
import type { ActiveRequest } from "./active-request.ts";
import type { FilterRequest } from "./filter-request.ts";

/**
 * The request body through the filters' onRequestBody, in chain order, as it streams to
 * the upstream (the generator is the upstream request's body, so back pressure holds): a
 * filter may replace a chunk, answer locally (the upstream request is aborted: the
 * generator throws), or hold chunks (BUFFER_BODY) up to the chain's buffer limit (past it:
 * 413) and get all it held at the end. A phase that throws fails the request (500 FE).
 */
export async function* filterRequestBody(ar: ActiveRequest, source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const filters = ar.chain.filters;
  const req = ar.filterReq as FilterRequest;
  const held: (Buffer[] | null)[] = filters.map(() => null);
  const heldBytes: number[] = filters.map(() => 0);
  const limit = ar.chain.bufferLimitBytes;
  // Runs the filters over one chunk; returns what reaches the upstream (null: held).
  const pass = async (chunk: Buffer, end: boolean): Promise<Buffer | null> => {
    let out = chunk;
    for (let i = 0; i < ar.ran; i++) {
      const f = filters[i] as THttpFilter;
      if (!f.onRequestBody) continue;
      let input = out;
      const h = held[i];
      if (h && end) {
        input = Buffer.concat([...h, out]);
        held[i] = null;
      }
      let r;
      try {
        r = await f.onRequestBody(input, end, req);
      } catch (err) {
        const failure = new FilterError(f.name, err);
        ar.filterFailed(failure);
        throw failure;
      }
      if (ar.closed || ar.replaced) throw new DownstreamClosedError();
      if (r === BUFFER_BODY) {
        if (end) {
          const failure = new FilterError(f.name, new Error("BUFFER_BODY returned at the end of the body"));
          ar.filterFailed(failure);
          throw failure;
        }
        (held[i] ??= []).push(input);
        heldBytes[i] = (heldBytes[i] as number) + input.length;
        if ((heldBytes[i] as number) > limit) {
          ar.bodyTooLarge(limit);
          throw new RequestBodyTooLargeError(limit);
        }
        return null;
      }
      if (Buffer.isBuffer(r)) out = r;
      else if (r) {
        ar.terminal?.cancel(new DownstreamClosedError());
        ar.filterReply(r);
        throw new DownstreamClosedError();
      } else out = input;
    }
    return out;
  };
  for await (const chunk of source) {
    const out = await pass(chunk, false);
    if (out !== null && out.length) yield out;
  }
  const last = await pass(Buffer.alloc(0), true);
  if (last !== null && last.length) yield last;
}
