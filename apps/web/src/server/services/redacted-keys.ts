import { REDACTED, type TConfig, type TConfigIssue } from "@switchyard/config-model";

/**
 * GET /config redacts private keys, so a GET -> edit -> PUT round trip sends "[redacted]"
 * back. Such a key means "keep the stored one": it is replaced by the private key of the
 * stored tlsCertificate secret of the same name. A "[redacted]" key with nothing to keep
 * is an issue on that field. The input is copied, never mutated.
 */
export function restoreRedactedKeys(input: unknown, stored: TConfig | null): { value: unknown; issues: TConfigIssue[] } {
  if (!isRecord(input) || !Array.isArray(input.secrets)) return { value: input, issues: [] };
  const keys = new Map<string, string>();
  for (const s of stored?.secrets ?? []) if (s.type === "tlsCertificate") keys.set(s.name, s.privateKey);
  const issues: TConfigIssue[] = [];
  const secrets = input.secrets.map((secret: unknown, i: number) => {
    if (!isRecord(secret) || secret.privateKey !== REDACTED) return secret;
    const kept = typeof secret.name === "string" ? keys.get(secret.name) : undefined;
    if (kept === undefined) {
      issues.push({
        path: `secrets[${i}].privateKey`,
        message: `"${REDACTED}" keeps the stored key, but no stored tlsCertificate secret is named ${JSON.stringify(secret.name)}: send the PEM key`,
      });
      return secret;
    }
    return { ...secret, privateKey: kept };
  });
  return { value: { ...input, secrets }, issues };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
