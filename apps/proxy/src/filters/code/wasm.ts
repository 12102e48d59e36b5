import { httpFilterName, type TWasmFilter, type TWasmModuleSecret } from "@switchyard/config-model";
import { ConfigCompileError } from "../../runtime/compile-error.ts";
import { ABI_MARKERS } from "../wasm/abi.ts";
import { createWasmFilter, type TWasmFilterHandle } from "../wasm/filter.ts";
import { WasmSandbox } from "../wasm/sandbox.ts";
import type { TCodeLoader } from "./types.ts";

/**
 * The `wasm` filter loader (proxy-wasm ABI 0.2.1). For one entry `{ type: wasm, name,
 * module: { secret }, config }` (a listener's, or a route override's with its own config):
 *   the wasmModule secret's bytes -> WebAssembly.Module, compiled once per SHA-256 for the
 *   life of the process -> the ABI marker export -> one plugin (module, filter name,
 *   configuration) started in its sandbox thread and configured (proxy_on_vm_start,
 *   proxy_on_configure) -> the filter on the filter API (filters/wasm/filter.ts).
 * Refusals are ConfigCompileErrors: `secrets[i].data` for a module that does not compile or
 * is not proxy-wasm, `<entry>.config` for a plugin that refuses its configuration.
 *
 * Plugins are kept per process by (SHA-256, name, configuration): a version that keeps them
 * reuses them with their state, as Envoy keeps an unchanged root context. There is no
 * retire hook: a plugin no call reached for PLUGIN_IDLE_MS has its thread stopped
 * (filters/wasm/sandbox.ts parks it) and started again, configured afresh, by its next call.
 */
type TPlugin = { readonly sandbox: WasmSandbox; readonly filter: TWasmFilterHandle };

const modules = new Map<string, WebAssembly.Module>();
const plugins = new Map<string, TPlugin>();

async function compiled(secret: TWasmModuleSecret, dataPath: string): Promise<WebAssembly.Module> {
  const cached = modules.get(secret.sha256);
  if (cached) return cached;
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(Buffer.from(secret.data, "base64"));
  } catch (err) {
    throw new ConfigCompileError(dataPath, `not a valid WebAssembly module: ${(err as Error).message}`);
  }
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!ABI_MARKERS.some((m) => exported.has(m))) throw new ConfigCompileError(dataPath, `not a proxy-wasm module: it exports none of ${ABI_MARKERS.join(", ")} (ABI 0.2.1)`);
  modules.set(secret.sha256, module);
  return module;
}

export const loadWasmFilter: TCodeLoader = async (e, path, env) => {
  const entry = e as TWasmFilter;
  const name = httpFilterName(entry);
  const found = env.secrets.get(entry.module.secret);
  // Validation already refused a missing secret or one of another type.
  if (!found || found.secret.type !== "wasmModule") throw new ConfigCompileError(`${path}.module.secret`, `no wasmModule secret "${entry.module.secret}"`);
  const secret = found.secret;
  const module = await compiled(secret, `${found.path}.data`);
  const key = `${secret.sha256}\u0000${name}\u0000${entry.config}`;
  let plugin = plugins.get(key);
  if (!plugin) {
    let started: Awaited<ReturnType<typeof WasmSandbox.start>>;
    try {
      started = await WasmSandbox.start({ op: "init", module, pluginName: name, config: new TextEncoder().encode(entry.config) });
    } catch (err) {
      throw new ConfigCompileError(`${path}.config`, `wasm filter "${name}" failed to start: ${(err as Error).message}`);
    }
    for (const [level, message] of started.logs) env.log("wasm_log", { filter: name, level, message });
    plugin = { sandbox: started.sandbox, filter: createWasmFilter(name, started.sandbox, module, (event, fields) => env.log(event, fields)) };
    plugins.set(key, plugin);
  }
  return { filter: plugin.filter, module: Object.freeze({ module: `secret:${entry.module.secret}`, name: `wasm:${entry.module.secret}`, version: secret.sha256.slice(0, 12), configSchema: null }) };
};
