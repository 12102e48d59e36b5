import type { TCompiledHeaderMutation } from "@switchyard/config-model/matcher";
import type { THeaderMap, TFilterRequest, TFilterResponse, THttpFilter } from "../api.ts";

/**
 * A route's `requestHeaders` / `responseHeaders` (route level first, then the virtual
 * host's, as Envoy does: the less specific level runs last, so its overwrites win) as an
 * ordinary filter, bound at compile time. It edits headers through the same map a
 * user's filter gets. Headers the proxy owns (host, x-forwarded-*, x-request-id,
 * content-length) are set by the router after the filters and cannot be added here.
 */
export function createHeaderMutationFilter(request: readonly TCompiledHeaderMutation[], response: readonly TCompiledHeaderMutation[]): THttpFilter {
  return {
    name: "headerMutation",
    ...(request.length ? { onRequestHeaders: (req: TFilterRequest) => void mutate(req.headers, request) } : {}),
    ...(response.length ? { onResponseHeaders: (res: TFilterResponse) => void mutate(res.headers, response) } : {}),
  };
}

function mutate(headers: THeaderMap, mutations: readonly TCompiledHeaderMutation[]): void {
  for (const m of mutations) {
    for (const name of m.remove) headers.remove(name);
    for (const a of m.add) {
      // append: a second field line with the same name; HTTP treats it as a comma-joined value.
      if (a.append) headers.add(a.name, a.value);
      else headers.set(a.name, a.value);
    }
  }
}
