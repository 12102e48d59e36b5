"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { TListener, TRoute } from "@switchyard/config-model";
import { overridableFilters } from "../lib/filter-overrides-form.ts";
import {
  buildRoute,
  checkRoute,
  domainsOf,
  hashRow,
  HTTP_METHODS,
  matcherRow,
  mirrorRow,
  MIRROR_FRACTION_DEFAULT,
  RETRY_ON,
  ROUTE_DEFAULTS,
  weightedRow,
  type TMatcherRow,
  type TRouteForm,
} from "../lib/route-form.ts";
import { choices } from "../lib/format.ts";
import { useTRPC, useTRPCClient } from "../lib/trpc.ts";
import { Field } from "./field.tsx";
import { CheckGroup, CheckRow, FieldErrors, namesWith, NumberField, Segmented, SelectField, TextField, onOff } from "./fields.tsx";
import { SaveForm, useFormSave } from "./form-save.tsx";
import { FilterOverridesEditor, overrideErrors } from "./filter-overrides.tsx";
import { FormRows, rowCell } from "./form-rows.tsx";
import { HeaderMutationEditor } from "./header-mutation.tsx";
import { NameSelect } from "./name-select.tsx";

export type TRouteFormProps = {
  initial: TRouteForm;
  /**
   * Present when editing: the route as stored and where it is; `revision` is the
   * working-config revision it was read at, sent back so a stale edit gets 409.
   */
  existing?: { routeConfig: string; virtualHost: string; name: string; route: TRoute; revision?: number };
};

const D = ROUTE_DEFAULTS;
const ACTIONS = choices({ route: "Forward to cluster", redirect: "Redirect", directResponse: "Direct response" });
const UPSTREAMS = choices({ single: "One cluster", weighted: "Weighted clusters" });
const MATCH_KINDS = choices({ prefix: "Path prefix", path: "Exact path", regex: "Path regex" });
const MATCHER_KINDS = choices({ exact: "exact", prefix: "prefix", regex: "regex", present: "present" });
const HASH_KINDS = choices({ header: "header", cookie: "cookie", sourceIp: "source IP" });
const REDIRECT_CODES = choices({ "301": "301", "302": "302", "303": "303", "307": "307", "308": "308" });

/**
 * Every field of ZRoute with its placement (route config and virtual host, created when
 * new): the match (path, methods, header and query matchers), the action (clusters or
 * weighted clusters with timeouts, retries, mirrors, hash policy and rate limit; a
 * redirect; a direct response) and header changes. Saved through the same hook as every
 * other form; issues sit next to their field.
 */
