"use client";
import { useEffect, useRef } from "react";
import { PublishForm } from "./publish-form.tsx";

/**
 * The publish form in a modal: a native <dialog> opened with showModal(), so the page
 * behind it is inert (focus stays inside), Esc closes it and focus returns to the
 * button that opened it. Labelled by its heading.
 */
export function PublishDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      d.querySelector<HTMLTextAreaElement>("#dlg-publish-message")?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-labelledby="publish-dialog-title"
      // The native close event is queued as a task: when the dialog was opened again before
      // it arrived (Esc, then Enter at once), it is stale and must not close the new opening.
      onClose={(e) => {
        if (!e.currentTarget.open) onClose();
      }}
      data-testid="publish-dialog"
    >
      <div className="modal-head">
        <h1 id="publish-dialog-title">Publish</h1>
        <button type="button" className="btn btn-ghost btn-small" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {/* Mounted only while open: each opening starts from a fresh form and a fresh diff. */}
      {open && <PublishForm variant="dialog" />}
    </dialog>
  );
}
