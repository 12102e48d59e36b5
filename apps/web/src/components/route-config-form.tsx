"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { buildRouteConfig, checkRouteConfig, domainKind, domainRow, emptyVirtualHost, type TRouteConfigForm, type TVirtualHostForm } from "../lib/route-config-form.ts";
import { useTRPC } from "../lib/trpc.ts";
import { Field } from "./field.tsx";
import { FormRows } from "./form-rows.tsx";
import { HeaderMutationEditor } from "./header-mutation.tsx";
import { SaveForm, useResourceSave } from "./form-save.tsx";

/**
 * A route config's virtual hosts: name, domains (exact / *.suffix / prefix.* / *, each
 * explained as typed), the virtual-host rate limit and request / response header changes;
 * add and remove virtual hosts. Routes are kept as they are (edited on /routes).
 */
export function RouteConfigForm({ initial, existingName, baseRevision }: { initial: TRouteConfigForm; existingName?: string; baseRevision?: number | undefined }) {
  // The first `initial` (a parent re-render makes new row keys; the unsaved-changes check compares with this one).
  const [start] = useState(initial);
  const [form, setForm] = useState(start);
  const s = useResourceSave({ kind: "routeConfigs", existingName, baseRevision, initial: start, form, build: buildRouteConfig, check: checkRouteConfig });
  const trpc = useTRPC();
  const policies = useQuery(trpc.resources.list.queryOptions({ kind: "rateLimitPolicies" }));
  const policyNames = (policies.data ?? []).map((p) => p.name);
  const c = s.claimer;
  const nameErr = c.at("name");
  const setVh = (k: number, p: Partial<TVirtualHostForm>) => setForm((f) => ({ ...f, virtualHosts: f.virtualHosts.map((v) => (v.key === k ? { ...v, ...p } : v)) }));
  // Claim every virtual host's issues before rest().
  const vhErr = form.virtualHosts.map((_, i) => {
    const at = `virtualHosts[${i}]`;
    const domainRows = form.virtualHosts[i]!.domains.map((_d, j) => c.at(`${at}.domains[${j}]`));
    const requestAdd = form.virtualHosts[i]!.requestHeaders.add.map((_r, j) => c.at(`${at}.requestHeaders.add[${j}]`));
    const responseAdd = form.virtualHosts[i]!.responseHeaders.add.map((_r, j) => c.at(`${at}.responseHeaders.add[${j}]`));
    return {
      name: c.at(`${at}.name`),
      domainRows,
      domains: c.at(`${at}.domains`),
      rateLimit: c.at(`${at}.rateLimit`),
      requestAdd,
      requestRemove: c.at(`${at}.requestHeaders`),
      responseAdd,
      responseRemove: c.at(`${at}.responseHeaders`),
      whole: c.exact(at),
    };
  });
  const listErr = c.exact("virtualHosts");
  const rest = c.rest();
  return (
    <SaveForm save={s} rest={rest}>
      <fieldset>
        <legend>Route config</legend>
        <Field label="Name" htmlFor="rc-name" errors={nameErr} hint="Listeners refer to it by this name">
          <input id="rc-name" value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} autoComplete="off" placeholder="main" />
        </Field>
        <p className="hint">
          A request goes to the virtual host whose domains match its Host header: exact names first, then <code>*.suffix</code> (longest first), then <code>prefix.*</code>, then{" "}
          <code>*</code>. Each domain may appear in one virtual host only.
        </p>
        {listErr.map((m, i) => (
          <div key={i} className="field-error" role="alert">
            {m}
          </div>
        ))}
      </fieldset>
      {form.virtualHosts.map((vh, i) => {
        const e = vhErr[i]!;
        const id = `vh${i}`;
        const policyOptions = vh.rateLimit && !policyNames.includes(vh.rateLimit) ? [...policyNames, vh.rateLimit] : policyNames;
        return (
          <fieldset key={vh.key} data-virtual-host={i}>
            <legend>
              Virtual host {i + 1}
              {vh.name ? `: ${vh.name}` : ""}
            </legend>
            {e.whole.map((m, n) => (
              <div key={n} className="field-error" role="alert">
                {m}
              </div>
            ))}
            <div className="grid-2">
              <Field label="Name" htmlFor={`${id}-name`} errors={e.name}>
                <input id={`${id}-name`} value={vh.name} onChange={(ev) => setVh(vh.key, { name: ev.target.value })} autoComplete="off" placeholder="api" />
              </Field>
              <Field label="Rate limit" htmlFor={`${id}-rate-limit`} errors={e.rateLimit} hint="Applies to every request of this virtual host; default none">
                <select id={`${id}-rate-limit`} value={vh.rateLimit} onChange={(ev) => setVh(vh.key, { rateLimit: ev.target.value })}>
                  <option value="">(none)</option>
                  {policyOptions.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
            <FormRows
              id={`${id}-domains`}
              legend="Domains"
              hint={
                <>
                  <code>api.example.com</code> exact · <code>*.example.com</code> suffix · <code>api.*</code> prefix · <code>*</code> any host. At least one.
                </>
              }
              noun="domain"
              rows={vh.domains}
              onChange={(domains) => setVh(vh.key, { domains })}
              make={() => domainRow()}
              addLabel="Add domain"
              errorsOf={(j) => e.domainRows[j] ?? []}
              listErrors={e.domains}
              columns={[
                {
                  header: "Domain",
                  cell: (r, j) => (
                    <input
                      aria-label={`Virtual host ${i + 1} domain ${j + 1}`}
                      className="mono"
                      value={r.value}
                      placeholder="*.example.com"
                      onChange={(ev) => setVh(vh.key, { domains: vh.domains.map((d) => (d.key === r.key ? { ...d, value: ev.target.value } : d)) })}
                    />
                  ),
                },
                {
                  header: "Matches",
                  cell: (r) => {
                    const k = domainKind(r.value);
                    return <span className={k.kind === "invalid" ? "field-error small" : "muted small"}>{k.text}</span>;
                  },
                },
              ]}
            />
            <HeaderMutationEditor
              id={`${id}-requestHeaders`}
              label="Request"
              value={vh.requestHeaders}
              onChange={(m) => setVh(vh.key, { requestHeaders: m })}
              addErrors={(j) => e.requestAdd[j] ?? []}
              removeErrors={e.requestRemove}
            />
            <HeaderMutationEditor
              id={`${id}-responseHeaders`}
              label="Response"
              value={vh.responseHeaders}
              onChange={(m) => setVh(vh.key, { responseHeaders: m })}
              addErrors={(j) => e.responseAdd[j] ?? []}
              removeErrors={e.responseRemove}
            />
            <div className="actions">
              <span className="muted">
                {vh.routes.length} route{vh.routes.length === 1 ? "" : "s"} (kept as they are;{" "}
                {existingName !== undefined ? <Link href="/routes">edit them on Routes</Link> : "add them on Routes after creating"})
              </span>
              <button
                type="button"
                className="btn btn-danger btn-small push-right"
                aria-label={`Remove virtual host ${i + 1}${vh.name ? ` (${vh.name})` : ""}`}
                onClick={() => {
                  if (vh.routes.length === 0 || window.confirm(`Remove virtual host "${vh.name}" and its ${vh.routes.length} route(s)?`)) {
                    setForm((f) => ({ ...f, virtualHosts: f.virtualHosts.filter((v) => v.key !== vh.key) }));
                  }
                }}
              >
                Remove virtual host
              </button>
            </div>
          </fieldset>
        );
      })}
      <div className="actions">
        <button type="button" className="btn" onClick={() => setForm((f) => ({ ...f, virtualHosts: [...f.virtualHosts, emptyVirtualHost()] }))}>
          Add virtual host
        </button>
      </div>
    </SaveForm>
  );
}
