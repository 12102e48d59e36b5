import { announcedPlugins } from "../../../services/nodes.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Plugins connected nodes announced: the listener form's plugin picker and config form. */
export const nodePluginsProcedure = protectedProcedure.query(({ ctx }) => announcedPlugins(ctx.db));
