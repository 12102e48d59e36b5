import { formatPath, REDACTED, type TSecret } from "@switchyard/config-model";
import type { z } from "zod";
import type { TFieldIssue } from "./issues.ts";
import { ZSecretInput } from "./resource-kinds.ts";

export type TSecretInput = z.input<typeof ZSecretInput>;

/**
 * The secret form. The private key and a wasm module's bytes are write-only: the browser
 * never receives them (the server sends "[redacted]"), so those fields start empty and ""
 * means "keep the stored one"; a new secret must bring one (the server says so). A module
 * is uploaded as a file: `data` is its base64, `sha256` computed in the browser (and checked
 * against the bytes again on the server).
 */
export type TSecretForm = {
  name: string;
  type: TSecret["type"];
  certificate: string;
  privateKey: string;
  sha256: string;
  data: string;
};

export function emptySecretForm(): TSecretForm {
  return { name: "", type: "tlsCertificate", certificate: "", privateKey: "", sha256: "", data: "" };
}

/** The stored secret as the form shows it: never the key nor the module's bytes (they arrive redacted anyway). */
export function secretFormOf(s: TSecret): TSecretForm {
  if (s.type === "wasmModule") return { ...emptySecretForm(), name: s.name, type: s.type, sha256: s.sha256 };
  return { ...emptySecretForm(), name: s.name, type: s.type, certificate: s.certificate };
}

/** A .wasm file's bytes as the secret carries them: base64, and the hex SHA-256 (WebCrypto). */
export async function readWasmFile(bytes: ArrayBuffer): Promise<{ data: string; sha256: string; bytes: number }> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha256 = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  const u8 = new Uint8Array(bytes);
  let bin = "";
  for (let i = 0; i < u8.length; i += 0x8000) bin += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return { data: btoa(bin), sha256, bytes: u8.length };
}

export function buildSecret(form: TSecretForm): TSecretInput {
  if (form.type === "wasmModule") return { name: form.name.trim(), type: "wasmModule", sha256: form.sha256.trim(), data: form.data };
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
  if (isNew && secret.type === "wasmModule" && (secret.data === "" || secret.data === REDACTED)) {
    issues.push({ path: "data", field: "data", message: "upload the .wasm module (a new secret has no stored module to keep)" });
  }
  return issues;
}

/** A PEM private key pasted into the certificate field by mistake must not be sent there. */
export function looksLikePrivateKey(pem: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem);
}
