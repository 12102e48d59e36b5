"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { shortHash } from "../lib/format.ts";
import { useTRPC } from "../lib/trpc.ts";
import { ErrorBanner, TableHead } from "./ui.tsx";

/**
 * Per node group: the plugins its connected nodes announced (`--plugin`) and the wasm
 * modules (wasmModule secrets) the config its nodes are targeted at loads. Updates with
 * the node list (the same live events).
 */
export function GroupInventory() {
  const trpc = useTRPC();
  const inventory = useQuery(trpc.nodes.inventory.queryOptions());
  return (
    <section className="card" data-testid="group-inventory" aria-labelledby="group-inventory-title">
      <h2 id="group-inventory-title">Plugins and wasm modules per group</h2>
      <p className="muted small">Plugins: what the group’s connected nodes announced in hello. Wasm modules: the wasmModule secrets its target version’s wasm filters load.</p>
      <ErrorBanner error={inventory.isError && inventory.error} />
      {inventory.data?.map((g) => (
        <div key={g.group} className="subsection" data-group={g.group}>
          <h3>
            Group <span className="mono">{g.group}</span>{" "}
            <span className="muted small">
              {g.connected} of {g.nodes} node{g.nodes === 1 ? "" : "s"} connected; target {g.targetVersions.length ? g.targetVersions.map((v) => `v${v}`).join(", ") : "none"}
            </span>
          </h3>
          {g.plugins.length === 0 ? (
            <p className="muted small">No plugins announced.</p>
          ) : (
            <table className="table" aria-label={`Plugins of group ${g.group}`}>
              <TableHead columns={["Plugin module", "Name", "Version", "Nodes"]} />
              <tbody>
                {g.plugins.map((p) => (
                  <tr key={`${p.module}@${p.version}`} data-plugin={p.module}>
                    <td className="mono small">{p.module}</td>
                    <td>{p.name}</td>
                    <td className="mono small">{p.version}</td>
                    <td>
                      {p.nodes} of {g.connected}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {g.wasmModules.length === 0 ? (
            <p className="muted small">No wasm modules in its target config.</p>
          ) : (
            <table className="table" aria-label={`Wasm modules of group ${g.group}`}>
              <TableHead columns={["Wasm module", "SHA-256", "Size", "Listeners"]} />
              <tbody>
                {g.wasmModules.map((m) => (
                  <tr key={`${m.name}@${m.sha256}`} data-wasm={m.name}>
                    <td>
                      <Link href={`/secrets/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                    </td>
                    <td className="mono small" title={m.sha256}>
                      {shortHash(m.sha256)}
                    </td>
                    <td>{m.bytes.toLocaleString("en")} bytes</td>
                    <td className="small">
                      {m.listeners.join(", ")}
                      {g.targetVersions.length > 1 && <span className="muted"> (in {m.versions.map((v) => `v${v}`).join(", ")})</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </section>
  );
}
