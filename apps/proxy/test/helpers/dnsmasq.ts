import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "./free-port-udp.ts";

/**
 * A REAL DNS server for discovery tests: Debian's dnsmasq on 127.0.0.1:<free port>,
 * answering only from a hosts file we write (no upstream resolvers, no /etc/hosts).
 * `setRecords` rewrites the file and sends SIGHUP, which makes dnsmasq clear its cache
 * and re-read it, so records change mid-test. Answers carry `ttl` (--local-ttl).
 * Install: `apt-get install -y dnsmasq` (.ci/run does it); tests skip visibly without it.
 */

export type TDnsRecords = Record<string, string[]>;

export type TDnsServer = {
  readonly address: string;
  setRecords(records: TDnsRecords): Promise<void>;
  stop(): Promise<void>;
};

export const DNSMASQ = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].find((p) => spawnSync(p, ["--version"]).status === 0) ?? null;

export async function startDnsmasq(records: TDnsRecords, ttlSeconds = 1): Promise<TDnsServer> {
  if (!DNSMASQ) throw new Error("dnsmasq is not installed (apt-get install -y dnsmasq)");
  const dir = await mkdtemp(join(tmpdir(), "switchyard-dns-"));
  const hosts = join(dir, "hosts");
  const write = async (r: TDnsRecords) => {
    const text = Object.entries(r)
      .flatMap(([name, addrs]) => addrs.map((a) => `${a} ${name}`))
      .join("\n");
    await writeFile(`${hosts}.tmp`, `${text}\n`);
    await rename(`${hosts}.tmp`, hosts);
  };
  await write(records);
  const port = await freeUdpPort();
  const child: ChildProcess = spawn(
    DNSMASQ,
    [
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${hosts}`,
      `--local-ttl=${ttlSeconds}`,
      `--port=${port}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      // Running as root in CI: keep root so it can read the private temp dir.
      "--user=root",
      "--pid-file=",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Ready when it answers a query for a name in the file.
  const { Resolver } = await import("node:dns/promises");
  const r = new Resolver({ timeout: 200, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      await r.resolve4(Object.keys(records)[0] ?? "localhost");
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq did not start: ${stderr}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  return {
    address: `127.0.0.1:${port}`,
    async setRecords(next) {
      await write(next);
      child.kill("SIGHUP");
      // dnsmasq handles the signal asynchronously; give it a moment.
      await new Promise((res) => setTimeout(res, 100));
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
