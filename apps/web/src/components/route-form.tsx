"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import type { TRoute } from "@switchyard/config-model";
import { issueClaimer, type TFieldIssue } from "../lib/issues.ts";
import {
  buildRoute,
  checkRoute,
  domainsOf,
  hashRow,
  headerAddRow,
  HTTP_METHODS,
  matcherRow,
  mirrorRow,
  MIRROR_FRACTION_DEFAULT,
  RETRY_ON,
  ROUTE_DEFAULTS,
  weightedRow,
  type THeaderMutationForm,
  type TMatcherRow,
  type TRouteForm,
} from "../lib/route-form.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { useUnsavedChanges } from "../lib/use-unsaved-changes.ts";
import { Field, IssueList } from "./field.tsx";
import { defaultHint, FormRows } from "./form-rows.tsx";
import { NameSelect } from "./name-select.tsx";
import { useReadOnly } from "./read-only.tsx";
import { useToast } from "./toaster.tsx";

export type TRouteFormProps = {
  initial: TRouteForm;
  /** Present when editing: the route as stored and where it is. */
  /** `revision`: the working-config revision the route was read at, sent back so a stale edit gets 409. */
  existing?: { routeConfig: string; virtualHost: string; name: string; route: TRoute; revision?: number };
};

const D = ROUTE_DEFAULTS;

