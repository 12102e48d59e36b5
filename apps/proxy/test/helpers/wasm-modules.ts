import { createHash } from "node:crypto";
import wabtInit from "wabt";

/**
 * Real proxy-wasm modules for the tests, written in WAT and compiled offline with wabt:
 * each imports the ABI 0.2.1 host functions it calls from "env", exports memory, a bump
 * allocator as proxy_on_memory_allocate and the proxy_abi_version_0_2_1 marker, as the
 * Rust, Go and AssemblyScript SDKs do. `wasmSecret` wraps one as a wasmModule secret.
 */

/** Constant strings of a module: each call returns `(i32.const ptr) (i32.const len)` and records a data segment. */
function strings() {
  let at = 1024;
  const segments: string[] = [];
  const seen = new Map<string, string>();
  const s = (text: string): string => {
    const hit = seen.get(text);
    if (hit) return hit;
    const bytes = Buffer.from(text);
    const escaped = [...bytes].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
    segments.push(`(data (i32.const ${at}) "${escaped}")`);
    const ref = `(i32.const ${at}) (i32.const ${bytes.length})`;
    seen.set(text, ref);
    at += bytes.length + 1;
    return ref;
  };
  return { s, data: () => segments.join("\n") };
}

const IMPORTS = `
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace_hdr (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $remove_hdr (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $local (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $prop (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $get_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $set_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))`;

/**
 * Memory layout: strings from 1024, the plugin configuration copied at 8192 by
 * proxy_on_configure, host-returned (ptr, size) slots at 0 and 4, the heap from 65536,
 * reset at every callback (the host copies what it reads before the callback returns).
 */
const RUNTIME = `
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $cfg_len (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func $reset (global.set $heap (i32.const 65536)))
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (block $ok
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (drop (memory.grow (i32.add (i32.div_u (local.get $n) (i32.const 65536)) (i32.const 1)))))
    (local.get $p))
  (func $ret_ptr (result i32) (i32.load (i32.const 0)))
  (func $ret_len (result i32) (i32.load (i32.const 4)))
  ;; bytes equal?
  (func $eq (param $a i32) (param $al i32) (param $b i32) (param $bl i32) (result i32) (local $i i32)
    (if (i32.ne (local.get $al) (local.get $bl)) (then (return (i32.const 0))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $al)))
      (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.load8_u (i32.add (local.get $b) (local.get $i))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 1))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))`;

/**
 * The test filter. Its plugin configuration is copied on proxy_on_configure ("refuse"
 * makes it return false) and sent upstream as x-wasm-config. Request headers: removes
 * x-remove-me, replaces x-replace-me, copies x-copy to x-copied, adds request.path,
 * request.method and source.address (proxy_get_property) as x-wasm-path, x-wasm-method,
 * x-wasm-source; x-deny: a 403 local response; x-trap: traps; x-loop: never returns;
 * x-unimplemented: calls proxy_http_call and says whether it got Unimplemented (12);
 * x-pairs: reads all headers as pairs and sets them back, then adds x-pairs-roundtrip and
 * x-wasm-utf8 (UTF-8 bytes).
 * Request body: buffered (Pause) to the end, then "wasm:" prepended; a body "block" gets a
 * 400 local response. Response headers: x-wasm-response added, x-upstream removed,
 * content-type replaced. Response body: buffered, then "|wasm" appended. proxy_on_log logs.
 */
