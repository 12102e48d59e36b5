"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../lib/trpc.ts";
import { DiffView } from "./diff-view.tsx";

/** Side-by-side YAML of any two versions, lines only on one side marked, plus the semantic diff. */
export function VersionCompare({ versions }: { versions: number[] }) {
  const trpc = useTRPC();
  const [a, setA] = useState(versions[1] ?? versions[0] ?? 1);
  const [b, setB] = useState(versions[0] ?? 1);
  const [open, setOpen] = useState(false);
  const cmp = useQuery({ ...trpc.versions.compare.queryOptions({ a, b }), enabled: open });
  const mark = (mine: string, other: string) => {
    const others = new Set(other.split("\n"));
    return mine.split("\n").map((line, i) => (
      <div key={i} className={others.has(line) ? undefined : "line-changed"}>
        <span className="ln">{i + 1}</span>
        {line || " "}
      </div>
    ));
  };
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
          <DiffView diff={cmp.data.diff} />
          <div className="side-by-side" data-testid="side-by-side">
            <div>
              <h3>v{cmp.data.a.version}</h3>
              <pre className="mono small code-view">{mark(cmp.data.a.yaml, cmp.data.b.yaml)}</pre>
            </div>
            <div>
              <h3>v{cmp.data.b.version}</h3>
              <pre className="mono small code-view">{mark(cmp.data.b.yaml, cmp.data.a.yaml)}</pre>
            </div>
          </div>
        </>
      )}
    </section>
  );
}
