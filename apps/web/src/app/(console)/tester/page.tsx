"use client";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Field } from "../../../components/field.tsx";
import { useTRPC } from "../../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../../lib/trpc-errors.ts";
import { TableHead } from "../../../components/ui.tsx";

type THeaderRow = { key: number; name: string; value: string };
let nextKey = 1;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** Which virtual host, route, cluster and endpoints would serve a request, by the proxy's own matcher. */
export default function TesterPage() {
  const trpc = useTRPC();
  const versions = useQuery(trpc.versions.list.queryOptions({ limit: 50 }));
  const [form, setForm] = useState({ source: "working", routeConfig: "", method: "GET", host: "example.com", path: "/", query: "" });
  const [headers, setHeaders] = useState<THeaderRow[]>([]);
  const [asked, setAsked] = useState<null | Parameters<typeof trpc.tester.test.queryOptions>[0]>(null);
  const result = useQuery({ ...trpc.tester.test.queryOptions(asked ?? { source: "working", method: "GET", host: "x", path: "/", query: "", headers: [] }), enabled: asked !== null, retry: false });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAsked({
      source: form.source === "working" ? "working" : Number(form.source),
      routeConfig: form.routeConfig || undefined,
      method: form.method,
      host: form.host,
      path: form.path,
      query: form.query,
      headers: headers.filter((h) => h.name.trim()).map(({ name, value }) => ({ name, value })),
    });
  };
  const set = (k: keyof typeof form, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const errs = issuesOf(result.error);
  const at = (f: string) => errs.filter((i) => i.path === f).map((i) => i.message);
  const r = result.data;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Route tester</h1>
          <p className="muted">Evaluated by the same matcher code the proxy runs (first match wins), on the working config or any published version.</p>
        </div>
      </div>
      <form className="form card" onSubmit={submit} noValidate aria-label="Test request">
        <div className="grid-3">
          <Field label="Config" htmlFor="t-source">
            <select id="t-source" value={form.source} onChange={(e) => set("source", e.target.value)}>
              <option value="working">Working config (unpublished edits)</option>
              {versions.data?.map((v) => (
                <option key={v.version} value={String(v.version)}>
                  v{v.version} — {v.message}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Route config" htmlFor="t-rc" hint="Default: the one the first listener serves">
            <select id="t-rc" value={form.routeConfig} onChange={(e) => set("routeConfig", e.target.value)}>
              <option value="">Default</option>
              {r?.routeConfigs.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Method" htmlFor="t-method" errors={at("method")}>
            <select id="t-method" value={form.method} onChange={(e) => set("method", e.target.value)}>
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field label="Host" htmlFor="t-host" errors={at("host")}>
            <input id="t-host" value={form.host} onChange={(e) => set("host", e.target.value)} className="mono" />
          </Field>
          <Field label="Path" htmlFor="t-path" errors={at("path")}>
            <input id="t-path" value={form.path} onChange={(e) => set("path", e.target.value)} className="mono" />
          </Field>
          <Field label="Query" htmlFor="t-query" hint="e.g. debug=1&page=2">
            <input id="t-query" value={form.query} onChange={(e) => set("query", e.target.value)} className="mono" />
          </Field>
        </div>
        <fieldset>
          <legend>Headers</legend>
          {headers.map((h, i) => (
            <div className="row-inline" key={h.key}>
              <input aria-label={`Header ${i + 1} name`} placeholder="x-canary" className="mono" value={h.name} onChange={(e) => setHeaders((hs) => hs.map((x) => (x.key === h.key ? { ...x, name: e.target.value } : x)))} />
              <input aria-label={`Header ${i + 1} value`} placeholder="1" className="mono" value={h.value} onChange={(e) => setHeaders((hs) => hs.map((x) => (x.key === h.key ? { ...x, value: e.target.value } : x)))} />
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setHeaders((hs) => hs.filter((x) => x.key !== h.key))}>
                Remove<span className="sr-only"> header {i + 1}</span>
              </button>
            </div>
          ))}
          <button type="button" className="btn btn-small" onClick={() => setHeaders((hs) => [...hs, { key: nextKey++, name: "", value: "" }])}>
            Add header
          </button>
        </fieldset>
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            Test
          </button>
        </div>
      </form>

      {result.isFetching && <p className="muted" aria-busy="true">Evaluating…</p>}
      {result.isError && errs.length === 0 && (
        <p className="banner banner-error" role="alert">
          {messageOf(result.error)}
        </p>
      )}
      {r && !result.isFetching && (
        <section className="card" aria-label="Result" data-testid="tester-result">
          <h2>
            {r.route ? (
              <>
                Served by route <strong>{r.route}</strong>
              </>
            ) : (
              "No route matches: the proxy answers 404 (response flag NR)"
            )}
          </h2>
          <dl className="facts">
            <dt>Route config</dt>
            <dd>{r.routeConfig}</dd>
            <dt>Virtual host</dt>
            <dd>{r.virtualHost ? `${r.virtualHost.name} (host "${r.host}" matched ${r.virtualHost.rule === "any" ? "*" : `${r.virtualHost.rule} domain ${r.virtualHost.domain}`})` : `none serves host "${r.host}"`}</dd>
            {r.action?.kind === "route" && (
              <>
                <dt>Cluster</dt>
                <dd data-testid="tester-cluster">
                  {r.action.clusters.map((c) => (
                    <div key={c.name}>
                      <strong>{c.name}</strong>
                      {r.action?.kind === "route" && r.action.clusters.length > 1 ? ` (weight ${c.weight})` : ""} — endpoints{" "}
                      <span className="mono small">{c.endpoints.length ? c.endpoints.join(", ") : "none"}</span>
                    </div>
                  ))}
                </dd>
                <dt>Upstream path</dt>
                <dd className="mono">{r.action.upstreamPath}</dd>
                {r.action.hostRewrite && (
                  <>
                    <dt>Host rewrite</dt>
                    <dd className="mono">{r.action.hostRewrite}</dd>
                  </>
                )}
              </>
            )}
            {r.action?.kind === "redirect" && (
              <>
                <dt>Redirect</dt>
                <dd className="mono">
                  {r.action.status} → {r.action.location}
                </dd>
              </>
            )}
            {r.action?.kind === "directResponse" && (
              <>
                <dt>Direct response</dt>
                <dd className="mono">
                  {r.action.status} {r.action.body}
                </dd>
              </>
            )}
          </dl>
          {r.routes.length > 0 && (
            <table className="table">
              <caption className="sr-only">Routes in match order</caption>
              <TableHead columns={[{ label: "#", num: true }, "Route", "Result"]} />
              <tbody>
                {r.routes.map((x) => (
                  <tr key={x.name} data-route={x.name}>
                    <td className="num">{x.index + 1}</td>
                    <td>{x.name}</td>
                    <td>{x.matched ? <span className="tag tag-live">matched</span> : <ul className="plain small">{x.reasons.map((m, n) => <li key={n}>✗ {m}</li>)}</ul>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
