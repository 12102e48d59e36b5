import {
  authenticateApiToken,
  createApiToken,
  createNodeToken,
  DbError,
  listApiTokens,
  listNodeTokens,
  revokeApiToken,
  revokeNodeToken,
  type Db,
  type TTokenScope,
} from "@switchyard/db";
import { AppError } from "./app-error.ts";
import type { TUserWho } from "./context.ts";

type TActor = TUserWho;

function mapTokenError(err: unknown): never {
  if (err instanceof DbError && err.status === 403) throw new AppError("FORBIDDEN", err.message, [{ path: "scope", field: "scope", message: err.message.replace(/^scope: /, "") }]);
  if (err instanceof DbError && err.status === 404) throw new AppError("NOT_FOUND", err.message);
  throw err;
}

/** Admins see every API token; others only their own. */
export async function apiTokensList(db: Db, actor: TActor) {
  return listApiTokens(db, actor.role === "admin" ? {} : { userId: actor.userId });
}

/** Returns the token once; only its hash is kept. */
export async function apiTokenCreate(db: Db, actor: TActor, input: { name: string; scope: TTokenScope }) {
  try {
    return await createApiToken(db, { ...input, userId: actor.userId, actor: actor.actor, ip: actor.ip });
  } catch (err) {
    mapTokenError(err);
  }
}

export async function apiTokenRevoke(db: Db, actor: TActor, id: string) {
  try {
    return await revokeApiToken(db, id, { actor: actor.actor, ip: actor.ip, ...(actor.role === "admin" ? {} : { onlyUserId: actor.userId }) });
  } catch (err) {
    mapTokenError(err);
  }
}

export async function nodeTokensList(db: Db) {
  return listNodeTokens(db);
}

export async function nodeTokenCreate(db: Db, actor: TActor, input: { name: string; group: string }) {
  return createNodeToken(db, { ...input, actor: actor.actor, ip: actor.ip });
}

export async function nodeTokenRevoke(db: Db, actor: TActor, id: string) {
  try {
    return await revokeNodeToken(db, id, { actor: actor.actor, ip: actor.ip });
  } catch (err) {
    mapTokenError(err);
  }
}

/** The REST API's caller: a token's actor and scope, capped by its owner's current role (a viewer's token only reads). */
export type TApiPrincipal = { actor: string; scope: "read" | "write" };

/**
 * SWITCHYARD_API_TOKEN (full access, actor "api-token") is checked by the adapter; this
 * finds an API token made in the console. null: unknown or revoked.
 */
export async function principalForApiToken(db: Db, token: string): Promise<TApiPrincipal | null> {
  const owner = await authenticateApiToken(db, token);
  if (!owner) return null;
  return { actor: `${owner.email} (token ${owner.tokenName})`, scope: owner.scope === "write" && owner.role !== "viewer" ? "write" : "read" };
}
