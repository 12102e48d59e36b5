import type { TConfigIssue } from "@switchyard/config-model";
import type { TLog } from "../observability/log.ts";
import { loadConfigFile, watchConfigFile, withLines } from "../standalone/config-file.ts";
import type { TApplier } from "../control-plane/managed-node.ts";
import { readCachedSnapshot, type TSnapshotCache } from "./cache.ts";

/**
 * Where a node's config comes from besides the control plane, the same in a single
 * process and in the primary of `--workers N` (`runtime` is the RuntimeManager, or the
 * primary's fan-out to its workers).
 */

/** Applies the file (exit 1 with every issue when it is bad), then re-applies it on every change. */
export async function startStandalone(file: string, runtime: TApplier, log: TLog): Promise<() => void> {
  let version = 1;
  const source = `file:${file}`;
  const first = await loadConfigFile(file);
  const result = first.ok ? await runtime.applyConfig(first.value, { version, source }) : null;
  if (!first.ok || !result?.ok) {
    const error = first.ok ? (result && !result.ok ? result.error : "") : "cannot parse config file";
    process.stderr.write(describeRefusal(file, first.text, error, first.ok ? (result && !result.ok ? result.issues : []) : first.issues));
    process.exit(1);
  }
  let lastText = first.text;
  // Reloads run one after another so version numbers and "last text" stay consistent.
  let chain = Promise.resolve();
  const watcher = watchConfigFile(file, () => {
    chain = chain
      .then(async () => {
        const loaded = await loadConfigFile(file);
        // Editors and `touch` fire events without changing content: nothing to do then.
        if (loaded.text === lastText) return;
        if (!loaded.ok) {
          if (loaded.text !== null) lastText = loaded.text;
          log("config_rejected", { source, error: "cannot parse config file", issues: withLines(loaded.text, loaded.issues) });
          return;
        }
        lastText = loaded.text;
        const next = version + 1;
        const r = await runtime.applyConfig(loaded.value, { version: next, source });
        if (r.ok) version = next;
      })
      .catch((err: unknown) => log("config_reload_failed", { source, error: err }));
  });
  return () => watcher.close();
}

/** `switchyard-proxy: FILE: error` and one line per issue with its path and line. */
export function describeRefusal(file: string, text: string | null, error: string, issues: readonly TConfigIssue[]): string {
  const lines = withLines(text, issues).map((i) => `  ${i.path || "(document)"}${i.line !== undefined ? ` (line ${i.line})` : ""}: ${i.message}`);
  return `switchyard-proxy: ${file}: ${error}\n${lines.join("\n")}\n`;
}

/** Serve the last-known-good snapshot while the control plane is unreachable. */
export async function bootFromCache(cache: TSnapshotCache, runtime: TApplier, log: TLog): Promise<void> {
  try {
    const cached = await readCachedSnapshot(cache, ({ event, ...fields }) => log(event, fields));
    if (!cached) return log("config_cache_empty", { dir: cache.dir });
    await runtime.applyConfig(cached.config, { version: cached.version, hash: cached.hash, source: `cache:${cache.dir}` });
  } catch (err) {
    log("config_cache_unreadable", { dir: cache.dir, error: err });
  }
}
