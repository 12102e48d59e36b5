"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { buildCluster, checkCluster, CLUSTER_DEFAULTS, DISCOVERY, endpointRow, LB_POLICIES, statusRangesText, type TClusterForm, type TEndpointRow } from "../lib/cluster-form.ts";
import { choices } from "../lib/format.ts";
import { claimAll } from "../lib/issues.ts";
import { useTRPC } from "../lib/trpc.ts";
import { CheckRow, FieldErrors, namesWith, NumberField, SelectField, TextField } from "./fields.tsx";
import { SaveForm, useResourceSave } from "./form-save.tsx";
import { FormRows } from "./form-rows.tsx";

const D = CLUSTER_DEFAULTS.cluster;
const HC = CLUSTER_DEFAULTS.healthCheck;
const OD = CLUSTER_DEFAULTS.outlier;
const CB = CLUSTER_DEFAULTS.breakers;
const PROTOCOLS = choices({ http1: "HTTP/1.1", http2: "HTTP/2", auto: "Auto (ALPN over TLS)" });
const HC_TYPES = choices({ http: "HTTP", tcp: "TCP connect", grpc: "gRPC health" });
const HC_NUMBERS = [
  ["intervalMs", "Interval (ms)"],
  ["intervalJitterMs", "Interval jitter (ms)"],
  ["timeoutMs", "Check timeout (ms)"],
  ["unhealthyThreshold", "Unhealthy threshold"],
  ["healthyThreshold", "Healthy threshold"],
] as const;
const OUTLIER_NUMBERS = [
  ["consecutive5xx", "Consecutive 5xx", "0 = off"],
  ["consecutiveGatewayFailure", "Consecutive gateway failures", "502/503/504/connect; 0 = off"],
  ["intervalMs", "Sweep interval (ms)", undefined],
  ["baseEjectionTimeMs", "Base ejection time (ms)", "times the number of ejections"],
  ["maxEjectionTimeMs", "Max ejection time (ms)", undefined],
  ["maxEjectionPercent", "Max ejected (%)", undefined],
] as const;
const BREAKER_NUMBERS = [
  ["maxConnections", "Max connections"],
  ["maxPendingRequests", "Max pending requests"],
  ["maxRequests", "Max requests"],
  ["maxRetries", "Max concurrent retries"],
] as const;

/**
 * Every field of ZCluster: discovery (static, DNS, eds, Kubernetes, Consul) and its
 * settings, load balancing, upstream TLS, health checks, outlier detection, circuit
 * breakers and the panic threshold. Defaults come from the schema; issues sit next to
 * their field. Saved like every other resource (rename and delete refused while used).
 */
