import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { parseCliOptions } from "../../apps/proxy/src/cli/options.ts";

/**
 * deploy/kubernetes: a Kustomize base and two overlays (cluster-wide and namespaced
 * discovery rights). Each overlay is rendered — by the small renderer below, which knows
 * exactly the Kustomize features used here and refuses any other, and, where kubectl is
 * installed, also by `kubectl kustomize`, which must agree — and every document is
 * validated with kubernetes-models (the real Kubernetes OpenAPI schemas), then checked
 * against the others (selectors, references, probes, RBAC, security context) and the
 * proxy's real CLI parser.
 */
const DIR = resolve(import.meta.dirname, "../../deploy/kubernetes");
const OVERLAYS = ["cluster-wide", "namespaced"] as const;
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

type TDoc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

function render(dir: string): TDoc[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Record<string, unknown>;
  const unknown = Object.keys(k).filter((key) => !["apiVersion", "kind", "namespace", "resources"].includes(key));
  if (unknown.length) throw new Error(`${dir}/kustomization.yaml uses ${unknown.join(", ")}: teach this renderer, or kubectl kustomize alone will be trusted`);
  const docs = (k.resources as string[]).flatMap((r) => {
    const p = join(dir, r);
    if (statSync(p).isDirectory()) return render(p);
    return parseAllDocuments(readFileSync(p, "utf8")).map((d) => {
      expect(d.errors, p).toEqual([]);
      return d.toJS() as TDoc;
    });
  });
  if (typeof k.namespace === "string") for (const d of docs) if (!CLUSTER_SCOPED.has(d.kind)) d.metadata.namespace = k.namespace;
  return docs;
}

const key = (d: TDoc) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(join(DIR, "overlays", o))])) as Record<(typeof OVERLAYS)[number], TDoc[]>;
const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

