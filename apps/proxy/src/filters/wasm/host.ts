import { randomFillSync } from "node:crypto";
import { ABI_MARKERS, BufferType, WasmResult, type TCallRequest, type TCallResult, type TInitRequest, type TInitResult, type TLocalResponse, type TMaps, type TProperties } from "./abi.ts";

/**
 * The host side of Envoy's proxy-wasm ABI 0.2.1 for one plugin (one module + one plugin
 * configuration), run inside the sandbox thread (sandbox-thread.ts). The proxy thread
 * sends each call with the state it may touch (header maps, body, properties) and gets
 * back what the module changed; host functions work on those copies, so nothing here
 * reaches into the proxy.
 *
 * Supported host functions: proxy_log, proxy_get_log_level, proxy_get_current_time_nanoseconds,
 * proxy_get_property, proxy_get_buffer_bytes, proxy_set_buffer_bytes, proxy_get_header_map_pairs,
 * proxy_set_header_map_pairs, proxy_get_header_map_value, proxy_add/replace/remove_header_map_value,
 * proxy_get_header_map_size, proxy_send_local_response, proxy_set_effective_context, proxy_done;
 * WASI: fd_write (stdout/stderr to the log), clock_time_get, random_get, environ_*, args_*,
 * proc_exit. Any other import is a stub returning Unimplemented (WASI: ENOSYS), as Envoy
 * answers for what it lacks: timers, HTTP/gRPC callouts, shared data/queues, metrics.
 */

const ROOT_CONTEXT_ID = 1;
const UTF8 = new TextDecoder();
/**
 * Header names and values, paths and other request strings are bytes on the wire, which
 * Node holds as latin1 strings (one char per byte): they cross into the module as those
 * same bytes, and the module's bytes come back the same way, as Envoy passes them.
 */
const bytesOf = (s: string): Uint8Array => Buffer.from(s, "latin1");
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
const WASI_ENOSYS = 52;
const WASI_MODULES = new Set(["wasi_snapshot_preview1", "wasi_unstable"]);

/** A module's trap or a host-detected misuse: the call fails, the VM is replaced. */
class Trap extends Error {}

type TExports = Record<string, WebAssembly.ExportValue> & { memory: WebAssembly.Memory };

/** What host functions read and write during one call. */
type TCallState = {
  ctx: number;
  maps: TMaps;
  changed: Set<number>;
  body: Uint8Array | null;
  bodyChanged: boolean;
  local: TLocalResponse | undefined;
  logs: [number, string][];
};

/** One instance of the module with its root context configured. */
class PluginVm {
  readonly exports: TExports;
  #state: TCallState | null = null;
  readonly #props = new Map<number, TProperties>();
  readonly #config: Uint8Array;
  readonly #pluginName: string;

  constructor(module: WebAssembly.Module, pluginName: string, config: Uint8Array, logs: [number, string][]) {
    this.#config = config;
    this.#pluginName = pluginName;
    const instance = new WebAssembly.Instance(module, importsFor(module, this));
    this.exports = instance.exports as TExports;
    if (!(this.exports.memory instanceof WebAssembly.Memory)) throw new Error("the module exports no memory");
    if (!ABI_MARKERS.some((m) => typeof this.exports[m] === "function")) throw new Error(`the module declares no supported ABI version (export ${ABI_MARKERS[0]})`);
    const state = this.#begin(ROOT_CONTEXT_ID);
    try {
      // WASI reactors initialise with _initialize, commands with _start (Envoy calls either).
      this.#callOptional("_initialize");
      if (typeof this.exports._initialize !== "function") this.#callOptional("_start");
      this.#callOptional("proxy_on_context_create", ROOT_CONTEXT_ID, 0);
      if (this.#callOptional("proxy_on_vm_start", ROOT_CONTEXT_ID, 0) === 0) throw new Error("proxy_on_vm_start returned false");
      if (this.#callOptional("proxy_on_configure", ROOT_CONTEXT_ID, config.length) === 0) throw new Error("proxy_on_configure returned false (the module refused its configuration)");
    } finally {
      logs.push(...state.logs);
      this.#state = null;
    }
  }

  #begin(ctx: number, maps: TMaps = {}, body: Uint8Array | null = null): TCallState {
    const s: TCallState = { ctx, maps, changed: new Set(), body, bodyChanged: false, local: undefined, logs: [] };
    this.#state = s;
    return s;
  }

  #callOptional(name: string, ...args: number[]): number | undefined {
    const f = this.exports[name];
    if (typeof f !== "function") return undefined;
    const r = (f as (...a: number[]) => unknown)(...args);
    return typeof r === "number" ? r : typeof r === "bigint" ? Number(r) : undefined;
  }

