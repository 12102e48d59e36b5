/**
 * Where the login page may send the user after logging in: a path of this console only
 * (no open redirect via ?next=). Browsers drop tabs and newlines inside URLs and read "\"
 * as "/", so "/\host", "/%09/host" and "/%5Chost" all mean "//host" (another site): any
 * control character or backslash, raw or percent-encoded, refuses the value.
 */
export function safeNextPath(raw: string | null, fallback = "/overview"): string {
  if (!raw || !raw.startsWith("/")) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return fallback;
  }
  for (const text of [raw, decoded]) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\]/.test(text) || text.startsWith("//")) return fallback;
  }
  const base = "http://console.invalid";
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return fallback;
  }
  return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : fallback;
}
