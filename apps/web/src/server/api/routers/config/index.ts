import { createTRPCRouter } from "../../trpc.ts";
import { exportProcedure } from "./export.ts";
import { importApplyProcedure } from "./import-apply.ts";
import { importCheckProcedure } from "./import-check.ts";
import { importConvertProcedure } from "./import-convert.ts";

export const configRouter = createTRPCRouter({
  export: exportProcedure,
  importCheck: importCheckProcedure,
  importConvert: importConvertProcedure,
  importApply: importApplyProcedure,
});
