import { z } from "zod";
import { convertDocument } from "../../../services/config-import.ts";
import { protectedProcedure } from "../../trpc.ts";
import { MAX_DOCUMENT_BYTES } from "./config.types.ts";

export const ZConvertInput = z.object({
  source: z.enum(["openapi", "envoy"]),
  text: z.string().max(MAX_DOCUMENT_BYTES, "the document is larger than 5 MiB"),
  cluster: z.string().max(128).optional(),
  routeConfig: z.string().max(128).optional(),
  virtualHost: z.string().max(128).optional(),
});

/** A mutation only so the document travels in a POST body; it changes nothing (check and apply follow). */
export const importConvertProcedure = protectedProcedure.input(ZConvertInput).mutation(async ({ ctx, input }) => convertDocument(ctx.db, input));
