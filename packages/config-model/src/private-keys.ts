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
  // One path stack for the whole walk: a config of 10,000 routes has ~200,000 values.
  const path: (string | number)[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") {
      const inKeyField = path.length === 3 && path[0] === "secrets" && path[2] === "privateKey";
      // includes() first: a plain substring search, far cheaper than the regex on the ~50,000 strings of a big config.
      if (!inKeyField && value.includes("PRIVATE KEY-----") && PRIVATE_KEY_BLOCK.test(value)) {
        issues.push({ path: formatPath(path), message: "contains a private key (-----BEGIN ... PRIVATE KEY-----): put it in a tlsCertificate secret's privateKey, which is sealed and never shown" });
      }
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(value[i]);
        path.pop();
      }
    } else if (value && typeof value === "object") {
      for (const k of Object.keys(value)) {
        path.push(k);
        walk((value as Record<string, unknown>)[k]);
        path.pop();
      }
    }
  };
  walk(config);
  return issues;
}
