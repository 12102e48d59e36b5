"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { TRoute } from "@switchyard/config-model";
import { issueClaimer } from "../lib/issues.ts";
import { buildRoute, domainsOf, HTTP_METHODS, type TRouteForm } from "../lib/route-form.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { Field, IssueList } from "./field.tsx";
import { NameSelect } from "./name-select.tsx";

export type TRouteFormProps = {
  initial: TRouteForm;
  /** Present when editing: the route as stored and where it is. */
  /** `revision`: the working-config revision the route was read at, sent back so a stale edit gets 409. */
  existing?: { routeConfig: string; virtualHost: string; name: string; route: TRoute; revision?: number };
};

export function RouteForm({ initial, existing }: TRouteFormProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<TRouteForm>(initial);
  const set = <K extends keyof TRouteForm>(key: K, value: TRouteForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const placements = useQuery(trpc.routes.placements.queryOptions());
  const clusters = useQuery(trpc.clusters.list.queryOptions());

  const onSaved = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push("/routes");
  };
  const create = useMutation(trpc.routes.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.routes.update.mutationOptions({ onSuccess: onSaved }));
  const remove = useMutation(trpc.routes.delete.mutationOptions({ onSuccess: onSaved }));
  const mutation = existing ? update : create;

  const routeConfigs = placements.data?.map((p) => p.routeConfig) ?? [];
  const vhosts = placements.data?.find((p) => p.routeConfig === form.routeConfig)?.virtualHosts ?? [];
  const vhostExists = vhosts.some((v) => v.name === form.virtualHost);
  const clusterNames = clusters.data?.map((c) => c.name) ?? [];
  if (form.cluster && !clusterNames.includes(form.cluster)) clusterNames.push(form.cluster);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const placement = {
      routeConfig: form.routeConfig.trim(),
      virtualHost: form.virtualHost.trim(),
      domains: vhostExists ? undefined : domainsOf(form),
    };
    const route = buildRoute(form, existing?.route);
    if (existing) update.mutate({ ...placement, ref: { routeConfig: existing.routeConfig, virtualHost: existing.virtualHost, name: existing.name }, route, baseRevision: existing.revision });
    else create.mutate({ ...placement, route });
  };

  // Every server-side issue lands next to the input its path names; the rest above the form.
  const c = issueClaimer(issuesOf(mutation.error));
  const err = {
    routeConfig: c.at("routeConfig"),
    virtualHost: c.at("virtualHost"),
    domains: c.at("domains"),
    name: c.at("name"),
    matchValue: [...c.exact("match"), ...c.at(`match.${form.matchKind}`)],
    methods: c.at("match.methods"),
    action: c.exact("", "route", "redirect", "directResponse"),
    cluster: c.at("route.cluster", "route.weightedClusters"),
    prefixRewrite: c.at("route.prefixRewrite"),
    hostRewrite: c.at("route.hostRewrite"),
    timeoutMs: c.at("route.timeoutMs"),
    pathRedirect: c.at("redirect.pathRedirect", "redirect.prefixRewrite"),
    hostRedirect: c.at("redirect.hostRedirect"),
    responseCode: c.at("redirect.responseCode"),
    status: c.at("directResponse.status"),
    body: c.at("directResponse.body"),
  };
  const rest = c.rest();
  const hasIssues = issuesOf(mutation.error).length > 0;

  return (
    <form className="form" onSubmit={submit} noValidate aria-describedby="route-form-status">
      <div id="route-form-status">
        {mutation.error && !hasIssues && (
          <p className="banner banner-error" role="alert">
            {messageOf(mutation.error)}
          </p>
        )}
        {hasIssues && rest.length === 0 && (
          <p className="banner banner-error" role="alert">
            The config was not saved: fix the fields marked below.
          </p>
        )}
        <IssueList issues={rest} />
      </div>

      <fieldset>
        <legend>Placement</legend>
        <div className="grid-3">
          <NameSelect
            id="routeConfig"
            label="Route config"
            options={routeConfigs}
            value={form.routeConfig}
            onChange={(v) => setForm((f) => ({ ...f, routeConfig: v, virtualHost: placements.data?.find((p) => p.routeConfig === v)?.virtualHosts[0]?.name ?? f.virtualHost }))}
            errors={err.routeConfig}
            newLabel="New route config…"
          />
          <NameSelect
            key={form.routeConfig}
            id="virtualHost"
            label="Virtual host"
            options={vhosts.map((v) => v.name)}
            value={form.virtualHost}
            onChange={(v) => set("virtualHost", v)}
            errors={err.virtualHost}
            newLabel="New virtual host…"
          />
          {vhostExists ? (
            <Field label="Domains" htmlFor="domains" errors={err.domains}>
              <input id="domains" value={vhosts.find((v) => v.name === form.virtualHost)?.domains.join(", ") ?? ""} readOnly aria-readonly="true" />
            </Field>
          ) : (
            <Field label="Domains of the new virtual host" htmlFor="domains" errors={err.domains} hint="Comma-separated: api.example.com, *.example.com, *">
              <input id="domains" value={form.domains} onChange={(e) => set("domains", e.target.value)} />
            </Field>
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Match</legend>
        <div className="grid-3">
          <Field label="Name" htmlFor="name" errors={err.name}>
            <input id="name" value={form.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" placeholder="users" />
          </Field>
          <Field label="Match kind" htmlFor="matchKind">
            <select id="matchKind" value={form.matchKind} onChange={(e) => set("matchKind", e.target.value as TRouteForm["matchKind"])}>
              <option value="prefix">Path prefix</option>
              <option value="path">Exact path</option>
              <option value="regex">Path regex</option>
            </select>
          </Field>
          <Field
            label={form.matchKind === "prefix" ? "Prefix" : form.matchKind === "path" ? "Path" : "Regex"}
            htmlFor="matchValue"
            errors={err.matchValue}
            hint={form.matchKind === "regex" ? "Whole-path match, ECMAScript syntax" : undefined}
          >
            <input id="matchValue" className="mono" value={form.matchValue} onChange={(e) => set("matchValue", e.target.value)} autoComplete="off" />
          </Field>
        </div>
        <div className={`field${err.methods.length ? " field-invalid" : ""}`} role="group" aria-labelledby="methods-label">
          <span id="methods-label" className="label">
            Methods <span className="muted">(none checked = any method)</span>
          </span>
          <div className="checks">
            {HTTP_METHODS.map((m) => (
              <label key={m} className="check">
                <input
                  type="checkbox"
                  checked={form.methods.includes(m)}
                  onChange={(e) => set("methods", e.target.checked ? [...form.methods, m] : form.methods.filter((x) => x !== m))}
                />
                {m}
              </label>
            ))}
          </div>
          {err.methods.map((m, i) => (
            <div key={i} className="field-error" role="alert">
              {m}
            </div>
          ))}
        </div>
      </fieldset>

      <fieldset>
        <legend>Action</legend>
        <div className="segmented" role="radiogroup" aria-label="Action">
          {(
            [
              ["route", "Forward to cluster"],
              ["redirect", "Redirect"],
              ["directResponse", "Direct response"],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className={form.actionKind === value ? "active" : undefined}>
              <input type="radio" name="actionKind" value={value} checked={form.actionKind === value} onChange={() => set("actionKind", value)} />
              {label}
            </label>
          ))}
        </div>
        {err.action.map((m, i) => (
          <div key={i} className="field-error" role="alert">
            {m}
          </div>
        ))}

        {form.actionKind === "route" && (
          <div className="grid-2">
            <Field
              label="Cluster"
              htmlFor="cluster"
              errors={err.cluster}
              hint={!form.cluster && existing?.route.route?.weightedClusters ? "Weighted clusters are kept as they are" : undefined}
            >
              <select id="cluster" value={form.cluster} onChange={(e) => set("cluster", e.target.value)}>
                <option value="">{existing?.route.route?.weightedClusters ? "(weighted clusters)" : "Choose a cluster…"}</option>
                {clusterNames.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Timeout (ms)" htmlFor="timeoutMs" errors={err.timeoutMs} hint="Whole request including retries; 0 = none; default 15000">
              <input id="timeoutMs" type="number" min={0} step={1} value={form.timeoutMs} onChange={(e) => set("timeoutMs", e.target.value)} />
            </Field>
            <Field label="Prefix rewrite" htmlFor="prefixRewrite" errors={err.prefixRewrite} hint="Replaces the matched prefix, e.g. /">
              <input id="prefixRewrite" className="mono" value={form.prefixRewrite} onChange={(e) => set("prefixRewrite", e.target.value)} autoComplete="off" />
            </Field>
            <Field label="Host rewrite" htmlFor="hostRewrite" errors={err.hostRewrite} hint="Host header sent upstream">
              <input id="hostRewrite" value={form.hostRewrite} onChange={(e) => set("hostRewrite", e.target.value)} autoComplete="off" />
            </Field>
          </div>
        )}
        {form.actionKind === "redirect" && (
          <div className="grid-2">
            <Field label="Path" htmlFor="pathRedirect" errors={err.pathRedirect}>
              <input id="pathRedirect" className="mono" value={form.pathRedirect} onChange={(e) => set("pathRedirect", e.target.value)} />
            </Field>
            <Field label="Host" htmlFor="hostRedirect" errors={err.hostRedirect}>
              <input id="hostRedirect" value={form.hostRedirect} onChange={(e) => set("hostRedirect", e.target.value)} />
            </Field>
            <Field label="Status code" htmlFor="responseCode" errors={err.responseCode}>
              <select id="responseCode" value={form.responseCode} onChange={(e) => set("responseCode", e.target.value)}>
                {["301", "302", "303", "307", "308"].map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            </Field>
            <label className="check check-field">
              <input type="checkbox" checked={form.httpsRedirect} onChange={(e) => set("httpsRedirect", e.target.checked)} /> Redirect to https
            </label>
          </div>
        )}
        {form.actionKind === "directResponse" && (
          <div className="grid-2">
            <Field label="Status" htmlFor="status" errors={err.status}>
              <input id="status" type="number" min={100} max={599} value={form.status} onChange={(e) => set("status", e.target.value)} />
            </Field>
            <Field label="Body" htmlFor="body" errors={err.body}>
              <textarea id="body" rows={3} value={form.body} onChange={(e) => set("body", e.target.value)} />
            </Field>
          </div>
        )}
      </fieldset>

      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : existing ? "Save route" : "Create route"}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => router.push("/routes")}>
          Cancel
        </button>
        {existing && (
          <button
            type="button"
            className="btn btn-danger push-right"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete route "${existing.name}" from the working config?`)) {
                remove.mutate({ routeConfig: existing.routeConfig, virtualHost: existing.virtualHost, name: existing.name });
              }
            }}
          >
            Delete route
          </button>
        )}
      </div>
      {remove.error && (
        <p className="banner banner-error" role="alert">
          {messageOf(remove.error)}
        </p>
      )}
      <p className="hint">Saved routes change the working config only; publish to send them to the proxies.</p>
    </form>
  );
}
