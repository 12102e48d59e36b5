export * from "./report.ts";
export * from "./openapi.ts";
export * from "./envoy.ts";
