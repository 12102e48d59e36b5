/**
 * The router: pure matching over a compiled table, no I/O. The code lives in
 * config-model (`@switchyard/config-model/matcher`) so the console's route tester runs
 * exactly what the proxy runs; this module keeps the proxy's imports where they were.
 */
export * from "@switchyard/config-model/matcher";