  /** One call into a stream context; a trap propagates (the caller drops this VM). */
  call(req: TCallRequest): TCallResult {
    const s = this.#begin(req.ctx, req.maps ? { ...req.maps } : {}, req.body ?? null);
    try {
      let ret = 0;
      if (req.create) {
        this.#props.set(req.ctx, req.create);
        this.#callOptional("proxy_on_context_create", req.ctx, ROOT_CONTEXT_ID);
      }
      if (req.fn === "done") {
        // Envoy's order at stream end: done, log, delete.
        this.#callOptional("proxy_on_done", req.ctx);
        this.#callOptional("proxy_on_log", req.ctx);
        this.#callOptional("proxy_on_delete", req.ctx);
        this.#props.delete(req.ctx);
      } else {
        if (req.props) this.#props.set(req.ctx, { ...this.#props.get(req.ctx), ...req.props });
        ret = this.#callOptional(req.fn, req.ctx, ...req.args) ?? 0;
      }
      const maps: TMaps = {};
      for (const t of s.changed) maps[t] = s.maps[t] as string[];
      return {
        ret,
        ...(s.changed.size ? { maps } : {}),
        ...(s.bodyChanged && s.body ? { body: s.body } : {}),
        ...(s.local ? { local: s.local } : {}),
        ...(s.logs.length ? { logs: s.logs } : {}),
      };
    } finally {
      this.#state = null;
    }
  }

  /** The stream's state is gone (a VM replaced after a trap): its later calls fail. */
  forget(ctx: number): void {
    this.#props.delete(ctx);
  }

  // ---- memory helpers ----

  get #mem(): DataView {
    return new DataView(this.exports.memory.buffer);
  }

  bytes(ptr: number, len: number): Uint8Array {
    if (ptr < 0 || len < 0 || ptr + len > this.exports.memory.buffer.byteLength) throw new Trap("invalid memory access");
    return new Uint8Array(this.exports.memory.buffer, ptr, len);
  }

  /** Text (log lines, details): UTF-8. */
  string(ptr: number, len: number): string {
    return UTF8.decode(this.bytes(ptr, len));
  }

  /** Wire bytes (header names and values, property paths): one char per byte. */
  wire(ptr: number, len: number): string {
    return latin1(this.bytes(ptr, len));
  }

  /** Copies `data` into memory the module allocates, and writes its address and size where it asked. */
  giveBytes(data: Uint8Array, ptrPtr: number, sizePtr: number): number {
    const alloc = (this.exports.proxy_on_memory_allocate ?? this.exports.malloc) as ((n: number) => number) | undefined;
    if (typeof alloc !== "function") throw new Trap("the module exports neither proxy_on_memory_allocate nor malloc");
    const ptr = data.length === 0 ? 0 : alloc(data.length);
    if (data.length) this.bytes(ptr, data.length).set(data);
    this.#mem.setUint32(ptrPtr, ptr, true);
    this.#mem.setUint32(sizePtr, data.length, true);
    return WasmResult.Ok;
  }

  u32(ptr: number, v: number): void {
    this.#mem.setUint32(ptr, v, true);
  }

  u64(ptr: number, v: bigint): void {
    this.#mem.setBigUint64(ptr, v, true);
  }

  get state(): TCallState {
    if (!this.#state) throw new Trap("host function called outside a callback");
    return this.#state;
  }

  config(type: number): Uint8Array | null {
    if (type === BufferType.PluginConfiguration) return this.#config;
    if (type === BufferType.VmConfiguration) return new Uint8Array(0);
    return null;
  }

  property(path: string): Uint8Array | null {
    if (path === "plugin_name") return Buffer.from(this.#pluginName);
    if (path === "plugin_root_id") return new Uint8Array(0);
    const v = this.#props.get(this.state.ctx)?.[path];
    if (v === undefined) return null;
    if (typeof v === "string") return bytesOf(v);
    if (typeof v === "boolean") return Uint8Array.of(v ? 1 : 0);
    // Envoy serialises integers as 8 bytes, little endian.
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt(v), true);
    return out;
  }

  hasContext(ctx: number): boolean {
    return ctx === ROOT_CONTEXT_ID || this.#props.has(ctx);
  }
}

