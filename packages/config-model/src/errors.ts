import type { z } from "zod";

/** One problem with a config: where (JSON path such as `clusters[0].endpoints[1].port`) and why. */
export type TConfigIssue = { path: string; message: string; line?: number };

/** Renders a path array as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    // A key that is not a plain name (empty, dots, spaces: only in hostile input) is quoted.
    else if (typeof part !== "string" || !/^[A-Za-z_$][\w$-]*$/.test(part)) out += `[${JSON.stringify(String(part))}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** zod issues as config issues; `prefix` is where the parsed value sits in the whole config. */
export function issuesFromZod(error: z.ZodError, prefix: readonly PropertyKey[] = []): TConfigIssue[] {
  return error.issues.flatMap((i) =>
    // zod reports unknown fields on the enclosing object (a root-level one has an empty
    // path): name each field in its own issue so every refusal points at a path.
    i.code === "unrecognized_keys"
      ? i.keys.map((key) => ({ path: formatPath([...prefix, ...i.path, key]), message: `unknown field "${key}"` }))
      : [{ path: formatPath([...prefix, ...i.path]), message: i.message }],
  );
}

/** One line per issue, e.g. `routeConfigs[0]...route.cluster: unknown cluster "userz"`. */
export function formatIssues(issues: readonly TConfigIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("\n");
}

/** Thrown where a config is refused; carries every issue found. */
export class ConfigValidationError extends Error {
  readonly code = "SWY_ERR_INVALID_CONFIG";
  readonly issues: TConfigIssue[];
  constructor(issues: TConfigIssue[]) {
    super(formatIssues(issues));
    this.name = "ConfigValidationError";
    this.issues = issues;
  }
}
