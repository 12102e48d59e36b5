import { readFile } from "node:fs/promises";
import { formatDiff, type TConfigDiff } from "@switchyard/config-model";
import { CliFailure, errorOf, expectStatus, formatIssues, issuesOf, type TApi } from "./client.ts";
import { serialise, table, type TFormat } from "./output.ts";

/** What a command prints and how the process ends (EXIT in main.ts). */
export type TResult = { stdout?: string; stderr?: string; exitCode: number };
export type TContext = { api: TApi; format: TFormat | undefined; file: string | undefined; readStdin: () => Promise<string> };

const ok = (stdout: string, stderr?: string): TResult => ({ stdout, ...(stderr ? { stderr } : {}), exitCode: 0 });

type TDocument = { text: string; contentType: string; name: string };

/** `-f FILE` (`-f -` = standard input): JSON when it parses as JSON or is named *.json, else YAML. */
async function readConfigFile(ctx: TContext): Promise<TDocument> {
  if (!ctx.file) throw new CliFailure("-f FILE is required (the config document, YAML or JSON; - for standard input)", 64);
  let text: string;
  try {
    text = ctx.file === "-" ? await ctx.readStdin() : await readFile(ctx.file, "utf8");
  } catch (err) {
    throw new CliFailure(`cannot read ${ctx.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const json = ctx.file.endsWith(".json") || /^\s*[{[]/.test(text);
  return { text, contentType: json ? "application/json" : "application/yaml", name: ctx.file === "-" ? "(stdin)" : ctx.file };
}

type TValidateAnswer = { valid: true; diff: TConfigDiff; against: number | null };

/** POST /config/validate: the console's full check and the diff against the live version. */
async function validateRemotely(ctx: TContext, doc: TDocument): Promise<{ valid: true; answer: TValidateAnswer } | { valid: false; message: string }> {
  const res = await ctx.api.request("POST", "/config/validate", { body: doc.text, contentType: doc.contentType });
  if (res.status === 422 || res.status === 400) return { valid: false, message: `${doc.name}: invalid${res.status === 400 ? ` (${errorOf(res)})` : ""}${formatIssues(issuesOf(res))}` };
  expectStatus(res, "validate");
  return { valid: true, answer: res.json() as TValidateAnswer };
}

export const configCommands = {
  async get(ctx: TContext): Promise<TResult> {
    const format = ctx.format ?? "yaml";
    if (format === "table") throw new CliFailure("config get prints yaml or json (-o yaml|json)", 64);
    const res = await ctx.api.request("GET", "/config", { accept: format === "yaml" ? "application/yaml" : "application/json" });
    expectStatus(res, "config get");
    const revision = res.headers.get("etag")?.replace(/"/g, "");
    return ok(format === "json" ? `${JSON.stringify(JSON.parse(res.text), null, 2)}\n` : res.text, revision ? `# working config revision ${revision} (config apply --if-match ${revision})\n` : undefined);
  },

  async validate(ctx: TContext): Promise<TResult> {
    const doc = await readConfigFile(ctx);
    const checked = await validateRemotely(ctx, doc);
    if (!checked.valid) return { stderr: `${checked.message}\n`, exitCode: 1 };
    return ok(`${doc.name}: valid\n`);
  },

  async diff(ctx: TContext): Promise<TResult> {
    const doc = await readConfigFile(ctx);
    const checked = await validateRemotely(ctx, doc);
    if (!checked.valid) return { stderr: `${checked.message}\n`, exitCode: 1 };
    const { diff, against } = checked.answer;
    if (ctx.format === "json" || ctx.format === "yaml") return { stdout: serialise({ against, diff }, ctx.format), exitCode: diff.empty ? 0 : 2 };
    const base = against === null ? "nothing published yet" : `live version ${against}`;
    if (diff.empty) return ok(`no changes against ${base}\n`);
    return { stdout: `changes against ${base}:\n${formatDiff(diff)}\n`, exitCode: 2 };
  },

  /** PUT /config (If-Match: the revision read just before, or --if-match), then POST /versions with --publish. */
  async apply(
    ctx: TContext,
    opts: { publish: boolean; message: string | undefined; group: string | undefined; steps?: string | undefined; bake?: string | undefined; ifMatch: string | undefined },
  ): Promise<TResult> {
    if (opts.publish && !opts.message) throw new CliFailure("--publish needs -m MESSAGE (every version says why it exists)", 64);
    if (!opts.publish && (opts.message || opts.group)) throw new CliFailure("-m and --group go with --publish", 64);
    if ((opts.steps || opts.bake) && !opts.group) throw new CliFailure("--steps and --bake go with --group (the group the steps are taken across)", 64);
    if (opts.bake && !opts.steps) throw new CliFailure("--bake goes with --steps", 64);
    const stepped = opts.steps ? { steps: parseSteps(opts.steps), ...(opts.bake ? { bakeMs: parseDurationMs(opts.bake, "--bake") } : {}) } : {};
    const doc = await readConfigFile(ctx);
    let revision = opts.ifMatch;
    if (revision === undefined) {
      const current = await ctx.api.request("GET", "/config");
      expectStatus(current, "config apply (reading the working config's revision)");
      revision = current.headers.get("etag")?.replace(/"/g, "");
    }
    const put = await ctx.api.request("PUT", "/config", { body: doc.text, contentType: doc.contentType, headers: revision ? { "if-match": `"${revision}"` } : {} });
    if (put.status === 422 || put.status === 400) return { stderr: `${doc.name}: invalid, nothing changed${put.status === 400 ? ` (${errorOf(put)})` : ""}${formatIssues(issuesOf(put))}\n`, exitCode: 1 };
    if (put.status === 409) {
      const body = put.json() as { error: string; changes?: { revision: number; actor: string; at: string; diff?: unknown }[] };
      const changes = (body.changes ?? []).map((c) => `\n  revision ${c.revision} by ${c.actor} at ${c.at}${c.diff ? `: ${summariseChange(c.diff)}` : ""}`).join("");
      return { stderr: `conflict: ${body.error}; nothing changed. Changed meanwhile:${changes || " (see the audit log)"}\nRead the config again (switchyard config get), merge, and apply again.\n`, exitCode: 1 };
    }
    expectStatus(put, "config apply");
    const applied = put.json() as { revision: number; hash: string };
    let out = `working config replaced: revision ${applied.revision} (hash ${applied.hash.slice(0, 12)})\n`;
    if (opts.publish) {
      const pub = await ctx.api.request("POST", "/versions", { body: JSON.stringify({ message: opts.message, ...(opts.group ? { group: opts.group, ...stepped } : {}) }), contentType: "application/json" });
      if (pub.status === 422) return { stdout: out, stderr: `publish refused${formatIssues(issuesOf(pub))}\n`, exitCode: 1 };
      expectStatus(pub, "publish", [201]);
      const v = pub.json() as { version: number; hash: string; unchanged: boolean; rolloutId?: number };
      out += `published version ${v.version} (hash ${v.hash.slice(0, 12)})${v.unchanged ? ", same content as the version before" : ""}`;
      out += !opts.group
        ? " to every node\n"
        : opts.steps
          ? ` to group ${opts.group} in steps of ${opts.steps}%: rollout ${v.rolloutId} (switchyard rollouts pause|promote|rollback ${v.rolloutId})\n`
          : ` to group ${opts.group} first: rollout ${v.rolloutId} (switchyard rollouts promote ${v.rolloutId})\n`;
    }
    return ok(out);
  },
};

function summariseChange(diff: unknown): string {
  // The console's change sets: one line per change ("~ clusters/users: endpoints[0].port").
  if (Array.isArray(diff)) return diff.map(String).join("; ");
  if (diff && typeof diff === "object" && "empty" in diff) return formatDiff(diff as TConfigDiff).replace(/\n/g, "; ");
  return JSON.stringify(diff).slice(0, 300);
}

type TVersion = { version: number; hash: string; author: string | null; message: string | null; createdAt: string | null };

export const versionCommands = {
  async list(ctx: TContext): Promise<TResult> {
    const res = await ctx.api.request("GET", "/versions");
    expectStatus(res, "versions list");
    const versions = res.json() as TVersion[];
    if (ctx.format === "json" || ctx.format === "yaml") return ok(serialise(versions, ctx.format));
    return ok(table(["VERSION", "CREATED", "AUTHOR", "HASH", "MESSAGE"], versions.map((v) => [v.version, v.createdAt, v.author, v.hash.slice(0, 12), v.message])));
  },
  async show(ctx: TContext, n: string): Promise<TResult> {
    const format = ctx.format ?? "yaml";
    const res = await ctx.api.request("GET", `/versions/${encodeURIComponent(n)}${format === "yaml" ? "?format=yaml" : ""}`);
    expectStatus(res, `versions show ${n}`);
    return ok(format === "yaml" ? res.text : serialise(res.json(), "json"));
  },
  async diff(ctx: TContext, a: string, b: string): Promise<TResult> {
    const res = await ctx.api.request("GET", `/versions/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`);
    expectStatus(res, `versions diff ${a} ${b}`);
    const body = res.json() as { diff: TConfigDiff; summary: string };
    if (ctx.format === "json" || ctx.format === "yaml") return ok(serialise(body, ctx.format));
    return ok(`${body.summary}\n`);
  },
  async rollback(ctx: TContext, n: string): Promise<TResult> {
    const res = await ctx.api.request("POST", `/versions/${encodeURIComponent(n)}/rollback`);
    expectStatus(res, `versions rollback ${n}`, [201]);
    const v = res.json() as { version: number; hash: string };
    return ok(`rolled back to version ${n}: published as version ${v.version} (hash ${v.hash.slice(0, 12)})\n`);
  },
};

type TNode = { id: string; group: string; connected: boolean; appliedVersion: number | null; targetVersion?: number | null; drifting?: boolean; lastError: string | null; lastSeen: string | null };

export const nodeCommands = {
  async list(ctx: TContext): Promise<TResult> {
    const res = await ctx.api.request("GET", "/nodes");
    expectStatus(res, "nodes list");
    const nodes = res.json() as TNode[];
    if (ctx.format === "json" || ctx.format === "yaml") return ok(serialise(nodes, ctx.format));
    return ok(
      table(
        ["ID", "GROUP", "CONNECTED", "APPLIED", "TARGET", "LAST SEEN", "LAST ERROR"],
        nodes.map((n) => [n.id, n.group, n.connected ? "yes" : "no", n.appliedVersion, `${n.targetVersion ?? "-"}${n.drifting ? " (drifting)" : ""}`, n.lastSeen, n.lastError]),
      ),
    );
  },
};

type TRollout = {
  id: number;
  group: string;
  state: string;
  version: number;
  previousVersion: number | null;
  startedAt: string;
  reason: string | null;
  steps?: number[] | null;
  stepIndex?: number;
  pausedAt?: string | null;
};

/** "10,50,100" (or "10 50 100") -> [10, 50, 100]; the console checks the rest (increasing, ends at 100). */
function parseSteps(text: string): number[] {
  const steps = text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (!steps.length || steps.some((n) => !Number.isInteger(n))) throw new CliFailure(`--steps must be whole percentages like 10,50,100, got "${text}"`, 64);
  return steps;
}

/** "300000", "30s", "5m", "1h" -> milliseconds. */
function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliFailure(`${flag} must be a duration like 300000 (ms), 30s, 5m or 1h, got "${text}"`, 64);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? "ms") as "ms" | "s" | "m" | "h"];
}

