import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Whether apps/web/.next holds a production build newer than every source it was built
 * from: the console's own src, the config-model package its pages import, next.config.ts
 * and package.json. Used by `npm start` and the test helper that starts the console, so
 * neither serves a stale UI after a pull.
 */
export function webBuildIsFresh(root: string): boolean {
  const webDir = join(root, "apps", "web");
  const buildId = join(webDir, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  return statSync(buildId).mtimeMs >= newestSource(root);
}

function newestSource(root: string): number {
  const webDir = join(root, "apps", "web");
  let newest = 0;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(webDir, "src"));
  walk(join(root, "packages", "config-model", "src"));
  for (const f of ["next.config.ts", "package.json"]) newest = Math.max(newest, statSync(join(webDir, f)).mtimeMs);
  return newest;
}
