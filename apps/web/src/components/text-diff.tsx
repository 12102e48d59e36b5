import { structuredPatch } from "diff";

/**
 * The text of two documents as unified hunks (jsdiff, 3 lines of context), with the line
 * numbers of both sides: only the lines that really differ are marked, wherever the
 * same text appears elsewhere.
 */
export function TextDiff({ before, after, beforeName, afterName }: { before: string; after: string; beforeName: string; afterName: string }) {
  const patch = structuredPatch(beforeName, afterName, before, after, "", "", { context: 3 });
  if (patch.hunks.length === 0) return <p className="muted">The documents are identical.</p>;
  return (
    <div className="text-diff" data-testid="text-diff">
      {patch.hunks.map((h) => {
        let oldLine = h.oldStart;
        let newLine = h.newStart;
        return (
          <pre key={`${h.oldStart}-${h.newStart}`} className="mono small code-view hunk">
            <div className="hunk-head">
              @@ {beforeName} line {h.oldStart}, {afterName} line {h.newStart} @@
            </div>
            {h.lines.map((line, i) => {
              const sign = line[0];
              if (sign === "\\") return null;
              const text = line.slice(1);
              const cls = sign === "+" ? "line-added" : sign === "-" ? "line-removed" : undefined;
              const left = sign === "+" ? "" : String(oldLine++);
              const right = sign === "-" ? "" : String(newLine++);
              return (
                <div key={i} className={cls}>
                  <span className="ln">{left}</span>
                  <span className="ln">{right}</span>
                  <span className="sign">{sign === " " ? " " : sign}</span>
                  {text || " "}
                </div>
              );
            })}
          </pre>
        );
      })}
    </div>
  );
}
