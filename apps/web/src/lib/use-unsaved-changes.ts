"use client";
import { useEffect, useId, useSyncExternalStore } from "react";

/** Forms on the page with unsaved changes (by hook id), so live updates know not to reset them. */
const dirtyForms = new Set<string>();
const listeners = new Set<() => void>();
function setDirty(id: string, dirty: boolean): void {
  if (dirty === dirtyForms.has(id)) return;
  if (dirty) dirtyForms.add(id);
  else dirtyForms.delete(id);
  for (const l of listeners) l();
}

/** Whether any form on the page has unsaved changes (re-renders when that flips). */
export function useAnyUnsavedChanges(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => dirtyForms.size > 0,
    () => false,
  );
}

/**
 * Warns before leaving a form with unsaved changes: the browser's own prompt on reload,
 * close or typed URL, and a confirm() on in-app link clicks (the App Router has no
 * navigation-blocking API, so clicks on <a> are intercepted in the capture phase).
 */
export function useUnsavedChanges(dirty: boolean) {
  const id = useId();
  useEffect(() => {
    setDirty(id, dirty);
    return () => setDirty(id, false);
  }, [id, dirty]);
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    const onClick = (e: MouseEvent) => {
      const a = (e.target as Element | null)?.closest?.("a[href]");
      if (!a || (a as HTMLAnchorElement).target === "_blank" || (a as HTMLAnchorElement).hasAttribute("download")) return;
      if (!window.confirm("You have unsaved changes. Leave this page and lose them?")) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      document.removeEventListener("click", onClick, true);
    };
  }, [dirty]);
}
