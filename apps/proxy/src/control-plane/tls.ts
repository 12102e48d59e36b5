import { readFileSync } from "node:fs";
import * as tls from "node:tls";
import { CliError } from "../cli/options.ts";
import type { TManagedOptions } from "./managed-node.ts";
import type { TControlPlaneTls } from "./client.ts";

/**
 * What the node trusts and presents on a wss:// control plane. The console's certificate is
 * always verified: against --control-plane-ca when given, else against the system's CAs
 * plus Node's bundled ones (Node alone would ignore the system store). Files are read once
 * at start; an unreadable one stops the proxy with the flag's name.
 */
export function controlPlaneTls(options: Pick<TManagedOptions, "controlPlane" | "controlPlaneTls">): TControlPlaneTls | undefined {
  if (!options.controlPlane.startsWith("wss://")) return undefined;
  const { caFile, certFile, keyFile } = options.controlPlaneTls;
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CliError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    ca: caFile ? [read("--control-plane-ca", caFile)] : systemAndBundledCas(),
    ...(certFile && keyFile ? { cert: read("--control-plane-cert", certFile), key: read("--control-plane-key", keyFile) } : {}),
  };
}

function systemAndBundledCas(): string[] {
  // tls.getCACertificates: Node >= 22.15 / 23.10; older ones keep their default store.
  const get = (tls as { getCACertificates?: (type: "default" | "system") => string[] }).getCACertificates;
  if (!get) return [...tls.rootCertificates];
  return [...new Set([...get("default"), ...get("system")])];
}
