"use client";
import { moved, networkFilterRow, sniRouteRow, sourceRuleRow, LISTENER_DEFAULTS, type TNetworkFilterRow, type TNetworkFilterType, type TSniRouteRow, type TSniRouterRow, type TNetworkRbacRow, type TSourceRuleRow } from "../lib/listener-form.ts";
import type { issueClaimer } from "../lib/issues.ts";
import { Field } from "./field.tsx";
import { defaultHint, FormRows } from "./form-rows.tsx";

const LABEL: Record<TNetworkFilterType, string> = { rbac: "RBAC by source address", sniRouter: "SNI router (TLS passthrough)" };
const D = LISTENER_DEFAULTS.sniRouter;

type TClaimer = ReturnType<typeof issueClaimer>;
export type TNetworkFilterErrors = ReturnType<typeof networkFilterErrors>;

/** Claims every issue under `networkFilters` (called with the form's other fields, before the claimer's rest()). */
export function networkFilterErrors(c: TClaimer, filters: readonly TNetworkFilterRow[]) {
  return {
    list: c.exact("networkFilters"),
    filters: filters.map((f, i) => {
      const at = `networkFilters[${i}]`;
      return {
        name: c.at(`${at}.name`),
        rows: f.type === "rbac" ? f.rules.map((_, k) => c.at(`${at}.rules[${k}]`)) : f.routes.map((_, k) => c.at(`${at}.routes[${k}]`)),
        rowList: c.at(`${at}.rules`, `${at}.routes`),
        defaultCluster: c.at(`${at}.defaultCluster`),
        helloTimeoutMs: c.at(`${at}.helloTimeoutMs`),
        maxHelloBytes: c.at(`${at}.maxHelloBytes`),
        self: c.at(at),
      };
    }),
  };
}

/**
 * A tcp listener's network filters, in order (the tcp proxy runs after them): source-address
 * RBAC and the SNI router with its routes. Every field of both; the YAML tab has the same.
 */