/** proxy-wasm's header pairs encoding: count, (name len, value len)*, then each name\0value\0. */
export function encodePairs(list: readonly string[]): Uint8Array {
  const n = list.length / 2;
  const parts = list.map(bytesOf);
  let size = 4 + n * 8;
  for (const p of parts) size += p.length + 1;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  for (let i = 0; i < n; i++) {
    dv.setUint32(4 + i * 8, (parts[i * 2] as Uint8Array).length, true);
    dv.setUint32(8 + i * 8, (parts[i * 2 + 1] as Uint8Array).length, true);
  }
  let at = 4 + n * 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 1;
  }
  return out;
}

export function decodePairs(b: Uint8Array): string[] {
  if (b.length < 4) return [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + n * 8 > b.length) throw new Trap("malformed header pairs");
  const out: string[] = [];
  let at = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = dv.getUint32(4 + i * 8, true);
    const vl = dv.getUint32(8 + i * 8, true);
    if (at + kl + vl + 2 > b.length) throw new Trap("malformed header pairs");
    out.push(latin1(b.subarray(at, at + kl)).toLowerCase());
    at += kl + 1;
    out.push(latin1(b.subarray(at, at + vl)));
    at += vl + 1;
  }
  return out;
}

function importsFor(module: WebAssembly.Module, vm: PluginVm): WebAssembly.Imports {
  const env = proxyFunctions(vm);
  const wasi = wasiFunctions(vm);
  const out: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") throw new Error(`the module imports ${imp.kind} ${imp.module}.${imp.name}: only functions are provided`);
    const ns = (out[imp.module] ??= {});
    const isWasi = WASI_MODULES.has(imp.module);
    const impl = isWasi ? wasi[imp.name] : imp.module === "env" ? env[imp.name] : undefined;
    // What the host lacks answers as Envoy does: Unimplemented (WASI: ENOSYS).
    ns[imp.name] = impl ?? (() => (isWasi ? WASI_ENOSYS : WasmResult.Unimplemented));
  }
  return out;
}

/** The header map of `type` in this call, or null when the phase has none (Envoy: NotFound). */
function mapOf(vm: PluginVm, type: number): string[] | null {
  return vm.state.maps[type] ?? null;
}

function changedMap(vm: PluginVm, type: number, list: string[]): void {
  vm.state.maps[type] = list;
  vm.state.changed.add(type);
}

function removeAll(list: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (list[i] !== name) out.push(list[i] as string, list[i + 1] as string);
  return out;
}

