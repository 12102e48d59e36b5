"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { TCluster } from "@switchyard/config-model";
import { buildCluster, endpointRow, LB_POLICIES, type TClusterForm, type TEndpointRow } from "../lib/cluster-form.ts";
import { issueClaimer } from "../lib/issues.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { Field, IssueList } from "./field.tsx";

/** `baseRevision`: the working-config revision the cluster was read at (a stale edit gets 409). */
export function ClusterForm({ initial, existing, baseRevision }: { initial: TClusterForm; existing?: TCluster; baseRevision?: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<TClusterForm>(initial);
  const set = <K extends keyof TClusterForm>(key: K, value: TClusterForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const setEndpoint = (key: number, patch: Partial<TEndpointRow>) =>
    setForm((f) => ({ ...f, endpoints: f.endpoints.map((e) => (e.key === key ? { ...e, ...patch } : e)) }));

  const onSaved = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push("/clusters");
  };
  const create = useMutation(trpc.clusters.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.clusters.update.mutationOptions({ onSuccess: onSaved }));
  const remove = useMutation(trpc.clusters.delete.mutationOptions({ onSuccess: onSaved }));
  const mutation = existing ? update : create;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const cluster = buildCluster(form, existing);
    if (existing) update.mutate({ name: existing.name, cluster, baseRevision });
    else create.mutate({ cluster });
  };

  const issues = issuesOf(mutation.error);
  const c = issueClaimer(issues);
  const err = {
    name: c.at("name"),
    discovery: c.at("discovery"),
    lbPolicy: c.at("lbPolicy"),
    protocol: c.at("protocol"),
    connectTimeoutMs: c.at("connectTimeoutMs"),
    rows: form.endpoints.map((_, i) => ({
      row: c.exact(`endpoints[${i}]`),
      address: c.at(`endpoints[${i}].address`),
      port: c.at(`endpoints[${i}].port`),
      weight: c.at(`endpoints[${i}].weight`),
    })),
    endpoints: c.exact("endpoints"),
  };
  const rest = c.rest();

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

      <fieldset>
        <legend>Cluster</legend>
        <div className="grid-3">
          <Field label="Name" htmlFor="cluster-name" errors={err.name}>
            <input id="cluster-name" value={form.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" placeholder="users" />
          </Field>
          <Field label="Discovery" htmlFor="discovery" errors={err.discovery}>
            <select id="discovery" value={form.discovery} onChange={(e) => set("discovery", e.target.value as TClusterForm["discovery"])}>
              <option value="static">Static addresses</option>
              <option value="strictDns">Strict DNS (every address of each name)</option>
              <option value="logicalDns">Logical DNS (first address of one name)</option>
            </select>
          </Field>
          <Field label="Load balancing" htmlFor="lbPolicy" errors={err.lbPolicy}>
            <select id="lbPolicy" value={form.lbPolicy} onChange={(e) => set("lbPolicy", e.target.value as TClusterForm["lbPolicy"])}>
              {LB_POLICIES.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Upstream protocol" htmlFor="protocol" errors={err.protocol}>
            <select id="protocol" value={form.protocol} onChange={(e) => set("protocol", e.target.value as TClusterForm["protocol"])}>
              <option value="http1">HTTP/1.1</option>
              <option value="http2">HTTP/2</option>
              <option value="auto">Auto (ALPN over TLS)</option>
            </select>
          </Field>
          <Field label="Connect timeout (ms)" htmlFor="connectTimeoutMs" errors={err.connectTimeoutMs} hint="Default 5000">
            <input id="connectTimeoutMs" type="number" min={1} value={form.connectTimeoutMs} onChange={(e) => set("connectTimeoutMs", e.target.value)} />
          </Field>
        </div>
      </fieldset>

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

      <div className="actions">
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
      {remove.error && <IssueList issues={issuesOf(remove.error).length ? issuesOf(remove.error) : [{ path: "", message: messageOf(remove.error) }]} />}
    </form>
  );
}