export function ClusterForm({ initial, existingName, baseRevision }: { initial: TClusterForm; existingName?: string; baseRevision?: number | undefined }) {
  const trpc = useTRPC();
  const [form, setForm] = useState<TClusterForm>(initial);
  const set = <K extends keyof TClusterForm>(key: K, value: TClusterForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const s = useResourceSave({ kind: "clusters", existingName, baseRevision, initial, form, build: buildCluster, check: checkCluster });
  const secrets = useQuery(trpc.resources.list.queryOptions({ kind: "secrets" }));
  const secretNames = (type: string) => (secrets.data ?? []).filter((r) => (r.resource as { type?: string }).type === type).map((r) => r.name);

  const c = s.claimer;
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
    outlier: claimAll(c, "outlierDetection", Object.keys(OD)),
    breakers: claimAll(c, "circuitBreakers", Object.keys(CB)),
    endpoints: form.endpoints.map((_, i) => c.at(`endpoints[${i}]`)),
    endpointList: c.exact("endpoints"),
  };
  const rest = c.rest();
  const usesEndpoints = form.discovery === "static" || form.discovery === "strictDns" || form.discovery === "logicalDns" || form.discovery === "eds";
  const usesDns = form.discovery === "strictDns" || form.discovery === "logicalDns";
  const setHc = (p: Partial<TClusterForm["healthCheck"]>) => set("healthCheck", { ...form.healthCheck, ...p });
  const setEndpoint = (key: number, patch: Partial<TEndpointRow>) => set("endpoints", form.endpoints.map((e) => (e.key === key ? { ...e, ...patch } : e)));
  const endpointInput = (field: "address" | "port" | "weight", min: number, max: number) => (e: TEndpointRow, i: number) => (
    <input
      id={`endpoint-${i}-${field}`}
      aria-label={`Endpoint ${i + 1} ${field}`}
      className={field === "address" ? "mono" : undefined}
      type={field === "address" ? "text" : "number"}
      min={field === "address" ? undefined : min}
      max={field === "address" ? undefined : max}
      placeholder={field === "address" ? "10.0.0.5" : undefined}
      value={e[field]}
      onChange={(ev) => setEndpoint(e.key, { [field]: ev.target.value })}
    />
  );

  return (
    <SaveForm save={s} rest={rest}>
      <fieldset>
        <legend>Cluster</legend>
        <div className="grid-3">
          <TextField id="cluster-name" label="Name" value={form.name} onChange={(v) => set("name", v)} errors={err.name} placeholder="users" />
          <SelectField id="discovery" label="Discovery" value={form.discovery} onChange={(v) => set("discovery", v)} options={DISCOVERY} errors={err.discovery} hint={`Default ${D.discovery}`} />
          <SelectField id="lbPolicy" label="Load balancing" value={form.lbPolicy} onChange={(v) => set("lbPolicy", v)} options={LB_POLICIES} errors={err.lbPolicy} hint={`Default ${D.lbPolicy}`} />
          <SelectField id="protocol" label="Upstream protocol" value={form.protocol} onChange={(v) => set("protocol", v)} options={PROTOCOLS} errors={err.protocol} hint={`Default ${D.protocol}`} />
          <NumberField id="connectTimeoutMs" label="Connect timeout (ms)" value={form.connectTimeoutMs} onChange={(v) => set("connectTimeoutMs", v)} errors={err.connectTimeoutMs} def={D.connectTimeoutMs} min={1} />
          <NumberField id="idleTimeoutMs" label="Idle connection timeout (ms)" value={form.idleTimeoutMs} onChange={(v) => set("idleTimeoutMs", v)} errors={err.idleTimeoutMs} def={D.idleTimeoutMs} extra="pooled connections idle this long close" min={1} />
          <NumberField
            id="panicThresholdPercent"
            label="Panic threshold (%)"
            value={form.panicThresholdPercent}
            onChange={(v) => set("panicThresholdPercent", v)}
            errors={err.panicThresholdPercent}
            def={D.panicThresholdPercent}
            extra="below this share of available endpoints, balance over all of them; 0 = never"
            max={100}
          />
          {/* Only ring hash reads it; still shown whenever it holds something other than the default, so nothing is hidden. */}
          {(form.lbPolicy === "ringHash" || !["", String(D.ringHashMinimumRingSize)].includes(form.ringHashMinimumRingSize.trim())) && (
            <NumberField
              id="ringHashMinimumRingSize"
              label="Ring size"
              value={form.ringHashMinimumRingSize}
              onChange={(v) => set("ringHashMinimumRingSize", v)}
              errors={err.ringHashMinimumRingSize}
              def={D.ringHashMinimumRingSize}
              extra="ring hash entries, spread by weight"
              min={1}
            />
          )}
        </div>
        {usesDns && (
          <div className="grid-3">
            <TextField id="dnsResolvers" label="DNS resolvers" mono value={form.dnsResolvers} onChange={(v) => set("dnsResolvers", v)} errors={err.dnsResolvers} placeholder="127.0.0.1:53" hint="Comma-separated host:port; default the system's (/etc/resolv.conf)" />
            <NumberField id="dnsRefreshMs" label="DNS refresh (ms)" value={form.dnsRefreshMs} onChange={(v) => set("dnsRefreshMs", v)} errors={err.dnsRefreshMs} def={D.dnsRefreshMs} extra="a lower record TTL shortens it" min={100} />
          </div>
        )}
        {form.discovery === "kubernetes" && (
          <div className="grid-3">
            <FieldErrors messages={err.kubernetes} />
            <TextField
              id="k8s-namespace"
              label="Kubernetes namespace"
              value={form.kubernetes.namespace}
              onChange={(v) => set("kubernetes", { ...form.kubernetes, namespace: v })}
              errors={err.k8sNamespace}
              placeholder={CLUSTER_DEFAULTS.kubernetesNamespace}
              hint={`Default ${CLUSTER_DEFAULTS.kubernetesNamespace}. Empty = default.`}
            />
            <TextField id="k8s-service" label="Kubernetes service" value={form.kubernetes.service} onChange={(v) => set("kubernetes", { ...form.kubernetes, service: v })} errors={err.k8sService} />
            <TextField id="k8s-port" label="Service port (name or number)" value={form.kubernetes.port} onChange={(v) => set("kubernetes", { ...form.kubernetes, port: v })} errors={err.k8sPort} placeholder="http" />
          </div>
        )}
        {form.discovery === "consul" && (
          <div className="grid-2">
            <FieldErrors messages={err.consul} />
            <TextField id="consul-service" label="Consul service" value={form.consul.service} onChange={(v) => set("consul", { ...form.consul, service: v })} errors={err.consulService} />
            <TextField id="consul-tag" label="Consul tag" value={form.consul.tag} onChange={(v) => set("consul", { ...form.consul, tag: v })} errors={err.consulTag} hint="Default: any tag" />
            <TextField id="consul-dc" label="Consul datacenter" value={form.consul.datacenter} onChange={(v) => set("consul", { ...form.consul, datacenter: v })} errors={err.consulDc} hint="Default: the agent's own" />
            <TextField
              id="consul-address"
              label="Consul address"
              mono
              value={form.consul.address}
              onChange={(v) => set("consul", { ...form.consul, address: v })}
              errors={err.consulAddress}
              placeholder="http://127.0.0.1:8500"
              hint="Default: the proxy's --consul flag (else http://127.0.0.1:8500)"
            />
          </div>
        )}
      </fieldset>

      {usesEndpoints && (
        <fieldset>
          <legend>Endpoints</legend>
          <FormRows
            id="endpoints"
            legend="Addresses"
            hint={form.discovery === "eds" ? "Served until the console pushes a managed set (below, once saved)." : "Host or IP, port, weight (default 1)."}
            noun="endpoint"
            rows={form.endpoints}
            onChange={(rows) => set("endpoints", rows)}
            make={endpointRow}
            addLabel="Add endpoint"
            errorsOf={(i) => err.endpoints[i] ?? []}
            listErrors={err.endpointList}
            columns={[
              { header: "Address", cell: endpointInput("address", 0, 0) },
              { header: "Port", cell: endpointInput("port", 1, 65535) },
              { header: "Weight", cell: endpointInput("weight", 1, 1000) },
            ]}
          />
        </fieldset>
      )}

      <fieldset>
        <legend>Upstream TLS</legend>
        <CheckRow label="Connect to the endpoints over TLS" checked={form.tlsEnabled} onChange={(v) => set("tlsEnabled", v)} def="default off" />
        {form.tlsEnabled && (
          <div className="grid-3">
            <TextField id="tls-sni" label="SNI" value={form.tls.sni} onChange={(v) => set("tls", { ...form.tls, sni: v })} errors={err.tlsSni} hint="Server name sent and verified; default the endpoint address" />
            <SelectField
              id="tls-ca"
              label="CA bundle"
              value={form.tls.caSecret}
              onChange={(v) => set("tls", { ...form.tls, caSecret: v })}
              options={[{ value: "", label: "System roots" }, ...namesWith(secretNames("caBundle"), form.tls.caSecret)]}
              errors={err.tlsCa}
              hint="caBundle secret; default the system's roots"
            />
            <SelectField
              id="tls-cert"
              label="Client certificate (mTLS)"
              value={form.tls.clientCertificate}
              onChange={(v) => set("tls", { ...form.tls, clientCertificate: v })}
              options={[{ value: "", label: "None" }, ...namesWith(secretNames("tlsCertificate"), form.tls.clientCertificate)]}
              errors={err.tlsCert}
              hint="tlsCertificate secret; default none"
            />
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Health checking</legend>
        <CheckRow label="Active health checks" checked={form.healthCheckEnabled} onChange={(v) => set("healthCheckEnabled", v)} def="default off" />
        {form.healthCheckEnabled && (
          <div className="grid-3">
            <SelectField id="hc-type" label="Check type" value={form.healthCheck.type} onChange={(v) => setHc({ type: v })} options={HC_TYPES} errors={err.hc.type} hint={`Default ${HC.type}`} />
            {form.healthCheck.type === "http" && (
              <>
                <TextField id="hc-path" label="Check path" mono value={form.healthCheck.path} onChange={(v) => setHc({ path: v })} errors={err.hc.path} placeholder={HC.path} hint={`Default ${HC.path}. Empty = default.`} />
                <TextField id="hc-host" label="Check host header" value={form.healthCheck.host} onChange={(v) => setHc({ host: v })} errors={err.hc.host} hint="Default: the cluster name" />
                <TextField
                  id="hc-statuses"
                  label="Healthy statuses"
                  value={form.healthCheck.expectedStatuses}
                  onChange={(v) => setHc({ expectedStatuses: v })}
                  errors={err.hc.expectedStatuses}
                  placeholder={statusRangesText(HC.expectedStatuses)}
                  hint={`Default ${statusRangesText(HC.expectedStatuses)}; ranges like 200-399, 404. Empty = default.`}
                />
              </>
            )}
            {form.healthCheck.type === "grpc" && (
              <TextField id="hc-grpc" label="gRPC service name" value={form.healthCheck.grpcServiceName} onChange={(v) => setHc({ grpcServiceName: v })} errors={err.hc.grpcServiceName} hint={'Default "" (the whole server)'} />
            )}
            {HC_NUMBERS.map(([k, label]) => (
              <NumberField key={k} id={`hc-${k}`} label={label} value={form.healthCheck[k]} onChange={(v) => setHc({ [k]: v })} errors={err.hc[k]} def={HC[k]} />
            ))}
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Outlier detection</legend>
        <CheckRow label="Eject endpoints that keep failing" checked={form.outlierEnabled} onChange={(v) => set("outlierEnabled", v)} def="default off" />
        {form.outlierEnabled && (
          <div className="grid-3">
            {OUTLIER_NUMBERS.map(([k, label, extra]) => (
              <NumberField key={k} id={`outlier-${k}`} label={label} value={form.outlier[k]} onChange={(v) => set("outlier", { ...form.outlier, [k]: v })} errors={err.outlier[k]} def={OD[k]} {...(extra ? { extra } : {})} />
            ))}
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Circuit breakers</legend>
        <CheckRow label="Custom limits" checked={form.breakersEnabled} onChange={(v) => set("breakersEnabled", v)} def="default: the proxy's built-in limits" />
        {form.breakersEnabled && (
          <div className="grid-2">
            {BREAKER_NUMBERS.map(([k, label]) => (
              <NumberField key={k} id={`cb-${k}`} label={label} value={form.breakers[k]} onChange={(v) => set("breakers", { ...form.breakers, [k]: v })} errors={err.breakers[k]} def={CB[k]} />
            ))}
          </div>
        )}
      </fieldset>
    </SaveForm>
  );
}
