import {
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
import type { TSessionUser } from "./auth.ts";

type TActor = TSessionUser & { ip: string | null };

function mapTokenError(err: unknown): never {
  if (err instanceof DbError && err.status === 403) throw new AppError("FORBIDDEN", err.message, [{ path: "scope", field: "scope", message: err.message.replace(/^scope: /, "") }]);
  if (err instanceof DbError && err.status === 404) throw new AppError("NOT_FOUND", err.message);
  throw err;
}

/** Admins see every API token; others only their own. */
export async function apiTokensList(db: Db, actor: TActor) {
  return listApiTokens(db, actor.role === "admin" ? {} : { userId: actor.id });
}

/** Returns the token once; only its hash is kept. */
export async function apiTokenCreate(db: Db, actor: TActor, input: { name: string; scope: TTokenScope }) {
  try {
    return await createApiToken(db, { ...input, userId: actor.id, actor: actor.email, ip: actor.ip });
  } catch (err) {
    mapTokenError(err);
  }
}

export async function apiTokenRevoke(db: Db, actor: TActor, id: string) {
  try {
    return await revokeApiToken(db, id, { actor: actor.email, ip: actor.ip, ...(actor.role === "admin" ? {} : { onlyUserId: actor.id }) });
  } catch (err) {
    mapTokenError(err);
  }
}

export async function nodeTokensList(db: Db) {
  return listNodeTokens(db);
}

export async function nodeTokenCreate(db: Db, actor: TActor, input: { name: string; group: string }) {
  return createNodeToken(db, { ...input, actor: actor.email, ip: actor.ip });
}

export async function nodeTokenRevoke(db: Db, actor: TActor, id: string) {
  try {
    return await revokeNodeToken(db, id, { actor: actor.email, ip: actor.ip });
  } catch (err) {
    mapTokenError(err);
  }
}
