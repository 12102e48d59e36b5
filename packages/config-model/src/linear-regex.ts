import { RE2JS } from "re2js";

/**
 * The regex engine of every config regex (route `match.regex`, header / query matchers,
 * RBAC header rules): RE2's semantics through re2js, a maintained pure-JS port of RE2 that
 * runs in the proxy, the console and the browser alike. RE2 matches in time linear in the
 * input: a 64 KiB header value costs the same whatever the pattern, where V8's
 * backtracking engine takes polynomial time on patterns such as `.*.*.*=` (measured in
 * test/hardening/regex-time.test.ts). This is also Envoy's engine, so a pattern means what
 * it means there: no backreferences or lookaround.
 */
export type TLinearRegex = {
  /** The pattern as written in the config. */
  readonly source: string;
  /** Whether the WHOLE input matches (the pattern is anchored at both ends). */
  readonly test: (input: string) => boolean;
};

const REGEX_META = new Set(["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]);
const QUANTIFIERS = new Set(["?", "*", "+", "{"]);

/** The literal characters every match of `pattern` (anchored at the start) begins with; "" when unknown. */
export function regexLiteralPrefix(pattern: string): string {
  // An alternation anywhere may bypass the first literal: unindexed.
  if (pattern.includes("|")) return "";
  let i = 0;
  while (i < pattern.length && !REGEX_META.has(pattern[i] as string)) i++;
  // "ab?" makes the b optional: the literal ends before a quantified character.
  if (i < pattern.length && QUANTIFIERS.has(pattern[i] as string)) {
    i = Math.max(0, i - 1);
    // An astral character is two UTF-16 units and the quantifier takes both ("/😀?" -> "/").
    const c = pattern.charCodeAt(i);
    if (i > 0 && c >= 0xdc00 && c <= 0xdfff) i--;
  }
  return pattern.slice(0, i);
}

/**
 * A config regex for whole-input matching, compiled by its first test: RE2 programs cost
 * ~6 KiB and ~20 µs each, and a table of thousands of regex routes is mostly routes a
 * given proxy never tests (the route index skips them). Validation compiled every config
 * regex once already (consistency.ts), so that first test cannot meet a syntax error.
 * An input that does not start with the pattern's literal start ("/api/orders/" of
 * "/api/orders/[0-9]+") cannot match and is refused without running RE2: a route table's
 * regex routes are tried for every path that reaches them, and re2js costs ~1 µs a try.
 */
export function compileLinearRegex(source: string): TLinearRegex {
  let re: RE2JS | null = null;
  const literal = regexLiteralPrefix(source);
  const run = (input: string) => (re ??= RE2JS.compile(source)).testExact(input);
  return Object.freeze({ source, test: literal === "" ? run : (input: string) => input.startsWith(literal) && run(input) });
}

/** Why RE2 refuses `source` (unsupported syntax such as lookahead), or undefined when it compiles. */
export function linearRegexSyntaxProblem(source: string): string | undefined {
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
