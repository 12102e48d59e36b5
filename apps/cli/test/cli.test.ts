import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxy, type TProxyProcess } from "../../proxy/test/helpers/start-proxy.ts";
import { freePort, startConsole, type TConsoleHandle } from "../../web/test/helpers/start-console.ts";

/**
 * The `switchyard` CLI as a CI pipeline runs it: the real bin as a child process against
 * a real console (and a real proxy node), checking output and exit status of every
 * command of DESIGN.md §4 "Console CLI".
 */
const BIN = fileURLToPath(new URL("../bin/switchyard.js", import.meta.url));

let consoleApp: TConsoleHandle;
let proxy: TProxyProcess;
let dir: string;
let listenerPort: number;

type TCli = { code: number | null; stdout: string; stderr: string };

function cli(args: string[], opts: { token?: string; stdin?: string } = {}): Promise<TCli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, SWITCHYARD_URL: consoleApp.url, SWITCHYARD_TOKEN: opts.token ?? consoleApp.apiToken },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

function configYaml(opts: { body: string; extraRoute?: boolean }): string {
  return `listeners:
  - { name: public, address: 127.0.0.1, port: ${listenerPort}, protocol: http, routeConfig: main }
routeConfigs:
  - name: main
    virtualHosts:
      - name: all
        domains: ["*"]
        routes:
          - { name: hello, match: { path: /hello }, directResponse: { status: 200, body: "${opts.body}" } }
${opts.extraRoute ? '          - { name: bye, match: { path: /bye }, directResponse: { status: 200, body: "bye" } }\n' : ""}`;
}

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
  listenerPort = await freePort();
  consoleApp = await startConsole();
  proxy = await startProxy({ args: ["--control-plane", `${consoleApp.url.replace("http", "ws")}/api/xds`, "--node-id", "cli-node-1", "--workers", "1"], waitReady: false });
}, 300_000);

afterAll(async () => {
  await proxy?.stop();
  await consoleApp?.stop();
  await rm(dir, { recursive: true, force: true });
});

