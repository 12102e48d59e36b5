import { importEnvoyBootstrap, importOpenApi, type TImportNote } from "@switchyard/config-model";
import { stringify } from "yaml";
import type { Db } from "./context.ts";
import { workingConfigDocument } from "./config-document.ts";
import { parseDocumentText } from "./document-text.ts";

export type TImportSource = "openapi" | "envoy";
export type TConvertInput = { source: TImportSource; text: string; cluster?: string | undefined; routeConfig?: string | undefined; virtualHost?: string | undefined };
/** A converted document is Switchyard YAML: the import page checks and applies it as it does any document. */
export type TConvertResult = { text: string; unmapped: TImportNote[] };

/**
 * An OpenAPI 3 document (its routes added to the working config) or an Envoy bootstrap (a
 * whole config) as Switchyard YAML, with what could not be mapped. The working config is
 * read redacted, so the text sent back carries no private key; the import check restores them.
 */
export async function convertDocument(db: Db, input: TConvertInput): Promise<TConvertResult> {
  const value = await parseDocumentText(input.text, "yaml");
  if (value === undefined) return { text: "", unmapped: [{ path: "", message: "the document is empty" }] };
  if (input.source === "envoy") {
    const { config, unmapped } = importEnvoyBootstrap(value);
    return { text: stringify(config), unmapped };
  }
  const { config: base } = await workingConfigDocument(db);
  // Default target: the first route config's first virtual host (most configs have one).
  const routeConfig = input.routeConfig || base.routeConfigs[0]?.name || "main";
  const virtualHost = input.virtualHost || base.routeConfigs.find((rc) => rc.name === routeConfig)?.virtualHosts[0]?.name || "default";
  const { config, unmapped } = importOpenApi(value, { cluster: input.cluster ?? "", routeConfig, virtualHost, base });
  return { text: stringify(config), unmapped };
}
