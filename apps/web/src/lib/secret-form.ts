import { formatPath, REDACTED, type TSecret } from "@switchyard/config-model";
import type { z } from "zod";
import type { TFieldIssue } from "./issues.ts";
import { ZSecretInput } from "./resource-kinds.ts";

export type TSecretInput = z.input<typeof ZSecretInput>;

/**
 * The TLS secret form. The private key is write-only: the browser never receives it
 * (the server sends "[redacted]"), so the field starts empty and "" means "keep the
 * stored key"; a new tlsCertificate secret must bring one (the server says so).
 */
export type TSecretForm = {
  name: string;
  type: TSecret["type"];
  certificate: string;
  privateKey: string;
};

export function emptySecretForm(): TSecretForm {
  return { name: "", type: "tlsCertificate", certificate: "", privateKey: "" };
}

/** The stored secret as the form shows it: never the key (it arrives redacted anyway). */
export function secretFormOf(s: TSecret): TSecretForm {
  return { name: s.name, type: s.type, certificate: s.certificate, privateKey: "" };
}

export function buildSecret(form: TSecretForm): TSecretInput {
  const base = { name: form.name.trim(), certificate: form.certificate.trim() ? `${form.certificate.trim()}\n` : "" };
  if (form.type === "caBundle") return { ...base, type: "caBundle" };
  const key = form.privateKey.trim();
  return { ...base, type: "tlsCertificate", privateKey: key ? `${key}\n` : "" };
}

/**
 * The browser's check with the schema the server uses (ZSecretInput: "" or "[redacted]"
 * keeps the stored key). A new tlsCertificate secret needs a key: `isNew` says so here
 * instead of after a round trip.
 */
export function checkSecret(secret: TSecretInput, isNew: boolean): TFieldIssue[] {
  const issues: TFieldIssue[] = [];
  const r = ZSecretInput.safeParse(secret);
  if (!r.success) for (const i of r.error.issues) issues.push({ path: formatPath(i.path), message: i.message, field: formatPath(i.path) });
  if (isNew && secret.type === "tlsCertificate" && (secret.privateKey === "" || secret.privateKey === REDACTED)) {
    issues.push({ path: "privateKey", field: "privateKey", message: "paste the PEM private key (a new secret has no stored key to keep)" });
  }
  return issues;
}

/** A PEM private key pasted into the certificate field by mistake must not be sent there. */
export function looksLikePrivateKey(pem: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem);
}
