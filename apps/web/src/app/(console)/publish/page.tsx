"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { DiffView } from "../../../components/diff-view.tsx";
import { Field, IssueList } from "../../../components/field.tsx";
import { issueClaimer } from "../../../lib/issues.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../../lib/trpc-errors.ts";

export default function PublishPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pending = useQuery({ ...trpc.versions.pendingDiff.queryOptions(), staleTime: 0 });
  const [message, setMessage] = useState("");
  const publish = useMutation(
    trpc.versions.publish.mutationOptions({
      onSuccess: async () => {
        setMessage("");
        await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
      },
    }),
  );
  const c = issueClaimer(issuesOf(publish.error));
  const messageErrors = c.at("message");
  const rest = c.rest();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    publish.mutate({ message });
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Publish</h1>
          <p className="muted">
            Publishing stores the working config as a new immutable version and pushes it to every connected proxy node.
            {pending.data && (
              <> Live now: {pending.data.liveVersion === null ? "nothing has been published yet" : `version ${pending.data.liveVersion}`}.</>
            )}
          </p>
        </div>
      </div>

      {publish.data && (
        <p className="banner banner-ok" role="status" data-testid="publish-result">
          {publish.data.unchanged ? (
            <>Nothing to publish: version {publish.data.version} already has this content.</>
          ) : (
            <>
              Published version {publish.data.version} ({publish.data.hash.slice(0, 12)}). Watch it roll out on the <Link href="/nodes">Nodes</Link> page.
            </>
          )}
        </p>
      )}

      <section className="card">
        <h2>Pending changes</h2>
        {pending.isError && (
          <p className="banner banner-error" role="alert">
            {pending.error.message}
          </p>
        )}
        {pending.isPending && <p className="muted">Loading…</p>}
        {pending.data && <DiffView diff={pending.data.diff} />}
      </section>

      <form className="card form" onSubmit={submit} noValidate>
        <h2>New version</h2>
        {publish.error && issuesOf(publish.error).length === 0 && (
          <p className="banner banner-error" role="alert">
            {messageOf(publish.error)}
          </p>
        )}
        <IssueList issues={rest} />
        <Field label="Message" htmlFor="publish-message" errors={messageErrors} hint="Required: what does this version change, and why?">
          <textarea id="publish-message" rows={3} value={message} onChange={(e) => setMessage(e.target.value)} placeholder="Route /users to the new users cluster" />
        </Field>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={publish.isPending}>
            {publish.isPending ? "Publishing…" : "Publish"}
          </button>
        </div>
      </form>
    </>
  );
}
