import { z } from "zod";

/** 2 MB of YAML is far more than any config we expect; refuse more before parsing. */
export const ZImportCheckInput = z.object({ text: z.string().min(1, "paste or upload a YAML or JSON document").max(2_000_000, "the document is larger than 2 MB") });
export const ZImportApplyInput = ZImportCheckInput.extend({ revision: z.number().int().min(0) });
