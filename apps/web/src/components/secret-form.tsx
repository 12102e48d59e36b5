"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useDeferredValue, useState, type ChangeEvent } from "react";
import { buildSecret, checkSecret, looksLikePrivateKey, readWasmFile, type TSecretForm } from "../lib/secret-form.ts";
import { useTRPC } from "../lib/trpc.ts";
import { messageOf } from "../lib/trpc-errors.ts";
import { CertificateDetails } from "./certificate-details.tsx";
import { Field } from "./field.tsx";
import { SaveForm, useResourceSave } from "./form-save.tsx";

const KEY_IN_CERT = "this is a private key: paste it in the private key field below";

/** Reads an uploaded PEM file into a field (the file never leaves the browser otherwise). */
function FileField({ id, label, accept, onText }: { id: string; label: string; accept: string; onText: (text: string) => void }) {
  const read = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    void file.text().then(onText);
    e.target.value = "";
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="file" accept={accept} onChange={read} />
    </div>
  );
}

/**
 * A TLS secret: name, type, certificate PEM (typed, pasted or uploaded) with its details
 * beside it (read on the server: subject, SANs, fingerprint, expiry), and for a
 * tlsCertificate the private key, write-only: the field is always empty at first, empty
 * keeps the stored key, and the key is never sent back to the browser.
 */
