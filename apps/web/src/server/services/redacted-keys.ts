import { REDACTED, sealedFieldOf, type TConfig, type TConfigIssue } from "@switchyard/config-model";

/**
 * GET /config redacts private keys, so a GET -> edit -> PUT round trip sends "[redacted]"
 * back. Such a key means "keep the stored one": it is replaced by the private key of the
 * stored tlsCertificate secret of the same name. A "[redacted]" key with nothing to keep
 * is an issue on that field. The input is copied, never mutated.
 */
export function restoreRedactedKeys(input: unknown, stored: TConfig | null): { value: unknown; issues: TConfigIssue[] } {
  if (!isRecord(input) || !Array.isArray(input.secrets)) return { value: input, issues: [] };
  // Sealed values by "type/name": private keys, wasm modules' bytes (the same rule for both).
  const kept = new Map<string, string>();
  for (const s of stored?.secrets ?? []) {
    const field = sealedFieldOf(s);
    if (field !== undefined) kept.set(`${s.type}/${s.name}`, (s as Record<string, unknown>)[field] as string);
  }
  const issues: TConfigIssue[] = [];
  const secrets = input.secrets.map((secret: unknown, i: number) => {
    const field = sealedFieldOf(secret);
    if (!isRecord(secret) || field === undefined || secret[field] !== REDACTED) return secret;
    const value = typeof secret.name === "string" ? kept.get(`${String(secret.type)}/${secret.name}`) : undefined;
    if (value === undefined) {
      issues.push({
        path: `secrets[${i}].${field}`,
        message: `"${REDACTED}" keeps the stored value, but no stored ${String(secret.type)} secret is named ${JSON.stringify(secret.name)}: send the ${field === "privateKey" ? "PEM key" : "module (base64)"}`,
      });
      return secret;
    }
    return { ...secret, [field]: value };
  });
  return { value: { ...input, secrets }, issues };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
