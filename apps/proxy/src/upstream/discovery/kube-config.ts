import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { parseConfigText } from "@switchyard/config-model";

/**
 * How the proxy reaches the Kubernetes API server: a kubeconfig file (--kubeconfig /
 * KUBECONFIG; its current-context), or the in-cluster service account
 * (KUBERNETES_SERVICE_HOST/PORT + /var/run/secrets/kubernetes.io/serviceaccount).
 * Supported credentials: bearer token (inline or tokenFile, re-read per request since
 * bound tokens rotate) and client certificates; exec/auth-provider plugins are not.
 */

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export type TKubeAccessSpec =
  | { kind: "kubeconfig"; path: string }
  | { kind: "inCluster"; host: string; port: string; dir: string };

export type TKubeAccess = {
  /** API server base URL, e.g. https://10.0.0.1:443 */
  server: string;
  /** Current bearer token (re-read from its file each call), or null. */
  token(): Promise<string | null>;
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  /** Where the settings came from, for logs. */
  origin: string;
};

const ZKubeconfig = z.object({
  "current-context": z.string().optional(),
  contexts: z.array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string().optional() }).loose() })).default([]),
  clusters: z
    .array(
      z.object({
        name: z.string(),
        cluster: z
          .object({
            server: z.string(),
            "certificate-authority": z.string().optional(),
            "certificate-authority-data": z.string().optional(),
            "insecure-skip-tls-verify": z.boolean().optional(),
          })
          .loose(),
      }),
    )
    .default([]),
  users: z
    .array(
      z.object({
        name: z.string(),
        user: z
          .object({
            token: z.string().optional(),
            tokenFile: z.string().optional(),
            "client-certificate": z.string().optional(),
            "client-certificate-data": z.string().optional(),
            "client-key": z.string().optional(),
            "client-key-data": z.string().optional(),
            exec: z.unknown().optional(),
            "auth-provider": z.unknown().optional(),
          })
          .loose(),
      }),
    )
    .default([]),
});

export async function loadKubeAccess(spec: TKubeAccessSpec): Promise<TKubeAccess> {
  if (spec.kind === "inCluster") {
    const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
    const tokenPath = `${spec.dir}/token`;
    return {
      server: `https://${host}:${spec.port}`,
      token: () => readFile(tokenPath, "utf8").then((t) => t.trim()),
      tls: { ca: await readFile(`${spec.dir}/ca.crt`, "utf8"), rejectUnauthorized: true },
      origin: `in-cluster service account (${spec.dir})`,
    };
  }
  const text = await readFile(spec.path, "utf8");
  // The same bounded reader as config documents (size and nesting checked before parsing).
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(`${spec.path}: ${parsed.issues.map((i) => i.message).join("; ")}`);
  const doc = ZKubeconfig.parse(parsed.value);
  const rel = (p: string) => resolve(dirname(spec.path), p);
  const ctxName = doc["current-context"];
  const ctx = doc.contexts.find((c) => c.name === ctxName) ?? doc.contexts[0];
  if (!ctx) throw new Error(`${spec.path}: no context`);
  const cluster = doc.clusters.find((c) => c.name === ctx.context.cluster)?.cluster;
  if (!cluster) throw new Error(`${spec.path}: context "${ctx.name}" names unknown cluster "${ctx.context.cluster}"`);
  const user = doc.users.find((u) => u.name === ctx.context.user)?.user ?? {};
  if (user.exec || user["auth-provider"]) throw new Error(`${spec.path}: user "${ctx.context.user}": exec / auth-provider credentials are not supported; use a token or client certificate`);
  const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
  const ca = cluster["certificate-authority-data"] ? b64(cluster["certificate-authority-data"]) : cluster["certificate-authority"] ? await readFile(rel(cluster["certificate-authority"]), "utf8") : undefined;
  const cert = user["client-certificate-data"] ? b64(user["client-certificate-data"]) : user["client-certificate"] ? await readFile(rel(user["client-certificate"]), "utf8") : undefined;
  const key = user["client-key-data"] ? b64(user["client-key-data"]) : user["client-key"] ? await readFile(rel(user["client-key"]), "utf8") : undefined;
  const tokenFile = user.tokenFile ? rel(user.tokenFile) : null;
  const inline = user.token ?? null;
  return {
    server: cluster.server.replace(/\/+$/, ""),
    token: async () => (tokenFile ? (await readFile(tokenFile, "utf8")).trim() : inline),
    tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true },
    origin: `kubeconfig ${spec.path} (context ${ctx.name})`,
  };
}