export function SecretForm({ initial, existingName, baseRevision }: { initial: TSecretForm; existingName?: string; baseRevision?: number | undefined }) {
  const [form, setForm] = useState(initial);
  const set = <K extends keyof TSecretForm>(k: K, v: TSecretForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const isNew = existingName === undefined;
  // A key pasted into the certificate field is refused before anything is sent (and shown at once, below).
  const keyInCert = looksLikePrivateKey(form.certificate);
  const s = useResourceSave({
    kind: "secrets",
    existingName,
    baseRevision,
    initial,
    form,
    build: buildSecret,
    check: (v) => [...checkSecret(v, isNew), ...(keyInCert ? [{ path: "certificate", field: "certificate", message: KEY_IN_CERT }] : [])],
  });
  const trpc = useTRPC();
  const pem = useDeferredValue(form.certificate.trim());
  const info = useQuery({ ...trpc.certificates.inspect.queryOptions({ pem }), enabled: pem.includes("-----BEGIN CERTIFICATE-----"), placeholderData: keepPreviousData, staleTime: Infinity });
  const c = s.claimer;
  const err = { name: c.at("name"), type: c.at("type"), certificate: c.at("certificate"), privateKey: c.at("privateKey"), sha256: c.at("sha256"), data: c.at("data") };
  const wasm = form.type === "wasmModule";
  // Size of the file uploaded in this session (a stored module's bytes never reach the browser).
  const [uploaded, setUploaded] = useState<{ file: string; bytes: number } | null>(null);
  const readModule = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    void file.arrayBuffer().then(readWasmFile).then((m) => {
      setForm((f) => ({ ...f, data: m.data, sha256: m.sha256 }));
      setUploaded({ file: file.name, bytes: m.bytes });
    });
    e.target.value = "";
  };
  const rest = c.rest();
  return (
    <SaveForm save={s} rest={rest}>
      <div className="editor">
        <fieldset className="editor-main">
          <legend>{wasm ? "proxy-wasm module" : "TLS secret"}</legend>
          <div className="grid-2">
            <Field label="Name" htmlFor="secret-name" errors={err.name}>
              <input id="secret-name" value={form.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" placeholder="site-cert" />
            </Field>
            <Field label="Type" htmlFor="secret-type" errors={err.type} hint="A certificate with its key (listeners, client certificates), CA certificates to verify peers, or a proxy-wasm filter module">
              <select id="secret-type" value={form.type} onChange={(e) => set("type", e.target.value as TSecretForm["type"])}>
                <option value="tlsCertificate">tlsCertificate (certificate + private key)</option>
                <option value="caBundle">caBundle (CA certificates)</option>
                <option value="wasmModule">wasmModule (proxy-wasm filter, .wasm)</option>
              </select>
            </Field>
          </div>
          {wasm && (
            <>
              <Field
                label="Module file (.wasm, write-only)"
                htmlFor="secret-wasm-file"
                errors={err.data}
                hint={isNew ? "Required; at most 2 MiB. Stored encrypted; only proxies receive it." : "Leave empty to keep the stored module (never shown). Upload a file to replace it."}
              >
                <input id="secret-wasm-file" type="file" accept=".wasm,application/wasm" onChange={readModule} />
              </Field>
              <Field label="SHA-256" htmlFor="secret-sha256" errors={err.sha256} hint="Computed from the uploaded file; the proxy and the console refuse a module whose bytes do not match it">
                <input id="secret-sha256" className="mono" value={form.sha256} readOnly placeholder="(upload a module)" />
              </Field>
            </>
          )}
          {!wasm && (
          <>
          <Field
            label={form.type === "caBundle" ? "CA certificates (PEM)" : "Certificate chain (PEM)"}
            htmlFor="secret-certificate"
            errors={keyInCert ? [KEY_IN_CERT] : err.certificate}
            hint={form.type === "caBundle" ? "One or more -----BEGIN CERTIFICATE----- blocks" : "Leaf certificate first, then intermediates"}
          >
            <textarea
              id="secret-certificate"
              className="mono code-input"
              rows={10}
              spellCheck={false}
              value={form.certificate}
              placeholder={"-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----"}
              onChange={(e) => set("certificate", e.target.value)}
            />
          </Field>
          <FileField id="secret-certificate-file" label="…or upload a certificate file" accept=".pem,.crt,.cer,text/plain" onText={(t) => set("certificate", t)} />
          </>
          )}
          {form.type === "tlsCertificate" && (
            <>
              <Field
                label="Private key (PEM, write-only)"
                htmlFor="secret-private-key"
                errors={err.privateKey}
                hint={isNew ? "Required. Stored encrypted; never shown again." : "Leave empty to keep the stored key (it is never shown). Paste or upload a new key to replace it."}
              >
                <textarea
                  id="secret-private-key"
                  className="mono code-input"
                  rows={4}
                  spellCheck={false}
                  autoComplete="off"
                  value={form.privateKey}
                  placeholder={isNew ? "-----BEGIN PRIVATE KEY-----" : "(stored key kept)"}
                  onChange={(e) => set("privateKey", e.target.value)}
                />
              </Field>
              <FileField id="secret-private-key-file" label="…or upload a key file" accept=".pem,.key,text/plain" onText={(t) => set("privateKey", t)} />
            </>
          )}
        </fieldset>
        {wasm ? (
          <aside className="editor-side" aria-label="Module details">
            <h2>Module</h2>
            {uploaded ? (
              <dl className="kv">
                <dt>File</dt>
                <dd className="mono">{uploaded.file}</dd>
                <dt>Size</dt>
                <dd>{uploaded.bytes.toLocaleString()} bytes</dd>
                <dt>SHA-256</dt>
                <dd className="mono small">{form.sha256}</dd>
              </dl>
            ) : form.sha256 ? (
              <p className="muted">
                Stored module <span className="mono small">{form.sha256}</span>; its bytes are only sent to proxies.
              </p>
            ) : (
              <p className="muted">Upload a .wasm file built for Envoy&apos;s proxy-wasm ABI 0.2.1 (Rust, Go, AssemblyScript or C++ SDKs).</p>
            )}
          </aside>
        ) : (
        <aside className="editor-side" aria-label="Certificate details">
          <h2>Certificate</h2>
          {!pem.includes("-----BEGIN CERTIFICATE-----") ? (
            <p className="muted">Paste or upload a certificate to see its subject, SANs, fingerprint and expiry.</p>
          ) : info.isError ? (
            <p className="banner banner-error" role="alert">
              {messageOf(info.error)}
            </p>
          ) : info.data ? (
            <CertificateDetails info={info.data} />
          ) : (
            <p className="muted" aria-busy="true">
              Reading…
            </p>
          )}
        </aside>
        )}
      </div>
    </SaveForm>
  );
}
