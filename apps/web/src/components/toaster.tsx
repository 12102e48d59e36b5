"use client";
import { createContext, useCallback, useContext, useState, type ReactNode } from "react";

type TToast = { id: number; kind: "ok" | "error"; text: string };
const ToastContext = createContext<(kind: TToast["kind"], text: string) => void>(() => {});

let nextId = 1;

/** A toast for every result: a polite live region, each toast gone after 5 s (errors 9 s) or on dismiss. */
export function Toaster({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<TToast[]>([]);
  const push = useCallback((kind: TToast["kind"], text: string) => {
    const id = nextId++;
    setToasts((t) => [...t.slice(-3), { id, kind, text }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 9_000 : 5_000);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast">
            <span>{t.text}</span>
            <button type="button" className="btn btn-ghost btn-small" aria-label="Dismiss" onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  const push = useContext(ToastContext);
  return { ok: (text: string) => push("ok", text), error: (text: string) => push("error", text) };
}
