import { checkImport } from "../../../services/import-export.ts";
import { protectedProcedure } from "../../trpc.ts";
import { ZImportCheckInput } from "./config.types.ts";

/** A mutation only so the document travels in a POST body; it changes nothing. */
export const importCheckProcedure = protectedProcedure.input(ZImportCheckInput).mutation(async ({ ctx, input }) => checkImport(ctx.db, input.text));
