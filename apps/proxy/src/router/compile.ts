export { compileRouteTable } from "@switchyard/config-model/matcher";