/** kubernetes-models' class for the document's apiVersion and kind (core v1 lives at "v1"). */
async function modelOf(d: TDoc): Promise<new (data: unknown) => { validate(): void }> {
  const mod = (await import(`kubernetes-models/${d.apiVersion}/${d.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = mod[d.kind];
  if (!model) throw new Error(`kubernetes-models has no ${d.apiVersion} ${d.kind}`);
  return model;
}

async function schemaErrors(d: TDoc): Promise<string | null> {
  const Model = await modelOf(d);
  try {
    new Model(d).validate();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Fields the Kubernetes schemas do not know. kubernetes-models' validators accept extra
 * keys (the API server would drop or refuse them: a typo such as `imagePullPolcy` silently
 * does nothing), so each document is also type-checked, as an object literal, against the
 * package's TypeScript interface for its kind: TypeScript's excess-property check names
 * every unknown field at any depth.
 */
function unknownFields(docs: TDoc[]): string[] {
  const file = join(DIR, "__manifests-under-check.ts");
  const source = docs
    .map((d, i) => `import type { I${d.kind} as T${i} } from "kubernetes-models/${d.apiVersion}/${d.kind}";\nexport const d${i}: T${i} = ${JSON.stringify(d)};`)
    .join("\n");
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = ((exists) => (f: string) => f === file || exists(f))(host.fileExists.bind(host));
  host.readFile = (f) => (f === file ? source : readFile(f));
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const at = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start) : null;
    const doc = at ? docs[Math.floor(at.line / 2)] : undefined;
    return `${doc ? key(doc) : "?"}: ${ts.flattenDiagnosticMessageText(diag.messageText, " ")}`;
  });
}

describe.each(OVERLAYS)("deploy/kubernetes/overlays/%s", (overlay) => {
  const docs = rendered[overlay];
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
  type TContainer = { name: string; args?: string[]; envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[]; ports?: { name?: string; containerPort: number }[]; readinessProbe?: { httpGet?: { path: string; port: string | number } }; securityContext?: Record<string, unknown>; volumeMounts?: { name: string; mountPath: string }[] };
  type TDeployment = TDoc & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName?: string; securityContext?: Record<string, unknown>; containers: TContainer[]; volumes?: { name: string }[] } } } };
  const deployments = () => docs.filter((d) => d.kind === "Deployment") as unknown as TDeployment[];

  it.runIf(hasKubectl)("`kubectl kustomize` renders the same documents", () => {
    const out = execFileSync("kubectl", ["kustomize", join(DIR, "overlays", overlay)], { encoding: "utf8" });
    const theirs = parseAllDocuments(out).map((d) => d.toJS() as TDoc);
    expect(new Map(theirs.map((d) => [key(d), d]))).toEqual(new Map(docs.map((d) => [key(d), d])));
  });
  if (!hasKubectl) console.log("[deploy] kubectl not installed: the overlays are rendered by the test's own Kustomize subset only");

  it("every document validates against the Kubernetes schemas (kubernetes-models)", async () => {
    for (const d of docs) expect(await schemaErrors(d), key(d)).toBeNull();
  });

  it("no document carries a field the Kubernetes schemas do not know", () => {
    expect(unknownFields(docs)).toEqual([]);
  }, 60_000);

  it("has every kind the deployment needs, and the discovery rights of its overlay only", () => {
    const kinds = new Set(docs.map((d) => d.kind));
    for (const k of ["Namespace", "Secret", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "ServiceAccount", "PodDisruptionBudget"]) expect(kinds, k).toContain(k);
    if (overlay === "cluster-wide") {
      expect(kinds).toContain("ClusterRole");
      expect(kinds).not.toContain("Role");
    } else {
      expect(kinds).toContain("Role");
      expect(kinds).not.toContain("ClusterRole");
      expect(kinds).not.toContain("ClusterRoleBinding");
    }
    expect(docs.filter((d) => !CLUSTER_SCOPED.has(d.kind)).every((d) => d.metadata.namespace === "switchyard")).toBe(true);
  });

  it("every pod runs non-root with a read-only root filesystem and no capabilities; writable paths are volumes", () => {
    for (const d of deployments()) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext, d.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      for (const c of pod.containers) {
        expect(c.securityContext, `${d.metadata.name}/${c.name}`).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
        for (const m of c.volumeMounts ?? []) expect(volumes, m.name).toContain(m.name);
        expect((c.volumeMounts ?? []).map((m) => m.mountPath)).toContain("/tmp");
      }
    }
  });

  it("a PodDisruptionBudget covers every Deployment", () => {
    for (const d of deployments()) {
      const pdb = docs.find((p) => p.kind === "PodDisruptionBudget" && Object.entries((p as unknown as { spec: { selector: { matchLabels: Record<string, string> } } }).spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
      expect(pdb, `PDB for ${d.metadata.name}`).toBeDefined();
    }
  });

  it("selectors match their pods, a Service selects each Deployment, envFrom references exist, the console runs several replicas", () => {
    for (const d of deployments()) {
      const podLabels = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(podLabels[k], `${d.metadata.name} ${k}`).toBe(v);
      const svc = docs.find((s) => s.kind === "Service" && Object.entries((s as unknown as { spec: { selector: Record<string, string> } }).spec.selector).every(([k, v]) => podLabels[k] === v));
      expect(svc, `Service for ${d.metadata.name}`).toBeDefined();
      for (const c of d.spec.template.spec.containers) {
        for (const e of c.envFrom ?? []) {
          if (e.configMapRef) expect(find("ConfigMap", e.configMapRef.name), e.configMapRef.name).toBeDefined();
          if (e.secretRef) expect(find("Secret", e.secretRef.name), e.secretRef.name).toBeDefined();
        }
      }
    }
    expect((find("Deployment", "switchyard-console") as unknown as TDeployment).spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it("the proxy: readiness from /ready on the admin port, an HPA, EndpointSlice watch rights, and args the real CLI accepts", () => {
    const proxy = find("Deployment", "switchyard-proxy") as unknown as TDeployment;
    const c = proxy.spec.template.spec.containers[0]!;
    expect(c.readinessProbe?.httpGet?.path).toBe("/ready");
    expect(c.ports?.find((p) => p.name === c.readinessProbe?.httpGet?.port)?.containerPort).toBe(9901);
    const hpa = find("HorizontalPodAutoscaler", "switchyard-proxy") as unknown as { spec: { scaleTargetRef: { kind: string; name: string } } };
    expect(find(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name)).toBe(proxy as unknown as TDoc);

    const sa = proxy.spec.template.spec.serviceAccountName!;
    expect(find("ServiceAccount", sa)).toBeDefined();
    const [bindingKind, roleKind] = overlay === "cluster-wide" ? ["ClusterRoleBinding", "ClusterRole"] : ["RoleBinding", "Role"];
    const binding = docs.find((d) => d.kind === bindingKind && (d as unknown as { subjects: { name: string }[] }).subjects.some((s) => s.name === sa)) as unknown as { roleRef: { kind: string; name: string } };
    expect(binding.roleRef.kind).toBe(roleKind);
    const role = find(roleKind, binding.roleRef.name) as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    for (const [group, resource] of [["discovery.k8s.io", "endpointslices"], ["", "services"]] as const) {
      expect(role.rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(resource))?.verbs, resource).toEqual(expect.arrayContaining(["list", "watch"]));
    }

    // Kubernetes expands $(VAR) from the container's env; the ConfigMap and Secret supply the rest.
    const env: Record<string, string> = { POD_NAME: "switchyard-proxy-abc12", NODE_NAME: "node-1" };
    for (const e of c.envFrom ?? []) {
      const src = e.configMapRef ? (find("ConfigMap", e.configMapRef.name) as unknown as { data: Record<string, string> }).data : (find("Secret", e.secretRef!.name) as unknown as { stringData: Record<string, string> }).stringData;
      Object.assign(env, src);
    }
    const args = (c.args ?? []).map((a) => a.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? ""));
    expect(parseCliOptions(args, env)).toMatchObject({ kind: "run", options: { mode: "managed", nodeId: "switchyard-proxy-abc12", workers: 2, admin: { host: "0.0.0.0", port: 9901 } } });
  });
});

describe("the Kubernetes schemas are really applied", () => {
  it("a wrong type, a bad enum and a missing required field are each refused", async () => {
    const docs = rendered["cluster-wide"];
    const proxy = structuredClone(docs.find((d) => d.kind === "Deployment" && d.metadata.name === "switchyard-proxy")!) as TDoc & { spec: Record<string, unknown> & { template: { spec: { containers: Record<string, unknown>[] } } } };
    expect(await schemaErrors({ ...proxy, spec: { ...proxy.spec, replicas: "3" } })).toMatch(/replicas must be integer/);
    const badPolicy = structuredClone(proxy);
    badPolicy.spec.template.spec.containers[0]!.imagePullPolicy = "Sometimes";
    expect(await schemaErrors(badPolicy)).toMatch(/imagePullPolicy must be equal to one of the allowed values/);
    const hpa = structuredClone(docs.find((d) => d.kind === "HorizontalPodAutoscaler")!) as TDoc & { spec: Record<string, unknown> };
    delete hpa.spec.maxReplicas;
    expect(await schemaErrors(hpa)).toMatch(/data\/spec must have required property maxReplicas/);
  });

  it("a misspelt field at any depth is named (the validators alone accept it)", async () => {
    const docs = rendered["cluster-wide"];
    const proxy = structuredClone(docs.find((d) => d.kind === "Deployment" && d.metadata.name === "switchyard-proxy")!) as TDoc & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    proxy.spec.template.spec.containers[0]!.imagePullPolcy = "Always";
    expect(await schemaErrors(proxy)).toBeNull();
    const found = unknownFields([proxy]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^Deployment\/switchyard\/switchyard-proxy: .*'"?imagePullPolcy"?' does not exist in type 'IContainer'/);
  }, 60_000);
});
