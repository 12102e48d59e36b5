import type { TFilterRequest } from "../api.ts";

/** What a local-reply template can read. */
export type TTemplateContext = {
  readonly status: number;
  readonly flags: string;
  readonly body: string;
  readonly req: TFilterRequest;
};

type TPart = string | ((c: TTemplateContext) => string);

/**
 * A compiled template: literal text and %FIELD% / %REQ(header)% placeholders (the
 * fields config-model's LOCAL_REPLY_FIELDS lists, checked when the config is
 * validated). Nothing else is evaluated: values are inserted as text, escaped by the
 * caller's `escape` (JSON, HTML), so a header value can never become markup or code.
 */
export type TTemplate = {
  render(c: TTemplateContext, escape: (s: string) => string): string;
  /** The template is exactly %RESPONSE_CODE% (JSON formats write a number then). */
  readonly onlyStatus: boolean;
};

const FIELDS: Record<string, (c: TTemplateContext) => string> = {
  RESPONSE_CODE: (c) => String(c.status),
  RESPONSE_FLAGS: (c) => c.flags || "-",
  LOCAL_REPLY_BODY: (c) => c.body,
  REQUEST_ID: (c) => c.req.requestId,
  METHOD: (c) => c.req.method,
  PATH: (c) => c.req.path,
  ROUTE: (c) => c.req.route?.name ?? "",
};

export function compileTemplate(text: string): TTemplate {
  const parts: TPart[] = [];
  let last = 0;
  for (const m of text.matchAll(/%([^%\s]*)%/g)) {
    const field = m[1] as string;
    const req = /^REQ\((.+)\)$/.exec(field);
    const get = req ? headerField((req[1] as string).toLowerCase()) : FIELDS[field];
    if (!get) continue; // unknown fields were refused by the schema; keep the text
    parts.push(text.slice(last, m.index), get);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  const literal = parts.filter((p) => p !== "");
  return Object.freeze({
    onlyStatus: text === "%RESPONSE_CODE%",
    render(c: TTemplateContext, escape: (s: string) => string): string {
      let out = "";
      for (const p of literal) out += typeof p === "string" ? p : escape(p(c));
      return out;
    },
  });
}

function headerField(name: string): (c: TTemplateContext) => string {
  return (c) => c.req.headers.get(name) ?? "-";
}

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => HTML[ch] as string);
export const asIs = (s: string): string => s;
