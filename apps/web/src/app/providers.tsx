"use client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { useEffect, useState, type ReactNode } from "react";
import type { AppRouter } from "../server/api/root.ts";
import { TRPCProvider } from "../lib/trpc.ts";
import { isUnauthorized } from "../lib/trpc-errors.ts";
import { Toaster } from "../components/toaster.tsx";

/** An expired session anywhere sends the browser back to the login page. */
function toLogin(error: unknown) {
  if (!isUnauthorized(error) || typeof window === "undefined") return;
  if (window.location.pathname === "/login") return;
  const next = encodeURIComponent(window.location.pathname + window.location.search);
  window.location.assign(`/login?next=${next}`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: toLogin }),
    mutationCache: new MutationCache({ onError: toLogin }),
    defaultOptions: {
      queries: { staleTime: 5_000, retry: (count, error) => !isUnauthorized(error) && count < 2, refetchOnWindowFocus: true },
    },
  });
}

function readCsrfCookie(): string {
  if (typeof document === "undefined") return "";
  const m = /(?:^|;\s*)swy_csrf=([^;]*)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1] ?? "") : "";
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  // CSRF: echo the session's CSRF cookie in a header the server checks on every mutation.
  // Subscriptions (live dashboards) stream over SSE (reads only, no CSRF header possible).
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: httpSubscriptionLink({ url: "/api/trpc" }),
          false: httpBatchLink({ url: "/api/trpc", headers: () => ({ "x-swy-csrf": readCsrfCookie() }) }),
        }),
      ],
    }),
  );
  // Marks the page interactive: browser tests wait for it before typing, since input that
  // lands before React hydrates a controlled field can be dropped.
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Toaster>{children}</Toaster>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
