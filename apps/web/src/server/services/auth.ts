import { createSession, deleteSession, getSessionUser, verifyPassword, type Db } from "@switchyard/db";
import { AppError } from "./app-error.ts";

export type TSessionUser = { id: string; email: string; role: string };

export async function login(db: Db, email: string, password: string): Promise<{ user: TSessionUser; token: string; expiresAt: Date }> {
  const user = await verifyPassword(db, email, password);
  // One message for unknown email and wrong password: do not reveal which accounts exist.
  if (!user) throw new AppError("UNAUTHORIZED", "wrong email or password");
  const session = await createSession(db, user.id);
  return { user: { id: String(user.id), email: user.email, role: String(user.role) }, token: session.token, expiresAt: new Date(session.expiresAt) };
}

export async function logout(db: Db, token: string | undefined): Promise<void> {
  if (token) await deleteSession(db, token);
}

export async function userForSession(db: Db, token: string | undefined): Promise<TSessionUser | null> {
  if (!token) return null;
  const user = await getSessionUser(db, token);
  return user ? { id: String(user.id), email: user.email, role: String(user.role) } : null;
}
