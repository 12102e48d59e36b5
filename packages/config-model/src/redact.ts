import type { TConfig } from "./config.ts";

export const REDACTED = "[redacted]";

/** The config with every private key replaced, for config dumps, logs and browsers. */
export function redactConfig(config: TConfig): TConfig {
  return {
    ...config,
    secrets: config.secrets.map((s) => (s.type === "tlsCertificate" ? { ...s, privateKey: REDACTED } : s)),
  };
}