export function RouteForm({ initial, existing }: TRouteFormProps) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [form, setForm] = useState<TRouteForm>(initial);
  const set = <K extends keyof TRouteForm>(key: K, value: TRouteForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const placements = useQuery(trpc.routes.placements.queryOptions());
  const clusters = useQuery(trpc.resources.list.queryOptions({ kind: "clusters" }));
  const policies = useQuery(trpc.resources.list.queryOptions({ kind: "rateLimitPolicies" }));
  const listeners = useQuery(trpc.resources.list.queryOptions({ kind: "listeners" }));
  const filters = overridableFilters(listeners.data?.map((l) => l.resource as TListener) ?? [], form.routeConfig, Object.keys(form.filterOverrides));
  const routeConfigs = placements.data?.map((p) => p.routeConfig) ?? [];
  const vhosts = placements.data?.find((p) => p.routeConfig === form.routeConfig)?.virtualHosts ?? [];
  const vhostExists = vhosts.some((v) => v.name === form.virtualHost);
  const clusterNames = clusters.data?.map((c) => c.name) ?? [];
  for (const n of [form.cluster, ...form.weighted.map((w) => w.cluster), ...form.mirror.map((m) => m.cluster)]) if (n && !clusterNames.includes(n)) clusterNames.push(n);
  const clusterChoices = (none: string) => [{ value: "", label: none }, ...namesWith(clusterNames, "")];

  const ref = existing && { routeConfig: existing.routeConfig, virtualHost: existing.virtualHost, name: existing.name };
  const s = useFormSave({
    noun: "route",
    href: "/routes",
    initial,
    form,
    existingName: existing?.name,
    build: (f: TRouteForm) => ({ placement: { routeConfig: f.routeConfig.trim(), virtualHost: f.virtualHost.trim(), domains: vhostExists ? undefined : domainsOf(f) }, route: buildRoute(f) }),
    check: (v) => checkRoute(v.route),
    // The route is checked again by the same schema in the tRPC input.
    save: (v) => (ref ? client.routes.update.mutate({ ...v.placement, ref, route: v.route as never, baseRevision: existing?.revision }) : client.routes.create.mutate({ ...v.placement, route: v.route as never })),
    remove: () => client.routes.delete.mutate(ref!),
  });

  // Every issue (the browser's or the server's) lands next to the input its path names; the rest above the form.
  const c = s.claimer;
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
  const overrideErr = overrideErrors(c, filters, form.filterOverrides);
  const rest = c.rest();

  const matcherColumns = (which: "headers" | "query", noun: string) => {
    const rows = form[which];
    const cell = (field: keyof TMatcherRow & string, opts?: Parameters<typeof rowCell<TMatcherRow>>[4]) => rowCell(rows, (r) => set(which, r), field, (i) => `${noun} ${i + 1} ${field}`, opts);
    return [
      { header: "Name", cell: cell("name", { mono: true }) },
      { header: "Kind", cell: cell("kind", { type: "select", options: MATCHER_KINDS }) },
      { header: "Value", cell: cell("value", { mono: true, disabled: (r) => r.kind === "present", placeholder: (r) => (r.kind === "present" ? "(any value)" : "") }) },
      { header: "Invert", cell: cell("invert", { type: "checkbox" }) },
    ];
  };
  const num = (key: keyof TRouteForm & string, label: string, def: number, extra?: string, bounds: { min?: number; max?: number } = {}) => (
    <NumberField id={key} label={label} value={form[key] as string} onChange={(v) => set(key, v as never)} errors={err[key as keyof typeof err] as string[]} def={def} {...(extra ? { extra } : {})} {...bounds} />
  );

  return (
    <SaveForm save={s} rest={rest} footer={<p className="hint">Saved routes change the working config only; publish to send them to the proxies.</p>}>
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
          <NameSelect key={form.routeConfig} id="virtualHost" label="Virtual host" options={vhosts.map((v) => v.name)} value={form.virtualHost} onChange={(v) => set("virtualHost", v)} errors={err.virtualHost} newLabel="New virtual host…" />
          {vhostExists ? (
            <Field label="Domains" htmlFor="domains" errors={err.domains}>
              <input id="domains" value={vhosts.find((v) => v.name === form.virtualHost)?.domains.join(", ") ?? ""} readOnly aria-readonly="true" />
            </Field>
          ) : (
            <TextField id="domains" label="Domains of the new virtual host" value={form.domains} onChange={(v) => set("domains", v)} errors={err.domains} hint="Comma-separated: api.example.com, *.example.com, *" />
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Match</legend>
        <div className="grid-3">
          <TextField id="name" label="Name" value={form.name} onChange={(v) => set("name", v)} errors={err.name} placeholder="users" />
          <SelectField id="matchKind" label="Match kind" value={form.matchKind} onChange={(v) => set("matchKind", v)} options={MATCH_KINDS} />
          <TextField
            id="matchValue"
            label={form.matchKind === "prefix" ? "Prefix" : form.matchKind === "path" ? "Path" : "Regex"}
            mono
            value={form.matchValue}
            onChange={(v) => set("matchValue", v)}
            errors={err.matchValue}
            hint={form.matchKind === "regex" ? "Whole-path match, ECMAScript syntax" : undefined}
          />
        </div>
        <CheckRow label="Case-sensitive path match" checked={form.caseSensitive} onChange={(v) => set("caseSensitive", v)} def={onOff(D.match.caseSensitive)} />
        <CheckGroup
          id="methods"
          label={
            <>
              Methods <span className="muted">(none checked = any method, the default)</span>
            </>
          }
          values={HTTP_METHODS}
          checked={form.methods as (typeof HTTP_METHODS)[number][]}
          onChange={(v) => set("methods", v)}
          errors={err.methods}
        />
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
        <Segmented name="actionKind" label="Action" options={ACTIONS} value={form.actionKind} onChange={(v) => set("actionKind", v)} />
        <FieldErrors messages={err.action} />

        {form.actionKind === "route" && (
          <>
            <Segmented
              name="clusterMode"
              label="Upstream"
              options={UPSTREAMS}
              value={form.clusterMode}
              onChange={(v) => setForm((f) => ({ ...f, clusterMode: v, weighted: v === "weighted" && f.weighted.length === 0 ? [weightedRow(f.cluster, "1")] : f.weighted }))}
            />
            {form.clusterMode === "single" ? (
              <SelectField id="cluster" label="Cluster" value={form.cluster} onChange={(v) => set("cluster", v)} options={clusterChoices("Choose a cluster…")} errors={err.cluster} />
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
                  { header: "Cluster", cell: rowCell(form.weighted, (r) => set("weighted", r), "cluster", (i) => `Weighted cluster ${i + 1}`, { type: "select", options: clusterChoices("Choose…") }) },
                  { header: "Weight", cell: rowCell(form.weighted, (r) => set("weighted", r), "weight", (i) => `Weighted cluster ${i + 1} weight`, { type: "number", min: 0 }) },
                ]}
              />
            )}
            <div className="grid-3">
              {num("timeoutMs", "Timeout (ms)", D.action.timeoutMs, "whole request including retries; 0 = none")}
              {num("idleTimeoutMs", "Idle timeout (ms)", D.action.idleTimeoutMs, "stream idle; 0 = none")}
              <SelectField
                id="rateLimit"
                label="Rate-limit policy"
                value={form.rateLimit}
                onChange={(v) => set("rateLimit", v)}
                options={[{ value: "", label: "None" }, ...namesWith(policies.data?.map((p) => p.name) ?? [], form.rateLimit)]}
                errors={err.rateLimit}
                hint="Default: none (the virtual host's, if any)"
              />
              <TextField id="prefixRewrite" label="Prefix rewrite" mono value={form.prefixRewrite} onChange={(v) => set("prefixRewrite", v)} errors={err.prefixRewrite} hint="Replaces the matched prefix, e.g. /; default: unchanged" />
              <TextField id="hostRewrite" label="Host rewrite" value={form.hostRewrite} onChange={(v) => set("hostRewrite", v)} errors={err.hostRewrite} hint="Host header sent upstream; default: unchanged" />
              {num("upgradeIdleTimeoutMs", "WebSocket idle timeout (ms)", D.action.upgradeIdleTimeoutMs, "0 = none")}
            </div>
            <CheckRow label="Allow WebSocket upgrades" checked={form.allowUpgrade} onChange={(v) => set("allowUpgrade", v)} def={onOff(D.action.allowUpgrade)} />

            <div className="subsection">
              <CheckRow label="Retry policy" checked={form.retryEnabled} onChange={(v) => set("retryEnabled", v)} def="default: no retries" />
              {form.retryEnabled && (
                <>
                  <CheckGroup id="retryOn" label="Retry on" values={RETRY_ON} checked={form.retryOn as (typeof RETRY_ON)[number][]} onChange={(v) => set("retryOn", v)} errors={err.retryOn} />
                  <div className="grid-3">
                    {num("numRetries", "Retries", D.retry.numRetries, "0..10", { max: 10 })}
                    {num("perTryTimeoutMs", "Per-try timeout (ms)", D.retry.perTryTimeoutMs, "0 = only the route timeout")}
                    <TextField
                      id="retriableStatusCodes"
                      label="Retriable status codes"
                      value={form.retriableStatusCodes}
                      onChange={(v) => set("retriableStatusCodes", v)}
                      errors={err.retriableStatusCodes}
                      placeholder="503, 504"
                      hint="Comma-separated, for retriable-status-codes; default none"
                    />
                    {num("backoffBaseMs", "Back-off base (ms)", D.retry.backoff.baseMs, "full jitter", { min: 1 })}
                    {num("backoffMaxMs", "Back-off max (ms)", D.retry.backoff.maxMs, undefined, { min: 1 })}
                    {num("maxBufferBytes", "Retry buffer (bytes)", D.retry.maxBufferBytes, "request bodies up to this size are kept for a retry; a bigger one is streamed and not retried")}
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
                  { header: "Cluster", cell: rowCell(form.mirror, (r) => set("mirror", r), "cluster", (i) => `Mirror ${i + 1} cluster`, { type: "select", options: clusterChoices("Choose…") }) },
                  { header: "Fraction", cell: rowCell(form.mirror, (r) => set("mirror", r), "fraction", (i) => `Mirror ${i + 1} fraction`, { inputMode: "decimal", placeholder: String(MIRROR_FRACTION_DEFAULT) }) },
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
                  { header: "Hash on", cell: rowCell(form.hashPolicy, (r) => set("hashPolicy", r), "kind", (i) => `Hash policy ${i + 1} kind`, { type: "select", options: HASH_KINDS }) },
                  { header: "Name", cell: rowCell(form.hashPolicy, (r) => set("hashPolicy", r), "value", (i) => `Hash policy ${i + 1} name`, { mono: true, disabled: (r) => r.kind === "sourceIp" }) },
                ]}
              />
            </div>
          </>
        )}
        {form.actionKind === "redirect" && (
          <div className="grid-2">
            <TextField id="pathRedirect" label="Path" mono value={form.pathRedirect} onChange={(v) => set("pathRedirect", v)} errors={err.pathRedirect} hint="Default: the request's path" />
            <TextField
              id="redirectPrefixRewrite"
              label="Redirect prefix rewrite"
              mono
              value={form.redirectPrefixRewrite}
              onChange={(v) => set("redirectPrefixRewrite", v)}
              errors={err.redirectPrefixRewrite}
              hint="Replaces the matched prefix (prefix routes; not with Path)"
            />
            <TextField id="hostRedirect" label="Host" value={form.hostRedirect} onChange={(v) => set("hostRedirect", v)} errors={err.hostRedirect} hint="Default: the request's host" />
            <NumberField id="portRedirect" label="Port" value={form.portRedirect} onChange={(v) => set("portRedirect", v)} errors={err.portRedirect} hint="Default: the request's port" min={1} max={65535} />
            <SelectField id="responseCode" label="Status code" value={form.responseCode} onChange={(v) => set("responseCode", v)} options={REDIRECT_CODES} errors={err.responseCode} hint={`Default ${D.redirect.responseCode}`} />
            <div>
              <CheckRow className="check check-field" label="Redirect to https" checked={form.httpsRedirect} onChange={(v) => set("httpsRedirect", v)} def="default off" />
              <CheckRow className="check check-field" label="Strip the query string" checked={form.stripQuery} onChange={(v) => set("stripQuery", v)} def="default off" />
            </div>
          </div>
        )}
        {form.actionKind === "directResponse" && (
          <div className="grid-3">
            <NumberField id="status" label="Status" value={form.status} onChange={(v) => set("status", v)} errors={err.status} min={100} max={599} />
            <TextField id="contentType" label="Content type" value={form.contentType} onChange={(v) => set("contentType", v)} errors={err.contentType} placeholder={D.direct.contentType} hint={`Default ${D.direct.contentType}. Empty = default.`} />
            <Field label="Body" htmlFor="body" errors={err.body} hint="Default: empty">
              <textarea id="body" rows={3} value={form.body} onChange={(e) => set("body", e.target.value)} />
            </Field>
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Header changes</legend>
        <HeaderMutationEditor id="requestHeaders" label="Request" value={form.requestHeaders} onChange={(m) => set("requestHeaders", m)} addErrors={err.requestAdd} removeErrors={err.requestRemove} />
        <HeaderMutationEditor id="responseHeaders" label="Response" value={form.responseHeaders} onChange={(m) => set("responseHeaders", m)} addErrors={err.responseAdd} removeErrors={err.responseRemove} />
      </fieldset>
      <FilterOverridesEditor filters={filters} value={form.filterOverrides} onChange={(v) => set("filterOverrides", v)} errors={overrideErr} routeConfig={form.routeConfig} />
    </SaveForm>
  );
}
