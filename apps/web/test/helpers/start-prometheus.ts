/**
 * Starts a REAL Prometheus server (Debian's `prometheus` package, /usr/bin/prometheus; CI
 * installs it in .ci/run) on a free 127.0.0.1 port with a generated config and a fresh
 * storage directory, scraping every `scrapeIntervalS` what the console's HTTP service
 * discovery lists (GET /api/v1/prometheus/targets, with the API token), as the README's
 * prometheus.yml does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./start-console.ts";

export const PROMETHEUS_BIN = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].find((p) => existsSync(p)) ?? "prometheus";

export type TPrometheusHandle = {
  url: string;
  child: ChildProcess;
  output(): string;
  /** An instant PromQL query, straight to Prometheus (what the test compares the console with). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
};

export async function startPrometheus(opts: { consoleUrl: string; apiToken: string; scrapeIntervalS?: number }): Promise<TPrometheusHandle> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-prometheus-"));
  const port = await freePort();
  const every = `${opts.scrapeIntervalS ?? 1}s`;
  const config = [
    "global:",
    `  scrape_interval: ${every}`,
    `  scrape_timeout: ${every}`,
    `  evaluation_interval: ${every}`,
    "scrape_configs:",
    "  - job_name: switchyard-proxies",
    "    http_sd_configs:",
    `      - url: ${JSON.stringify(`${opts.consoleUrl}/api/v1/prometheus/targets`)}`,
    `        refresh_interval: ${every}`,
    // `type` spelled out: Prometheus 2.42's http_sd sends the bare credentials without it.
    "        authorization:",
    "          type: Bearer",
    `          credentials: ${JSON.stringify(opts.apiToken)}`,
    "",
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config);
  const child = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  for (const s of [child.stdout, child.stderr]) s?.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited (${child.exitCode}) before it was ready:\n${output.slice(-3000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 60 s:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const query = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success") throw new Error(`PromQL ${expr}: ${body.error}`);
    return body.data.result;
  };
  return { url, child, output: () => output, query, stop };
}
