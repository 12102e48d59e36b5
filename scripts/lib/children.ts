import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type Child = {
  name: string;
  exited: Promise<number | null>;
  /** The last lines it printed (stdout and stderr), for the reason of a failure. */
  lastLines(): string[];
  stop(): Promise<void>;
};

const COLOURS = [33, 35, 32, 34, 31, 36];
/** Colours only for a terminal, and never with NO_COLOR (https://no-color.org). */
const useColour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** `[name] ` in the given ANSI colour (plain when output is not a terminal). */
export function tag(name: string, colour: number): string {
  return useColour ? `\x1b[${colour}m[${name}]\x1b[0m ` : `[${name}] `;
}
const KEPT_LINES = 20;
let next = 0;

/**
 * Runs a child process with its output prefixed by its name, so several services can
 * share one terminal. `onExit` fires only for an exit we did not ask for; `onLine` sees
 * every line it prints.
 */
export function startChild(opts: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string | undefined>;
  onExit?: (code: number | null) => void;
  onLine?: (line: string) => void;
}): Child {
  const prefix = tag(opts.name, COLOURS[next++ % COLOURS.length] as number);
  const env = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const kept: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      process.stdout.write(prefix + line + "\n");
      kept.push(line);
      if (kept.length > KEPT_LINES) kept.shift();
      opts.onLine?.(line);
    });
  }
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => {
      if (!stopping && opts.onExit) {
        process.stdout.write(`${prefix}exited with ${code !== null ? `code ${code}` : `signal ${signal}`}\n`);
        opts.onExit(code);
      }
      resolve(code);
    });
    child.on("error", (err) => {
      process.stdout.write(`${prefix}failed to start: ${err.message}\n`);
      kept.push(`failed to start: ${err.message}`);
      if (!stopping && opts.onExit) opts.onExit(1);
      resolve(1);
    });
  });
  return {
    name: opts.name,
    exited,
    lastLines: () => [...kept],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
