"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { formatAgo, formatTime, shortHash } from "../../../lib/format.ts";
import { useToast } from "../../../components/toaster.tsx";
import { VersionCompare } from "../../../components/version-compare.tsx";
import { useTRPC, useTRPCClient } from "../../../lib/trpc.ts";
import { messageOf } from "../../../lib/trpc-errors.ts";
import { useReadOnly } from "../../../components/read-only.tsx";
import { ErrorBanner, TableHead } from "../../../components/ui.tsx";

// useSearchParams needs a Suspense boundary for the static build.
export default function VersionsPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <Versions />
    </Suspense>
  );
}

/** `?compare=N` opens the compare on N against the version before it; `&to=M` against M. */
function compareFromQuery(params: URLSearchParams, versions: number[] | undefined): { a: number; b: number } | undefined {
  const n = Number(params.get("compare"));
  if (!versions || !Number.isInteger(n) || !versions.includes(n)) return undefined;
  const to = Number(params.get("to"));
  if (versions.includes(to)) return { a: n, b: to };
  const before = versions.filter((v) => v < n)[0];
  return before !== undefined ? { a: before, b: n } : undefined;
}

function Versions() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const readOnly = useReadOnly();
  const queryClient = useQueryClient();
  const client = useTRPCClient();
  const toast = useToast();
  const versions = useQuery(trpc.versions.list.queryOptions({ limit: 200 }));
  const perVersion = useQuery(trpc.versions.nodesPerVersion.queryOptions());
  const nodesOn = (v: number) => perVersion.data?.find((p) => p.version === v);
  const download = async (version: number) => {
    try {
      const doc = await client.versions.get.query({ version });
      const url = URL.createObjectURL(new Blob([doc.yaml], { type: "application/yaml" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `switchyard-v${version}.yaml`;
      a.click();
      URL.revokeObjectURL(url);
      toast.ok(`Downloaded v${version} as YAML (private keys redacted)`);
    } catch (e) {
      toast.error(`Download failed: ${messageOf(e)}`);
    }
  };
  const [confirming, setConfirming] = useState<number | null>(null);
  const rollback = useMutation(
    trpc.versions.rollback.mutationOptions({
      onSuccess: async (data) => {
        setConfirming(null);
        toast.ok(`Rolled back: published version ${data.version}`);
        await queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
      },
      onError: (e) => toast.error(`Rollback failed: ${messageOf(e)}`),
    }),
  );
  const latest = versions.data?.[0]?.version;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Versions</h1>
          <p className="muted">Every publish, newest first. Rolling back publishes a new version with the old content and resets the working config to it.</p>
        </div>
      </div>
      {rollback.data && (
        <p className="banner banner-ok" role="status">
          Rolled back: published version {rollback.data.version}.
        </p>
      )}
      <ErrorBanner error={rollback.error} />
      <ErrorBanner error={versions.isError && versions.error} />
      {versions.isPending && <p className="muted">Loading…</p>}
      {versions.data && versions.data.length === 0 && <div className="empty">Nothing has been published yet.</div>}
      {versions.data && versions.data.length > 1 && (
        <VersionCompare
          key={params.toString()}
          versions={versions.data.map((v) => v.version)}
          initial={compareFromQuery(params, versions.data.map((v) => v.version))}
        />
      )}
      {versions.data && versions.data.length > 0 && (
        <table className="table">
          <TableHead columns={["Version", "Message", "Author", "Published", "Hash", { label: "Nodes", num: true }, ""]} />
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.version}>
                <td>
                  <strong>v{v.version}</strong> {v.version === latest && <span className="tag tag-live">live</span>}
                  {v.parentVersion !== null && v.parentVersion !== undefined && <div className="muted small">after v{v.parentVersion}</div>}
                </td>
                <td>{v.message}</td>
                <td className="small">{v.author}</td>
                <td className="small" title={formatTime(v.createdAt)}>
                  {formatTime(v.createdAt)}
                  <div className="muted">{formatAgo(v.createdAt)}</div>
                </td>
                <td className="mono small">{shortHash(v.hash)}</td>
                <td className="num" title="connected nodes serving it (nodes that applied it)">
                  {nodesOn(v.version)?.connected ?? 0}
                  {nodesOn(v.version) && nodesOn(v.version)!.total !== nodesOn(v.version)!.connected ? <span className="muted small"> ({nodesOn(v.version)!.total})</span> : null}
                </td>
                <td className="actions-cell">
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => download(v.version)}>
                    YAML<span className="sr-only"> of v{v.version}</span>
                  </button>
                  {v.version !== latest &&
                    (confirming === v.version ? (
                      <div className="confirm" role="group" aria-label={`Confirm rollback to v${v.version}`}>
                        <span className="small">Publish v{v.version}&apos;s content as a new version?</span>
                        <button type="button" className="btn btn-danger btn-small" disabled={rollback.isPending} onClick={() => rollback.mutate({ version: v.version })}>
                          {rollback.isPending ? "Rolling back…" : "Confirm rollback"}
                        </button>
                        <button type="button" className="btn btn-ghost btn-small" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </div>
                    ) : (
                      <button type="button" className="btn btn-small" onClick={() => setConfirming(v.version)} hidden={readOnly}>
                        Roll back to v{v.version}
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