function proxyFunctions(vm: PluginVm): Record<string, (...a: number[]) => number> {
  const R = WasmResult;
  return {
    proxy_log(level, ptr, len) {
      vm.state.logs.push([level, vm.string(ptr, len)]);
      return R.Ok;
    },
    proxy_get_log_level(ptr) {
      vm.u32(ptr, 2); // info: the proxy's event log has no per-filter level
      return R.Ok;
    },
    proxy_get_current_time_nanoseconds(ptr) {
      vm.u64(ptr, BigInt(Date.now()) * 1_000_000n);
      return R.Ok;
    },
    proxy_set_effective_context(ctx) {
      if (!vm.hasContext(ctx)) return R.BadArgument;
      vm.state.ctx = ctx;
      return R.Ok;
    },
    proxy_done() {
      return R.Ok;
    },
    proxy_get_property(pathPtr, pathLen, ptrPtr, sizePtr) {
      // Path segments are separated by \0 ("request\0path"); Envoy also accepts "request.path".
      const path = vm.wire(pathPtr, pathLen).replace(/\0+$/, "").split("\0").join(".");
      const v = vm.property(path);
      return v === null ? R.NotFound : vm.giveBytes(v, ptrPtr, sizePtr);
    },
    proxy_get_buffer_bytes(type, start, max, ptrPtr, sizePtr) {
      const s = vm.state;
      const b = type === BufferType.RequestBody || type === BufferType.ResponseBody ? s.body : vm.config(type);
      if (b === null) return R.NotFound;
      if (start > b.length) return R.BadArgument;
      return vm.giveBytes(b.subarray(start, Math.min(b.length, start + max)), ptrPtr, sizePtr);
    },
    proxy_set_buffer_bytes(type, start, len, dataPtr, dataLen) {
      const s = vm.state;
      if (!(type === BufferType.RequestBody || type === BufferType.ResponseBody) || s.body === null) return R.NotFound;
      const data = vm.bytes(dataPtr, dataLen).slice();
      const b = s.body;
      // Envoy's rule: start 0 drains `len` bytes and prepends the data; start at/after the end appends; else BadArgument.
      if (start === 0) s.body = concat(data, b.subarray(Math.min(len, b.length)));
      else if (start >= b.length) s.body = concat(b, data);
      else return R.BadArgument;
      s.bodyChanged = true;
      return R.Ok;
    },
    proxy_get_header_map_pairs(type, ptrPtr, sizePtr) {
      const m = mapOf(vm, type);
      if (m === null) return R.NotFound;
      return vm.giveBytes(encodePairs(m), ptrPtr, sizePtr);
    },
    proxy_set_header_map_pairs(type, ptr, len) {
      if (mapOf(vm, type) === null) return R.NotFound;
      changedMap(vm, type, decodePairs(vm.bytes(ptr, len)));
      return R.Ok;
    },
    proxy_get_header_map_size(type, sizePtr) {
      const m = mapOf(vm, type);
      if (m === null) return R.NotFound;
      vm.u32(sizePtr, encodePairs(m).length);
      return R.Ok;
    },
    proxy_get_header_map_value(type, kPtr, kLen, ptrPtr, sizePtr) {
      const m = mapOf(vm, type);
      if (m === null) return R.NotFound;
      const name = vm.wire(kPtr, kLen).toLowerCase();
      // As Envoy: the first field of that name (repeated ones are read with get_header_map_pairs); absent = NotFound.
      for (let i = 0; i < m.length; i += 2) if (m[i] === name) return vm.giveBytes(bytesOf(m[i + 1] as string), ptrPtr, sizePtr);
      return R.NotFound;
    },
    proxy_add_header_map_value(type, kPtr, kLen, vPtr, vLen) {
      const m = mapOf(vm, type);
      if (m === null) return R.NotFound;
      changedMap(vm, type, [...m, vm.wire(kPtr, kLen).toLowerCase(), vm.wire(vPtr, vLen)]);
      return R.Ok;
    },
    proxy_replace_header_map_value(type, kPtr, kLen, vPtr, vLen) {
      const m = mapOf(vm, type);
      if (m === null) return R.NotFound;
      const name = vm.wire(kPtr, kLen).toLowerCase();
      changedMap(vm, type, [...removeAll(m, name), name, vm.wire(vPtr, vLen)]);
      return R.Ok;
    },
    proxy_remove_header_map_value(type, kPtr, kLen) {
      const m = mapOf(vm, type);
      if (m === null) return R.NotFound;
      changedMap(vm, type, removeAll(m, vm.wire(kPtr, kLen).toLowerCase()));
      return R.Ok;
    },
    proxy_send_local_response(status, dPtr, dLen, bPtr, bLen, hPtr, hLen) {
      // grpc_status (the last argument) is not used: gRPC clients get the proxy's own
      // mapping of the HTTP status, like every local reply.
      vm.state.local = {
        status,
        details: vm.string(dPtr, dLen),
        body: vm.bytes(bPtr, bLen).slice(),
        headers: hLen > 0 ? decodePairs(vm.bytes(hPtr, hLen).slice()) : [],
      };
      return R.Ok;
    },
  };
}

