import { formatPath } from "../errors.ts";

/** A part of the source document an importer could not map, with where it sits in that document. */
export type TImportNote = { path: string; message: string };

/** What an importer returns: a config document (validated by the caller with validateConfig) and what it left out. */
export type TImportResult = { config: Record<string, unknown>; unmapped: TImportNote[] };

export function note(path: readonly PropertyKey[], message: string): TImportNote {
  return { path: formatPath(path), message };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Turns any label (an operationId, an Envoy name) into a Switchyard resource name. */
export function toName(raw: string, fallback: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").replace(/-+$/, "").slice(0, 128);
  return cleaned || fallback;
}

/** Hands out names unique within one scope: a second "x" becomes "x-2". */
export function uniqueNamer(): (name: string) => string {
  const seen = new Set<string>();
  return (name) => {
    let candidate = name;
    for (let i = 2; seen.has(candidate); i++) candidate = `${name.slice(0, 120)}-${i}`;
    seen.add(candidate);
    return candidate;
  };
}
