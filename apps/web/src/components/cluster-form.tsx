"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { TCluster } from "@switchyard/config-model";
import { buildCluster, checkCluster, CLUSTER_DEFAULTS, DISCOVERY, endpointRow, LB_POLICIES, statusRangesText, type TClusterForm, type TEndpointRow } from "../lib/cluster-form.ts";
import { issueClaimer, type TFieldIssue } from "../lib/issues.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../lib/use-unsaved-changes.ts";
import { Field, IssueList } from "./field.tsx";
import { defaultHint } from "./form-rows.tsx";
import { useReadOnly } from "./read-only.tsx";
import { useToast } from "./toaster.tsx";

/** `baseRevision`: the working-config revision the cluster was read at (a stale edit gets 409). */
export function ClusterForm({ initial, existing, baseRevision }: { initial: TClusterForm; existing?: TCluster; baseRevision?: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<TClusterForm>(initial);
  const set = <K extends keyof TClusterForm>(key: K, value: TClusterForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const toast = useToast();
  const readOnly = useReadOnly();
  const [saved, setSaved] = useState(false);
  const [clientIssues, setClientIssues] = useState<TFieldIssue[]>([]);
  useUnsavedChanges(!saved && !readOnly && JSON.stringify(form) !== JSON.stringify(initial));
  const secrets = useQuery(trpc.resources.list.queryOptions({ kind: "secrets" }));
  const secretNames = (type: string) => (secrets.data ?? []).filter((r) => (r.resource as { type?: string }).type === type).map((r) => r.name);
  const setEndpoint = (key: number, patch: Partial<TEndpointRow>) =>
    setForm((f) => ({ ...f, endpoints: f.endpoints.map((e) => (e.key === key ? { ...e, ...patch } : e)) }));

  // One handler per outcome: a delete must not say "Saved" (it reused onSaved once).
  const done = async (message: string) => {
    setSaved(true);
    toast.ok(message);
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push("/clusters");
  };
  const onSaved = () => done(`${existing ? "Saved" : "Created"} cluster "${form.name.trim()}"`);
  const onDeleted = () => done(`Deleted cluster "${existing?.name ?? form.name.trim()}"`);
  const onError = (e: unknown) => toast.error(issuesOf(e).length ? "The cluster was not saved: see the marked fields" : messageOf(e));
  const create = useMutation(trpc.clusters.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.clusters.update.mutationOptions({ onSuccess: onSaved, onError }));
  const remove = useMutation(trpc.clusters.delete.mutationOptions({ onSuccess: onDeleted, onError: (e) => toast.error(`Not deleted: ${messageOf(e)}`) }));
  const mutation = existing ? update : create;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const cluster = buildCluster(form);
    const found = checkCluster(cluster);
    setClientIssues(found);
    if (found.length) {
      mutation.reset();
      return;
    }
    if (existing) update.mutate({ name: existing.name, cluster, baseRevision });
    else create.mutate({ cluster });
  };

  const issues = clientIssues.length ? clientIssues : issuesOf(mutation.error);
  const c = issueClaimer(issues);
  const err = {
    name: c.at("name"),
    discovery: c.at("discovery"),
    lbPolicy: c.at("lbPolicy"),
    protocol: c.at("protocol"),
    connectTimeoutMs: c.at("connectTimeoutMs"),
    idleTimeoutMs: c.at("idleTimeoutMs"),
    panicThresholdPercent: c.at("panicThresholdPercent"),
    ringHashMinimumRingSize: c.at("ringHashMinimumRingSize"),
    dnsResolvers: c.at("dnsResolvers"),
    dnsRefreshMs: c.at("dnsRefreshMs"),
    k8sNamespace: c.at("kubernetes.namespace"),
    k8sService: c.at("kubernetes.service"),
    k8sPort: c.at("kubernetes.port"),
    kubernetes: c.at("kubernetes"),
    consulService: c.at("consul.service"),
    consulTag: c.at("consul.tag"),
    consulDc: c.at("consul.datacenter"),
    consulAddress: c.at("consul.address"),
    consul: c.at("consul"),
    tlsSni: c.at("tls.sni"),
    tlsCa: c.at("tls.caSecret"),
    tlsCert: c.at("tls.clientCertificate"),
    hc: claimAll(c, "healthCheck", ["type", "path", "host", "grpcServiceName", "intervalMs", "intervalJitterMs", "timeoutMs", "unhealthyThreshold", "healthyThreshold", "expectedStatuses"]),
    outlier: claimAll(c, "outlierDetection", Object.keys(CLUSTER_DEFAULTS.outlier)),
    breakers: claimAll(c, "circuitBreakers", Object.keys(CLUSTER_DEFAULTS.breakers)),
    rows: form.endpoints.map((_, i) => ({
      row: c.exact(`endpoints[${i}]`),
      address: c.at(`endpoints[${i}].address`),
      port: c.at(`endpoints[${i}].port`),
      weight: c.at(`endpoints[${i}].weight`),
    })),
    endpoints: c.exact("endpoints"),
  };
  const rest = c.rest();
  const usesEndpoints = form.discovery === "static" || form.discovery === "strictDns" || form.discovery === "logicalDns" || form.discovery === "eds";
  const usesDns = form.discovery === "strictDns" || form.discovery === "logicalDns";
  const setHc = (p: Partial<TClusterForm["healthCheck"]>) => set("healthCheck", { ...form.healthCheck, ...p });

  return (
    <form className="form" onSubmit={submit} noValidate>
      {mutation.error && issues.length === 0 && (
        <p className="banner banner-error" role="alert">
          {messageOf(mutation.error)}
        </p>
      )}
      {issues.length > 0 && rest.length === 0 && (
        <p className="banner banner-error" role="alert">
          The config was not saved: fix the fields marked below.
        </p>
      )}
      <IssueList issues={rest} />

      <fieldset disabled={readOnly} className="plain">
      <fieldset>
        <legend>Cluster</legend>
        <div className="grid-3">
          <Field label="Name" htmlFor="cluster-name" errors={err.name}>
            <input id="cluster-name" value={form.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" placeholder="users" />
          </Field>
          <Field label="Discovery" htmlFor="discovery" errors={err.discovery} hint={`Default ${D.discovery}`}>
            <select id="discovery" value={form.discovery} onChange={(e) => set("discovery", e.target.value as TClusterForm["discovery"])}>
              {DISCOVERY.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Load balancing" htmlFor="lbPolicy" errors={err.lbPolicy} hint={`Default ${D.lbPolicy}`}>
            <select id="lbPolicy" value={form.lbPolicy} onChange={(e) => set("lbPolicy", e.target.value as TClusterForm["lbPolicy"])}>
              {LB_POLICIES.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Upstream protocol" htmlFor="protocol" errors={err.protocol} hint={`Default ${D.protocol}`}>
            <select id="protocol" value={form.protocol} onChange={(e) => set("protocol", e.target.value as TClusterForm["protocol"])}>
              <option value="http1">HTTP/1.1</option>
              <option value="http2">HTTP/2</option>
              <option value="auto">Auto (ALPN over TLS)</option>
            </select>
          </Field>
          <Field label="Connect timeout (ms)" htmlFor="connectTimeoutMs" errors={err.connectTimeoutMs} hint={defaultHint(D.connectTimeoutMs)}>
            <input id="connectTimeoutMs" type="number" min={1} value={form.connectTimeoutMs} placeholder={String(D.connectTimeoutMs)} onChange={(e) => set("connectTimeoutMs", e.target.value)} />
          </Field>
          <Field label="Idle connection timeout (ms)" htmlFor="idleTimeoutMs" errors={err.idleTimeoutMs} hint={defaultHint(D.idleTimeoutMs, "pooled connections idle this long close")}>
            <input id="idleTimeoutMs" type="number" min={1} value={form.idleTimeoutMs} placeholder={String(D.idleTimeoutMs)} onChange={(e) => set("idleTimeoutMs", e.target.value)} />
          </Field>
          <Field
            label="Panic threshold (%)"
            htmlFor="panicThresholdPercent"
            errors={err.panicThresholdPercent}
            hint={defaultHint(D.panicThresholdPercent, "below this share of available endpoints, balance over all of them; 0 = never")}
          >
            <input
              id="panicThresholdPercent"
              type="number"
              min={0}
              max={100}
              value={form.panicThresholdPercent}
              placeholder={String(D.panicThresholdPercent)}
              onChange={(e) => set("panicThresholdPercent", e.target.value)}
            />
          </Field>
          {/* Only ring hash reads it; still shown whenever it holds something other than the default, so nothing is hidden. */}
          {(form.lbPolicy === "ringHash" || !["", String(D.ringHashMinimumRingSize)].includes(form.ringHashMinimumRingSize.trim())) && (
            <Field label="Ring size" htmlFor="ringHashMinimumRingSize" errors={err.ringHashMinimumRingSize} hint={defaultHint(D.ringHashMinimumRingSize, "ring hash entries, spread by weight")}>
              <input
                id="ringHashMinimumRingSize"
                type="number"
                min={1}
                value={form.ringHashMinimumRingSize}
                placeholder={String(D.ringHashMinimumRingSize)}
                onChange={(e) => set("ringHashMinimumRingSize", e.target.value)}
              />
            </Field>
          )}
        </div>
        {usesDns && (
          <div className="grid-3">
            <Field label="DNS resolvers" htmlFor="dnsResolvers" errors={err.dnsResolvers} hint="Comma-separated host:port; default the system's (/etc/resolv.conf)">
              <input id="dnsResolvers" className="mono" value={form.dnsResolvers} placeholder="127.0.0.1:53" onChange={(e) => set("dnsResolvers", e.target.value)} />
            </Field>
            <Field label="DNS refresh (ms)" htmlFor="dnsRefreshMs" errors={err.dnsRefreshMs} hint={defaultHint(D.dnsRefreshMs, "a lower record TTL shortens it")}>
              <input id="dnsRefreshMs" type="number" min={100} value={form.dnsRefreshMs} placeholder={String(D.dnsRefreshMs)} onChange={(e) => set("dnsRefreshMs", e.target.value)} />
            </Field>
          </div>
        )}
        {form.discovery === "kubernetes" && (
          <div className="grid-3">
            {err.kubernetes.map((m, i) => (
              <div key={i} className="field-error" role="alert">
                {m}
              </div>
            ))}
            <Field label="Kubernetes namespace" htmlFor="k8s-namespace" errors={err.k8sNamespace} hint={defaultHint(CLUSTER_DEFAULTS.kubernetesNamespace)}>
              <input id="k8s-namespace" value={form.kubernetes.namespace} placeholder={CLUSTER_DEFAULTS.kubernetesNamespace} onChange={(e) => set("kubernetes", { ...form.kubernetes, namespace: e.target.value })} />
            </Field>
            <Field label="Kubernetes service" htmlFor="k8s-service" errors={err.k8sService}>
              <input id="k8s-service" value={form.kubernetes.service} onChange={(e) => set("kubernetes", { ...form.kubernetes, service: e.target.value })} />
            </Field>
            <Field label="Service port (name or number)" htmlFor="k8s-port" errors={err.k8sPort}>
              <input id="k8s-port" value={form.kubernetes.port} placeholder="http" onChange={(e) => set("kubernetes", { ...form.kubernetes, port: e.target.value })} />
            </Field>
          </div>
        )}
        {form.discovery === "consul" && (
          <div className="grid-2">
            {err.consul.map((m, i) => (
              <div key={i} className="field-error" role="alert">
                {m}
              </div>
            ))}
            <Field label="Consul service" htmlFor="consul-service" errors={err.consulService}>
              <input id="consul-service" value={form.consul.service} onChange={(e) => set("consul", { ...form.consul, service: e.target.value })} />
            </Field>
            <Field label="Consul tag" htmlFor="consul-tag" errors={err.consulTag} hint="Default: any tag">
              <input id="consul-tag" value={form.consul.tag} onChange={(e) => set("consul", { ...form.consul, tag: e.target.value })} />
            </Field>
            <Field label="Consul datacenter" htmlFor="consul-dc" errors={err.consulDc} hint="Default: the agent's own">
              <input id="consul-dc" value={form.consul.datacenter} onChange={(e) => set("consul", { ...form.consul, datacenter: e.target.value })} />
            </Field>
            <Field label="Consul address" htmlFor="consul-address" errors={err.consulAddress} hint="Default: the proxy's --consul flag (else http://127.0.0.1:8500)">
              <input id="consul-address" className="mono" value={form.consul.address} placeholder="http://127.0.0.1:8500" onChange={(e) => set("consul", { ...form.consul, address: e.target.value })} />
            </Field>
          </div>
        )}
      </fieldset>

      {usesEndpoints && (
      <fieldset>
        <legend>Endpoints</legend>
        {err.endpoints.map((m, i) => (
          <div key={i} className="field-error" role="alert">
            {m}
          </div>
        ))}
        <table className="table table-edit">
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Port</th>
              <th scope="col">Weight</th>
              <th scope="col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {form.endpoints.map((e, i) => {
              const rowErr = err.rows[i]!;
              return (
                <tr key={e.key} className={rowErr.row.length ? "row-invalid" : undefined}>
                  <td>
                    <input
                      id={`endpoint-${i}-address`}
                      aria-label={`Endpoint ${i + 1} address`}
                      className="mono"
                      value={e.address}
                      onChange={(ev) => setEndpoint(e.key, { address: ev.target.value })}
                      placeholder="10.0.0.5"
                    />
                    {[...rowErr.row, ...rowErr.address].map((m, n) => (
                      <div key={n} className="field-error" role="alert">
                        {m}
                      </div>
                    ))}
                  </td>
                  <td>
                    <input
                      id={`endpoint-${i}-port`}
                      aria-label={`Endpoint ${i + 1} port`}
                      type="number"
                      min={1}
                      max={65535}
                      value={e.port}
                      onChange={(ev) => setEndpoint(e.key, { port: ev.target.value })}
                    />
                    {rowErr.port.map((m, n) => (
                      <div key={n} className="field-error" role="alert">
                        {m}
                      </div>
                    ))}
                  </td>
                  <td>
                    <input
                      id={`endpoint-${i}-weight`}
                      aria-label={`Endpoint ${i + 1} weight`}
                      type="number"
                      min={1}
                      max={1000}
                      value={e.weight}
                      onChange={(ev) => setEndpoint(e.key, { weight: ev.target.value })}
                    />
                    {rowErr.weight.map((m, n) => (
                      <div key={n} className="field-error" role="alert">
                        {m}
                      </div>
                    ))}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-ghost btn-small"
                      aria-label={`Remove endpoint ${i + 1}`}
                      onClick={() => set("endpoints", form.endpoints.filter((x) => x.key !== e.key))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <button type="button" className="btn btn-small" onClick={() => set("endpoints", [...form.endpoints, endpointRow()])}>
          Add endpoint
        </button>
      </fieldset>
      )}

      <fieldset>
        <legend>Upstream TLS</legend>
        <label className="check">
          <input type="checkbox" checked={form.tlsEnabled} onChange={(e) => set("tlsEnabled", e.target.checked)} /> Connect to the endpoints over TLS <span className="muted small">(default off)</span>
        </label>
        {form.tlsEnabled && (
          <div className="grid-3">
            <Field label="SNI" htmlFor="tls-sni" errors={err.tlsSni} hint="Server name sent and verified; default the endpoint address">
              <input id="tls-sni" value={form.tls.sni} onChange={(e) => set("tls", { ...form.tls, sni: e.target.value })} />
            </Field>
            <Field label="CA bundle" htmlFor="tls-ca" errors={err.tlsCa} hint="caBundle secret; default the system's roots">
              <select id="tls-ca" value={form.tls.caSecret} onChange={(e) => set("tls", { ...form.tls, caSecret: e.target.value })}>
                <option value="">System roots</option>
                {withCurrent(secretNames("caBundle"), form.tls.caSecret).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Client certificate (mTLS)" htmlFor="tls-cert" errors={err.tlsCert} hint="tlsCertificate secret; default none">
              <select id="tls-cert" value={form.tls.clientCertificate} onChange={(e) => set("tls", { ...form.tls, clientCertificate: e.target.value })}>
                <option value="">None</option>
                {withCurrent(secretNames("tlsCertificate"), form.tls.clientCertificate).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Health checking</legend>
        <label className="check">
          <input type="checkbox" checked={form.healthCheckEnabled} onChange={(e) => set("healthCheckEnabled", e.target.checked)} /> Active health checks <span className="muted small">(default off)</span>
        </label>
        {form.healthCheckEnabled && (
          <div className="grid-3">
            <Field label="Check type" htmlFor="hc-type" errors={err.hc.type} hint={`Default ${HC.type}`}>
              <select id="hc-type" value={form.healthCheck.type} onChange={(e) => setHc({ type: e.target.value as TClusterForm["healthCheck"]["type"] })}>
                <option value="http">HTTP</option>
                <option value="tcp">TCP connect</option>
                <option value="grpc">gRPC health</option>
              </select>
            </Field>
            {form.healthCheck.type === "http" && (
              <>
                <Field label="Check path" htmlFor="hc-path" errors={err.hc.path} hint={defaultHint(HC.path)}>
                  <input id="hc-path" className="mono" value={form.healthCheck.path} placeholder={HC.path} onChange={(e) => setHc({ path: e.target.value })} />
                </Field>
                <Field label="Check host header" htmlFor="hc-host" errors={err.hc.host} hint="Default: the cluster name">
                  <input id="hc-host" value={form.healthCheck.host} onChange={(e) => setHc({ host: e.target.value })} />
                </Field>
                <Field label="Healthy statuses" htmlFor="hc-statuses" errors={err.hc.expectedStatuses} hint={defaultHint(statusRangesText(HC.expectedStatuses), "ranges like 200-399, 404")}>
                  <input id="hc-statuses" value={form.healthCheck.expectedStatuses} placeholder={statusRangesText(HC.expectedStatuses)} onChange={(e) => setHc({ expectedStatuses: e.target.value })} />
                </Field>
              </>
            )}
            {form.healthCheck.type === "grpc" && (
              <Field label="gRPC service name" htmlFor="hc-grpc" errors={err.hc.grpcServiceName} hint={'Default "" (the whole server)'}>
                <input id="hc-grpc" value={form.healthCheck.grpcServiceName} onChange={(e) => setHc({ grpcServiceName: e.target.value })} />
              </Field>
            )}
            {(
              [
                ["intervalMs", "Interval (ms)"],
                ["intervalJitterMs", "Interval jitter (ms)"],
                ["timeoutMs", "Check timeout (ms)"],
                ["unhealthyThreshold", "Unhealthy threshold"],
                ["healthyThreshold", "Healthy threshold"],
              ] as const
            ).map(([k, label]) => (
              <Field key={k} label={label} htmlFor={`hc-${k}`} errors={err.hc[k]} hint={defaultHint(HC[k])}>
                <input id={`hc-${k}`} type="number" min={0} value={form.healthCheck[k]} placeholder={String(HC[k])} onChange={(e) => setHc({ [k]: e.target.value })} />
              </Field>
            ))}
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Outlier detection</legend>
        <label className="check">
          <input type="checkbox" checked={form.outlierEnabled} onChange={(e) => set("outlierEnabled", e.target.checked)} /> Eject endpoints that keep failing <span className="muted small">(default off)</span>
        </label>
        {form.outlierEnabled && (
          <div className="grid-3">
            {(
              [
                ["consecutive5xx", "Consecutive 5xx", "0 = off"],
                ["consecutiveGatewayFailure", "Consecutive gateway failures", "502/503/504/connect; 0 = off"],
                ["intervalMs", "Sweep interval (ms)", ""],
                ["baseEjectionTimeMs", "Base ejection time (ms)", "times the number of ejections"],
                ["maxEjectionTimeMs", "Max ejection time (ms)", ""],
                ["maxEjectionPercent", "Max ejected (%)", ""],
              ] as const
            ).map(([k, label, extra]) => (
              <Field key={k} label={label} htmlFor={`outlier-${k}`} errors={err.outlier[k]} hint={defaultHint(OD[k], extra || undefined)}>
                <input id={`outlier-${k}`} type="number" min={0} value={form.outlier[k]} placeholder={String(OD[k])} onChange={(e) => set("outlier", { ...form.outlier, [k]: e.target.value })} />
              </Field>
            ))}
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Circuit breakers</legend>
        <label className="check">
          <input type="checkbox" checked={form.breakersEnabled} onChange={(e) => set("breakersEnabled", e.target.checked)} /> Custom limits <span className="muted small">(default: the proxy's built-in limits)</span>
        </label>
        {form.breakersEnabled && (
          <div className="grid-2">
            {(
              [
                ["maxConnections", "Max connections"],
                ["maxPendingRequests", "Max pending requests"],
                ["maxRequests", "Max requests"],
                ["maxRetries", "Max concurrent retries"],
              ] as const
            ).map(([k, label]) => (
              <Field key={k} label={label} htmlFor={`cb-${k}`} errors={err.breakers[k]} hint={defaultHint(CB[k])}>
                <input id={`cb-${k}`} type="number" min={0} value={form.breakers[k]} placeholder={String(CB[k])} onChange={(e) => set("breakers", { ...form.breakers, [k]: e.target.value })} />
              </Field>
            ))}
          </div>
        )}
      </fieldset>

      <div className="actions" hidden={readOnly}>
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : existing ? "Save cluster" : "Create cluster"}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => router.push("/clusters")}>
          Cancel
        </button>
        {existing && (
          <button
            type="button"
            className="btn btn-danger push-right"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete cluster "${existing.name}" from the working config?`)) remove.mutate({ name: existing.name });
            }}
          >
            Delete cluster
          </button>
        )}
      </div>
      </fieldset>
      {remove.error && <IssueList issues={issuesOf(remove.error).length ? issuesOf(remove.error) : [{ path: "", message: messageOf(remove.error) }]} />}
    </form>
  );
}

const D = CLUSTER_DEFAULTS.cluster;
const HC = CLUSTER_DEFAULTS.healthCheck;
const OD = CLUSTER_DEFAULTS.outlier;
const CB = CLUSTER_DEFAULTS.breakers;

/** Issues of every sub-field of a section, claimed up front (so they are not listed above the form too). */
function claimAll(c: ReturnType<typeof issueClaimer>, section: string, keys: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(keys.map((k) => [k, c.at(`${section}.${k}`)]));
  // Whatever is left on the section itself shows under its first field.
  out[keys[0]!] = [...(out[keys[0]!] ?? []), ...c.at(section)];
  return out;
}

/** Secret names for a select, keeping the stored value even when it is not (yet) of that type. */
function withCurrent(names: string[], current: string): string[] {
  return current && !names.includes(current) ? [...names, current] : names;
}
