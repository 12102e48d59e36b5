"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  buildListener,
  checkListener,
  claimRow,
  ESCAPED_SLASH_ACTIONS,
  filterRow,
  LIMIT_KEYS,
  LIMIT_LABELS,
  LIMIT_UNSET,
  LISTENER_DEFAULTS,
  moved,
  principalRow,
  rbacRuleRow,
  type TClaimRow,
  type TCorsRow,
  type TFilterRow,
  type TFilterType,
  type TJwtRow,
  type TListenerForm,
  type TPrincipalRow,
  type TRbacRow,
  type TWasmRow,
  type TRbacRuleRow,
  YAML_FILTER_TYPES,
  yamlFilterFields,
} from "../lib/listener-form.ts";
import { HTTP_METHODS, matcherRow, type TMatcherRow } from "../lib/route-form.ts";
import { useTRPC } from "../lib/trpc.ts";
import { Field } from "./field.tsx";
import { PluginFields } from "./plugin-fields.tsx";
import { defaultHint, FormRows } from "./form-rows.tsx";
import { SaveForm, useResourceSave } from "./form-save.tsx";
import { NetworkFilters, networkFilterErrors } from "./network-filters.tsx";

const D = LISTENER_DEFAULTS;
const FILTER_LABEL: Record<TFilterType, string> = {
  cors: "CORS",
  jwtAuthn: "JWT authentication",
  rbac: "RBAC",
  plugin: "Plugin",
  wasm: "proxy-wasm",
  extAuthz: "External authorization",
  compression: "Compression",
  fault: "Fault injection",
  localReplies: "Local replies",
  grpcWeb: "gRPC-Web",
  bufferLimits: "Buffer limits",
};
type TClaimer = ReturnType<typeof useResourceSave>["claimer"];

/**
 * Every field of ZListener: socket, routing (route config or TCP cluster), TLS with SNI
 * certificates in order and mTLS, the ordered HTTP filter chain (CORS, JWT, RBAC) and
 * the connection limits. Defaults come from the schema; issues sit next to their field.
 */
