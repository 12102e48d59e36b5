import { createTRPCRouter } from "../../trpc.ts";
import { loginProcedure } from "./login.ts";
import { logoutProcedure } from "./logout.ts";
import { meProcedure } from "./me.ts";
import { providersProcedure } from "./providers.ts";

export const authRouter = createTRPCRouter({ login: loginProcedure, logout: logoutProcedure, me: meProcedure, providers: providersProcedure });
