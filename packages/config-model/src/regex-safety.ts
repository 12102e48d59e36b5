/**
 * Catastrophic-backtracking guard for the regexes a config may carry (route match regex,
 * header/query matcher regex, RBAC header regex). The proxy matches them with RE2's
 * linear-time engine (linear-regex.ts), so none can stall a worker; this guard predates it
 * and stays as a second line, keeping configs safe for any backtracking engine (where one
 * `(a+)+$` against a 30-byte header value takes minutes). It refuses, at validation time,
 * the constructs that make backtracking exponential, and the ones RE2 does not have either:
 *  - a group repeated more than once (`*`, `+`, `{2,}`, `{1,12}`...) that itself contains a
 *    quantifier of any kind: `(a+)+`, `(a*)*`, `(a?a)*`, `(.*a){12}`, `(x\d+)*` (rewrite
 *    without the outer repetition, or with a character class);
 *  - a repeated group whose alternatives may start with the same character: `(a|a)*`,
 *    `(a|ab)+`, `(\w|x)*` (alternatives must start with distinct literal characters,
 *    e.g. `(GET|POST)+` is fine);
 *  - backreferences (`\1`, `\k<name>`) and lookbehind (`(?<=`, `(?<!`);
 *  - sources longer than MAX_REGEX_LENGTH characters.
 * The check is conservative (a few safe patterns are refused too); the message says why.
 * Pure string analysis, no I/O: the console, the browser forms and the proxy run it alike.
 */

/** Longest regex source accepted (characters). */
export const MAX_REGEX_LENGTH = 1024;

type TGroup = {
  /** A quantifier of variable width (anything but an exact `{n}`) occurs inside. */
  innerRepeat: boolean;
  /** First character of each alternative: a literal, or null when not a plain literal. */
  firsts: (string | null)[];
  /** The current alternative has not yet seen its first atom. */
  atAlternativeStart: boolean;
};

/** Returns why `source` is refused, or undefined when it is accepted. Assumes it compiles. */
export function regexSafetyProblem(source: string): string | undefined {
  if (source.length > MAX_REGEX_LENGTH) return `regex longer than ${MAX_REGEX_LENGTH} characters`;
  const stack: TGroup[] = [{ innerRepeat: false, firsts: [], atAlternativeStart: true }];
  const top = () => stack[stack.length - 1] as TGroup;
  // What the last atom was, so that a following quantifier knows what it applies to.
  let lastGroup: TGroup | null = null;
  let lastAtom = false;

  const noteFirst = (literal: string | null) => {
    const g = top();
    if (g.atAlternativeStart) {
      g.firsts.push(literal);
      g.atAlternativeStart = false;
    }
  };

  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === "\\") {
      const n = source[i + 1] ?? "";
      if (/[1-9]/.test(n) || (n === "k" && source[i + 2] === "<")) return "backreferences are not allowed (catastrophic backtracking risk)";
      // Escaped literal punctuation is a literal; class escapes (\d \w \s . etc.) are not.
      noteFirst(/[\\^$.|?*+()[\]{}/-]/.test(n) ? n : null);
      i += n === "u" && source[i + 2] === "{" ? source.indexOf("}", i) - i : 1;
      lastGroup = null;
      lastAtom = true;
      continue;
    }
    if (c === "[") {
      // A character class is one atom; skip to its closing bracket (escapes inside).
      let j = i + 1;
      if (source[j] === "^") j++;
      if (source[j] === "]") j++;
      while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
      i = j;
      noteFirst(null);
      lastGroup = null;
      lastAtom = true;
      continue;
    }
    if (c === "(") {
      if (source.startsWith("(?<=", i) || source.startsWith("(?<!", i)) return "lookbehind is not allowed (catastrophic backtracking risk)";
      noteFirst(null);
      const g: TGroup = { innerRepeat: false, firsts: [], atAlternativeStart: true };
      stack.push(g);
      if (source[i + 1] === "?") {
        // (?: (?= (?! (?<name>: skip the group's prefix.
        if (source[i + 2] === "<") i = source.indexOf(">", i);
        else i += 2;
      }
      lastGroup = null;
      lastAtom = false;
      continue;
    }
    if (c === ")") {
      const g = stack.pop() as TGroup;
      if (stack.length === 0) return undefined; // unbalanced: the compile check reports it
      if (g.innerRepeat) top().innerRepeat = true;
      lastGroup = g;
      lastAtom = true;
      continue;
    }
    if (c === "|") {
      top().atAlternativeStart = true;
      lastGroup = null;
      lastAtom = false;
      continue;
    }
    const repeat = quantifierAt(source, i);
    if (repeat !== null) {
      i = repeat.end - 1;
      // A quantifier directly after another one (lazy `+?` or possessive-like) applies to nothing new.
      if (!lastAtom) continue;
      if (repeat.repeats && lastGroup !== null) {
        if (lastGroup.innerRepeat) return "nested quantifiers such as (a+)+ are not allowed (catastrophic backtracking risk)";
        if (lastGroup.firsts.length > 1 && overlapping(lastGroup.firsts)) {
          return "a repeated group's alternatives must start with distinct literal characters, e.g. (a|a)* is not allowed (catastrophic backtracking risk)";
        }
      }
      if (repeat.variable) top().innerRepeat = true;
      lastAtom = false;
      lastGroup = null;
      continue;
    }
    if (c === "^" || c === "$") {
      lastAtom = false;
      lastGroup = null;
      continue;
    }
    noteFirst(c === "." ? null : c);
    lastGroup = null;
    lastAtom = true;
  }
  return undefined;
}

/**
 * `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` at `i` (a `{` that is not a quantifier is a literal).
 * `repeats`: may match its atom more than once; `variable`: may match a varying number of times.
 */
function quantifierAt(source: string, i: number): { end: number; repeats: boolean; variable: boolean } | null {
  const c = source[i];
  if (c === "*" || c === "+") return { end: i + 1, repeats: true, variable: true };
  if (c === "?") return { end: i + 1, repeats: false, variable: true };
  if (c !== "{") return null;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
  return { end: i + m[0].length, repeats: max > 1, variable: max !== min };
}

/** Alternatives overlap when one does not start with a literal, or two start with the same one. */
function overlapping(firsts: (string | null)[]): boolean {
  const seen = new Set<string>();
  for (const f of firsts) {
    if (f === null || seen.has(f)) return true;
    seen.add(f);
  }
  return false;
}
