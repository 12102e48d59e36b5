import { publicProcedure } from "../../trpc.ts";

/** How one may sign in here, for the login page: always local login, and the identity provider when configured. */
export const providersProcedure = publicProcedure.query(({ ctx }) => ({ local: true as const, oidc: ctx.oidcProvider }));