export function RouteForm({ initial, existing }: TRouteFormProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const readOnly = useReadOnly();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<TRouteForm>(initial);
  const [saved, setSaved] = useState(false);
  // Issues found in the browser by ZRoute before anything is sent.
  const [clientIssues, setClientIssues] = useState<TFieldIssue[]>([]);
  const set = <K extends keyof TRouteForm>(key: K, value: TRouteForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  useUnsavedChanges(!saved && !readOnly && JSON.stringify(form) !== JSON.stringify(initial));

  const placements = useQuery(trpc.routes.placements.queryOptions());
  const clusters = useQuery(trpc.clusters.list.queryOptions());
  const policies = useQuery(trpc.resources.list.queryOptions({ kind: "rateLimitPolicies" }));

  const onSaved = async () => {
    setSaved(true);
    toast.ok(`${existing ? "Saved" : "Created"} route "${form.name.trim()}"`);
    await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
    router.push("/routes");
  };
  const onError = (e: unknown) => toast.error(issuesOf(e).length ? "The route was not saved: see the marked fields" : messageOf(e));
  const create = useMutation(trpc.routes.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.routes.update.mutationOptions({ onSuccess: onSaved, onError }));
  const remove = useMutation(
    trpc.routes.delete.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        toast.ok(`Deleted route "${existing?.name}"`);
        await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
        router.push("/routes");
      },
      onError,
    }),
  );
  const mutation = existing ? update : create;

  const routeConfigs = placements.data?.map((p) => p.routeConfig) ?? [];
  const vhosts = placements.data?.find((p) => p.routeConfig === form.routeConfig)?.virtualHosts ?? [];
  const vhostExists = vhosts.some((v) => v.name === form.virtualHost);
  const clusterNames = clusters.data?.map((c) => c.name) ?? [];
  for (const n of [form.cluster, ...form.weighted.map((w) => w.cluster), ...form.mirror.map((m) => m.cluster)]) if (n && !clusterNames.includes(n)) clusterNames.push(n);
  const policyNames = policies.data?.map((p) => p.name) ?? [];
  if (form.rateLimit && !policyNames.includes(form.rateLimit)) policyNames.push(form.rateLimit);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const placement = {
      routeConfig: form.routeConfig.trim(),
      virtualHost: form.virtualHost.trim(),
      domains: vhostExists ? undefined : domainsOf(form),
    };
    const route = buildRoute(form);
    const found = checkRoute(route);
    setClientIssues(found);
    if (found.length) {
      mutation.reset();
      return;
    }
    if (existing) update.mutate({ ...placement, ref: { routeConfig: existing.routeConfig, virtualHost: existing.virtualHost, name: existing.name }, route, baseRevision: existing.revision });
    else create.mutate({ ...placement, route });
  };

  // Every issue (the browser's or the server's) lands next to the input its path names; the rest above the form.
  const allIssues = clientIssues.length ? clientIssues : issuesOf(mutation.error);
  const c = issueClaimer(allIssues);
  const rowErr = (prefix: string) => (i: number) => c.at(`${prefix}[${i}]`);
  const err = {
    routeConfig: c.at("routeConfig"),
    virtualHost: c.at("virtualHost"),
    domains: c.at("domains"),
    name: c.at("name"),
    matchValue: [...c.exact("match"), ...c.at(`match.${form.matchKind}`)],
    methods: c.at("match.methods"),
    headers: rowErr("match.headers"),
    query: rowErr("match.query"),
    action: c.exact("", "route", "redirect", "directResponse"),
    cluster: c.at("route.cluster"),
    weighted: rowErr("route.weightedClusters"),
    weightedList: c.exact("route.weightedClusters"),
    prefixRewrite: c.at("route.prefixRewrite"),
    hostRewrite: c.at("route.hostRewrite"),
    timeoutMs: c.at("route.timeoutMs"),
    idleTimeoutMs: c.at("route.idleTimeoutMs"),
    upgradeIdleTimeoutMs: c.at("route.upgradeIdleTimeoutMs"),
    retryOn: c.at("route.retryPolicy.retryOn"),
    numRetries: c.at("route.retryPolicy.numRetries"),
    perTryTimeoutMs: c.at("route.retryPolicy.perTryTimeoutMs"),
    backoffBaseMs: c.at("route.retryPolicy.backoff.baseMs"),
    backoffMaxMs: c.at("route.retryPolicy.backoff.maxMs"),
    retriableStatusCodes: c.at("route.retryPolicy.retriableStatusCodes"),
    maxBufferBytes: c.at("route.retryPolicy.maxBufferBytes"),
    mirror: rowErr("route.mirror"),
    hashPolicy: rowErr("route.hashPolicy"),
    rateLimit: c.at("route.rateLimit"),
    pathRedirect: c.at("redirect.pathRedirect"),
    redirectPrefixRewrite: c.at("redirect.prefixRewrite"),
    hostRedirect: c.at("redirect.hostRedirect"),
    portRedirect: c.at("redirect.portRedirect"),
    responseCode: c.at("redirect.responseCode"),
    status: c.at("directResponse.status"),
    body: c.at("directResponse.body"),
    contentType: c.at("directResponse.contentType"),
    requestAdd: rowErr("requestHeaders.add"),
    requestRemove: c.at("requestHeaders.remove"),
    responseAdd: rowErr("responseHeaders.add"),
    responseRemove: c.at("responseHeaders.remove"),
  };
  const rest = c.rest();
  const hasIssues = allIssues.length > 0;

  const matcherColumns = (which: "headers" | "query", noun: string) => {
    const patch = (k: number, p: Partial<TMatcherRow>) => set(which, form[which].map((r) => (r.key === k ? { ...r, ...p } : r)));
    return [
      { header: "Name", cell: (r: TMatcherRow, i: number) => <input aria-label={`${noun} ${i + 1} name`} className="mono" value={r.name} onChange={(e) => patch(r.key, { name: e.target.value })} /> },
      {
        header: "Kind",
        cell: (r: TMatcherRow, i: number) => (
          <select aria-label={`${noun} ${i + 1} kind`} value={r.kind} onChange={(e) => patch(r.key, { kind: e.target.value as TMatcherRow["kind"] })}>
            <option value="exact">exact</option>
            <option value="prefix">prefix</option>
            <option value="regex">regex</option>
            <option value="present">present</option>
          </select>
        ),
      },
      {
        header: "Value",
        cell: (r: TMatcherRow, i: number) => (
          <input aria-label={`${noun} ${i + 1} value`} className="mono" value={r.value} disabled={r.kind === "present"} placeholder={r.kind === "present" ? "(any value)" : ""} onChange={(e) => patch(r.key, { value: e.target.value })} />
        ),
      },
      {
        header: "Invert",
        cell: (r: TMatcherRow, i: number) => <input type="checkbox" aria-label={`${noun} ${i + 1} invert`} checked={r.invert} onChange={(e) => patch(r.key, { invert: e.target.checked })} />,
      },
    ];
  };

  const mutationEditor = (which: "requestHeaders" | "responseHeaders", label: string) => {
    const m = form[which];
    const setM = (next: THeaderMutationForm) => set(which, next);
    const addErr = which === "requestHeaders" ? err.requestAdd : err.responseAdd;
    const removeErr = which === "requestHeaders" ? err.requestRemove : err.responseRemove;
    const patch = (k: number, p: Partial<THeaderMutationForm["add"][number]>) => setM({ ...m, add: m.add.map((r) => (r.key === k ? { ...r, ...p } : r)) });
    return (
      <div className="subsection">
        <FormRows
          id={`${which}-add`}
          legend={`${label} headers to add`}
          noun={`${label.toLowerCase()} header`}
          rows={m.add}
          onChange={(add) => setM({ ...m, add })}
          make={headerAddRow}
          addLabel={`Add ${label.toLowerCase()} header`}
          errorsOf={addErr}
          columns={[
            { header: "Name", cell: (r, i) => <input aria-label={`${label} header ${i + 1} name`} className="mono" value={r.name} onChange={(e) => patch(r.key, { name: e.target.value })} /> },
            { header: "Value", cell: (r, i) => <input aria-label={`${label} header ${i + 1} value`} value={r.value} onChange={(e) => patch(r.key, { value: e.target.value })} /> },
            {
              header: "Append",
              cell: (r, i) => <input type="checkbox" aria-label={`${label} header ${i + 1} append`} checked={r.append} onChange={(e) => patch(r.key, { append: e.target.checked })} />,
            },
          ]}
          hint="Append off (default): the value replaces an existing one."
        />
        <Field label={`${label} headers to remove`} htmlFor={`${which}-remove`} errors={removeErr} hint="Comma-separated names; default none">
          <input id={`${which}-remove`} className="mono" value={m.remove} onChange={(e) => setM({ ...m, remove: e.target.value })} placeholder="x-debug, server" />
        </Field>
      </div>
    );
  };

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
            The route was not saved: fix the fields marked below.
          </p>
        )}
        <IssueList issues={rest} />
      </div>

      <fieldset disabled={readOnly} className="plain">
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
          <label className="check">
            <input type="checkbox" checked={form.caseSensitive} onChange={(e) => set("caseSensitive", e.target.checked)} /> Case-sensitive path match{" "}
            <span className="muted small">(default {D.match.caseSensitive ? "on" : "off"})</span>
          </label>
          <div className={`field${err.methods.length ? " field-invalid" : ""}`} role="group" aria-labelledby="methods-label">
            <span id="methods-label" className="label">
              Methods <span className="muted">(none checked = any method, the default)</span>
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
          <FormRows
            id="header-matchers"
            legend="Header matchers"
            hint="Every matcher must hold (default: none). present ignores the value; invert negates the result."
            noun="header matcher"
            rows={form.headers}
            onChange={(rows) => set("headers", rows)}
            make={matcherRow}
            addLabel="Add header matcher"
            errorsOf={err.headers}
            columns={matcherColumns("headers", "Header matcher")}
          />
          <FormRows
            id="query-matchers"
            legend="Query parameter matchers"
            noun="query matcher"
            rows={form.query}
            onChange={(rows) => set("query", rows)}
            make={matcherRow}
            addLabel="Add query matcher"
            errorsOf={err.query}
            columns={matcherColumns("query", "Query matcher")}
          />
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
            <>
              <div className="segmented" role="radiogroup" aria-label="Upstream">
                {(
                  [
                    ["single", "One cluster"],
                    ["weighted", "Weighted clusters"],
                  ] as const
                ).map(([value, label]) => (
                  <label key={value} className={form.clusterMode === value ? "active" : undefined}>
                    <input
                      type="radio"
                      name="clusterMode"
                      value={value}
                      checked={form.clusterMode === value}
                      onChange={() => setForm((f) => ({ ...f, clusterMode: value, weighted: value === "weighted" && f.weighted.length === 0 ? [weightedRow(f.cluster, "1")] : f.weighted }))}
                    />
                    {label}
                  </label>
                ))}
              </div>
              {form.clusterMode === "single" ? (
                <Field label="Cluster" htmlFor="cluster" errors={err.cluster}>
                  <select id="cluster" value={form.cluster} onChange={(e) => set("cluster", e.target.value)}>
                    <option value="">Choose a cluster…</option>
                    {clusterNames.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                </Field>
              ) : (
                <FormRows
                  id="weighted-clusters"
                  legend="Weighted clusters"
                  hint="Traffic is split in proportion to the weights (integers >= 0; their sum must be > 0)."
                  noun="weighted cluster"
                  rows={form.weighted}
                  onChange={(rows) => set("weighted", rows)}
                  make={() => weightedRow()}
                  addLabel="Add weighted cluster"
                  errorsOf={err.weighted}
                  listErrors={err.weightedList}
                  columns={[
                    {
                      header: "Cluster",
                      cell: (r, i) => (
                        <select aria-label={`Weighted cluster ${i + 1}`} value={r.cluster} onChange={(e) => set("weighted", form.weighted.map((w) => (w.key === r.key ? { ...w, cluster: e.target.value } : w)))}>
                          <option value="">Choose…</option>
                          {clusterNames.map((n) => (
                            <option key={n} value={n}>
                              {n}
                            </option>
                          ))}
                        </select>
                      ),
                    },
                    {
                      header: "Weight",
                      cell: (r, i) => (
                        <input aria-label={`Weighted cluster ${i + 1} weight`} type="number" min={0} value={r.weight} onChange={(e) => set("weighted", form.weighted.map((w) => (w.key === r.key ? { ...w, weight: e.target.value } : w)))} />
                      ),
                    },
                  ]}
                />
              )}
              <div className="grid-3">
                <Field label="Timeout (ms)" htmlFor="timeoutMs" errors={err.timeoutMs} hint={defaultHint(D.action.timeoutMs, "whole request including retries; 0 = none")}>
                  <input id="timeoutMs" type="number" min={0} step={1} value={form.timeoutMs} placeholder={String(D.action.timeoutMs)} onChange={(e) => set("timeoutMs", e.target.value)} />
                </Field>
                <Field label="Idle timeout (ms)" htmlFor="idleTimeoutMs" errors={err.idleTimeoutMs} hint={defaultHint(D.action.idleTimeoutMs, "stream idle; 0 = none")}>
                  <input id="idleTimeoutMs" type="number" min={0} value={form.idleTimeoutMs} placeholder={String(D.action.idleTimeoutMs)} onChange={(e) => set("idleTimeoutMs", e.target.value)} />
                </Field>
                <Field label="Rate-limit policy" htmlFor="rateLimit" errors={err.rateLimit} hint="Default: none (the virtual host's, if any)">
                  <select id="rateLimit" value={form.rateLimit} onChange={(e) => set("rateLimit", e.target.value)}>
                    <option value="">None</option>
                    {policyNames.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label="Prefix rewrite" htmlFor="prefixRewrite" errors={err.prefixRewrite} hint="Replaces the matched prefix, e.g. /; default: unchanged">
                  <input id="prefixRewrite" className="mono" value={form.prefixRewrite} onChange={(e) => set("prefixRewrite", e.target.value)} autoComplete="off" />
                </Field>
                <Field label="Host rewrite" htmlFor="hostRewrite" errors={err.hostRewrite} hint="Host header sent upstream; default: unchanged">
                  <input id="hostRewrite" value={form.hostRewrite} onChange={(e) => set("hostRewrite", e.target.value)} autoComplete="off" />
                </Field>
                <Field label="WebSocket idle timeout (ms)" htmlFor="upgradeIdleTimeoutMs" errors={err.upgradeIdleTimeoutMs} hint={defaultHint(D.action.upgradeIdleTimeoutMs, "0 = none")}>
                  <input id="upgradeIdleTimeoutMs" type="number" min={0} value={form.upgradeIdleTimeoutMs} placeholder={String(D.action.upgradeIdleTimeoutMs)} onChange={(e) => set("upgradeIdleTimeoutMs", e.target.value)} />
                </Field>
              </div>
              <label className="check">
                <input type="checkbox" checked={form.allowUpgrade} onChange={(e) => set("allowUpgrade", e.target.checked)} /> Allow WebSocket upgrades{" "}
                <span className="muted small">(default {D.action.allowUpgrade ? "on" : "off"})</span>
              </label>

              <div className="subsection">
                <label className="check">
                  <input type="checkbox" checked={form.retryEnabled} onChange={(e) => set("retryEnabled", e.target.checked)} /> Retry policy <span className="muted small">(default: no retries)</span>
                </label>
                {form.retryEnabled && (
                  <>
                    <div className={`field${err.retryOn.length ? " field-invalid" : ""}`} role="group" aria-labelledby="retry-on-label">
                      <span id="retry-on-label" className="label">
                        Retry on
                      </span>
                      <div className="checks">
                        {RETRY_ON.map((r) => (
                          <label key={r} className="check">
                            <input type="checkbox" checked={form.retryOn.includes(r)} onChange={(e) => set("retryOn", e.target.checked ? [...form.retryOn, r] : form.retryOn.filter((x) => x !== r))} />
                            {r}
                          </label>
                        ))}
                      </div>
                      {err.retryOn.map((m, i) => (
                        <div key={i} className="field-error" role="alert" data-field-error="retryOn">
                          {m}
                        </div>
                      ))}
                    </div>
                    <div className="grid-3">
                      <Field label="Retries" htmlFor="numRetries" errors={err.numRetries} hint={defaultHint(D.retry.numRetries, "0..10")}>
                        <input id="numRetries" type="number" min={0} max={10} value={form.numRetries} placeholder={String(D.retry.numRetries)} onChange={(e) => set("numRetries", e.target.value)} />
                      </Field>
                      <Field label="Per-try timeout (ms)" htmlFor="perTryTimeoutMs" errors={err.perTryTimeoutMs} hint={defaultHint(D.retry.perTryTimeoutMs, "0 = only the route timeout")}>
                        <input id="perTryTimeoutMs" type="number" min={0} value={form.perTryTimeoutMs} placeholder={String(D.retry.perTryTimeoutMs)} onChange={(e) => set("perTryTimeoutMs", e.target.value)} />
                      </Field>
                      <Field label="Retriable status codes" htmlFor="retriableStatusCodes" errors={err.retriableStatusCodes} hint="Comma-separated, for retriable-status-codes; default none">
                        <input id="retriableStatusCodes" value={form.retriableStatusCodes} placeholder="503, 504" onChange={(e) => set("retriableStatusCodes", e.target.value)} />
                      </Field>
                      <Field label="Back-off base (ms)" htmlFor="backoffBaseMs" errors={err.backoffBaseMs} hint={defaultHint(D.retry.backoff.baseMs, "full jitter")}>
                        <input id="backoffBaseMs" type="number" min={1} value={form.backoffBaseMs} placeholder={String(D.retry.backoff.baseMs)} onChange={(e) => set("backoffBaseMs", e.target.value)} />
                      </Field>
                      <Field label="Back-off max (ms)" htmlFor="backoffMaxMs" errors={err.backoffMaxMs} hint={defaultHint(D.retry.backoff.maxMs)}>
                        <input id="backoffMaxMs" type="number" min={1} value={form.backoffMaxMs} placeholder={String(D.retry.backoff.maxMs)} onChange={(e) => set("backoffMaxMs", e.target.value)} />
                      </Field>
                      <Field
                        label="Retry buffer (bytes)"
                        htmlFor="maxBufferBytes"
                        errors={err.maxBufferBytes}
                        hint={defaultHint(D.retry.maxBufferBytes, "request bodies up to this size are kept for a retry; a bigger one is streamed and not retried")}
                      >
                        <input id="maxBufferBytes" type="number" min={0} value={form.maxBufferBytes} placeholder={String(D.retry.maxBufferBytes)} onChange={(e) => set("maxBufferBytes", e.target.value)} />
                      </Field>
                    </div>
                  </>
                )}
              </div>

              <div className="subsection">
                <FormRows
                  id="mirrors"
                  legend="Mirrors"
                  hint={`Fire-and-forget copies of each request; fraction 0..1, default ${MIRROR_FRACTION_DEFAULT}. Default: none.`}
                  noun="mirror"
                  rows={form.mirror}
                  onChange={(rows) => set("mirror", rows)}
                  make={() => mirrorRow()}
                  addLabel="Add mirror"
                  errorsOf={err.mirror}
                  columns={[
                    {
                      header: "Cluster",
                      cell: (r, i) => (
                        <select aria-label={`Mirror ${i + 1} cluster`} value={r.cluster} onChange={(e) => set("mirror", form.mirror.map((m) => (m.key === r.key ? { ...m, cluster: e.target.value } : m)))}>
                          <option value="">Choose…</option>
                          {clusterNames.map((n) => (
                            <option key={n} value={n}>
                              {n}
                            </option>
                          ))}
                        </select>
                      ),
                    },
                    {
                      header: "Fraction",
                      cell: (r, i) => (
                        <input
                          aria-label={`Mirror ${i + 1} fraction`}
                          inputMode="decimal"
                          value={r.fraction}
                          placeholder={String(MIRROR_FRACTION_DEFAULT)}
                          onChange={(e) => set("mirror", form.mirror.map((m) => (m.key === r.key ? { ...m, fraction: e.target.value } : m)))}
                        />
                      ),
                    },
                  ]}
                />
                <FormRows
                  id="hash-policy"
                  legend="Hash policy (ringHash / maglev clusters)"
                  hint="The first element that yields a value picks the endpoint. Default: none (random)."
                  noun="hash policy"
                  rows={form.hashPolicy}
                  onChange={(rows) => set("hashPolicy", rows)}
                  make={hashRow}
                  addLabel="Add hash policy"
                  errorsOf={err.hashPolicy}
                  columns={[
                    {
                      header: "Hash on",
                      cell: (r, i) => (
                        <select aria-label={`Hash policy ${i + 1} kind`} value={r.kind} onChange={(e) => set("hashPolicy", form.hashPolicy.map((h) => (h.key === r.key ? { ...h, kind: e.target.value as typeof r.kind } : h)))}>
                          <option value="header">header</option>
                          <option value="cookie">cookie</option>
                          <option value="sourceIp">source IP</option>
                        </select>
                      ),
                    },
                    {
                      header: "Name",
                      cell: (r, i) => (
                        <input
                          aria-label={`Hash policy ${i + 1} name`}
                          className="mono"
                          value={r.value}
                          disabled={r.kind === "sourceIp"}
                          onChange={(e) => set("hashPolicy", form.hashPolicy.map((h) => (h.key === r.key ? { ...h, value: e.target.value } : h)))}
                        />
                      ),
                    },
                  ]}
                />
              </div>
            </>
          )}
          {form.actionKind === "redirect" && (
            <div className="grid-2">
              <Field label="Path" htmlFor="pathRedirect" errors={err.pathRedirect} hint="Default: the request's path">
                <input id="pathRedirect" className="mono" value={form.pathRedirect} onChange={(e) => set("pathRedirect", e.target.value)} />
              </Field>
              <Field label="Redirect prefix rewrite" htmlFor="redirectPrefixRewrite" errors={err.redirectPrefixRewrite} hint="Replaces the matched prefix (prefix routes; not with Path)">
                <input id="redirectPrefixRewrite" className="mono" value={form.redirectPrefixRewrite} onChange={(e) => set("redirectPrefixRewrite", e.target.value)} />
              </Field>
              <Field label="Host" htmlFor="hostRedirect" errors={err.hostRedirect} hint="Default: the request's host">
                <input id="hostRedirect" value={form.hostRedirect} onChange={(e) => set("hostRedirect", e.target.value)} />
              </Field>
              <Field label="Port" htmlFor="portRedirect" errors={err.portRedirect} hint="Default: the request's port">
                <input id="portRedirect" type="number" min={1} max={65535} value={form.portRedirect} onChange={(e) => set("portRedirect", e.target.value)} />
              </Field>
              <Field label="Status code" htmlFor="responseCode" errors={err.responseCode} hint={`Default ${D.redirect.responseCode}`}>
                <select id="responseCode" value={form.responseCode} onChange={(e) => set("responseCode", e.target.value)}>
                  {["301", "302", "303", "307", "308"].map((code) => (
                    <option key={code} value={code}>
                      {code}
                    </option>
                  ))}
                </select>
              </Field>
              <div>
                <label className="check check-field">
                  <input type="checkbox" checked={form.httpsRedirect} onChange={(e) => set("httpsRedirect", e.target.checked)} /> Redirect to https{" "}
                  <span className="muted small">(default off)</span>
                </label>
                <label className="check check-field">
                  <input type="checkbox" checked={form.stripQuery} onChange={(e) => set("stripQuery", e.target.checked)} /> Strip the query string <span className="muted small">(default off)</span>
                </label>
              </div>
            </div>
          )}
          {form.actionKind === "directResponse" && (
            <div className="grid-3">
              <Field label="Status" htmlFor="status" errors={err.status}>
                <input id="status" type="number" min={100} max={599} value={form.status} onChange={(e) => set("status", e.target.value)} />
              </Field>
              <Field label="Content type" htmlFor="contentType" errors={err.contentType} hint={defaultHint(D.direct.contentType)}>
                <input id="contentType" value={form.contentType} placeholder={D.direct.contentType} onChange={(e) => set("contentType", e.target.value)} />
              </Field>
              <Field label="Body" htmlFor="body" errors={err.body} hint="Default: empty">
                <textarea id="body" rows={3} value={form.body} onChange={(e) => set("body", e.target.value)} />
              </Field>
            </div>
          )}
        </fieldset>

        <fieldset>
          <legend>Header changes</legend>
          {mutationEditor("requestHeaders", "Request")}
          {mutationEditor("responseHeaders", "Response")}
        </fieldset>

        <div className="actions" hidden={readOnly}>
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
      </fieldset>
      {remove.error && (
        <p className="banner banner-error" role="alert">
          {messageOf(remove.error)}
        </p>
      )}
      <p className="hint">Saved routes change the working config only; publish to send them to the proxies.</p>
    </form>
  );
}
