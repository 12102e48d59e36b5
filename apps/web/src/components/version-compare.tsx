"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../lib/trpc.ts";
import { ChangesView } from "./changes-view.tsx";
import { TextDiff } from "./text-diff.tsx";

/** Any two versions: the structural diff (values before and after, routes moved), then the YAML as text hunks. */
export function VersionCompare({ versions, initial }: { versions: number[]; initial?: { a: number; b: number } | undefined }) {
  const trpc = useTRPC();
  const [a, setA] = useState(initial?.a ?? versions[1] ?? versions[0] ?? 1);
  const [b, setB] = useState(initial?.b ?? versions[0] ?? 1);
  const [open, setOpen] = useState(initial !== undefined);
  const cmp = useQuery({ ...trpc.versions.compare.queryOptions({ a, b }), enabled: open });
  return (
    <section className="card" aria-label="Compare versions">
      <div className="toolbar">
        <h2 className="inline">Compare</h2>
        {([["from", a, setA], ["to", b, setB]] as const).map(([word, value, setValue]) => (
          <label key={word}>
            {word}{" "}
            <select aria-label={`Compare ${word}`} value={value} onChange={(e) => setValue(Number(e.target.value))}>
              {versions.map((v) => (
                <option key={v} value={v}>
                  v{v}
                </option>
              ))}
            </select>
          </label>
        ))}
        <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
          Show diff
        </button>
        {open && (
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setOpen(false)}>
            Hide
          </button>
        )}
      </div>
      {open && cmp.isPending && <p className="muted" aria-busy="true">Loading…</p>}
      {open && cmp.isError && (
        <p className="banner banner-error" role="alert">
          {cmp.error.message}
        </p>
      )}
      {open && cmp.data && (
        <>
          <h3>
            Changes from v{cmp.data.a.version} to v{cmp.data.b.version}
          </h3>
          <ChangesView changes={cmp.data.changes} label="Version changes" empty={`v${cmp.data.a.version} and v${cmp.data.b.version} have the same content.`} />
          <h3>YAML</h3>
          <TextDiff before={cmp.data.a.yaml} after={cmp.data.b.yaml} beforeName={`v${cmp.data.a.version}`} afterName={`v${cmp.data.b.version}`} />
        </>
      )}
    </section>
  );
}
