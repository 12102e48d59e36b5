"use client";
import { useState } from "react";
import { buildRateLimit, checkRateLimit, RATE_LIMIT_DEFAULTS, type TRateLimitForm } from "../lib/rate-limit-form.ts";
import { Field } from "./field.tsx";
import { SaveForm, useResourceSave } from "./form-save.tsx";

const D = RATE_LIMIT_DEFAULTS;

/** Every field of ZRateLimitPolicy, defaults from the schema, issues next to their field. */
export function RateLimitForm({ initial, existingName, baseRevision }: { initial: TRateLimitForm; existingName?: string; baseRevision?: number | undefined }) {
  const [form, setForm] = useState(initial);
  const set = <K extends keyof TRateLimitForm>(k: K, v: TRateLimitForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const s = useResourceSave({ kind: "rateLimitPolicies", existingName, baseRevision, initial, form, build: buildRateLimit, check: checkRateLimit });
  const c = s.claimer;
  const err = {
    name: c.at("name"),
    scope: c.at("scope"),
    requests: c.at("requests"),
    per: c.at("per"),
    burst: c.at("burst"),
    key: c.at("key"),
    failOpen: c.at("failOpen"),
  };
  const rest = c.rest();
  return (
    <SaveForm save={s} rest={rest}>
      <fieldset>
        <legend>Rate-limit policy</legend>
        <div className="grid-3">
          <Field label="Name" htmlFor="rl-name" errors={err.name}>
            <input id="rl-name" value={form.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" placeholder="per-ip" />
          </Field>
          <Field label="Scope" htmlFor="rl-scope" errors={err.scope} hint={`Default ${D.scope}`}>
            <select id="rl-scope" value={form.scope} onChange={(e) => set("scope", e.target.value as TRateLimitForm["scope"])}>
              <option value="local">local (per proxy process)</option>
              <option value="global">global (shared via Redis)</option>
            </select>
          </Field>
          <Field label="Requests" htmlFor="rl-requests" errors={err.requests} hint="Tokens added per period (required)">
            <input id="rl-requests" type="number" min={1} value={form.requests} onChange={(e) => set("requests", e.target.value)} />
          </Field>
          <Field label="Per" htmlFor="rl-per" errors={err.per} hint={`Default ${D.per}`}>
            <select id="rl-per" value={form.per} onChange={(e) => set("per", e.target.value as TRateLimitForm["per"])}>
              <option value="second">second</option>
              <option value="minute">minute</option>
              <option value="hour">hour</option>
            </select>
          </Field>
          <Field label="Burst" htmlFor="rl-burst" errors={err.burst} hint="Bucket size. Default: the number of requests. Empty = default.">
            <input id="rl-burst" type="number" min={1} value={form.burst} placeholder={form.requests || undefined} onChange={(e) => set("burst", e.target.value)} />
          </Field>
          <Field label="Key" htmlFor="rl-key" errors={form.keyKind === "header" ? [] : err.key} hint={`Default ${String(D.key)}`}>
            <select id="rl-key" value={form.keyKind} onChange={(e) => set("keyKind", e.target.value as TRateLimitForm["keyKind"])}>
              <option value="remoteAddress">remoteAddress (client IP)</option>
              <option value="path">path</option>
              <option value="none">none (one bucket)</option>
              <option value="header">a request header</option>
            </select>
          </Field>
          {form.keyKind === "header" && (
            <Field label="Key header" htmlFor="rl-key-header" errors={err.key}>
              <input id="rl-key-header" value={form.keyHeader} placeholder="x-api-key" onChange={(e) => set("keyHeader", e.target.value)} />
            </Field>
          )}
          <Field label="When Redis fails" htmlFor="rl-fail-open" errors={err.failOpen} hint={`Default ${D.failOpen ? "allow" : "refuse with 429"}; global scope only (Redis error or 100 ms timeout)`}>
            <label className="check">
              <input id="rl-fail-open" type="checkbox" checked={form.failOpen} onChange={(e) => set("failOpen", e.target.checked)} /> Allow the request (fail open)
            </label>
          </Field>
        </div>
      </fieldset>
    </SaveForm>
  );
}
