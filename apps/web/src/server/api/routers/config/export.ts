import { exportWorkingYaml } from "../../../services/config-document.ts";
import { protectedProcedure } from "../../trpc.ts";

export const exportProcedure = protectedProcedure.query(async ({ ctx }) => exportWorkingYaml(ctx.db, ctx.schemaUrl));
