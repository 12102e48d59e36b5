import type { THttpFilter } from "./api.ts";

/**
 * One compiled filter chain: the filters a request on one route of one listener runs, in
 * order, plus which phases any of them has, so the pipeline skips a phase (and the
 * objects it needs) with one boolean read. Built once per config version (filters/build.ts).
 */
export type TFilterChain = {
  readonly filters: readonly THttpFilter[];
  readonly requestHeaders: boolean;
  readonly requestBody: boolean;
  readonly responseHeaders: boolean;
  readonly responseBody: boolean;
  readonly responseTrailers: boolean;
  readonly done: boolean;
  /** A filter rewrites local replies (onLocalReply). */
  readonly localReply: boolean;
  /** Most bytes a filter may hold with BUFFER_BODY before the request gets 413. */
  readonly bufferLimitBytes: number;
};

/** Body bytes a filter may buffer (BUFFER_BODY), unless the listener's maxRequestBodyBytes is lower: 1 MiB, like the retry buffer. */
export const DEFAULT_FILTER_BUFFER_BYTES = 1_048_576;

export function compileChain(filters: readonly THttpFilter[], bufferLimitBytes = DEFAULT_FILTER_BUFFER_BYTES): TFilterChain {
  const has = (phase: keyof THttpFilter) => filters.some((f) => typeof f[phase] === "function");
  return Object.freeze({
    filters: Object.freeze([...filters]),
    requestHeaders: has("onRequestHeaders"),
    requestBody: has("onRequestBody"),
    responseHeaders: has("onResponseHeaders"),
    responseBody: has("onResponseBody"),
    responseTrailers: has("onResponseTrailers"),
    done: has("onDone"),
    localReply: has("onLocalReply"),
    bufferLimitBytes,
  });
}

export const EMPTY_CHAIN: TFilterChain = compileChain([]);

/** A filter's phase threw or rejected: the request fails with 500 FE, counted per filter. */
export class FilterError extends Error {
  readonly code = "SWY_ERR_FILTER";
  readonly filter: string;
  constructor(filter: string, cause: unknown) {
    super(`filter "${filter}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "FilterError";
    this.filter = filter;
  }
}
