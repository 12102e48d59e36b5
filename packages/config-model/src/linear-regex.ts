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

/**
 * A config regex for whole-input matching, compiled by its first test: RE2 programs cost
 * ~6 KiB and ~20 µs each, and a table of thousands of regex routes is mostly routes a
 * given proxy never tests (the route index skips them). Validation compiled every config
 * regex once already (consistency.ts), so that first test cannot meet a syntax error.
 */
export function compileLinearRegex(source: string): TLinearRegex {
  let re: RE2JS | null = null;
  return Object.freeze({ source, test: (input: string) => (re ??= RE2JS.compile(source)).testExact(input) });
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
