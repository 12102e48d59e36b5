import { regexProblem } from "./consistency.ts";
import { isPlainObject, isResourceShaped, validateByResource, validateConfig, type TResourceSchema, type TValidationResult } from "./validate.ts";

/** What the last validate() did: resources that went through their schema, those taken from the memo, regexes compiled to check them. */
export type TValidationStats = { parsed: number; reused: number; regexes: number };

/**
 * validateConfig for a stream of versions (a proxy's applies): each resource's validated
 * form is kept by its content, so the next version puts through the schemas only the
 * resources that are new or changed, and recompiles only its new regexes. The first
 * version validates everything. The memo holds what the applied version holds (commit()
 * after an apply): a resource the applied version no longer has is dropped, and a
 * version that is refused leaves the memo as it was.
 *
 * Content means the resource's JSON text (key order included: a reordered resource is
 * validated again, which is correct, only slower). Values JSON cannot tell apart (NaN,
 * Infinity, -0, undefined, class instances) are never memoised, so two inputs share an
 * entry only when they are the same JSON. Secrets are not memoised: they are few, and
 * the memo would keep a second copy of every private key.
 */
export class ValidationMemo {
  /** Per schema, the resource's JSON text -> its validated form; "regex": source -> problem or null. `run`: the last validate() that used it. */
  readonly #entries = new Map<TResourceSchema | "regex", Map<string, { value: unknown; run: number }>>();
  #run = 0;
  #stats: TValidationStats = { parsed: 0, reused: 0, regexes: 0 };

  validate(input: unknown): TValidationResult {
    this.#run++;
    this.#stats = { parsed: 0, reused: 0, regexes: 0 };
    // Not the config's top-level shape: ZConfig reports it, as validateConfig does.
    if (!isResourceShaped(input)) return validateConfig(input);
    return validateByResource(input, {
      lookup: (schema, value) => {
        const key = memoKey(schema, value);
        const found = key === null ? undefined : this.#use(schema, key);
        if (found === undefined) this.#stats.parsed++;
        else this.#stats.reused++;
        return found;
      },
      learn: (schema, value, parsed) => {
        const key = memoKey(schema, value);
        if (key !== null) this.#table(schema).set(key, { value: parsed, run: this.#run });
      },
      regexProblem: (source) => {
        let problem = this.#use("regex", source) as string | null | undefined;
        if (problem === undefined) {
          this.#stats.regexes++;
          problem = regexProblem(source) ?? null;
          this.#table("regex").set(source, { value: problem, run: this.#run });
        }
        return problem ?? undefined;
      },
    });
  }

  /** The version last validated was applied: the memo keeps its entries only, for the next validate() to compare with. */
  commit(): void {
    for (const table of this.#entries.values()) for (const [key, entry] of table) if (entry.run !== this.#run) table.delete(key);
  }

  /** Counts of the last validate(). */
  get stats(): Readonly<TValidationStats> {
    return this.#stats;
  }

  /** Entries held: the applied version's resources and regexes (and those of refused versions since, until the next commit). */
  get size(): number {
    let n = 0;
    for (const table of this.#entries.values()) n += table.size;
    return n;
  }

  #table(kind: TResourceSchema | "regex"): Map<string, { value: unknown; run: number }> {
    let table = this.#entries.get(kind);
    if (!table) this.#entries.set(kind, (table = new Map()));
    return table;
  }

  /** The entry's value, marked as used by this validate(); undefined when there is none. */
  #use(kind: TResourceSchema | "regex", key: string): unknown {
    const entry = this.#entries.get(kind)?.get(key);
    if (entry === undefined) return undefined;
    entry.run = this.#run;
    return entry.value;
  }
}

/** The value's JSON text, or null for a value that text would not tell apart (see ValidationMemo). */
function memoKey(schema: TResourceSchema, value: unknown): string | null {
  if (schema === "secret" || !isJsonValue(value)) return null;
  return JSON.stringify(value);
}

/** Strings, booleans, null, finite numbers other than -0, arrays and plain objects of them: what JSON.stringify keeps exactly. */
function isJsonValue(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object":
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (const v of value) if (!isJsonValue(v)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const k in value) if (!isJsonValue(value[k])) return false;
      return true;
    default:
      return false;
  }
}
