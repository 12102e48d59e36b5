/** Software version of the proxy, reported by --version and in the control-plane hello. Keep in step with package.json. */
export const PROXY_VERSION = "0.1.0";
