import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseCliOptions } from "../../apps/proxy/src/cli/options.ts";
import { validate, type TSchema } from "./json-schema.ts";

/**
 * deploy/kubernetes: every document is checked against the committed Kubernetes schema
 * subset (deploy/kubernetes/schema, strict: unknown fields are errors), then against each
 * other (selectors, references, probes, RBAC) and against the proxy's real CLI parser.
 */

const DIR = join(import.meta.dirname, "../../deploy/kubernetes");
const schema = JSON.parse(readFileSync(join(DIR, "schema/kubernetes-subset.schema.json"), "utf8")) as TSchema;
const kinds = schema["x-kinds"] as Record<string, TSchema>;

type TDoc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
const docs: (TDoc & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => {
    expect(d.errors, file).toEqual([]);
    return { ...(d.toJS() as TDoc), file };
  }),
);

function check(doc: unknown): string[] {
  // `file` is ours (where the document came from), not part of the manifest.
  const { file: _file, ...d } = doc as TDoc & { file?: string };
  const s = kinds[`${d.apiVersion}/${d.kind}`];
  if (!s) return [`no schema for ${d.apiVersion} ${d.kind}`];
  return validate(schema, s, d).map((e) => `${e.path}: ${e.message}`);
}

const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
type TDeployment = TDoc & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName?: string; containers: TContainer[] } } } };
type TContainer = { name: string; args?: string[]; env?: { name: string; value?: string }[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[]; ports?: { name?: string; containerPort: number }[]; readinessProbe?: { httpGet?: { path: string; port: string | number } } };

describe("deploy/kubernetes manifests", () => {
  it("has every kind the deployment needs", () => {
    const present = new Set(docs.map((d) => d.kind));
    for (const k of ["Namespace", "Secret", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]) expect(present, k).toContain(k);
  });

  it.each(docs.map((d) => [`${d.file}: ${d.kind} ${d.metadata?.name}`, d] as const))("%s validates against the Kubernetes schema", (_label, doc) => {
    expect(check(doc)).toEqual([]);
  });

  it("the schema check is strict: a typo, a wrong type, a missing field and a bad enum are each refused", () => {
    const proxy = structuredClone(find("Deployment", "switchyard-proxy")) as unknown as TDeployment;
    expect(check({ ...proxy, spec: { ...proxy.spec, replica: 3 } })).toContainEqual("spec.replica: unknown field");
    expect(check({ ...proxy, spec: { ...proxy.spec, replicas: "3" } })).toContainEqual("spec.replicas: expected integer, got string");
    const noImage = structuredClone(proxy);
    (noImage.spec.template.spec.containers[0] as unknown as Record<string, unknown>).imagePullPolicy = "Sometimes";
    expect(check(noImage).join("\n")).toMatch(/imagePullPolicy: must be one of/);
    const hpa = structuredClone(find("HorizontalPodAutoscaler", "switchyard-proxy")) as unknown as TDoc & { spec: Record<string, unknown> };
    delete hpa.spec.maxReplicas;
    expect(check(hpa)).toContainEqual('spec: missing required field "maxReplicas"');
  });

  it("every Deployment's selector matches its pods, and a Service selects each Deployment's pods", () => {
    for (const d of docs.filter((x) => x.kind === "Deployment") as unknown as TDeployment[]) {
      const podLabels = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(podLabels[k], `${d.metadata.name} ${k}`).toBe(v);
      const svc = docs.find((s) => s.kind === "Service" && Object.entries((s as unknown as TDoc & { spec: { selector: Record<string, string> } }).spec.selector).every(([k, v]) => podLabels[k] === v));
      expect(svc, `Service for ${d.metadata.name}`).toBeDefined();
    }
  });

  it("envFrom references exist; the console runs several replicas", () => {
    for (const d of docs.filter((x) => x.kind === "Deployment") as unknown as TDeployment[]) {
      for (const c of d.spec.template.spec.containers) {
        for (const e of c.envFrom ?? []) {
          if (e.configMapRef) expect(find("ConfigMap", e.configMapRef.name), e.configMapRef.name).toBeDefined();
          if (e.secretRef) expect(find("Secret", e.secretRef.name), e.secretRef.name).toBeDefined();
        }
      }
    }
    expect((find("Deployment", "switchyard-console") as unknown as TDeployment & { spec: { replicas: number } }).spec.replicas).toBeGreaterThanOrEqual(2);
    const secret = find("Secret", "switchyard-console") as unknown as TDoc & { stringData: Record<string, string> };
    for (const k of ["DATABASE_URL", "SWITCHYARD_SECRET_KEY", "SWITCHYARD_API_TOKEN", "SWITCHYARD_NODE_TOKEN"]) expect(secret.stringData[k], k).toBeTruthy();
  });

  it("the proxy: readiness from /ready on the admin port, an HPA on its Deployment, EndpointSlice watch rights, and args the real CLI accepts", () => {
    const proxy = find("Deployment", "switchyard-proxy") as unknown as TDeployment;
    const c = proxy.spec.template.spec.containers[0] as TContainer;
    expect(c.readinessProbe?.httpGet?.path).toBe("/ready");
    const adminPort = c.ports?.find((p) => p.name === c.readinessProbe?.httpGet?.port);
    expect(adminPort?.containerPort).toBe(9901);

    const hpa = find("HorizontalPodAutoscaler", "switchyard-proxy") as unknown as TDoc & { spec: { scaleTargetRef: { kind: string; name: string } } };
    expect(find(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name)).toBe(proxy);

    const sa = proxy.spec.template.spec.serviceAccountName as string;
    expect(find("ServiceAccount", sa)).toBeDefined();
    const binding = docs.find((d) => d.kind === "ClusterRoleBinding" && (d as unknown as TDoc & { subjects: { name: string }[] }).subjects.some((s) => s.name === sa)) as unknown as TDoc & { roleRef: { name: string } };
    const role = find("ClusterRole", binding.roleRef.name) as unknown as TDoc & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const slices = role.rules.find((r) => r.apiGroups.includes("discovery.k8s.io") && r.resources.includes("endpointslices"));
    expect(slices?.verbs).toEqual(expect.arrayContaining(["list", "watch"]));

    // Kubernetes expands $(VAR) from the container's env; the ConfigMap and Secret supply the rest.
    const env: Record<string, string> = { POD_NAME: "switchyard-proxy-abc12", NODE_NAME: "node-1" };
    for (const e of c.envFrom ?? []) {
      const src = e.configMapRef ? (find("ConfigMap", e.configMapRef.name) as unknown as TDoc & { data: Record<string, string> }).data : (find("Secret", e.secretRef?.name as string) as unknown as TDoc & { stringData: Record<string, string> }).stringData;
      Object.assign(env, src);
    }
    const args = (c.args ?? []).map((a) => a.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? ""));
    const parsed = parseCliOptions(args, env);
    expect(parsed).toMatchObject({ kind: "run", options: { mode: "managed", nodeId: "switchyard-proxy-abc12", workers: 2, admin: { host: "0.0.0.0", port: 9901 }, token: "swy_node_k8s_demo_change_me" } });
  });
});
