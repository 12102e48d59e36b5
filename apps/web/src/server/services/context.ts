export type { Db } from "@switchyard/db";

/**
 * Who is acting, for the audit rows every write leaves: a user's e-mail, `api-token`, or
 * `<e-mail> (token <name>)`, and the client's address. Both adapters (tRPC from the
 * session, REST from the bearer token) build one and hand it to the services.
 */
export type TWho = { actor: string; ip: string | null };

/** A logged-in user acting (token and user management depend on who exactly and their role). */
export type TUserWho = TWho & { userId: string; role: string };
