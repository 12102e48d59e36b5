import { base64DecodedLength, isTlsSecret, mapSealedField, REDACTED, sealedFieldOf, type TCluster, type TConfig, type TListener, type TRateLimitPolicy, type TRouteConfig, type TSecret } from "@switchyard/config-model";
import type { TResourceKind } from "../../lib/resource-kinds.ts";
import { AppError, validationError } from "./app-error.ts";
import { certificateInfo, type TCertificateInfo } from "./certificates.ts";
import type { Db, TWho } from "./context.ts";
import { usedBy } from "./references.ts";
import { editWorkingConfig, readWorkingConfig, replaceAt, withList } from "./working-config.ts";

export type TResourceOf = { listeners: TListener; routeConfigs: TRouteConfig; clusters: TCluster; secrets: TSecret; rateLimitPolicies: TRateLimitPolicy };
export type TAnyResource = TResourceOf[TResourceKind];

export type TResourceRow<K extends TResourceKind = TResourceKind> = {
  name: string;
  /** The resource as stored (defaults filled), private keys replaced by "[redacted]". */
  resource: TResourceOf[K];
  /** Who refers to it (`route main/all/users`, `listener public`): it cannot be renamed or deleted while used. */
  usedBy: string[];
  /** TLS secrets only. */
  certificate?: TCertificateInfo | { error: string };
  /** wasmModule secrets only: the module's size (its bytes are write-only, like a private key). */
  module?: { bytes: number };
};

/**
 * Listeners, route configs, clusters, TLS secrets and rate-limit policies: one set of rules
 * for every kind. A resource is created, replaced in place (its position is kept),
 * duplicated under a free name, and neither renamed nor deleted while something refers to
 * it (the referrers are named). Every write is validated against the whole config and
 * refuses a stale edit of the same resource (STALE_REVISION with what changed).
 */
const KIND_WORD: Record<TResourceKind, string> = {
  listeners: "listener",
  routeConfigs: "route config",
  clusters: "cluster",
  secrets: "secret",
  rateLimitPolicies: "rate-limit policy",
};

function itemsOf(config: TConfig, kind: TResourceKind): readonly TAnyResource[] {
  return config[kind];
}

/** Never let a private key (or a wasm module's bytes) reach a browser or an API client. */
function redact(resource: TAnyResource, kind: TResourceKind): TAnyResource {
  return kind === "secrets" ? mapSealedField(resource, () => REDACTED) : resource;
}

function rowOf(config: TConfig, kind: TResourceKind, resource: TAnyResource): TResourceRow {
  const row: TResourceRow = { name: resource.name, resource: redact(resource, kind), usedBy: usedBy(config, kind, resource.name) };
  const secret = resource as TSecret;
  if (kind === "secrets" && isTlsSecret(secret)) row.certificate = certificateInfo(secret);
  if (kind === "secrets" && secret.type === "wasmModule") row.module = { bytes: base64DecodedLength(secret.data) };
  return row;
}

export function listResourceRows(config: TConfig, kind: TResourceKind): TResourceRow[] {
  return itemsOf(config, kind).map((r) => rowOf(config, kind, r));
}

export async function listResources(db: Db, kind: TResourceKind): Promise<TResourceRow[]> {
  return listResourceRows((await readWorkingConfig(db)).config, kind);
}

/** The resource and the revision it was read at (the form sends it back: stale edits get 409). */
export async function getResource<K extends TResourceKind>(db: Db, kind: K, name: string): Promise<TResourceRow<K> & { revision: number }> {
  const { config, revision } = await readWorkingConfig(db);
  const found = itemsOf(config, kind).find((r) => r.name === name);
  if (!found) throw notFound(kind, name);
  return { ...(rowOf(config, kind, found) as TResourceRow<K>), revision };
}

/**
 * A secret sent without its sealed field (a tlsCertificate's key, a wasmModule's bytes), or
 * with "[redacted]", keeps the stored value of the secret being edited (the browser never
 * has it). A new secret must bring one.
 */
