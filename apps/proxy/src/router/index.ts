/**
 * The router: pure matching over a compiled table, no I/O. The console's route tester
 * imports this module (`@switchyard/proxy/router`) to answer "which route would serve this request".
 */
export * from "./types.ts";
export { compileRouteTable } from "./compile.ts";
export {
  findVirtualHost,
  matchRoute,
  matchValue,
  normaliseHost,
  parseQuery,
  pickTarget,
  redirectLocation,
  rewritePath,
  routeRequest,
} from "./match.ts";
