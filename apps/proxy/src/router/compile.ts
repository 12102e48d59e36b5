export { compileRouteTable, RouteCompileCache } from "@switchyard/config-model/matcher";
