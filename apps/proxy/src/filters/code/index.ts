import type { TConfig, TConfigIssue, THttpFilter as THttpFilterConfig } from "@switchyard/config-model";
import type { THttpFilter } from "../api.ts";
import { loadWasmCode } from "./wasm.ts";

/**
 * The apply pipeline's one async "filter code" step (runtime/apply.ts, before compile):
 * filter types whose code is not built in (wasm modules; TypeScript plugins) are loaded
 * here once per version, reusing what `previous` already loaded, and a module that cannot
 * run (does not compile, refuses its configuration) refuses the version with its config
 * path (NACK). Compile then builds those filters with `create`, like built-in ones.
 */
export type TFilterCode = {
  /** The filter for a listener entry or a route's overridden entry of a loaded type. */
  create(entry: THttpFilterConfig): THttpFilter;
  /** Frees what this version loaded and `keep` does not reuse (after the swap: the old version with keep = the new one). */
  release(keep: TFilterCode | null): void;
};

export type TFilterCodeDeps = {
  /** The event log (module log lines, unloads). */
  log(event: string, fields: Record<string, unknown>): void;
};

export type TFilterCodeResult = { ok: true; code: TFilterCode } | { ok: false; issues: TConfigIssue[] };

/** One filter type's loader: its code for this version, and what refuses the version. */
export type TFilterCodeLoader = (config: TConfig, previous: TFilterCode | null, deps: TFilterCodeDeps) => Promise<{ code: TFilterCode; issues: TConfigIssue[] }>;

/** Loaders by filter type (the dispatcher). */
const LOADERS: Readonly<Record<string, TFilterCodeLoader>> = {
  wasm: loadWasmCode,
};

export async function loadFilterCode(config: TConfig, previous: TFilterCode | null, deps: TFilterCodeDeps = { log: () => undefined }): Promise<TFilterCodeResult> {
  const prev = previous as TCombinedCode | null;
  const byType = new Map<string, TFilterCode>();
  const issues: TConfigIssue[] = [];
  for (const [type, load] of Object.entries(LOADERS)) {
    const r = await load(config, prev?.byType.get(type) ?? null, deps);
    byType.set(type, r.code);
    issues.push(...r.issues);
  }
  const code = combined(byType);
  if (issues.length) {
    code.release(previous);
    return { ok: false, issues };
  }
  return { ok: true, code };
}

type TCombinedCode = TFilterCode & { readonly byType: ReadonlyMap<string, TFilterCode> };

function combined(byType: ReadonlyMap<string, TFilterCode>): TCombinedCode {
  return {
    byType,
    create(entry) {
      const code = byType.get(entry.type);
      if (!code) throw new Error(`no code loader for filter type "${entry.type}"`);
      return code.create(entry);
    },
    release(keep) {
      const k = keep as TCombinedCode | null;
      for (const [type, code] of byType) code.release(k?.byType.get(type) ?? null);
    },
  };
}

/** The code step's result when a config has no filters of loaded types (tests, benches). */
export const NO_FILTER_CODE: TFilterCode = {
  create(entry) {
    throw new Error(`filter type "${entry.type}" needs the filter code step (loadFilterCode)`);
  },
  release: () => undefined,
};