// Every CLI call is a process of its own (a few seconds each on a loaded machine).
describe("switchyard CLI against a real console", { timeout: 240_000 }, () => {
  it("config validate: exit 0 for a valid file, 1 with every error's path for an invalid one", async () => {
    const good = await file("good.yaml", configYaml({ body: "v1" }));
    expect(await cli(["config", "validate", "-f", good])).toMatchObject({ code: 0, stdout: `${good}: valid\n` });
    const bad = await file("bad.yaml", configYaml({ body: "v1" }).replace("routeConfig: main", "routeConfig: nope").replace(`port: ${listenerPort}`, "port: 70000"));
    const r = await cli(["config", "validate", "-f", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid/);
    expect(r.stderr).toMatch(/listeners\[0\]\.\S+ \(line 2\): /);
    // From standard input, JSON.
    const json = await cli(["config", "validate", "-f", "-"], { stdin: JSON.stringify({ clusters: [{ name: "c", endpoints: [{ address: "127.0.0.1", port: 1 }] }] }) });
    expect(json).toMatchObject({ code: 0, stdout: "(stdin): valid\n" });
  });

  it("config diff, apply --publish, get, then a node serves it; diff is 0 once live", async () => {
    const v1 = await file("v1.yaml", configYaml({ body: "v1" }));
    const before = await cli(["config", "diff", "-f", v1]);
    expect(before.code, before.stderr).toBe(2);
    expect(before.stdout).toContain("+ listeners/public");
    expect(before.stdout).toContain("+ routeConfigs/main");

    const applied = await cli(["config", "apply", "-f", v1, "--publish", "-m", "first from CI"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/working config replaced: revision \d+/);
    expect(applied.stdout).toMatch(/published version (\d+) .* to every node/);
    const version = Number(/published version (\d+)/.exec(applied.stdout)![1]);

    expect(await cli(["config", "diff", "-f", v1])).toMatchObject({ code: 0, stdout: `no changes against live version ${version}\n` });

    const got = await cli(["config", "get"]);
    expect(got.code).toBe(0);
    expect(got.stdout.split("\n")[0]).toBe(`# yaml-language-server: $schema=${consoleApp.url.replace("127.0.0.1", "127.0.0.1")}/api/v1/schema/config-v1.json`);
    expect(got.stdout).toContain("name: hello");
    expect(got.stderr).toMatch(/working config revision \d+/);
    expect(JSON.parse((await cli(["config", "get", "-o", "json"])).stdout).listeners[0].port).toBe(listenerPort);

    await proxy.waitForEvent((e) => e.event === "config_applied" && e.version === version, 30_000);
    expect(await (await fetch(`http://127.0.0.1:${listenerPort}/hello`)).text()).toBe("v1");

    const nodes = await cli(["nodes", "list"]);
    expect(nodes.code).toBe(0);
    expect(nodes.stdout.split("\n")[0]).toMatch(/^ID\s+GROUP\s+CONNECTED\s+APPLIED/);
    expect(nodes.stdout).toMatch(new RegExp(`cli-node-1\\s+default\\s+yes\\s+${version}\\b`));
    const asJson = JSON.parse((await cli(["nodes", "list", "-o", "json"])).stdout) as { id: string; appliedVersion: number }[];
    expect(asJson.find((n) => n.id === "cli-node-1")?.appliedVersion).toBe(version);
  });

  it("config apply refuses a stale revision: exit 1 with what changed meanwhile, nothing replaced", async () => {
    const seen = await cli(["config", "get"]);
    const revision = /revision (\d+)/.exec(seen.stderr)![1]!;
    // Someone else applies first.
    expect((await cli(["config", "apply", "-f", await file("other.yaml", configYaml({ body: "v1", extraRoute: true }))])).code).toBe(0);
    const stale = await cli(["config", "apply", "-f", await file("mine.yaml", configYaml({ body: "mine" })), "--if-match", revision]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/conflict: the working config changed since revision \d+.*nothing changed/);
    expect(stale.stderr).toMatch(/revision \d+ by api-token at \S+: (.*; )?\+ routes\/main\/all\/bye(;|\n)/);
    expect((await cli(["config", "get"])).stdout).not.toContain("mine");
  });

  it("versions list|show|diff|rollback", async () => {
    const v2 = await cli(["config", "apply", "-f", await file("v2.yaml", configYaml({ body: "v2" })), "--publish", "-m", "second"]);
    expect(v2.code, v2.stderr).toBe(0);
    const list = await cli(["versions", "list"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^VERSION\s+CREATED\s+AUTHOR\s+HASH\s+MESSAGE/);
    expect(list.stdout).toContain("second");
    const versions = JSON.parse((await cli(["versions", "list", "-o", "json"])).stdout) as { version: number; message: string }[];
    const [latest, first] = [versions[0]!.version, versions.find((v) => v.message === "first from CI")!.version];
    const shown = await cli(["versions", "show", String(first)]);
    expect(shown.stdout).toMatch(/^# yaml-language-server: \$schema=/);
    expect(shown.stdout).toContain('body: v1');
    const diff = await cli(["versions", "diff", String(first), String(latest)]);
    expect(diff).toMatchObject({ code: 0 });
    expect(diff.stdout).toContain("~ routeConfigs/main");
    const rolled = await cli(["versions", "rollback", String(first)]);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(new RegExp(`rolled back to version ${first}: published as version ${latest + 1}`));
    expect((await cli(["versions", "show", "99999"])).code).toBe(1);
  });

  it("a canary publish, rollouts list and promote; promoting it twice fails", async () => {
    const canary = await cli(["config", "apply", "-f", await file("v3.yaml", configYaml({ body: "v3" })), "--publish", "-m", "canary", "--group", "canary"]);
    expect(canary.code, canary.stderr).toBe(0);
    const id = /rollout (\d+)/.exec(canary.stdout)![1]!;
    const list = await cli(["rollouts", "list"]);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+canary\\s+canary\\b`, "m"));
    expect(await cli(["rollouts", "promote", id])).toMatchObject({ code: 0, stdout: `rollout ${id} promoted: its version goes to every node\n` });
    const again = await cli(["rollouts", "promote", id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/rollouts promote \d+: 409/);
  });

  it("a stepped rollout: apply --steps --bake, list shows the step, pause / resume, promote step by step to every node", async () => {
    const started = await cli(["config", "apply", "-f", await file("v4.yaml", configYaml({ body: "v4" })), "--publish", "-m", "steps", "--group", "default", "--steps", "50,100", "--bake", "1h"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/in steps of 50,100%: rollout \d+/);
    const id = /rollout (\d+)/.exec(started.stdout)![1]!;
    expect((await cli(["rollouts", "list"])).stdout).toMatch(new RegExp(`^${id}\\s+default\\s+canary\\s+1/2 \\(50%\\)`, "m"));
    expect(await cli(["rollouts", "pause", id])).toMatchObject({ code: 0, stdout: `rollout ${id} paused: no step is promoted by itself (the SLO guard still rolls back)\n` });
    expect((await cli(["rollouts", "list"])).stdout).toMatch(new RegExp(`^${id}\\s+default\\s+canary\\s+1/2 \\(50%\\) paused`, "m"));
    expect((await cli(["rollouts", "resume", id])).code).toBe(0);
    expect(await cli(["rollouts", "promote", id])).toMatchObject({ code: 0, stdout: `rollout ${id} at step 2 of 2: 100% of group default\n` });
    expect(await cli(["rollouts", "promote", id])).toMatchObject({ code: 0, stdout: `rollout ${id} promoted: its version goes to every node\n` });
    expect((await cli(["config", "apply", "-f", await file("v5.yaml", configYaml({ body: "v5" })), "--publish", "-m", "x", "--steps", "50,100"])).code).toBe(64);
  });

  it("exit statuses CI can tell apart: a bad token (1), a console that is not there (1), misuse (64)", async () => {
    const refused = await cli(["nodes", "list"], { token: "swy_wrong" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the console refused the token (401");
    const gone = await cli(["--url", `http://127.0.0.1:${await freePort()}`, "nodes", "list"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/cannot reach the console at .*ECONNREFUSED/);
    expect((await cli(["config", "publish"])).code).toBe(64);
    expect((await cli(["config", "apply", "-f", "x.yaml", "-m", "no publish"])).code).toBe(64);
    expect((await cli(["nodes", "list", "-o", "xml"])).code).toBe(64);
    expect((await cli(["config", "validate"])).stderr).toContain("-f FILE is required");
  });
});
