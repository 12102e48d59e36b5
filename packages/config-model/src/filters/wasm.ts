import { createHash } from "node:crypto";
import { z } from "zod";
import { ZName } from "../common.ts";
import type { TConfig } from "../config.ts";
import { formatPath, type TConfigIssue } from "../errors.ts";

/**
 * Largest proxy-wasm module, decoded: 2 MiB. Its base64 text (about 2.8 MB) must fit in one
 * console request (5 MiB) and in the snapshot every proxy receives; AssemblyScript and
 * TinyGo filters are tens to hundreds of KiB, size-optimised Rust ones about 1 MiB.
 */
export const WASM_MODULE_MAX_BYTES = 2 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decoded length of standard base64 text (padding counted out). */
export function base64DecodedLength(b64: string): number {
  const pad = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/** The fields of a wasmModule secret, without the hash check (the console's form extends it). */
export const ZWasmModuleFields = z.strictObject({
    name: ZName,
    type: z.literal("wasmModule"),
    /** Hex SHA-256 of the decoded module; checked against `data` (a mismatch is refused). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits (the SHA-256 of the module)"),
    /** The .wasm file, standard base64; at most WASM_MODULE_MAX_BYTES decoded. */
    data: z
      .string()
      .min(1, "must not be empty")
      .refine((s) => s.length % 4 === 0 && BASE64.test(s), "must be standard base64 (the .wasm file's bytes)")
      .refine((s) => base64DecodedLength(s) <= WASM_MODULE_MAX_BYTES, `module larger than ${WASM_MODULE_MAX_BYTES} bytes (2 MiB)`),
});

/** A compiled proxy-wasm filter (ABI 0.2.1), pinned by the SHA-256 of its bytes. */
export const ZWasmModuleSecret = ZWasmModuleFields.superRefine((s, ctx) => {
    // The size and base64 checks above ran (and failed) first: hash only a plausible module.
    if (!BASE64.test(s.data) || base64DecodedLength(s.data) > WASM_MODULE_MAX_BYTES) return;
    const actual = sha256OfBase64(s.data);
    if (actual !== s.sha256) ctx.addIssue({ code: "custom", path: ["sha256"], message: `does not match the module: its SHA-256 is ${actual}` });
  });

export function sha256OfBase64(b64: string): string {
  return createHash("sha256").update(Buffer.from(b64, "base64")).digest("hex");
}

/**
 * A proxy-wasm filter (Envoy's proxy-wasm ABI 0.2.1): the module a wasmModule secret
 * holds, and the plugin configuration its proxy_on_configure reads.
 */
export const ZWasmFilter = z.strictObject({
  type: z.literal("wasm"),
  /** Unique in the chain; routes disable or reconfigure the filter by it. Default: "wasm". */
  name: ZName.optional(),
  module: z.strictObject({ secret: ZName }),
  /** Handed to proxy_on_configure as the plugin configuration bytes; default "". */
  config: z.string().default(""),
});

export type TWasmModuleSecret = z.infer<typeof ZWasmModuleSecret>;
export type TWasmFilter = z.infer<typeof ZWasmFilter>;

/** Each wasm filter names an existing wasmModule secret. */
export function checkWasmFilters(config: TConfig): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  const types = new Map(config.secrets.map((s) => [s.name, s.type] as const));
  config.listeners.forEach((l, i) =>
    l.httpFilters.forEach((f, j) => {
      if (f.type !== "wasm") return;
      const found = types.get(f.module.secret);
      const path = formatPath(["listeners", i, "httpFilters", j, "module", "secret"]);
      if (found === undefined) issues.push({ path, message: `unknown secret "${f.module.secret}"` });
      else if (found !== "wasmModule") issues.push({ path, message: `secret "${f.module.secret}" is a ${found}, expected a wasmModule` });
    }),
  );
  return issues;
}