function stepOf(r: TRollout): string {
  if (!r.steps) return "-";
  if (r.state !== "canary") return r.steps.join(",");
  return `${(r.stepIndex ?? 0) + 1}/${r.steps.length} (${r.steps[r.stepIndex ?? 0]}%)${r.pausedAt ? " paused" : ""}`;
}

export const rolloutCommands = {
  async list(ctx: TContext): Promise<TResult> {
    const res = await ctx.api.request("GET", "/rollouts");
    expectStatus(res, "rollouts list");
    const rollouts = res.json() as TRollout[];
    if (ctx.format === "json" || ctx.format === "yaml") return ok(serialise(rollouts, ctx.format));
    return ok(
      table(
        ["ID", "GROUP", "STATE", "STEP", "VERSION", "FROM", "STARTED", "REASON"],
        rollouts.map((r) => [r.id, r.group, r.state, stepOf(r), r.version, r.previousVersion, r.startedAt, r.reason]),
      ),
    );
  },
  async promote(ctx: TContext, id: string, all = false): Promise<TResult> {
    const res = await ctx.api.request("POST", `/rollouts/${encodeURIComponent(id)}/promote`, { body: JSON.stringify(all ? { to: "all" } : {}), contentType: "application/json" });
    expectStatus(res, `rollouts promote ${id}`);
    const r = res.json() as TRollout;
    if (r.state === "promoted") return ok(`rollout ${id} promoted: its version goes to every node\n`);
    return ok(`rollout ${id} at step ${(r.stepIndex ?? 0) + 1} of ${r.steps?.length ?? 1}: ${r.steps?.[r.stepIndex ?? 0] ?? 100}% of group ${r.group}\n`);
  },
  async pause(ctx: TContext, id: string, paused: boolean): Promise<TResult> {
    const res = await ctx.api.request("POST", `/rollouts/${encodeURIComponent(id)}/${paused ? "pause" : "resume"}`);
    expectStatus(res, `rollouts ${paused ? "pause" : "resume"} ${id}`);
    return ok(paused ? `rollout ${id} paused: no step is promoted by itself (the SLO guard still rolls back)\n` : `rollout ${id} resumed: the current step bakes again from now\n`);
  },
  async rollback(ctx: TContext, id: string): Promise<TResult> {
    const res = await ctx.api.request("POST", `/rollouts/${encodeURIComponent(id)}/rollback`, { body: "{}", contentType: "application/json" });
    expectStatus(res, `rollouts rollback ${id}`);
    return ok(`rollout ${id} rolled back: its group returns to the previous version\n`);
  },
};
