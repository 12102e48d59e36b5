import { checkImport } from "../../../services/config-document.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZConfigDocumentInput } from "./config.types.ts";

/** A mutation only so the document travels in a POST body; it changes nothing. */
export const importCheckProcedure = protectedProcedure.input(ZConfigDocumentInput).mutation(async ({ ctx, input }) => checkImport(ctx.db, input));
