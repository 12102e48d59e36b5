import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { linesOfPaths, parseConfigText, type TConfigIssue } from "@switchyard/config-model";

export type TLoadedFile = { ok: true; text: string; value: unknown } | { ok: false; text: string | null; issues: TConfigIssue[] };

/** Reads and parses a YAML/JSON config file. Never throws: read errors become an issue. */
export async function loadConfigFile(path: string): Promise<TLoadedFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    return { ok: false, text: null, issues: [{ path: "", message: `cannot read ${path}: ${(err as Error).message}` }] };
  }
  // An empty file is almost always an editor mid-save (truncate, then write); applying it
  // would remove every listener, so it is refused like any other bad file.
  if (text.trim() === "") return { ok: false, text, issues: [{ path: "", message: `${path} is empty` }] };
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ok: false, text, issues: parsed.issues };
  return { ok: true, text, value: parsed.value };
}

/** Adds the line of each issue's path in the file text, when it can be found. */
export function withLines(text: string | null, issues: readonly TConfigIssue[]): TConfigIssue[] {
  if (text === null) return [...issues];
  // One parse for every issue, not one per issue.
  const lines = linesOfPaths(text, issues.map((i) => i.path));
  return issues.map((i, n) => (i.line !== undefined || !i.path ? i : { ...i, line: lines[n] }));
}

/** Wait this long after the last change event before reading: editors write in bursts. */
const DEBOUNCE_MS = 150;

/**
 * Calls `onChange` after the file changes. Watches the DIRECTORY, not the file: editors
 * save by writing a temp file and renaming it over the original, which replaces the inode
 * a file watch would be attached to. Event-driven (fs.watch), no polling.
 */
export function watchConfigFile(path: string, onChange: () => void): { close(): void } {
  const full = resolve(path);
  const name = basename(full);
  let timer: NodeJS.Timeout | null = null;
  const watcher: FSWatcher = watch(dirname(full), { persistent: false }, (_event, filename) => {
    // Some platforms omit the file name; then every event in the directory counts.
    if (filename !== null && filename.toString() !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, DEBOUNCE_MS);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