export function ListenerForm({ initial, existingName, baseRevision }: { initial: TListenerForm; existingName?: string; baseRevision?: number | undefined }) {
  const trpc = useTRPC();
  const [form, setForm] = useState(initial);
  const set = <K extends keyof TListenerForm>(k: K, v: TListenerForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const s = useResourceSave({ kind: "listeners", existingName, baseRevision, initial, form, build: buildListener, check: checkListener });
  const routeConfigs = useQuery(trpc.resources.list.queryOptions({ kind: "routeConfigs" }));
  const clusters = useQuery(trpc.resources.list.queryOptions({ kind: "clusters" }));
  const secrets = useQuery(trpc.resources.list.queryOptions({ kind: "secrets" }));
  const secretNames = (type: string) => (secrets.data ?? []).filter((r) => (r.resource as { type?: string }).type === type).map((r) => r.name);

  const c = s.claimer;
  const err = {
    name: c.at("name"),
    address: c.at("address"),
    port: c.at("port"),
    protocol: c.at("protocol"),
    routeConfig: c.at("routeConfig"),
    tcpCluster: c.at("tcp.cluster"),
    tcpIdle: c.at("tcp.idleTimeoutMs"),
    tcp: c.at("tcp"),
    certificates: c.at("tls.certificates"),
    minVersion: c.at("tls.minVersion"),
    caSecret: c.at("tls.clientValidation.caSecret"),
    required: c.at("tls.clientValidation.required"),
    allowedSans: c.at("tls.clientValidation.allowedSans", "tls.clientValidation"),
    tls: c.at("tls"),
    filters: form.httpFilters.map((_, i) => filterErrors(c, `httpFilters[${i}]`, form.httpFilters[i]!)),
    filterList: c.at("httpFilters"),
    network: networkFilterErrors(c, form.networkFilters),
    limits: Object.fromEntries(LIMIT_KEYS.map((k) => [k, c.at(`limits.${k}`)])) as Record<string, string[]>,
    limitsAll: c.at("limits"),
    traceRate: c.at("tracing.sampleRate"),
    traceHeader: c.at("tracing.forceHeader", "tracing"),
    logFormat: c.at("accessLog.format"),
    logRate: c.at("accessLog.sampleRate", "accessLog"),
    pathNormalization: c.at("pathNormalization.escapedSlashes", "pathNormalization.normalize", "pathNormalization.mergeSlashes", "pathNormalization"),
    trustedHops: c.at("trustedHops"),
    proxyProtocol: c.at("proxyProtocol"),
  };
  const rest = c.rest();

  const p = form.protocol;
  const withTls = p === "https" || (p === "tcp" && form.tcpTls);
  const setTls = (patch: Partial<TListenerForm["tls"]>) => set("tls", { ...form.tls, ...patch });
  const setFilter = (key: number, patch: Partial<TFilterRow>) => set("httpFilters", form.httpFilters.map((f) => (f.key === key ? ({ ...f, ...patch } as TFilterRow) : f)));
  const certChoices = withCurrent(secretNames("tlsCertificate"), "").filter((n) => !form.tls.certificates.includes(n));

  return (
    <SaveForm save={s} rest={rest}>
      <fieldset>
        <legend>Listener</legend>
        <div className="grid-2">
          <Field label="Name" htmlFor="listener-name" errors={err.name}>
            <input id="listener-name" value={form.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" placeholder="public" />
          </Field>
          <Field label="Protocol" htmlFor="listener-protocol" errors={err.protocol} hint={`Default ${D.listener.protocol}`}>
            <select id="listener-protocol" value={p} onChange={(e) => set("protocol", e.target.value as TListenerForm["protocol"])}>
              <option value="http">http (HTTP/1.1 + h2c prior knowledge)</option>
              <option value="https">https (TLS, ALPN h2 and http/1.1)</option>
              <option value="tcp">tcp (proxied to a cluster, network filters)</option>
            </select>
          </Field>
          <Field label="Address" htmlFor="listener-address" errors={err.address} hint={defaultHint(D.listener.address, "the address to bind")}>
            <input id="listener-address" className="mono" value={form.address} placeholder={D.listener.address} onChange={(e) => set("address", e.target.value)} />
          </Field>
          <Field label="Port" htmlFor="listener-port" errors={err.port} hint="1-65535 (required)">
            <input id="listener-port" type="number" min={1} max={65535} value={form.port} onChange={(e) => set("port", e.target.value)} />
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>{p === "tcp" ? "TCP proxy" : "Routing"}</legend>
        {p === "tcp" ? (
          <div className="grid-2">
            {err.tcp.map((m, i) => (
              <div key={i} className="field-error" role="alert">
                {m}
              </div>
            ))}
            <Field label="Cluster" htmlFor="tcp-cluster" errors={err.tcpCluster} hint="Every connection goes to this cluster (required; leave empty when an SNI router picks it)">
              <select id="tcp-cluster" value={form.tcp.cluster} onChange={(e) => set("tcp", { ...form.tcp, cluster: e.target.value })}>
                <option value="">{form.networkFilters.some((f) => f.type === "sniRouter") ? "None (the SNI router picks)" : "Choose a cluster…"}</option>
                {withCurrent((clusters.data ?? []).map((x) => x.name), form.tcp.cluster).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="TCP idle timeout (ms)" htmlFor="tcp-idle" errors={err.tcpIdle} hint={defaultHint(D.tcpIdleTimeoutMs)}>
              <input id="tcp-idle" type="number" min={0} value={form.tcp.idleTimeoutMs} placeholder={String(D.tcpIdleTimeoutMs)} onChange={(e) => set("tcp", { ...form.tcp, idleTimeoutMs: e.target.value })} />
            </Field>
            <label className="check">
              <input type="checkbox" checked={form.tcpTls} onChange={(e) => set("tcpTls", e.target.checked)} /> Terminate TLS <span className="muted small">(default off)</span>
            </label>
          </div>
        ) : (
          <Field label="Route config" htmlFor="listener-route-config" errors={err.routeConfig} hint="Virtual hosts and routes serving this listener (required)">
            <select id="listener-route-config" value={form.routeConfig} onChange={(e) => set("routeConfig", e.target.value)}>
              <option value="">Choose a route config…</option>
              {withCurrent((routeConfigs.data ?? []).map((r) => r.name), form.routeConfig).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </Field>
        )}
      </fieldset>

      {p === "tcp" && <NetworkFilters filters={form.networkFilters} onChange={(f) => set("networkFilters", f)} errors={err.network} clusterNames={(clusters.data ?? []).map((x) => x.name)} />}

      {withTls && (
        <fieldset>
          <legend>TLS</legend>
          {err.tls.map((m, i) => (
            <div key={i} className="field-error" role="alert">
              {m}
            </div>
          ))}
          <div className="grid-2">
            <Field label="Certificates" htmlFor="tls-add-certificate" errors={err.certificates} hint="tlsCertificate secrets, picked by SNI; the first is the default (no SNI match)">
              <ol className="plain" aria-label="Certificates in SNI order">
                {form.tls.certificates.map((name, i) => (
                  <li key={name}>
                    <code>{name}</code> {i === 0 && <span className="muted small">(default)</span>}{" "}
                    <button type="button" className="btn btn-ghost btn-small" aria-label={`Move certificate ${name} up`} disabled={i === 0} onClick={() => setTls({ certificates: moved(form.tls.certificates, i, -1) })}>
                      ↑
                    </button>
                    <button
                      type="button"
                      className="btn btn-ghost btn-small"
                      aria-label={`Move certificate ${name} down`}
                      disabled={i === form.tls.certificates.length - 1}
                      onClick={() => setTls({ certificates: moved(form.tls.certificates, i, 1) })}
                    >
                      ↓
                    </button>
                    <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove certificate ${name}`} onClick={() => setTls({ certificates: form.tls.certificates.filter((x) => x !== name) })}>
                      Remove
                    </button>
                  </li>
                ))}
              </ol>
              <select
                id="tls-add-certificate"
                value=""
                onChange={(e) => {
                  if (e.target.value) setTls({ certificates: [...form.tls.certificates, e.target.value] });
                }}
              >
                <option value="">{certChoices.length ? "Add a certificate…" : "No other tlsCertificate secrets"}</option>
                {certChoices.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Minimum TLS version" htmlFor="tls-min-version" errors={err.minVersion} hint={`Default ${D.tls.minVersion}`}>
              <select id="tls-min-version" value={form.tls.minVersion} onChange={(e) => setTls({ minVersion: e.target.value })}>
                <option value="TLSv1.2">TLS 1.2</option>
                <option value="TLSv1.3">TLS 1.3</option>
              </select>
            </Field>
          </div>
          <label className="check">
            <input type="checkbox" checked={form.tls.clientValidation} onChange={(e) => setTls({ clientValidation: e.target.checked })} /> Validate client certificates (mTLS) <span className="muted small">(default off)</span>
          </label>
          {form.tls.clientValidation && (
            <div className="grid-3">
              <Field label="Client CA bundle" htmlFor="tls-ca" errors={err.caSecret} hint="caBundle secret (required)">
                <select id="tls-ca" value={form.tls.caSecret} onChange={(e) => setTls({ caSecret: e.target.value })}>
                  <option value="">Choose a CA bundle…</option>
                  {withCurrent(secretNames("caBundle"), form.tls.caSecret).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Client certificate" htmlFor="tls-required" errors={err.required} hint={`Default ${D.tls.clientValidation!.required ? "required" : "optional"}`}>
                <label className="check">
                  <input id="tls-required" type="checkbox" checked={form.tls.required} onChange={(e) => setTls({ required: e.target.checked })} /> Required
                </label>
              </Field>
              <Field label="Allowed SANs" htmlFor="tls-sans" errors={err.allowedSans} hint="Comma-separated URI or DNS SANs. Default: any certificate the CA signed">
                <input id="tls-sans" className="mono" value={form.tls.allowedSans} onChange={(e) => setTls({ allowedSans: e.target.value })} />
              </Field>
            </div>
          )}
        </fieldset>
      )}

      {p !== "tcp" && (
        <fieldset>
          <legend>HTTP filters</legend>
          <p className="hint">Run in this order for every request; the router always runs last. Default: none.</p>
          {err.filterList.map((m, i) => (
            <div key={i} className="field-error" role="alert">
              {m}
            </div>
          ))}
          {form.httpFilters.map((f, i) => (
            <section key={f.key} className="filter-card" aria-label={`Filter ${i + 1}: ${FILTER_LABEL[f.type]}`} data-filter={i}>
              <div className="filter-card-head">
                <h3>
                  {i + 1}. {FILTER_LABEL[f.type]}
                </h3>
                <button type="button" className="btn btn-ghost btn-small push-right" aria-label={`Move filter ${i + 1} up`} disabled={i === 0} onClick={() => set("httpFilters", moved(form.httpFilters, i, -1))}>
                  ↑
                </button>
                <button type="button" className="btn btn-ghost btn-small" aria-label={`Move filter ${i + 1} down`} disabled={i === form.httpFilters.length - 1} onClick={() => set("httpFilters", moved(form.httpFilters, i, 1))}>
                  ↓
                </button>
                <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove filter ${i + 1}`} onClick={() => set("httpFilters", form.httpFilters.filter((x) => x.key !== f.key))}>
                  Remove
                </button>
              </div>
              {err.filters[i]!.self.map((m, n) => (
                <div key={n} className="field-error" role="alert">
                  {m}
                </div>
              ))}
              <Field label="Filter name" htmlFor={`filter-${i}-name`} errors={err.filters[i]!.name} hint={`${f.type === "plugin" ? "Required" : `Default ${f.type}`}; routes disable or reconfigure the filter by this name (filterOverrides)`}>
                <input id={`filter-${i}-name`} className="mono" value={f.name} placeholder={f.type} onChange={(ev) => setFilter(f.key, { name: ev.target.value })} />
              </Field>
              {f.type === "cors" && <CorsFields f={f} i={i} err={err.filters[i]!} onChange={(patch) => setFilter(f.key, patch)} />}
              {f.type === "jwtAuthn" && <JwtFields f={f} i={i} err={err.filters[i]!} onChange={(patch) => setFilter(f.key, patch)} />}
              {f.type === "rbac" && <RbacFields f={f} i={i} err={err.filters[i]!} onChange={(patch) => setFilter(f.key, patch)} />}
              {f.type === "plugin" && <PluginFields f={f} i={i} errors={err.filters[i]!.fields} onChange={(patch) => setFilter(f.key, patch)} />}
              {f.type === "wasm" && <WasmFields f={f} i={i} err={err.filters[i]!} modules={secretNames("wasmModule")} onChange={(patch) => setFilter(f.key, patch)} />}
              {"yaml" in f && (
                <Field label="Config (YAML)" htmlFor={`filter-${i}-yaml`} errors={yamlErrors(f.yaml, err.filters[i]!.fields)} hint={`The ${f.type} filter's fields (docs/filters.md); type and name come from this card`}>
                  <textarea id={`filter-${i}-yaml`} className="mono" rows={6} value={f.yaml} onChange={(ev) => setFilter(f.key, { yaml: ev.target.value })} />
                </Field>
              )}
            </section>
          ))}
          <div className="actions">
            {(["cors", "jwtAuthn", "rbac", "plugin", "wasm", ...YAML_FILTER_TYPES] as const).map((t) => (
              <button key={t} type="button" className="btn btn-small" onClick={() => set("httpFilters", [...form.httpFilters, filterRow(t)])}>
                Add {FILTER_LABEL[t]} filter
              </button>
            ))}
          </div>
        </fieldset>
      )}

      <fieldset>
        <legend>Limits</legend>
        {err.limitsAll.map((m, i) => (
          <div key={i} className="field-error" role="alert">
            {m}
          </div>
        ))}
        <div className="grid-3">
          {LIMIT_KEYS.map((k) => (
            <Field key={k} label={LIMIT_LABELS[k] ?? k} htmlFor={`limit-${k}`} errors={err.limits[k]} hint={defaultHint(D.limits[k] ?? LIMIT_UNSET[k] ?? "none")}>
              <input id={`limit-${k}`} type="number" min={0} value={form.limits[k] ?? ""} placeholder={String(D.limits[k] ?? LIMIT_UNSET[k] ?? "")} onChange={(e) => set("limits", { ...form.limits, [k]: e.target.value })} />
            </Field>
          ))}
        </div>
      </fieldset>
      {p !== "tcp" && (
        <fieldset>
          <legend>Client address and paths</legend>
          <div className="grid-2">
            <Field label="Trusted x-forwarded-for hops" htmlFor="trustedHops" errors={err.trustedHops} hint={defaultHint(0, "entries added by proxies you trust; 0 = the peer address is the client")}>
              <input id="trustedHops" type="number" min={0} max={32} value={form.trustedHops} placeholder="0" onChange={(e) => set("trustedHops", e.target.value)} />
            </Field>
            <div>
              <label className="check">
                <input type="checkbox" checked={form.proxyProtocol} onChange={(e) => set("proxyProtocol", e.target.checked)} /> PROXY protocol <span className="muted small">(v1/v2 from the balancer in front; every connection must send it)</span>
              </label>
              {err.proxyProtocol.map((m, i) => (
                <div key={i} className="field-error" role="alert">
                  {m}
                </div>
              ))}
            </div>
          </div>
          <label className="check">
            <input type="checkbox" checked={form.pathNormalizationEnabled} onChange={(e) => set("pathNormalizationEnabled", e.target.checked)} /> Custom path normalisation{" "}
            <span className="muted small">(default: normalise, merge slashes, redirect escaped slashes)</span>
          </label>
          {err.pathNormalization.map((m, i) => (
            <div key={i} className="field-error" role="alert">
              {m}
            </div>
          ))}
          {form.pathNormalizationEnabled && (
            <div className="grid-3">
              <label className="check">
                <input type="checkbox" checked={form.pathNormalization.normalize} onChange={(e) => set("pathNormalization", { ...form.pathNormalization, normalize: e.target.checked })} /> Normalise (RFC 3986, dot segments)
              </label>
              <label className="check">
                <input type="checkbox" checked={form.pathNormalization.mergeSlashes} onChange={(e) => set("pathNormalization", { ...form.pathNormalization, mergeSlashes: e.target.checked })} /> Merge slashes
              </label>
              <Field label="Escaped slashes (%2F, %5C)" htmlFor="escapedSlashes" errors={[]} hint={`Default ${D.pathNormalization.escapedSlashes}: 307 to the unescaped path (gRPC: 400); keep, reject (400), unescape`}>
                <select id="escapedSlashes" value={form.pathNormalization.escapedSlashes} onChange={(e) => set("pathNormalization", { ...form.pathNormalization, escapedSlashes: e.target.value })}>
                  {ESCAPED_SLASH_ACTIONS.map((a) => (
                    <option key={a} value={a}>
                      {a}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
          )}
        </fieldset>
      )}
      <fieldset>
        <legend>Tracing and access log</legend>
        <label className="check">
          <input type="checkbox" checked={form.tracingEnabled} onChange={(e) => set("tracingEnabled", e.target.checked)} /> Custom tracing <span className="muted small">(default: sample {D.tracing.sampleRate}, force header {D.tracing.forceHeader})</span>
        </label>
        {form.tracingEnabled && (
          <div className="grid-2">
            <Field label="Trace sample rate" htmlFor="tracing-sampleRate" errors={err.traceRate} hint={defaultHint(D.tracing.sampleRate, "0-1, for requests without an upstream sampling decision")}>
              <input id="tracing-sampleRate" type="number" min={0} max={1} step="any" value={form.tracing.sampleRate} placeholder={String(D.tracing.sampleRate)} onChange={(e) => set("tracing", { ...form.tracing, sampleRate: e.target.value })} />
            </Field>
            <Field label="Force-trace header" htmlFor="tracing-forceHeader" errors={err.traceHeader} hint={defaultHint(D.tracing.forceHeader, "a request carrying it is always traced")}>
              <input id="tracing-forceHeader" className="mono" value={form.tracing.forceHeader} placeholder={D.tracing.forceHeader} onChange={(e) => set("tracing", { ...form.tracing, forceHeader: e.target.value })} />
            </Field>
          </div>
        )}
        <label className="check">
          <input type="checkbox" checked={form.accessLogEnabled} onChange={(e) => set("accessLogEnabled", e.target.checked)} /> Custom access log <span className="muted small">(default: one JSON line per request)</span>
        </label>
        {form.accessLogEnabled && (
          <div className="grid-2">
            <Field label="Access-log format" htmlFor="accessLog-format" errors={err.logFormat} hint="Empty = JSON lines (default); else %FIELD% placeholders, e.g. %METHOD% %PATH% %STATUS% %DURATION_MS%">
              <input id="accessLog-format" className="mono" value={form.accessLog.format} onChange={(e) => set("accessLog", { ...form.accessLog, format: e.target.value })} />
            </Field>
            <Field label="Access-log sample rate" htmlFor="accessLog-sampleRate" errors={err.logRate} hint={defaultHint(D.accessLog.sampleRate, "fraction of requests logged")}>
              <input id="accessLog-sampleRate" type="number" min={0} max={1} step="any" value={form.accessLog.sampleRate} placeholder={String(D.accessLog.sampleRate)} onChange={(e) => set("accessLog", { ...form.accessLog, sampleRate: e.target.value })} />
            </Field>
          </div>
        )}
      </fieldset>
    </SaveForm>
  );
}

type TFilterErrors = ReturnType<typeof filterErrors>;

/** The top-level fields typed in a YAML card (their issues are named by them under its editor). */
function yamlKeys(yaml: string): string[] {
  const r = yamlFilterFields(yaml);
  return "fields" in r ? Object.keys(r.fields) : [];
}

/** A YAML card's syntax error, or its fields' issues as "field: message", shown under its editor. */
function yamlErrors(yaml: string, fieldErrors: Record<string, string[]>): string[] {
  const r = yamlFilterFields(yaml);
  if ("error" in r) return [`YAML: ${r.error}`];
  return Object.entries(fieldErrors).flatMap(([k, ms]) => ms.map((m) => `${k}: ${m}`));
}

/** Claims every issue under one filter, per field (rows by index), the rest on the filter itself. */
function filterErrors(c: TClaimer, at: string, f: TFilterRow) {
  const fields = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, c.at(`${at}.${k}`)])) as Record<string, string[]>;
  const out = {
    fields:
      f.type === "cors"
        ? fields(["allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "allowCredentials", "maxAgeSeconds"])
        : f.type === "jwtAuthn"
          ? fields(["issuer", "audiences", "jwks.inline", "jwks.remote.url", "jwks.remote.cacheDurationMs", "jwks", "forward", "allowMissing"])
          : f.type === "plugin"
            ? fields(["module", "version", "timeoutMs", "config"])
            : f.type === "wasm"
              ? fields(["module.secret", "module", "config"])
              : "yaml" in f
                ? fields(yamlKeys(f.yaml))
                : {},
    claims: f.type === "jwtAuthn" ? f.claimToHeaders.map((_, n) => c.at(`${at}.claimToHeaders[${n}]`)) : [],
    claimsList: c.at(`${at}.claimToHeaders`),
    rules:
      f.type === "rbac"
        ? f.rules.map((r, n) => {
            const rule = `${at}.rules[${n}]`;
            return {
              principals: r.principals.map((_, k) => c.at(`${rule}.principals[${k}]`)),
              principalsList: c.at(`${rule}.principals`),
              paths: c.at(`${rule}.paths`),
              methods: c.at(`${rule}.methods`),
              headers: r.headers.map((_, k) => c.at(`${rule}.headers[${k}]`)),
              headersList: c.at(`${rule}.headers`),
              self: c.at(rule),
            };
          })
        : [],
    rulesList: c.at(`${at}.rules`),
    name: c.at(`${at}.name`),
    self: [] as string[],
  };
  out.self = c.at(at);
  return out;
}

function CorsFields({ f, i, err, onChange }: { f: TCorsRow; i: number; err: TFilterErrors; onChange: (p: Partial<TCorsRow>) => void }) {
  const id = (k: string) => `filter-${i}-${k}`;
  const e = err.fields;
  return (
    <div className="grid-3">
      <Field label="Allowed origins" htmlFor={id("allowOrigins")} errors={e.allowOrigins} hint='Comma-separated exact origins, or "*" (at least one)'>
        <input id={id("allowOrigins")} className="mono" value={f.allowOrigins} placeholder="https://app.example.com" onChange={(ev) => onChange({ allowOrigins: ev.target.value })} />
      </Field>
      <Field label="Allowed methods" htmlFor={id("allowMethods")} errors={e.allowMethods} hint={defaultHint(D.cors.allowMethods.join(", "))}>
        <input id={id("allowMethods")} className="mono" value={f.allowMethods} placeholder={D.cors.allowMethods.join(", ")} onChange={(ev) => onChange({ allowMethods: ev.target.value })} />
      </Field>
      <Field label="Allowed headers" htmlFor={id("allowHeaders")} errors={e.allowHeaders} hint="Comma-separated; default none">
        <input id={id("allowHeaders")} className="mono" value={f.allowHeaders} onChange={(ev) => onChange({ allowHeaders: ev.target.value })} />
      </Field>
      <Field label="Exposed headers" htmlFor={id("exposeHeaders")} errors={e.exposeHeaders} hint="Comma-separated; default none">
        <input id={id("exposeHeaders")} className="mono" value={f.exposeHeaders} onChange={(ev) => onChange({ exposeHeaders: ev.target.value })} />
      </Field>
      <Field label="Max age (s)" htmlFor={id("maxAgeSeconds")} errors={e.maxAgeSeconds} hint={defaultHint(D.cors.maxAgeSeconds)}>
        <input id={id("maxAgeSeconds")} type="number" min={0} value={f.maxAgeSeconds} placeholder={String(D.cors.maxAgeSeconds)} onChange={(ev) => onChange({ maxAgeSeconds: ev.target.value })} />
      </Field>
      <Field label="Credentials" htmlFor={id("allowCredentials")} errors={e.allowCredentials} hint={`Default ${D.cors.allowCredentials ? "allowed" : "not allowed"}`}>
        <label className="check">
          <input id={id("allowCredentials")} type="checkbox" checked={f.allowCredentials} onChange={(ev) => onChange({ allowCredentials: ev.target.checked })} /> Allow credentials
        </label>
      </Field>
    </div>
  );
}

function JwtFields({ f, i, err, onChange }: { f: TJwtRow; i: number; err: TFilterErrors; onChange: (p: Partial<TJwtRow>) => void }) {
  const id = (k: string) => `filter-${i}-${k}`;
  const e = err.fields;
  const patchClaim = (key: number, p: Partial<TClaimRow>) => onChange({ claimToHeaders: f.claimToHeaders.map((r) => (r.key === key ? { ...r, ...p } : r)) });
  return (
    <>
      <div className="grid-3">
        <Field label="Issuer" htmlFor={id("issuer")} errors={e.issuer} hint="The iss claim required (required)">
          <input id={id("issuer")} className="mono" value={f.issuer} onChange={(ev) => onChange({ issuer: ev.target.value })} />
        </Field>
        <Field label="Audiences" htmlFor={id("audiences")} errors={e.audiences} hint="Comma-separated; default: any audience">
          <input id={id("audiences")} className="mono" value={f.audiences} onChange={(ev) => onChange({ audiences: ev.target.value })} />
        </Field>
        <Field label="Keys (JWKS)" htmlFor={id("jwks")} errors={e.jwks} hint="Fetched from a URL, or pasted">
          <select id={id("jwks")} value={f.jwksSource} onChange={(ev) => onChange({ jwksSource: ev.target.value as TJwtRow["jwksSource"] })}>
            <option value="remote">remote (URL)</option>
            <option value="inline">inline (JSON)</option>
          </select>
        </Field>
        {f.jwksSource === "remote" ? (
          <>
            <Field label="JWKS URL" htmlFor={id("jwksUrl")} errors={e["jwks.remote.url"]}>
              <input id={id("jwksUrl")} className="mono" value={f.jwksUrl} placeholder="https://issuer.example.com/.well-known/jwks.json" onChange={(ev) => onChange({ jwksUrl: ev.target.value })} />
            </Field>
            <Field label="JWKS cache (ms)" htmlFor={id("jwksCache")} errors={e["jwks.remote.cacheDurationMs"]} hint={defaultHint(D.jwt.jwks.remote!.cacheDurationMs)}>
              <input id={id("jwksCache")} type="number" min={0} value={f.jwksCacheDurationMs} placeholder={String(D.jwt.jwks.remote!.cacheDurationMs)} onChange={(ev) => onChange({ jwksCacheDurationMs: ev.target.value })} />
            </Field>
          </>
        ) : (
          <Field label="JWKS document" htmlFor={id("jwksInline")} errors={e["jwks.inline"]} className="span-2">
            <textarea id={id("jwksInline")} className="mono code-input" rows={4} value={f.jwksInline} onChange={(ev) => onChange({ jwksInline: ev.target.value })} />
          </Field>
        )}
        <Field label="Forward token" htmlFor={id("forward")} errors={e.forward} hint={`Default ${D.jwt.forward ? "kept" : "removed"}`}>
          <label className="check">
            <input id={id("forward")} type="checkbox" checked={f.forward} onChange={(ev) => onChange({ forward: ev.target.checked })} /> Keep Authorization upstream
          </label>
        </Field>
        <Field label="Missing token" htmlFor={id("allowMissing")} errors={e.allowMissing} hint={`Default ${D.jwt.allowMissing ? "allowed" : "refused with 401"}`}>
          <label className="check">
            <input id={id("allowMissing")} type="checkbox" checked={f.allowMissing} onChange={(ev) => onChange({ allowMissing: ev.target.checked })} /> Allow requests without a token
          </label>
        </Field>
      </div>
      <FormRows<TClaimRow>
        id={`filter-${i}-claims`}
        legend="Claims copied to request headers"
        hint="Default none"
        noun="claim"
        rows={f.claimToHeaders}
        onChange={(claimToHeaders) => onChange({ claimToHeaders })}
        make={claimRow}
        addLabel="Add claim header"
        errorsOf={(n) => err.claims[n] ?? []}
        listErrors={err.claimsList}
        columns={[
          { header: "Claim", cell: (r, n) => <input aria-label={`Filter ${i + 1} claim ${n + 1}`} className="mono" value={r.claim} onChange={(ev) => patchClaim(r.key, { claim: ev.target.value })} /> },
          { header: "Header", cell: (r, n) => <input aria-label={`Filter ${i + 1} claim ${n + 1} header`} className="mono" value={r.header} onChange={(ev) => patchClaim(r.key, { header: ev.target.value })} /> },
        ]}
      />
    </>
  );
}

/** A proxy-wasm filter: the module (a wasmModule secret, uploaded on the secrets page) and the text its proxy_on_configure reads. */
function WasmFields({ f, i, err, modules, onChange }: { f: TWasmRow; i: number; err: TFilterErrors; modules: string[]; onChange: (p: Partial<TWasmRow>) => void }) {
  const id = (k: string) => `filter-${i}-${k}`;
  const e = err.fields;
  return (
    <div className="grid-3">
      <Field label="Module (wasmModule secret)" htmlFor={id("secret")} errors={[...(e["module.secret"] ?? []), ...(e.module ?? [])]} hint="Upload .wasm files on the secrets page (required)">
        <select id={id("secret")} value={f.secret} onChange={(ev) => onChange({ secret: ev.target.value })}>
          <option value="">(choose a module)</option>
          {[...new Set([...modules, ...(f.secret ? [f.secret] : [])])].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Plugin configuration" htmlFor={id("config")} errors={e.config} hint="Handed to proxy_on_configure as is (default empty)" className="span-2">
        <textarea id={id("config")} className="mono code-input" rows={3} value={f.config} onChange={(ev) => onChange({ config: ev.target.value })} />
      </Field>
    </div>
  );
}

function RbacFields({ f, i, err, onChange }: { f: TRbacRow; i: number; err: TFilterErrors; onChange: (p: Partial<TRbacRow>) => void }) {
  const patchRule = (key: number, p: Partial<TRbacRuleRow>) => onChange({ rules: f.rules.map((r) => (r.key === key ? { ...r, ...p } : r)) });
  return (
    <>
      <p className="hint">The first matching rule decides; a request no rule matches is refused (403).</p>
      {err.rulesList.map((m, n) => (
        <div key={n} className="field-error" role="alert">
          {m}
        </div>
      ))}
      {f.rules.map((r, n) => {
        const re = err.rules[n]!;
        const label = `Filter ${i + 1} rule ${n + 1}`;
        const patchPrincipal = (key: number, p: Partial<TPrincipalRow>) => patchRule(r.key, { principals: r.principals.map((x) => (x.key === key ? { ...x, ...p } : x)) });
        const patchHeader = (key: number, p: Partial<TMatcherRow>) => patchRule(r.key, { headers: r.headers.map((x) => (x.key === key ? { ...x, ...p } : x)) });
        return (
          <div key={r.key} className="rule-card" role="group" aria-label={label}>
            <div className="filter-card-head">
              <strong>Rule {n + 1}</strong>
              <select aria-label={`${label} decision`} value={r.allow ? "allow" : "deny"} onChange={(ev) => patchRule(r.key, { allow: ev.target.value === "allow" })}>
                <option value="allow">allow when matched</option>
                <option value="deny">deny when matched</option>
              </select>
              <button type="button" className="btn btn-ghost btn-small push-right" aria-label={`Move ${label} up`} disabled={n === 0} onClick={() => onChange({ rules: moved(f.rules, n, -1) })}>
                ↑
              </button>
              <button type="button" className="btn btn-ghost btn-small" aria-label={`Move ${label} down`} disabled={n === f.rules.length - 1} onClick={() => onChange({ rules: moved(f.rules, n, 1) })}>
                ↓
              </button>
              <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove ${label}`} onClick={() => onChange({ rules: f.rules.filter((x) => x.key !== r.key) })}>
                Remove
              </button>
            </div>
            {re.self.map((m, k) => (
              <div key={k} className="field-error" role="alert">
                {m}
              </div>
            ))}
            <FormRows<TPrincipalRow>
              id={`filter-${i}-rule-${n}-principals`}
              legend="Principals"
              hint="Any one must match. None = any principal (the default)"
              noun="principal"
              rows={r.principals}
              onChange={(principals) => patchRule(r.key, { principals })}
              make={() => principalRow()}
              addLabel="Add principal"
              errorsOf={(k) => re.principals[k] ?? []}
              listErrors={re.principalsList}
              columns={[
                {
                  header: "Kind",
                  cell: (x, k) => (
                    <select aria-label={`${label} principal ${k + 1} kind`} value={x.kind} onChange={(ev) => patchPrincipal(x.key, { kind: ev.target.value as TPrincipalRow["kind"] })}>
                      <option value="any">any</option>
                      <option value="sourceIp">source IP (CIDR)</option>
                      <option value="san">client certificate SAN</option>
                      <option value="jwtClaim">JWT claim</option>
                    </select>
                  ),
                },
                {
                  header: "Claim",
                  cell: (x, k) => <input aria-label={`${label} principal ${k + 1} claim`} className="mono" value={x.claim} disabled={x.kind !== "jwtClaim"} onChange={(ev) => patchPrincipal(x.key, { claim: ev.target.value })} />,
                },
                {
                  header: "Value",
                  cell: (x, k) => (
                    <input
                      aria-label={`${label} principal ${k + 1} value`}
                      className="mono"
                      value={x.value}
                      disabled={x.kind === "any"}
                      placeholder={x.kind === "sourceIp" ? "10.0.0.0/8" : x.kind === "san" ? "spiffe://mesh/web" : ""}
                      onChange={(ev) => patchPrincipal(x.key, { value: ev.target.value })}
                    />
                  ),
                },
              ]}
            />
            <div className="grid-2">
              <Field label="Path prefixes" htmlFor={`filter-${i}-rule-${n}-paths`} errors={re.paths} hint="Comma-separated; default every path">
                <input id={`filter-${i}-rule-${n}-paths`} className="mono" value={r.paths} placeholder="/admin" onChange={(ev) => patchRule(r.key, { paths: ev.target.value })} />
              </Field>
              <div className="field" role="group" aria-label={`${label} methods`}>
                <span className="label">Methods</span>
                <div>
                  {HTTP_METHODS.map((m) => (
                    <label key={m} className="check">
                      <input
                        type="checkbox"
                        checked={r.methods.includes(m)}
                        onChange={(ev) => patchRule(r.key, { methods: ev.target.checked ? [...r.methods, m] : r.methods.filter((x) => x !== m) })}
                      />{" "}
                      {m}
                    </label>
                  ))}
                </div>
                {re.methods.length ? (
                  re.methods.map((m, k) => (
                    <div key={k} className="field-error" role="alert">
                      {m}
                    </div>
                  ))
                ) : (
                  <div className="hint">None checked = every method (the default)</div>
                )}
              </div>
            </div>
            <FormRows<TMatcherRow>
              id={`filter-${i}-rule-${n}-headers`}
              legend="Header matchers"
              hint="All must match; default none"
              noun="header matcher"
              rows={r.headers}
              onChange={(headers) => patchRule(r.key, { headers })}
              make={matcherRow}
              addLabel="Add header matcher"
              errorsOf={(k) => re.headers[k] ?? []}
              listErrors={re.headersList}
              columns={[
                { header: "Name", cell: (x, k) => <input aria-label={`${label} header ${k + 1} name`} className="mono" value={x.name} onChange={(ev) => patchHeader(x.key, { name: ev.target.value })} /> },
                {
                  header: "Kind",
                  cell: (x, k) => (
                    <select aria-label={`${label} header ${k + 1} kind`} value={x.kind} onChange={(ev) => patchHeader(x.key, { kind: ev.target.value as TMatcherRow["kind"] })}>
                      <option value="exact">exact</option>
                      <option value="prefix">prefix</option>
                      <option value="regex">regex</option>
                      <option value="present">present</option>
                    </select>
                  ),
                },
                {
                  header: "Value",
                  cell: (x, k) => (
                    <input aria-label={`${label} header ${k + 1} value`} className="mono" value={x.value} disabled={x.kind === "present"} placeholder={x.kind === "present" ? "(any value)" : ""} onChange={(ev) => patchHeader(x.key, { value: ev.target.value })} />
                  ),
                },
                { header: "Invert", cell: (x, k) => <input type="checkbox" aria-label={`${label} header ${k + 1} invert`} checked={x.invert} onChange={(ev) => patchHeader(x.key, { invert: ev.target.checked })} /> },
              ]}
            />
          </div>
        );
      })}
      <button type="button" className="btn btn-small" onClick={() => onChange({ rules: [...f.rules, rbacRuleRow()] })}>
        Add rule
      </button>
    </>
  );
}

/** Names for a select, keeping the stored value even when it is not (yet) in the list. */
function withCurrent(names: string[], current: string): string[] {
  return current && !names.includes(current) ? [...names, current] : names;
}
