import { z } from "zod";
import { MAX_CONFIG_TEXT_BYTES } from "@switchyard/config-model";

/** The largest config document accepted (the REST API refuses larger bodies with 413 before parsing). */
export const MAX_DOCUMENT_BYTES = MAX_CONFIG_TEXT_BYTES;

/**
 * A whole config document as text (JSON or YAML): PUT /api/v1/config, POST
 * /api/v1/config/validate and the import page. `format` json parses strictly (JSON bodies);
 * yaml (the default) also reads JSON and gives issues their line.
 */
export const ZConfigDocumentInput = z.object({
  text: z.string().max(MAX_DOCUMENT_BYTES, "the document is larger than 5 MiB"),
  format: z.enum(["json", "yaml"]).default("yaml"),
});
/**
 * A replace: `revision` is the working-config revision the document was based on (the
 * import's check, a REST If-Match); another current revision refuses it with what changed.
 * -1 never matches (an If-Match that is not one of our ETags).
 */
export const ZReplaceConfigInput = ZConfigDocumentInput.extend({ revision: z.number().int().min(-1).optional() });