function wasiFunctions(vm: PluginVm): Record<string, (...a: number[]) => number> {
  const zeroCounts = (countPtr: number, sizePtr: number) => {
    vm.u32(countPtr, 0);
    vm.u32(sizePtr, 0);
    return 0;
  };
  return {
    fd_write(fd, iovs, iovsLen, writtenPtr) {
      if (fd !== 1 && fd !== 2) return 8; // EBADF
      let text = "";
      let n = 0;
      const dv = new DataView(vm.exports.memory.buffer);
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + i * 8, true);
        const len = dv.getUint32(iovs + i * 8 + 4, true);
        text += vm.string(ptr, len);
        n += len;
      }
      vm.state.logs.push([fd === 1 ? 2 : 4, text.replace(/\n$/, "")]);
      vm.u32(writtenPtr, n);
      return 0;
    },
    clock_time_get(_id, _precision, ptr) {
      // (clock id, i64 precision, u64 out): the i64 arrives as a BigInt, the pointer after it.
      vm.u64(ptr, BigInt(Date.now()) * 1_000_000n);
      return 0;
    },
    random_get(ptr, len) {
      randomFillSync(vm.bytes(ptr, len));
      return 0;
    },
    environ_sizes_get: zeroCounts,
    args_sizes_get: zeroCounts,
    environ_get: () => 0,
    args_get: () => 0,
    proc_exit(code) {
      throw new Trap(`proc_exit(${code})`);
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * One plugin in the sandbox: the VM new streams are created on, replaced after a trap;
 * streams already running stay on the VM that created them (their state lives there).
 */
export class PluginHost {
  readonly #init: TInitRequest;
  #current: PluginVm | null = null;
  readonly #streams = new Map<number, PluginVm>();

  constructor(init: TInitRequest, logs: [number, string][]) {
    this.#init = init;
    this.#current = new PluginVm(init.module, init.pluginName, init.config, logs);
  }

  call(req: TCallRequest): TCallResult {
    let vm = this.#streams.get(req.ctx);
    const logs: [number, string][] = [];
    try {
      if (req.create) {
        vm = this.#current ??= new PluginVm(this.#init.module, this.#init.pluginName, this.#init.config, logs);
        this.#streams.set(req.ctx, vm);
      }
      if (!vm) return { ret: 0, trap: `stream context ${req.ctx} is gone (its VM failed)` };
      const r = vm.call(req);
      if (req.fn === "done") this.#streams.delete(req.ctx);
      return logs.length ? { ...r, logs: [...logs, ...(r.logs ?? [])] } : r;
    } catch (err) {
      // A trap may leave the instance's memory half-updated: new streams get a fresh VM.
      if (vm && vm === this.#current) this.#current = null;
      vm?.forget(req.ctx);
      this.#streams.delete(req.ctx);
      return { ret: 0, trap: err instanceof Error ? err.message : String(err), ...(logs.length ? { logs } : {}) };
    }
  }
}

export function initPlugin(req: TInitRequest): { host: PluginHost | null; result: TInitResult } {
  const logs: [number, string][] = [];
  try {
    const host = new PluginHost(req, logs);
    return { host, result: { ok: true, ...(logs.length ? { logs } : {}) } };
  } catch (err) {
    return { host: null, result: { ok: false, error: err instanceof Error ? err.message : String(err), ...(logs.length ? { logs } : {}) } };
  }
}
