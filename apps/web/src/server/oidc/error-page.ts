import type { ServerResponse } from "node:http";
import type { AppError } from "../services/app-error.ts";
import { SIGNIN_FAILURES, signinReasonOf } from "./failures.ts";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A failed sign-in as a page a person can act on: what happened, what to do, a way back to
 * the login page, and the status of the error. Rendered here (not by Next) so it also works
 * on API-only consoles; the detail line is escaped and never a stack.
 */
export function sendSigninErrorPage(res: ServerResponse, err: AppError): void {
  const reason = signinReasonOf(err);
  const known = reason ? SIGNIN_FAILURES[reason] : null;
  const title = known?.title ?? (err.code === "RATE_LIMITED" ? "Too many failed sign-ins" : "Sign-in failed");
  const advice = known?.advice ?? (err.code === "INTERNAL" ? "Something went wrong in the console. Try again; the console's log has the details." : err.message);
  // An internal error's message may name code paths: the log has it, the page does not.
  const detail = known && err.code !== "INTERNAL" ? err.message : null;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Switchyard</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f6f8;color:#1c2530;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:2rem;max-width:32rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:1.3rem;margin:0 0 .75rem}p{line-height:1.5}.detail{font-family:ui-monospace,monospace;font-size:.85rem;color:#59636e;background:#f6f8fa;padding:.5rem .75rem;border-radius:4px;word-break:break-word}
a{display:inline-block;margin-top:.5rem;background:#0b5cad;color:#fff;padding:.5rem 1rem;border-radius:4px;text-decoration:none}
</style></head>
<body><main role="main">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(advice)}</p>
${detail ? `<p class="detail" data-testid="signin-error-detail">${escapeHtml(detail)}</p>` : ""}
<p class="muted">Error ${err.status}${reason ? ` · ${escapeHtml(reason)}` : ""}</p>
<a href="/login">Back to sign-in</a>
</main></body></html>
`;
  res.writeHead(err.status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ...(err.code === "RATE_LIMITED" && typeof err.details.retryAfterS === "number" ? { "retry-after": String(err.details.retryAfterS) } : {}),
  });
  res.end(html);
}
