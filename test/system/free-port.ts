/** Ports from this worker's own slice of 20000-31999 (see the proxy's test helper for why). */
export { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
