import type { TConfig } from "./config.ts";
import { mapSealedField } from "./secret.ts";

export const REDACTED = "[redacted]";

/** The config with every sealed secret field (private keys, wasm module bytes) replaced, for config dumps, logs and browsers. */
export function redactConfig(config: TConfig): TConfig {
  return {
    ...config,
    secrets: config.secrets.map((s) => mapSealedField(s, () => REDACTED)),
  };
}
