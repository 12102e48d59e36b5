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

/** Compiles a config regex for whole-input matching; throws when RE2 refuses its syntax. */
export function compileLinearRegex(source: string): TLinearRegex {
  const re = RE2JS.compile(source);
  return Object.freeze({ source, test: (input: string) => re.testExact(input) });
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
