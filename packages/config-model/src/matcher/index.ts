/**
 * The router's pure matching: compile a route config once into frozen objects, then
 * pick a virtual host and route per request with no I/O. The proxy runs it on every
 * request (apps/proxy/src/router re-exports it); the console's route tester runs the
 * same code and `explainRequest` to say why earlier routes did not match. Node-only
 * (direct response bodies are Buffers): import it on the server, not in a page.
 */
export * from "./types.ts";
export { compileRouteTable, compileValueMatcher, RouteCompileCache } from "./compile.ts";
export { compileHeaderMutation, type TCompiledHeaderMutation } from "./header-mutation.ts";
export {
  findVirtualHost,
  matchHeaders,
  matchRoute,
  matchValue,
  normaliseHost,
  parseQuery,
  pickTarget,
  redirectLocation,
  rewritePath,
  routeRequest,
} from "./match.ts";
export { explainRequest, reasonsAgainst, type TRouteExplanation } from "./explain.ts";
