import type { TLocalRepliesFilter, TLocalReplyFormat } from "@switchyard/config-model";
import { asIs, compileTemplate, escapeHtml, type TTemplate, type TTemplateContext } from "./template.ts";

/** A body format compiled once: render(context) -> body, and its content type. */
export type TCompiledFormat = { readonly contentType: string; render(c: TTemplateContext): string };

export type TCompiledMapper = {
  readonly flags: ReadonlySet<string> | null;
  readonly statuses: ReadonlySet<number> | null;
  readonly status: number | null;
  readonly body: TTemplate | null;
  readonly format: TCompiledFormat | null;
  readonly headers: readonly (readonly [string, TTemplate])[];
};

export type TLocalRepliesConfig = { readonly mappers: readonly TCompiledMapper[]; readonly format: TCompiledFormat | null };

export function compileLocalReplies(f: TLocalRepliesFilter): TLocalRepliesConfig {
  return Object.freeze({
    mappers: Object.freeze(
      f.mappers.map((m) =>
        Object.freeze({
          flags: m.match.flags ? new Set(m.match.flags) : null,
          statuses: m.match.statuses ? new Set(m.match.statuses) : null,
          status: m.status ?? null,
          body: m.body !== undefined ? compileTemplate(m.body) : null,
          format: m.format ? compileFormat(m.format) : null,
          headers: Object.freeze(Object.entries(m.headers).map(([n, v]) => [n.toLowerCase(), compileTemplate(v)] as const)),
        }),
      ),
    ),
    format: f.format ? compileFormat(f.format) : null,
  });
}

function compileFormat(f: TLocalReplyFormat): TCompiledFormat {
  if (f.json !== undefined) {
    const fields = Object.entries(f.json).map(([k, v]) => [k, compileTemplate(v)] as const);
    return Object.freeze({
      contentType: f.contentType ?? "application/json",
      render(c: TTemplateContext) {
        const obj: Record<string, string | number> = {};
        // Escaping is JSON.stringify's; %RESPONSE_CODE% alone is written as a number.
        for (const [k, t] of fields) obj[k] = t.onlyStatus ? c.status : t.render(c, asIs);
        return `${JSON.stringify(obj)}\n`;
      },
    });
  }
  const t = compileTemplate(f.text ?? "");
  const contentType = f.contentType ?? "text/plain";
  const escape = /^text\/html\b|xml/i.test(contentType) ? escapeHtml : asIs;
  return Object.freeze({ contentType, render: (c: TTemplateContext) => t.render(c, escape) });
}