export function NetworkFilters({ filters, onChange, errors, clusterNames }: { filters: TNetworkFilterRow[]; onChange: (f: TNetworkFilterRow[]) => void; errors: TNetworkFilterErrors; clusterNames: string[] }) {
  const patch = (key: number, p: Partial<TNetworkFilterRow>) => onChange(filters.map((f) => (f.key === key ? ({ ...f, ...p } as TNetworkFilterRow) : f)));
  return (
    <fieldset>
      <legend>Network filters</legend>
      <p className="hint">Run in this order on every connection; the TCP proxy runs last. An SNI router picks the cluster (leave the cluster above empty). Default: none.</p>
      {errors.list.map((m, i) => (
        <div key={i} className="field-error" role="alert">
          {m}
        </div>
      ))}
      {filters.map((f, i) => {
        const e = errors.filters[i]!;
        return (
          <section key={f.key} className="filter-card" aria-label={`Network filter ${i + 1}: ${LABEL[f.type]}`} data-network-filter={i}>
            <div className="filter-card-head">
              <h3>
                {i + 1}. {LABEL[f.type]}
              </h3>
              <button type="button" className="btn btn-ghost btn-small push-right" aria-label={`Move network filter ${i + 1} up`} disabled={i === 0} onClick={() => onChange(moved(filters, i, -1))}>
                ↑
              </button>
              <button type="button" className="btn btn-ghost btn-small" aria-label={`Move network filter ${i + 1} down`} disabled={i === filters.length - 1} onClick={() => onChange(moved(filters, i, 1))}>
                ↓
              </button>
              <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove network filter ${i + 1}`} onClick={() => onChange(filters.filter((x) => x.key !== f.key))}>
                Remove
              </button>
            </div>
            {e.self.map((m, n) => (
              <div key={n} className="field-error" role="alert">
                {m}
              </div>
            ))}
            <Field label="Filter name" htmlFor={`nf-${i}-name`} errors={e.name} hint={`Default ${f.type}; metrics and logs name the filter by it`}>
              <input id={`nf-${i}-name`} className="mono" value={f.name} placeholder={f.type} onChange={(ev) => patch(f.key, { name: ev.target.value })} />
            </Field>
            {f.type === "rbac" ? (
              <RbacRules f={f} i={i} e={e} onChange={(p) => patch(f.key, p)} />
            ) : (
              <SniRouter f={f} i={i} e={e} clusterNames={clusterNames} onChange={(p) => patch(f.key, p)} />
            )}
          </section>
        );
      })}
      <div className="actions">
        {(["rbac", "sniRouter"] as const).map((t) => (
          <button key={t} type="button" className="btn btn-small" onClick={() => onChange([...filters, networkFilterRow(t)])}>
            Add {LABEL[t]} filter
          </button>
        ))}
      </div>
    </fieldset>
  );
}

type TFilterErrors = TNetworkFilterErrors["filters"][number];

function RbacRules({ f, i, e, onChange }: { f: TNetworkRbacRow; i: number; e: TFilterErrors; onChange: (p: Partial<TNetworkRbacRow>) => void }) {
  const patchRule = (key: number, p: Partial<TSourceRuleRow>) => onChange({ rules: f.rules.map((r) => (r.key === key ? { ...r, ...p } : r)) });
  return (
    <FormRows<TSourceRuleRow>
      id={`nf-${i}-rules`}
      legend="Rules"
      hint="The first rule whose addresses match decides; a connection no rule matches is refused"
      noun="rule"
      rows={f.rules}
      onChange={(rules) => onChange({ rules })}
      make={sourceRuleRow}
      addLabel="Add rule"
      errorsOf={(n) => e.rows[n] ?? []}
      listErrors={e.rowList}
      columns={[
        {
          header: "Decision",
          cell: (r, n) => (
            <select aria-label={`Network filter ${i + 1} rule ${n + 1} decision`} value={r.allow ? "allow" : "deny"} onChange={(ev) => patchRule(r.key, { allow: ev.target.value === "allow" })}>
              <option value="allow">allow when matched</option>
              <option value="deny">deny when matched</option>
            </select>
          ),
        },
        {
          header: "Source addresses",
          cell: (r, n) => <input aria-label={`Network filter ${i + 1} rule ${n + 1} source addresses`} className="mono" value={r.sourceIps} placeholder="any address (or 10.0.0.0/8, ::1/128)" onChange={(ev) => patchRule(r.key, { sourceIps: ev.target.value })} />,
        },
      ]}
    />
  );
}

function SniRouter({ f, i, e, clusterNames, onChange }: { f: TSniRouterRow; i: number; e: TFilterErrors; clusterNames: string[]; onChange: (p: Partial<TSniRouterRow>) => void }) {
  const patchRoute = (key: number, p: Partial<TSniRouteRow>) => onChange({ routes: f.routes.map((r) => (r.key === key ? { ...r, ...p } : r)) });
  const clusterSelect = (id: string, label: string, value: string, set: (v: string) => void, empty: string) => (
    <select id={id} aria-label={label} value={value} onChange={(ev) => set(ev.target.value)}>
      <option value="">{empty}</option>
      {(value && !clusterNames.includes(value) ? [...clusterNames, value] : clusterNames).map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
    </select>
  );
  return (
    <>
      <FormRows<TSniRouteRow>
        id={`nf-${i}-routes`}
        legend="Routes"
        hint={'By the ClientHello\'s server name: exact names, or "*.example.com" for any name below it; exact wins, then the longest wildcard'}
        noun="SNI route"
        rows={f.routes}
        onChange={(routes) => onChange({ routes })}
        make={sniRouteRow}
        addLabel="Add SNI route"
        errorsOf={(n) => e.rows[n] ?? []}
        listErrors={e.rowList}
        columns={[
          { header: "Server names", cell: (r, n) => <input aria-label={`SNI route ${n + 1} server names`} className="mono" value={r.serverNames} placeholder="db.example.com, *.db.example.com" onChange={(ev) => patchRoute(r.key, { serverNames: ev.target.value })} /> },
          { header: "Cluster", cell: (r, n) => clusterSelect(`nf-${i}-route-${n}-cluster`, `SNI route ${n + 1} cluster`, r.cluster, (cluster) => patchRoute(r.key, { cluster }), "Choose a cluster…") },
          { header: "Name", cell: (r, n) => <input aria-label={`SNI route ${n + 1} name`} className="mono" value={r.name} placeholder={r.cluster || "(the cluster's)"} onChange={(ev) => patchRoute(r.key, { name: ev.target.value })} /> },
        ]}
      />
      <div className="grid-3">
        <Field label="Default cluster" htmlFor={`nf-${i}-default`} errors={e.defaultCluster} hint="No SNI, an unknown name or not TLS; default none (closed)">
          {clusterSelect(`nf-${i}-default`, "Default cluster", f.defaultCluster, (defaultCluster) => onChange({ defaultCluster }), "None (close the connection)")}
        </Field>
        <Field label="Hello timeout (ms)" htmlFor={`nf-${i}-hello-timeout`} errors={e.helloTimeoutMs} hint={defaultHint(D.helloTimeoutMs)}>
          <input id={`nf-${i}-hello-timeout`} type="number" min={1} value={f.helloTimeoutMs} placeholder={String(D.helloTimeoutMs)} onChange={(ev) => onChange({ helloTimeoutMs: ev.target.value })} />
        </Field>
        <Field label="Largest hello (bytes)" htmlFor={`nf-${i}-max-hello`} errors={e.maxHelloBytes} hint={defaultHint(D.maxHelloBytes)}>
          <input id={`nf-${i}-max-hello`} type="number" min={512} max={65536} value={f.maxHelloBytes} placeholder={String(D.maxHelloBytes)} onChange={(ev) => onChange({ maxHelloBytes: ev.target.value })} />
        </Field>
      </div>
    </>
  );
}
