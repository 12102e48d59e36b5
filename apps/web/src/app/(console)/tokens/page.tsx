"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Field } from "../../../components/field.tsx";
import { formatAgo, formatTime } from "../../../lib/format.ts";
import { issueClaimer } from "../../../lib/issues.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../../lib/trpc-errors.ts";
import { ErrorBanner } from "../../../components/ui.tsx";

/** A token is shown once, right after it is created; the server keeps only its hash. */
function ShownOnce({ token, what }: { token: string; what: string }) {
  return (
    <div className="banner banner-ok" role="status" data-testid="new-token">
      <p>
        Your new {what}. Copy it now: it is not shown again.
      </p>
      <code className="mono" data-testid="new-token-value">
        {token}
      </code>
    </div>
  );
}

export default function TokensPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const isAdmin = me.data?.role === "admin";
  const apiTokens = useQuery(trpc.tokens.listApi.queryOptions());
  const nodeTokens = useQuery({ ...trpc.tokens.listNode.queryOptions(), enabled: isAdmin });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() });
  const [api, setApi] = useState<{ name: string; scope: "read" | "write" }>({ name: "", scope: "read" });
  const [node, setNode] = useState({ name: "", group: "default" });
  const createApi = useMutation(trpc.tokens.createApi.mutationOptions({ onSuccess: () => (setApi({ name: "", scope: "read" }), refresh()) }));
  const revokeApi = useMutation(trpc.tokens.revokeApi.mutationOptions({ onSettled: refresh }));
  const createNode = useMutation(trpc.tokens.createNode.mutationOptions({ onSuccess: () => (setNode({ name: "", group: "default" }), refresh()) }));
  const revokeNode = useMutation(trpc.tokens.revokeNode.mutationOptions({ onSettled: refresh }));
  const apiIssues = issueClaimer(issuesOf(createApi.error));
  const apiErrors = { name: apiIssues.at("name"), scope: apiIssues.at("scope") };
  const nodeIssues = issueClaimer(issuesOf(createNode.error));
  const nodeErrors = { name: nodeIssues.at("name"), group: nodeIssues.at("group") };

  const submitApi = (e: FormEvent) => {
    e.preventDefault();
    createApi.mutate(api);
  };
  const submitNode = (e: FormEvent) => {
    e.preventDefault();
    createNode.mutate(node);
  };
  const error = revokeApi.error ?? revokeNode.error;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Tokens</h1>
          <p className="muted">
            API tokens authenticate scripts on <code>/api/v1</code> (<code>Authorization: Bearer …</code>); a read token cannot change anything, and a token never
            gives more than its owner’s role. Node tokens admit proxy nodes of one group on <code>/api/xds</code> (<code>--token</code>).
          </p>
        </div>
      </div>
      <ErrorBanner error={error} />

      <section className="card">
        <h2>API tokens</h2>
        {createApi.data && <ShownOnce token={createApi.data.token} what="API token" />}
        {apiTokens.data && apiTokens.data.length > 0 && (
          <table className="table" data-testid="api-tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Scope</th>
                <th scope="col">Owner</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {apiTokens.data.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <td>{t.name}</td>
                  <td className="mono small">{t.prefix}…</td>
                  <td>{t.scope}</td>
                  <td className="small">{t.userEmail}</td>
                  <td className="small" title={formatTime(t.createdAt)}>
                    {formatAgo(t.createdAt)}
                  </td>
                  <td className="small">{t.lastUsedAt ? formatAgo(t.lastUsedAt) : <span className="muted">never</span>}</td>
                  <td className="actions-cell">
                    {t.revokedAt ? (
                      <span className="tag">revoked</span>
                    ) : (
                      <button type="button" className="btn btn-danger btn-small" onClick={() => revokeApi.mutate({ id: t.id })}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form className="form" onSubmit={submitApi} noValidate>
          {createApi.error && issuesOf(createApi.error).length === 0 && (
            <p className="banner banner-error" role="alert">
              {messageOf(createApi.error)}
            </p>
          )}
          <div className="grid-2">
            <Field label="Name" htmlFor="api-token-name" errors={apiErrors.name} hint="What uses it, e.g. ci-deploy">
              <input id="api-token-name" value={api.name} onChange={(e) => setApi({ ...api, name: e.target.value })} />
            </Field>
            <Field label="Scope" htmlFor="api-token-scope" errors={apiErrors.scope}>
              <select id="api-token-scope" value={api.scope} onChange={(e) => setApi({ ...api, scope: e.target.value as "read" | "write" })}>
                <option value="read">read</option>
                <option value="write">write</option>
              </select>
            </Field>
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={createApi.isPending}>
              Create API token
            </button>
          </div>
        </form>
      </section>

      {isAdmin && (
        <section className="card">
          <h2>Node tokens</h2>
          <p className="muted small">Once any node token exists, nodes without a valid one are refused (and listed on the Nodes page).</p>
          {createNode.data && <ShownOnce token={createNode.data.token} what={`node token for group “${createNode.data.record.group}”`} />}
          {nodeTokens.data && nodeTokens.data.length > 0 && (
            <table className="table" data-testid="node-tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Group</th>
                  <th scope="col">Token</th>
                  <th scope="col">Created by</th>
                  <th scope="col">Last used</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {nodeTokens.data.map((t) => (
                  <tr key={t.id} data-node-token={t.name}>
                    <td>{t.name}</td>
                    <td>{t.group}</td>
                    <td className="mono small">{t.prefix}…</td>
                    <td className="small">{t.createdBy}</td>
                    <td className="small">{t.lastUsedAt ? formatAgo(t.lastUsedAt) : <span className="muted">never</span>}</td>
                    <td className="actions-cell">
                      {t.revokedAt ? (
                        <span className="tag">revoked</span>
                      ) : (
                        <button type="button" className="btn btn-danger btn-small" onClick={() => revokeNode.mutate({ id: t.id })}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form className="form" onSubmit={submitNode} noValidate>
            {createNode.error && issuesOf(createNode.error).length === 0 && (
              <p className="banner banner-error" role="alert">
                {messageOf(createNode.error)}
              </p>
            )}
            <div className="grid-2">
              <Field label="Name" htmlFor="node-token-name" errors={nodeErrors.name}>
                <input id="node-token-name" value={node.name} onChange={(e) => setNode({ ...node, name: e.target.value })} />
              </Field>
              <Field label="Group" htmlFor="node-token-group" errors={nodeErrors.group} hint="Nodes presenting it must say this group in their hello">
                <input id="node-token-group" value={node.group} onChange={(e) => setNode({ ...node, group: e.target.value })} />
              </Field>
            </div>
            <div className="actions">
              <button type="submit" className="btn btn-primary" disabled={createNode.isPending}>
                Create node token
              </button>
            </div>
          </form>
        </section>
      )}
    </>
  );
}
