import { exportWorkingYaml } from "../../../services/import-export.ts";
import { protectedProcedure } from "../../trpc.ts";

export const exportProcedure = protectedProcedure.query(async ({ ctx }) => exportWorkingYaml(ctx.db));
