import { knownPlugins } from "@switchyard/db";
import { protectedProcedure } from "../../trpc.ts";

/** Plugins connected nodes announced (module, name, version, JSON Schema, nodes): the listener form's plugin picker and config form. */
export const nodePluginsProcedure = protectedProcedure.query(({ ctx }) => knownPlugins(ctx.db));
