import { NextResponse, type NextRequest } from "next/server";
import { SESSION_COOKIE } from "./server/api/session-cookie.ts";

/**
 * Without a session cookie a page request goes straight to /login (no flash of an empty
 * console). Only presence is checked here; whether the session is valid is decided by
 * the tRPC context, and the shell redirects when `auth.me` answers null.
 */
export function proxy(request: NextRequest) {
  if (request.cookies.has(SESSION_COOKIE)) return NextResponse.next();
  const login = new URL("/login", request.url);
  const next = request.nextUrl.pathname + request.nextUrl.search;
  if (next !== "/") login.searchParams.set("next", next);
  return NextResponse.redirect(login);
}

export const config = {
  // Pages only: not the APIs (served before Next anyway), assets, or the login page itself.
  matcher: ["/((?!api/|_next/|login|favicon\\.ico).*)"],
};