function withKeptKey(kind: TResourceKind, incoming: TAnyResource, stored: TAnyResource | undefined, path: string): TAnyResource {
  if (kind !== "secrets") return incoming;
  const field = sealedFieldOf(incoming);
  if (field === undefined) return incoming;
  const value = (incoming as Record<string, unknown>)[field];
  if (value !== REDACTED && value !== "") return incoming;
  const kept = stored && sealedFieldOf(stored) === field ? ((stored as Record<string, unknown>)[field] as string) : undefined;
  if (kept === undefined) {
    const message = field === "privateKey" ? "paste the PEM private key (there is no stored key to keep)" : "upload the .wasm module (there is no stored module to keep)";
    throw validationError([{ path: `${path}.${field}`, field, message }]);
  }
  return { ...incoming, [field]: kept } as TAnyResource;
}

export async function createResource(db: Db, who: TWho, kind: TResourceKind, resource: TAnyResource): Promise<TResourceRow> {
  const { config } = await editWorkingConfig(db, who, (current) => {
    const items = itemsOf(current, kind);
    const path = `${kind}[${items.length}]`;
    return { next: withList(current, kind, [...items, withKeptKey(kind, resource, undefined, path)] as never), scopes: [{ prefix: path }], result: undefined };
  });
  return rowOf(config, kind, itemsOf(config, kind).find((r) => r.name === resource.name)!);
}

/**
 * Replaces `name` in place (order is kept: it matters for route configs' neighbours in diffs).
 * A rename is refused while the resource is used. `baseRevision`: the revision the form was
 * loaded at; when someone else changed this resource since, the edit is refused.
 */
export async function updateResource(db: Db, who: TWho, kind: TResourceKind, name: string, resource: TAnyResource, baseRevision?: number): Promise<TResourceRow> {
  const { config } = await editWorkingConfig(
    db,
    who,
    (current) => {
      const items = itemsOf(current, kind);
      const index = items.findIndex((r) => r.name === name);
      if (index < 0) throw notFound(kind, name);
      const path = `${kind}[${index}]`;
      if (resource.name !== name) {
        const refs = usedBy(current, kind, name);
        if (refs.length) throw new AppError("CONFLICT", `${KIND_WORD[kind]} "${name}" cannot be renamed: it is used by ${refs.join(", ")}`);
      }
      return { next: withList(current, kind, replaceAt(items, index, withKeptKey(kind, resource, items[index], path)) as never), scopes: [{ prefix: path }], result: undefined };
    },
    { baseRevision, target: `${kind}/${name}` },
  );
  return rowOf(config, kind, itemsOf(config, kind).find((r) => r.name === resource.name)!);
}

/** Refuses, with the referrers, to delete something the config still refers to. */
export async function deleteResource(db: Db, who: TWho, kind: TResourceKind, name: string): Promise<void> {
  await editWorkingConfig(db, who, (current) => {
    const items = itemsOf(current, kind);
    const index = items.findIndex((r) => r.name === name);
    if (index < 0) throw notFound(kind, name);
    const refs = usedBy(current, kind, name);
    if (refs.length) throw new AppError("CONFLICT", `${KIND_WORD[kind]} "${name}" is used by ${refs.join(", ")}: change those first`);
    return { next: withList(current, kind, replaceAt(items, index) as never), scopes: [], result: undefined };
  });
}

/**
 * Copies a resource under a free name "<name>-copy[-n]". A listener copy takes the next
 * port no listener uses, since two listeners on one port never validate. Secrets are
 * copied server-side, so the copy keeps the key the browser never sees.
 */
export async function duplicateResource(db: Db, who: TWho, kind: TResourceKind, name: string): Promise<{ name: string }> {
  const { result } = await editWorkingConfig(db, who, (current) => {
    const items = itemsOf(current, kind);
    const source = items.find((r) => r.name === name);
    if (!source) throw notFound(kind, name);
    const names = new Set(items.map((r) => r.name));
    let newName = `${name}-copy`;
    for (let n = 2; names.has(newName); n++) newName = `${name}-copy-${n}`;
    const copy = { ...structuredClone(source), name: newName } as TAnyResource;
    if (kind === "listeners") {
      const ports = new Set(current.listeners.map((l) => l.port));
      let port = (copy as TListener).port;
      while (ports.has(port) && port < 65535) port++;
      (copy as TListener).port = port;
    }
    return { next: withList(current, kind, [...items, copy] as never), scopes: [{ prefix: `${kind}[${items.length}]` }], result: { name: newName } };
  });
  return result;
}

function notFound(kind: TResourceKind, name: string): AppError {
  return new AppError("NOT_FOUND", `${KIND_WORD[kind]} "${name}" not found`);
}
