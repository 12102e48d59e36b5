"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { issueClaimer } from "../lib/issues.ts";
import { useTRPC } from "../lib/trpc.ts";
import { issuesOf, messageOf } from "../lib/trpc-errors.ts";
import { ChangesView } from "./changes-view.tsx";
import { Field, IssueList } from "./field.tsx";
import { useReadOnly } from "./read-only.tsx";
import { useToast } from "./toaster.tsx";
import { ErrorBanner } from "./ui.tsx";

/** Defaults of #5's SLO guard, as the publish procedure applies them. */
const GUARD_DEFAULTS = { windowSec: "60", errorPct: "5", p99Ms: "", minRequests: "20" };

/**
 * Publish: the pending diff against the live version, a required message and the
 * rollout choice (every node, or one group first with the SLO guard's thresholds).
 * One component for the top bar's dialog ("dialog") and the /publish page ("page");
 * ids are prefixed in the dialog so both can be in the document at once.
 */
export function PublishForm({ variant }: { variant: "page" | "dialog" }) {
  const trpc = useTRPC();
  const toast = useToast();
  const readOnly = useReadOnly();
  const queryClient = useQueryClient();
  const id = (s: string) => (variant === "dialog" ? `dlg-${s}` : s);
  const pending = useQuery({ ...trpc.versions.pendingChanges.queryOptions(), staleTime: 0 });
  const [message, setMessage] = useState("");
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const groups = [...new Set((nodes.data ?? []).map((n) => n.group))].sort();
  const [target, setTarget] = useState<"all" | "group">("all");
  const [group, setGroup] = useState("");
  const [stepped, setStepped] = useState(false);
  const [steps, setSteps] = useState("10, 50, 100");
  const [bakeSec, setBakeSec] = useState("300");
  const [guardOn, setGuardOn] = useState(true);
  const [guard, setGuard] = useState(GUARD_DEFAULTS);
  const publish = useMutation(
    trpc.versions.publish.mutationOptions({
      onSuccess: async (r) => {
        setMessage("");
        toast.ok(r.unchanged && r.rolloutId === null ? `Nothing to publish: v${r.version} already has this content` : `Published version ${r.version}${r.rolloutId !== null ? " to the canary group" : ""}`);
        await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
      },
      onError: (e) => toast.error(`Not published: ${issuesOf(e).length ? "fix the fields marked" : messageOf(e)}`),
    }),
  );
  const c = issueClaimer(issuesOf(publish.error));
  const messageErrors = c.at("message");
  const fieldErrors = {
    group: c.at("group"),
    windowMs: c.at("guard.windowMs"),
    errorRatio: c.at("guard.maxErrorRatioIncrease"),
    p99: c.at("guard.maxP99IncreaseMs"),
    minRequests: c.at("guard.minRequests"),
    guard: c.at("guard"),
    steps: c.at("steps"),
    bakeMs: c.at("bakeMs"),
  };
  const rest = c.rest();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (target === "all") {
      publish.mutate({ message });
      return;
    }
    publish.mutate({
      message,
      group,
      // Sent as typed: the server names the step that is wrong (steps.1: must be above...).
      ...(stepped ? { steps: steps.split(/[\s,→>%-]+/).filter(Boolean).map(Number), bakeMs: Math.round(Number(bakeSec) * 1000) } : {}),
      ...(guardOn
        ? {
            guard: {
              windowMs: Math.round(Number(guard.windowSec) * 1000),
              maxErrorRatioIncrease: Number(guard.errorPct) / 100,
              maxP99IncreaseMs: guard.p99Ms.trim() === "" ? null : Number(guard.p99Ms),
              minRequests: Number(guard.minRequests),
            },
          }
        : {}),
    });
  };

  return (
    <>
      {pending.data && (
        <p className="muted">
          Publishing stores the working config as a new immutable version and pushes it to the proxy nodes. Live now:{" "}
          {pending.data.liveVersion === null ? "nothing has been published yet" : `version ${pending.data.liveVersion}`}.
        </p>
      )}

      {publish.data && (
        <p className="banner banner-ok" role="status" data-testid="publish-result">
          {publish.data.rolloutId !== null ? (
            <>
              Published version {publish.data.version} ({publish.data.hash.slice(0, 12)}) to the canary group
              {publish.data.unchanged ? " (same content as the previous version)" : ""}. Watch it, promote it or roll it back on the{" "}
              <Link href={`/rollouts?id=${publish.data.rolloutId}`}>Rollouts</Link> page.
            </>
          ) : publish.data.unchanged ? (
            <>Nothing to publish: version {publish.data.version} already has this content.</>
          ) : (
            <>
              Published version {publish.data.version} ({publish.data.hash.slice(0, 12)}). Watch it roll out on the <Link href="/nodes">Nodes</Link> page.
            </>
          )}
        </p>
      )}

      <section className={variant === "page" ? "card" : "dialog-section"} aria-labelledby={id("pending-title")}>
        <h2 id={id("pending-title")}>Pending changes (diff against the live version)</h2>
        <ErrorBanner error={pending.isError && pending.error} />
        {pending.isPending && <p className="muted">Loading…</p>}
        {pending.data && <ChangesView changes={pending.data.changes} label="Pending changes" empty="No changes: the working config equals the live version." />}
      </section>

      <form className={variant === "page" ? "card form" : "form dialog-section"} onSubmit={submit} noValidate>
        <h2>New version</h2>
        {readOnly && (
          <p className="banner banner-warn" role="note">
            Viewers cannot publish.
          </p>
        )}
        {publish.error && issuesOf(publish.error).length === 0 && (
          <p className="banner banner-error" role="alert">
            {messageOf(publish.error)}
          </p>
        )}
        <IssueList issues={rest} />
        <fieldset disabled={readOnly} className="plain">
          <Field label="Message" htmlFor={id("publish-message")} errors={messageErrors} hint="Required: what does this version change, and why?">
            <textarea id={id("publish-message")} rows={3} value={message} onChange={(e) => setMessage(e.target.value)} placeholder="Route /users to the new users cluster" />
          </Field>
          <fieldset className="field">
            <legend>Roll out to</legend>
            <label className="check">
              <input type="radio" name={id("target")} checked={target === "all"} onChange={() => setTarget("all")} /> every node
            </label>
            <label className="check">
              <input type="radio" name={id("target")} checked={target === "group"} onChange={() => setTarget("group")} /> one group first (canary), promote later
            </label>
          </fieldset>
          {target === "group" && (
            <>
              <Field label="Canary group" htmlFor={id("publish-group")} errors={fieldErrors.group} hint={groups.length ? `Groups with nodes: ${groups.join(", ")}` : "No node has connected yet"}>
                <input id={id("publish-group")} list={id("publish-groups")} value={group} onChange={(e) => setGroup(e.target.value)} placeholder="canary" />
                <datalist id={id("publish-groups")}>
                  {groups.map((g) => (
                    <option key={g} value={g} />
                  ))}
                </datalist>
              </Field>
              <fieldset className="field">
                <legend>Across the group</legend>
                <label className="check">
                  <input type="radio" name={id("spread")} checked={!stepped} onChange={() => setStepped(false)} /> all of its nodes at once (a canary)
                </label>
                <label className="check">
                  <input type="radio" name={id("spread")} checked={stepped} onChange={() => setStepped(true)} /> in steps: a percentage of its nodes at a time, each promoted by itself
                  once it has held for the bake time
                </label>
              </fieldset>
              {stepped && (
                <div className="grid-2">
                  <Field label="Steps (% of the group's nodes)" htmlFor={id("publish-steps")} errors={fieldErrors.steps} hint="Increasing, the last 100; nodes are picked by a hash of their id">
                    <input id={id("publish-steps")} value={steps} onChange={(e) => setSteps(e.target.value)} />
                  </Field>
                  <Field label="Bake time per step (seconds)" htmlFor={id("publish-bake")} errors={fieldErrors.bakeMs} hint="With the SLO guard: promoted only once the guard is satisfied">
                    <input id={id("publish-bake")} inputMode="numeric" value={bakeSec} onChange={(e) => setBakeSec(e.target.value)} />
                  </Field>
                </div>
              )}
              {fieldErrors.guard.map((m) => (
                <p key={m} className="field-error" role="alert">
                  {m}
                </p>
              ))}
              <label className="check">
                <input type="checkbox" checked={guardOn} onChange={(e) => setGuardOn(e.target.checked)} /> SLO guard: roll the group back by itself when its figures get worse than before
              </label>
              {guardOn && (
                <div className="grid-2">
                  <Field label="Window (seconds)" htmlFor={id("guard-window")} errors={fieldErrors.windowMs} hint={`Default ${GUARD_DEFAULTS.windowSec}`}>
                    <input id={id("guard-window")} inputMode="numeric" value={guard.windowSec} onChange={(e) => setGuard({ ...guard, windowSec: e.target.value })} />
                  </Field>
                  <Field label="Max 5xx ratio increase (%)" htmlFor={id("guard-errors")} errors={fieldErrors.errorRatio} hint={`Default ${GUARD_DEFAULTS.errorPct}`}>
                    <input id={id("guard-errors")} inputMode="decimal" value={guard.errorPct} onChange={(e) => setGuard({ ...guard, errorPct: e.target.value })} />
                  </Field>
                  <Field label="Max p99 increase (ms)" htmlFor={id("guard-p99")} errors={fieldErrors.p99} hint="Empty (default): latency not checked">
                    <input id={id("guard-p99")} inputMode="numeric" value={guard.p99Ms} onChange={(e) => setGuard({ ...guard, p99Ms: e.target.value })} />
                  </Field>
                  <Field label="Min requests in the window" htmlFor={id("guard-min")} errors={fieldErrors.minRequests} hint={`Default ${GUARD_DEFAULTS.minRequests}`}>
                    <input id={id("guard-min")} inputMode="numeric" value={guard.minRequests} onChange={(e) => setGuard({ ...guard, minRequests: e.target.value })} />
                  </Field>
                </div>
              )}
            </>
          )}
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={publish.isPending || readOnly}>
              {publish.isPending ? "Publishing…" : target === "group" ? (stepped ? "Start the stepped rollout" : "Publish to the group") : "Publish"}
            </button>
          </div>
        </fieldset>
      </form>
    </>
  );
}
