import type { TConfigIssue } from "./errors.ts";
import { formatPath } from "./errors.ts";

/** A PEM private key block of any kind (PKCS#8, RSA, EC, ENCRYPTED, OpenSSH). */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Private keys belong in `secrets[].privateKey` only: that field is sealed at rest and never
 * shown, while every other string is stored as is and readable by viewers. A cert+key
 * bundle pasted into `certificate` (or a key anywhere else) is refused with its path
 * (issue #20), so it never lands where viewers read it.
 */
export function privateKeysOutsideKeyFields(config: unknown): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === "string") {
      const inKeyField = path.length === 3 && path[0] === "secrets" && path[2] === "privateKey";
      if (!inKeyField && PRIVATE_KEY_BLOCK.test(value)) {
        issues.push({ path: formatPath(path), message: "contains a private key (-----BEGIN ... PRIVATE KEY-----): put it in a tlsCertificate secret's privateKey, which is sealed and never shown" });
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(config, []);
  return issues;
}
