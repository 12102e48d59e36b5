import { createUser, deleteUser, listUsers, updateUser, UserError, type Db, type TRole } from "@switchyard/db";
import { AppError } from "./app-error.ts";
import type { TUserWho, TWho } from "./context.ts";

/** DbError -> AppError with the field named in the message (`email: ...`, `role: ...`). */
function mapUserError(err: unknown): never {
  if (err instanceof UserError) {
    const field = /^(\w+):/.exec(err.message)?.[1];
    const code = err.status === 404 ? "NOT_FOUND" : err.status === 409 ? "CONFLICT" : "VALIDATION";
    throw new AppError(code, err.message, field ? [{ path: field, field, message: err.message.slice(field.length + 2) }] : []);
  }
  if (err instanceof Error && /^(email|password):/.test(err.message)) {
    const field = err.message.split(":")[0]!;
    throw new AppError("VALIDATION", err.message, [{ path: field, field, message: err.message.slice(field.length + 2) }]);
  }
  throw err;
}

export async function usersList(db: Db) {
  return listUsers(db);
}

export async function userCreate(db: Db, who: TWho, input: { email: string; password: string; role: TRole }) {
  try {
    return await createUser(db, { ...input, actor: who.actor, ip: who.ip });
  } catch (err) {
    mapUserError(err);
  }
}

export async function userUpdate(db: Db, who: TWho, input: { id: string; role?: TRole; password?: string }) {
  try {
    return await updateUser(db, input.id, { ...(input.role ? { role: input.role } : {}), ...(input.password ? { password: input.password } : {}), actor: who.actor, ip: who.ip });
  } catch (err) {
    mapUserError(err);
  }
}

export async function userDelete(db: Db, who: TUserWho, id: string) {
  if (id === who.userId) throw new AppError("CONFLICT", "you cannot delete yourself; another admin can");
  try {
    await deleteUser(db, id, { actor: who.actor, ip: who.ip });
  } catch (err) {
    mapUserError(err);
  }
}
