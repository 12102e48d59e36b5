import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type Child = { name: string; exited: Promise<number | null>; stop(): Promise<void> };

const COLOURS = [33, 35, 32, 34, 31, 36];
let next = 0;

/**
 * Runs a child process with its output prefixed by its name, so several services can
 * share one terminal. `onExit` fires only for an exit we did not ask for.
 */
export function startChild(opts: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  onExit?: (code: number | null) => void;
}): Child {
  const colour = COLOURS[next++ % COLOURS.length];
  const prefix = `\x1b[${colour}m[${opts.name}]\x1b[0m `;
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => process.stdout.write(prefix + line + "\n"));
  }
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      if (!stopping && opts.onExit) {
        process.stdout.write(`${prefix}exited with code ${code}\n`);
        opts.onExit(code);
      }
      resolve(code);
    });
    child.on("error", (err) => {
      process.stdout.write(`${prefix}failed to start: ${err.message}\n`);
      resolve(1);
    });
  });
  return {
    name: opts.name,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
