import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * What `npm run build` produces, and what each output is compiled from. A workspace is
 * stale when its output is missing or older than the newest of its sources (the
 * generated Prisma client counts: it lives under packages/db/src).
 */
const OUTPUTS: readonly { name: string; output: string; sources: readonly string[] }[] = [
  { name: "@switchyard/config-model", output: "packages/config-model/dist/index.js", sources: ["packages/config-model/src", "packages/config-model/package.json"] },
  { name: "@switchyard/db", output: "packages/db/dist/index.js", sources: ["packages/db/src", "packages/db/package.json", "prisma/schema.prisma"] },
  { name: "@switchyard/proxy", output: "apps/proxy/dist/main.js", sources: ["apps/proxy/src", "apps/proxy/package.json"] },
  { name: "@switchyard/demo", output: "apps/demo/dist/upstream.js", sources: ["apps/demo/src", "apps/demo/package.json"] },
  { name: "@switchyard/web (server)", output: "apps/web/dist/server.js", sources: ["apps/web/server.ts", "apps/web/src", "apps/web/package.json"] },
];

/** Names of the outputs `npm run build` would change (empty: every compiled output is fresh). */
export function staleBuilds(root: string): string[] {
  const stale = OUTPUTS.filter((o) => {
    const output = join(root, o.output);
    if (!existsSync(output)) return true;
    const built = statSync(output).mtimeMs;
    const base = statSync(join(root, "tsconfig.base.json")).mtimeMs;
    return newest(root, o.sources) > built || base > built;
  }).map((o) => o.name);
  if (!webBuildIsFresh(root)) stale.push("@switchyard/web (next build)");
  return stale;
}

/**
 * Whether apps/web/.next holds a production build newer than every source it was built
 * from: the console's own src, the config-model package its pages import, next.config.ts
 * and package.json. Used by `npm start` and the test helper that starts the console, so
 * neither serves a stale UI after a pull.
 */
export function webBuildIsFresh(root: string): boolean {
  const buildId = join(root, "apps", "web", ".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const sources = ["apps/web/src", "packages/config-model/src", "apps/web/next.config.ts", "apps/web/package.json"];
  return statSync(buildId).mtimeMs >= newest(root, sources);
}

/** The newest modification time among files and (recursively) directories' files. */
function newest(root: string, paths: readonly string[]): number {
  let latest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (!st.isDirectory()) {
      latest = Math.max(latest, st.mtimeMs);
      return;
    }
    for (const entry of readdirSync(p)) visit(join(p, entry));
  };
  for (const p of paths) visit(join(root, p));
  return latest;
}
