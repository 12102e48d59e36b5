/**
 * Validation issues as the console shows them. Shared by the server (which scopes
 * whole-config paths to the resource being edited) and the forms (which put each
 * message next to the input it names). No server-only imports here: pages use it.
 */
export type TFieldIssue = {
  /** JSON path in the whole config, e.g. `routeConfigs[0].virtualHosts[1].routes[3].match.regex`. */
  path: string;
  message: string;
  /** The same path relative to the edited form, e.g. `match.regex`; absent when the issue is elsewhere. */
  field?: string;
};

/**
 * Makes `path` relative to `prefix` when it lies under it: `a.b[0].c` under `a.b[0]`
 * is `c`, the prefix itself is "" (the resource as a whole).
 */
export function relativePath(path: string, prefix: string): string | undefined {
  if (prefix === "") return path;
  if (path === prefix) return "";
  if (path.startsWith(`${prefix}.`)) return path.slice(prefix.length + 1);
  if (path.startsWith(`${prefix}[`)) return path.slice(prefix.length);
  return undefined;
}

/** Maps issues under `prefix` to form fields under `as` ("" = the relative path itself). */
export type TIssueScope = { prefix: string; as?: string };

/** Adds `field` to every issue under one of the scopes (first wins); the rest stay form-level. */
export function scopeIssues(issues: readonly { path: string; message: string }[], scopes: readonly TIssueScope[]): TFieldIssue[] {
  return issues.map((i) => {
    for (const s of scopes) {
      const rel = relativePath(i.path, s.prefix);
      if (rel === undefined) continue;
      const field = !s.as ? rel : rel === "" ? s.as : rel.startsWith("[") ? `${s.as}${rel}` : `${s.as}.${rel}`;
      return { path: i.path, message: i.message, field };
    }
    return { path: i.path, message: i.message };
  });
}

/** Does form field `f` own an issue on `field`? "" (the resource itself) owns only itself. */
function owns(f: string, field: string): boolean {
  return f === "" ? field === "" : relativePath(field, f) !== undefined;
}

/** Messages for one form field: issues on the field itself or anything inside it. */
export function messagesFor(issues: readonly TFieldIssue[], ...fields: string[]): string[] {
  return issues.filter((i) => i.field !== undefined && fields.some((f) => owns(f, i.field as string))).map((i) => i.message);
}

/** Issues no field of the form claims (shown above the form, with their full path). */
export function unclaimedIssues(issues: readonly TFieldIssue[], claimed: readonly string[]): TFieldIssue[] {
  return issues.filter((i) => i.field === undefined || !claimed.some((f) => owns(f, i.field as string)));
}

/**
 * Hands each issue to the first form field that asks for it, so a form can show the
 * rest (issues on fields it has no input for) in one banner. Ask for every field
 * before calling rest().
 */
export function issueClaimer(issues: readonly TFieldIssue[]) {
  const claimed = new Set<TFieldIssue>();
  const take = (pred: (field: string) => boolean) =>
    issues
      .filter((i) => i.field !== undefined && !claimed.has(i) && pred(i.field))
      .map((i) => {
        claimed.add(i);
        return i.message;
      });
  return {
    /** Issues on these fields or anything inside them. */
    at: (...fields: string[]) => take((f) => fields.some((x) => owns(x, f))),
    /** Issues on exactly these fields (not inside them). */
    exact: (...fields: string[]) => take((f) => fields.includes(f)),
    rest: () => issues.filter((i) => !claimed.has(i)),
  };
}

/** Issues of every sub-field of a section, claimed up front (so they are not listed above the form too). */
export function claimAll(c: ReturnType<typeof issueClaimer>, section: string, keys: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(keys.map((k) => [k, c.at(`${section}.${k}`)]));
  // Whatever is left on the section itself shows under its first field.
  out[keys[0]!] = [...(out[keys[0]!] ?? []), ...c.at(section)];
  return out;
}
