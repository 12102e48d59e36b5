"use client";
import { useState, type ReactNode } from "react";
import { formatTime } from "../lib/format.ts";
import { latestChangeOf, useLive } from "../lib/live.tsx";
import { useAnyUnsavedChanges } from "../lib/use-unsaved-changes.ts";

/**
 * A stored record shown in a form, kept current by the live events without clobbering
 * typing: when the record changes on the server (another user, the CLI), a form without
 * unsaved changes takes the new content at once; a form being edited keeps the user's
 * input and shows "changed by X — reload" instead (its save would get 409 anyway: it sends
 * the revision it loaded). `data` is the query's latest; `content` picks what counts as a
 * change (not the global revision); `resources` (`kind/name`) find who made it.
 * Returns the record the form should show, a key that changes when it is replaced (to
 * remount the form), and the banner to render.
 */
export function useLiveRecord<T>(data: T | undefined, content: (d: T) => unknown, resources: readonly string[]): { shown: T | undefined; key: number; banner: ReactNode } {
  const { changes } = useLive();
  const editing = useAnyUnsavedChanges();
  const [shown, setShown] = useState<T | undefined>(data);
  const [key, setKey] = useState(0);
  const same = (a: T | undefined, b: T | undefined) => a !== undefined && b !== undefined && JSON.stringify(content(a)) === JSON.stringify(content(b));
  if (data !== undefined && shown === undefined) setShown(data);
  const changed = data !== undefined && shown !== undefined && data !== shown && !same(data, shown);
  const take = () => {
    setShown(data);
    setKey((k) => k + 1);
  };
  // Adjusting state from new data during render (React's pattern): no flash of the old record.
  if (changed && !editing) take();
  const by = changed ? latestChangeOf(changes, resources) : null;
  const banner = changed && editing && (
    <p className="banner banner-warn" role="status" data-testid="changed-elsewhere">
      Changed by {by?.actor ?? "someone else"}
      {by ? ` at ${formatTime(new Date(by.at))}` : ""} while you were editing — your edits are kept until you{" "}
      <button type="button" className="linkish" onClick={take}>
        reload
      </button>{" "}
      (saving them now is refused as stale).
    </p>
  );
  return { shown, key, banner };
}
