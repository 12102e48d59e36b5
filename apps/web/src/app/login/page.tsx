"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState, type FormEvent } from "react";
import { Field } from "../../components/field.tsx";
import { messagesFor } from "../../lib/issues.ts";
import { safeNextPath } from "../../lib/safe-next.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { issuesOf, messageOf } from "../../lib/trpc-errors.ts";


function LoginForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const params = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: (user) => {
        // Drop what was cached while logged out (e.g. `me` = null), then seed `me`,
        // so the shell does not bounce back here on a stale answer.
        queryClient.clear();
        queryClient.setQueryData(trpc.auth.me.queryKey(), user);
        router.replace(safeNextPath(params.get("next")));
      },
    }),
  );
  const providers = useQuery(trpc.auth.providers.queryOptions());
  const oidc = providers.data?.oidc ?? null;
  const issues = issuesOf(login.error);
  const fieldErrors = issues.length > 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ email, password });
  };

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} noValidate>
        <h1>
          <span className="brand-mark" aria-hidden>
            ⇄
          </span>{" "}
          Switchyard
        </h1>
        <p className="muted">Log in to manage routes, clusters and proxy nodes.</p>
        {login.error && !fieldErrors && (
          <p role="alert" className="banner banner-error">
            {messageOf(login.error)}
          </p>
        )}
        <Field label="Email" htmlFor="email" errors={messagesFor(issues, "email")}>
          <input id="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field label="Password" htmlFor="password" errors={messagesFor(issues, "password")}>
          <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        <button type="submit" className="btn btn-primary btn-block" disabled={login.isPending}>
          {login.isPending ? "Logging in…" : "Log in"}
        </button>
        {oidc && (
          <>
            <p className="login-or" aria-hidden>
              or
            </p>
            {/* A full navigation, not fetch: the provider's pages take over the tab, then send it back to the callback. */}
            <a className="btn btn-block" href={`${oidc.loginPath}?next=${encodeURIComponent(safeNextPath(params.get("next")))}`}>
              Sign in with {oidc.name}
            </a>
          </>
        )}
        <p className="hint">
          The first administrator is created at start-up from the <code>SWITCHYARD_ADMIN_EMAIL</code> and <code>SWITCHYARD_ADMIN_PASSWORD</code>{" "}
          environment variables of the console.
        </p>
      </form>
    </main>
  );
}

export default function LoginPage() {
  return (
    <Suspense>
      <LoginForm />
    </Suspense>
  );
}
