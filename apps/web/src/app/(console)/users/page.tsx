"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Field, IssueList } from "../../../components/field.tsx";
import { issueClaimer } from "../../../lib/issues.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../../lib/trpc-errors.ts";
import { ErrorBanner } from "../../../components/ui.tsx";

const ROLES = ["admin", "editor", "viewer"] as const;
type TRole = (typeof ROLES)[number];

export default function UsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const isAdmin = me.data?.role === "admin";
  const users = useQuery({ ...trpc.users.list.queryOptions(), enabled: isAdmin });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const [form, setForm] = useState<{ email: string; password: string; role: TRole }>({ email: "", password: "", role: "viewer" });
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: () => (setForm({ email: "", password: "", role: "viewer" }), refresh()) }));
  const update = useMutation(trpc.users.update.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.users.delete.mutationOptions({ onSettled: refresh }));
  const c = issueClaimer(issuesOf(create.error));
  const errors = { email: c.at("email"), password: c.at("password"), role: c.at("role") };
  const rest = c.rest();

  if (me.data && !isAdmin) {
    return (
      <>
        <h1>Users</h1>
        <p className="banner banner-error" role="alert">
          Users and roles are managed by admins. You are {me.data.role}.
        </p>
      </>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(form);
  };
  const actionError = update.error ?? remove.error;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Users</h1>
          <p className="muted">
            Admins manage users, roles and tokens; editors change config, publish and roll out; viewers read. A new password or a lower role ends the user’s sessions.
          </p>
        </div>
      </div>
      <ErrorBanner error={actionError} />
      {users.data && (
        <table className="table" data-testid="users">
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              <th scope="col">Password</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id} data-user={u.email}>
                <td>
                  {u.email} {u.id === me.data?.id && <span className="tag">you</span>}
                </td>
                <td>
                  <select aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => update.mutate({ id: u.id, role: e.target.value as TRole })}>
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {u.source === "oidc" ? (
                    // No local password: the identity provider signs this user in and sets the role at each sign-in.
                    <span className="tag" title="Signs in with the identity provider; the role is set from its claim at each sign-in">
                      OIDC
                    </span>
                  ) : (
                    <button
                      type="button"
                      className="btn btn-ghost btn-small"
                      onClick={() => {
                        const password = window.prompt(`New password for ${u.email} (at least 8 characters)`);
                        if (password) update.mutate({ id: u.id, password });
                      }}
                    >
                      Reset…
                    </button>
                  )}
                </td>
                <td className="actions-cell">
                  {u.id !== me.data?.id && (
                    <button type="button" className="btn btn-danger btn-small" onClick={() => window.confirm(`Delete ${u.email}?`) && remove.mutate({ id: u.id })}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="card form" onSubmit={submit} noValidate>
        <h2>New user</h2>
        {create.error && issuesOf(create.error).length === 0 && (
          <p className="banner banner-error" role="alert">
            {messageOf(create.error)}
          </p>
        )}
        <IssueList issues={rest} />
        <div className="grid-2">
          <Field label="E-mail" htmlFor="user-email" errors={errors.email}>
            <input id="user-email" type="email" autoComplete="off" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
          </Field>
          <Field label="Password" htmlFor="user-password" errors={errors.password} hint="At least 8 characters; stored as a scrypt hash">
            <input id="user-password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          </Field>
        </div>
        <Field label="Role" htmlFor="user-role" errors={errors.role}>
          <select id="user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as TRole })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            Create user
          </button>
        </div>
      </form>
    </>
  );
}