export function testFilterWat(): string {
  const { s, data } = strings();
  const RH = "(i32.const 0)"; // request headers
  const SH = "(i32.const 2)"; // response headers
  const present = (map: string, name: string) => `(i32.eqz (call $get_hdr ${map} ${s(name)} (i32.const 0) (i32.const 4)))`;
  const addProp = (path: string, header: string) =>
    `(if (i32.eqz (call $prop ${s(path)} (i32.const 0) (i32.const 4))) (then (drop (call $add_hdr ${RH} ${s(header)} (call $ret_ptr) (call $ret_len)))))`;
  return `(module ${IMPORTS} ${RUNTIME}
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (call $reset)
    (drop (call $get_buf (i32.const 7) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
    (memory.copy (i32.const 8192) (call $ret_ptr) (call $ret_len))
    (global.set $cfg_len (call $ret_len))
    (i32.eqz (call $eq (i32.const 8192) (global.get $cfg_len) ${s("refuse")})))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $reset)
    (if ${present(RH, "x-trap")} (then unreachable))
    (if ${present(RH, "x-loop")} (then (loop $forever (br $forever))))
    (if ${present(RH, "x-deny")} (then
      (drop (call $local (i32.const 403) ${s("denied")} ${s("denied by wasm\n")}
        ;; one header pair: x-wasm-local: 1 (count, name len, value len, "x-wasm-local\\0" "1\\0")
        ${s("\u0001\u0000\u0000\u0000\u000c\u0000\u0000\u0000\u0001\u0000\u0000\u0000x-wasm-local\u00001\u0000")} (i32.const -1)))
      (return (i32.const 1))))
    ;; x-pairs: every header read as pairs and written back (the pairs encoding both ways), then one added.
    (if ${present(RH, "x-pairs")} (then
      (drop (call $get_pairs ${RH} (i32.const 0) (i32.const 4)))
      (drop (call $set_pairs ${RH} (call $ret_ptr) (call $ret_len)))
      (drop (call $add_hdr ${RH} ${s("x-pairs-roundtrip")} ${s("1")}))
      (drop (call $add_hdr ${RH} ${s("x-wasm-utf8")} ${s("grüße")}))))
    (drop (call $remove_hdr ${RH} ${s("x-remove-me")}))
    (if ${present(RH, "x-replace-me")} (then (drop (call $replace_hdr ${RH} ${s("x-replace-me")} ${s("replaced")}))))
    (if ${present(RH, "x-copy")} (then (drop (call $add_hdr ${RH} ${s("x-copied")} (call $ret_ptr) (call $ret_len)))))
    (drop (call $add_hdr ${RH} ${s("x-wasm-config")} (i32.const 8192) (global.get $cfg_len)))
    ${addProp("request\u0000path", "x-wasm-path")}
    ${addProp("request\u0000method", "x-wasm-method")}
    ${addProp("source\u0000address", "x-wasm-source")}
    (if ${present(RH, "x-unimplemented")} (then
      (if (i32.eq (call $http_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 12))
        (then (drop (call $add_hdr ${RH} ${s("x-http-call")} ${s("unimplemented")}))))))
    (i32.const 0))
  (func (export "proxy_on_request_body") (param $ctx i32) (param $len i32) (param $eos i32) (result i32)
    (call $reset)
    (if (i32.eqz (local.get $eos)) (then (return (i32.const 1))))
    (drop (call $get_buf (i32.const 0) (i32.const 0) (local.get $len) (i32.const 0) (i32.const 4)))
    (if (call $eq (call $ret_ptr) (call $ret_len) ${s("block")}) (then
      (drop (call $local (i32.const 400) ${s("blocked")} ${s("body blocked by wasm\n")} (i32.const 0) (i32.const 0) (i32.const -1)))
      (return (i32.const 1))))
    (drop (call $set_buf (i32.const 0) (i32.const 0) (i32.const 0) ${s("wasm:")}))
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $reset)
    (drop (call $add_hdr ${SH} ${s("x-wasm-response")} ${s("1")}))
    (drop (call $remove_hdr ${SH} ${s("x-upstream")}))
    (drop (call $replace_hdr ${SH} ${s("content-type")} ${s("text/x-wasm")}))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param $ctx i32) (param $len i32) (param $eos i32) (result i32)
    (call $reset)
    (if (i32.eqz (local.get $eos)) (then (return (i32.const 1))))
    (drop (call $set_buf (i32.const 1) (local.get $len) (i32.const 0) ${s("|wasm")}))
    (i32.const 0))
  (func (export "proxy_on_log") (param $ctx i32)
    (drop (call $log (i32.const 2) ${s("stream done")})))
  ${data()})`;
}

/** A module that only adds `x-wasm-min: 1` to requests: the bench's one wasm filter. */
export function minimalFilterWat(): string {
  const { s, data } = strings();
  return `(module ${IMPORTS} ${RUNTIME}
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $reset)
    (drop (call $add_hdr (i32.const 0) ${s("x-wasm-min")} ${s("1")}))
    (i32.const 0))
  ${data()})`;
}

let wabt: Awaited<ReturnType<typeof wabtInit>> | null = null;

export async function compileWat(source: string): Promise<Buffer> {
  wabt ??= await wabtInit();
  const m = wabt.parseWat("filter.wat", source, { bulk_memory: true });
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** The module as a wasmModule secret (sha256 of its bytes, data base64). */
export function wasmSecret(name: string, bytes: Buffer): { name: string; type: "wasmModule"; sha256: string; data: string } {
  return { name, type: "wasmModule", sha256: createHash("sha256").update(bytes).digest("hex"), data: bytes.toString("base64") };
}
