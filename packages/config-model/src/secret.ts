import { z } from "zod";
import { ZName } from "./common.ts";
import { ZWasmModuleSecret } from "./wasm.ts";

const ZPem = z.string().min(1, "must not be empty").refine((s) => s.includes("-----BEGIN "), "must be PEM text (-----BEGIN ...)");

/** A server or client certificate with its private key (PEM). The key is write-only in the console. */
export const ZTlsCertificateSecret = z.strictObject({
  name: ZName,
  type: z.literal("tlsCertificate"),
  certificate: ZPem,
  privateKey: ZPem,
});

/** One or more CA certificates (PEM) used to verify peers. */
export const ZCaBundleSecret = z.strictObject({
  name: ZName,
  type: z.literal("caBundle"),
  certificate: ZPem,
});

export const ZSecret = z.discriminatedUnion("type", [ZTlsCertificateSecret, ZCaBundleSecret, ZWasmModuleSecret]);

export type TSecret = z.infer<typeof ZSecret>;
export type TTlsCertificateSecret = z.infer<typeof ZTlsCertificateSecret>;
export type TCaBundleSecret = z.infer<typeof ZCaBundleSecret>;
