import { parseArgs } from "node:util";
import { CliFailure, createApi } from "./client.ts";
import { configCommands, nodeCommands, rolloutCommands, versionCommands, type TContext, type TResult } from "./commands.ts";
import type { TFormat } from "./output.ts";

/**
 * `switchyard`: the console over its REST API (docs/cli.md). Exit status, for CI:
 *   0 done (config validate: valid; config diff: no change)
 *   1 failed: invalid config, conflict, refused, not found, console unreachable
 *   2 config diff: there are changes (shown)
 *  64 usage error (unknown command or flag)
 */
export const EXIT = { ok: 0, failed: 1, changes: 2, usage: 64 } as const;

const VERSION = "0.1.0";

export const USAGE = `switchyard ${VERSION} — the Switchyard console from the command line (its REST API)

Usage: switchyard [--url URL] [--token T] COMMAND

  config get [-o yaml|json]                      the working config (keys redacted), YAML by default
  config validate -f FILE                        the console's full check; exit 0 valid, 1 invalid (errors with paths)
  config diff -f FILE [-o json|yaml]             what FILE changes against the live version; exit 0 none, 2 changes, 1 error
  config apply -f FILE [--if-match REV] [--publish -m MSG [--group G [--steps 10,50,100 [--bake 5m]]]]
                                                 replace the working config (409 if it changed meanwhile: exit 1 and what
                                                 changed), then publish it (to group G first: a canary rollout; with
                                                 --steps a percentage of G's nodes at a time, each step promoted by
                                                 itself after --bake (ms, or 30s / 5m / 1h; default 5m))
  versions list [-o json|yaml]                   published versions, newest first
  versions show N [-o yaml|json]                 one version's config
  versions diff A B [-o json|yaml]               what going from A to B changes
  versions rollback N                            publish N's content again as a new version
  nodes list [-o json|yaml]                      proxy nodes: connected, applied and target version, last error
  rollouts list [-o json|yaml]                   rollouts (canary and stepped), newest first
  rollouts promote ID [--all]                    a canary to every node; a stepped rollout to its next step (--all: every node)
  rollouts pause ID | rollouts resume ID         stop / restart a stepped rollout's automatic promotion
  rollouts rollback ID                           the group returns to the previous version

Options:
  --url URL        the console, default http://127.0.0.1:3000         [env SWITCHYARD_URL]
  --token T        an API token (write scope to change anything)       [env SWITCHYARD_TOKEN]
  -f, --file FILE  a config document, YAML or JSON; - reads standard input
  -o, --output F   table (lists), yaml or json
  -h, --help       this help;  --version  the version

Exit status: 0 done, 1 failed, 2 config diff found changes, 64 usage error.
`;

type TRun = { readStdin: () => Promise<string>; env: Readonly<Record<string, string | undefined>> };

/** Runs one command line; never throws (failures are a message and an exit status). */
export async function run(argv: readonly string[], io: TRun): Promise<TResult> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        file: { type: "string", short: "f" },
        output: { type: "string", short: "o" },
        publish: { type: "boolean", default: false },
        message: { type: "string", short: "m" },
        group: { type: "string" },
        steps: { type: "string" },
        bake: { type: "string" },
        all: { type: "boolean", default: false },
        "if-match": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.version) return { stdout: `${VERSION}\n`, exitCode: EXIT.ok };
  if (o.help || positionals.length === 0) return { stdout: USAGE, exitCode: o.help ? EXIT.ok : EXIT.usage };
  if (o.output !== undefined && !["table", "json", "yaml"].includes(o.output)) return usage(`-o must be table, json or yaml, got "${o.output}"`);

  const url = o.url ?? io.env.SWITCHYARD_URL ?? "http://127.0.0.1:3000";
  if (!URL.canParse(url) || !/^https?:/.test(url)) return usage(`--url (or SWITCHYARD_URL) must be an http:// or https:// URL, got "${url}"`);
  const ctx: TContext = { api: createApi(url, o.token ?? (io.env.SWITCHYARD_TOKEN || undefined)), format: o.output as TFormat | undefined, file: o.file, readStdin: io.readStdin };
  const [noun, verb, ...args] = positionals;
  const arity = (n: number) => (args.length === n ? null : usage(`${noun} ${verb} takes ${n === 0 ? "no argument" : `${n} argument(s)`}, got ${args.length}`));

  try {
    const command = `${noun} ${verb ?? ""}`.trim();
    switch (command) {
      case "config get":
        return arity(0) ?? (await configCommands.get(ctx));
      case "config validate":
        return arity(0) ?? (await configCommands.validate(ctx));
      case "config diff":
        return arity(0) ?? (await configCommands.diff(ctx));
      case "config apply":
        return arity(0) ?? (await configCommands.apply(ctx, { publish: o.publish, message: o.message, group: o.group, steps: o.steps, bake: o.bake, ifMatch: o["if-match"] }));
      case "versions list":
        return arity(0) ?? (await versionCommands.list(ctx));
      case "versions show":
        return arity(1) ?? (await versionCommands.show(ctx, args[0]!));
      case "versions diff":
        return arity(2) ?? (await versionCommands.diff(ctx, args[0]!, args[1]!));
      case "versions rollback":
        return arity(1) ?? (await versionCommands.rollback(ctx, args[0]!));
      case "nodes list":
        return arity(0) ?? (await nodeCommands.list(ctx));
      case "rollouts list":
        return arity(0) ?? (await rolloutCommands.list(ctx));
      case "rollouts promote":
        return arity(1) ?? (await rolloutCommands.promote(ctx, args[0]!, o.all));
      case "rollouts pause":
        return arity(1) ?? (await rolloutCommands.pause(ctx, args[0]!, true));
      case "rollouts resume":
        return arity(1) ?? (await rolloutCommands.pause(ctx, args[0]!, false));
      case "rollouts rollback":
        return arity(1) ?? (await rolloutCommands.rollback(ctx, args[0]!));
      default:
        return usage(`unknown command "${positionals.join(" ")}"`);
    }
  } catch (err) {
    if (err instanceof CliFailure) return err.exitCode === EXIT.usage ? usage(err.message) : { stderr: `switchyard: ${err.message}\n`, exitCode: EXIT.failed };
    return { stderr: `switchyard: unexpected failure: ${(err as Error).stack ?? String(err)}\n`, exitCode: EXIT.failed };
  }
}

function usage(message: string): TResult {
  return { stderr: `switchyard: ${message}\nRun switchyard --help for the commands.\n`, exitCode: EXIT.usage };
}
