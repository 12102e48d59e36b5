// `npm start`, step 0, in plain JavaScript so that it runs on any Node.js: check the
// version against package.json's engines before anything else can fail in a less
// readable way, then run the launcher (scripts/start.ts) from its TypeScript source.
import { readFileSync } from "node:fs";
// A namespace import: a named one would fail to link on a Node without module.register.
import * as nodeModule from "node:module";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const wanted = /^>=\s*(\d+)\.(\d+)/.exec(pkg.engines?.node ?? "");
const [major, minor] = process.versions.node.split(".").map(Number);
if (wanted && (major < Number(wanted[1]) || (major === Number(wanted[1]) && minor < Number(wanted[2])))) {
  process.stderr.write(
    `Switchyard needs Node.js ${pkg.engines.node} (developed and tested on Node 24 LTS, see .node-version); this is v${process.versions.node} at ${process.execPath}.\n` +
      "Install Node 24 (https://nodejs.org, or `nvm install 24` / `fnm install 24`) and run `npm start` again.\n",
  );
  process.exit(1);
}

// The launcher imports the workspace packages from their sources (it builds them).
nodeModule.register("data:text/javascript,export function resolve(s,c,n){return n(s,{...c,conditions:[...c.conditions,\"@switchyard/source\"]})}");
const { register: registerTsx } = await import("tsx/esm/api");
registerTsx();
await import("./start.ts");
