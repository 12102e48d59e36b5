import type { THeaderMutation } from "../route.ts";

/**
 * A header mutation compiled once per config version. Names are lower-cased here so the
 * proxy's hot path compares without allocating.
 */
export type TCompiledHeaderMutation = {
  /** Lower-case names removed before any add of this mutation. */
  readonly remove: ReadonlySet<string>;
  /** Applied in order. `append: false` replaces every existing value of the name. */
  readonly add: readonly { readonly name: string; readonly value: string; readonly append: boolean }[];
};

/** null when the mutation does nothing, so the hot path can skip it with one check. */
export function compileHeaderMutation(m: THeaderMutation | undefined): TCompiledHeaderMutation | null {
  if (!m || (m.add.length === 0 && m.remove.length === 0)) return null;
  return Object.freeze({
    remove: new Set(m.remove.map((n) => n.toLowerCase())),
    add: Object.freeze(m.add.map((a) => Object.freeze({ name: a.name.toLowerCase(), value: a.value, append: a.append }))),
  });
}
