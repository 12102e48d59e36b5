#!/usr/bin/env node
// The switchyard CLI (the console over its REST API). Production runs the compiled JavaScript in dist/ (`npm run
// build`). Development and tests run the TypeScript sources through tsx: they start node
// with the `@switchyard/source` export condition (vitest.config.ts, `npm start -- --dev`),
// which also points the workspace packages at their sources. A checkout that was never
// built runs the sources too, so `npx switchyard` works right after `npm install`.
import { existsSync } from "node:fs";
import { register } from "node:module";

const SOURCE_CONDITION = "@switchyard/source";
const dist = new URL("../dist/cli.js", import.meta.url);
const source = new URL("../src/cli.ts", import.meta.url);

// Resolving a workspace package tells whether the source condition is on for this process.
const sourceConditionOn = import.meta.resolve("@switchyard/config-model").endsWith(".ts");

if (!sourceConditionOn && existsSync(dist)) {
  await import(dist.href);
} else if (existsSync(source)) {
  if (!sourceConditionOn) {
    // No build yet: resolve the workspace packages to their sources as well.
    register(`data:text/javascript,export function resolve(s,c,n){return n(s,{...c,conditions:[...c.conditions,${JSON.stringify(SOURCE_CONDITION)}]})}`);
  }
  const { register: registerTsx } = await import("tsx/esm/api");
  registerTsx();
  await import(source.href);
} else {
  process.stderr.write("switchyard: no compiled build (dist/main.js) and no sources: run `npm run build`\n");
  process.exit(1);
}
