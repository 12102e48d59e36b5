import { z } from "zod";
import { ZName } from "./common.ts";
import { ZWasmModuleSecret } from "./filters/wasm.ts";

const ZPem = z.string().min(1, "must not be empty").refine((s) => s.includes("-----BEGIN "), "must be PEM text (-----BEGIN ...)");

/** A server or client certificate with its private key (PEM). The key is write-only in the console. */
export const ZTlsCertificateSecret = z.strictObject({
  name: ZName,
  type: z.literal("tlsCertificate"),
  certificate: ZPem,
  privateKey: ZPem,
});

/** One or more CA certificates (PEM) used to verify peers. */
export const ZCaBundleSecret = z.strictObject({
  name: ZName,
  type: z.literal("caBundle"),
  certificate: ZPem,
});

export const ZSecret = z.discriminatedUnion("type", [ZTlsCertificateSecret, ZCaBundleSecret, ZWasmModuleSecret]);

export type TSecret = z.infer<typeof ZSecret>;
export type TTlsCertificateSecret = z.infer<typeof ZTlsCertificateSecret>;
export type TCaBundleSecret = z.infer<typeof ZCaBundleSecret>;

/** Secrets holding PEM certificates (listeners' and clusters' TLS). */
export type TTlsSecret = TTlsCertificateSecret | TCaBundleSecret;

export function isTlsSecret(s: TSecret): s is TTlsSecret {
  return s.type === "tlsCertificate" || s.type === "caBundle";
}

/**
 * The field of each secret type that is sealed at rest (the console's database encrypts
 * it) and write-only (reads show "[redacted]"; writing "[redacted]" or "" back keeps the
 * stored value): a tlsCertificate's private key, a wasmModule's bytes. Proxies get both
 * in clear in their snapshots, and nowhere else.
 */
export const SEALED_SECRET_FIELDS = { tlsCertificate: "privateKey", wasmModule: "data" } as const;

export type TSealedSecretField = (typeof SEALED_SECRET_FIELDS)[keyof typeof SEALED_SECRET_FIELDS];

/** The sealed field of an (untrusted) secret object by its type, or undefined. */
export function sealedFieldOf(secret: unknown): TSealedSecretField | undefined {
  const type = typeof secret === "object" && secret !== null ? (secret as { type?: unknown }).type : undefined;
  return typeof type === "string" && Object.hasOwn(SEALED_SECRET_FIELDS, type) ? SEALED_SECRET_FIELDS[type as keyof typeof SEALED_SECRET_FIELDS] : undefined;
}

/** A copy of `secret` with its sealed field passed through `f` (unchanged when it has none, or it is not a string). */
export function mapSealedField<T>(secret: T, f: (value: string, field: TSealedSecretField) => string): T {
  const field = sealedFieldOf(secret);
  if (field === undefined) return secret;
  const value = (secret as Record<string, unknown>)[field];
  return typeof value === "string" ? { ...secret, [field]: f(value, field) } : secret;
}
