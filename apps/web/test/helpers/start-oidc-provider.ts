import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../proxy/test/helpers/free-port.ts";

export type TOidcAccount = { email?: string; groups?: string[] };
export type TOidcProvider = {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /** Replaces the accounts (their e-mail and groups) for the next sign-ins. */
  setAccounts(accounts: Record<string, TOidcAccount>): void;
  output(): string;
  stop(): Promise<void>;
};

/** Starts the test OpenID provider (oidc-provider-process.ts) as a child process on a free 127.0.0.1 port. */
export async function startOidcProvider(opts: { redirectUri: string; accounts: Record<string, TOidcAccount> }): Promise<TOidcProvider> {
  const port = await freePort();
  const clientId = "switchyard-console";
  const clientSecret = `test-secret-${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(join(tmpdir(), "swy-oidc-"));
  const accountsFile = join(dir, "accounts.json");
  const setAccounts = (accounts: Record<string, TOidcAccount>) => writeFileSync(accountsFile, JSON.stringify(accounts));
  setAccounts(opts.accounts);
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "oidc-provider-process.ts")], {
    env: { ...process.env, NODE_ENV: "test", OIDC_TEST_CONFIG: JSON.stringify({ port, clientId, clientSecret, redirectUri: opts.redirectUri, accountsFile }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const issuer = `http://127.0.0.1:${port}`;
  const stop = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start within 60 s:\n${output}`)), 60_000);
    for (const s of [child.stdout, child.stderr]) {
      s.on("data", (d: Buffer) => {
        output += d.toString();
        if (output.includes(`ready ${issuer}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the OIDC provider exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { issuer, port, clientId, clientSecret, setAccounts, output: () => output, stop };
}
