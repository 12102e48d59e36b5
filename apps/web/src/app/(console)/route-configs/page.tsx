"use client";
import { ResourceList } from "../../../components/resource-list.tsx";

type RC = { virtualHosts: { name: string; domains: string[]; routes: unknown[] }[] };
const rc = (r: { resource: unknown }) => r.resource as RC;

export default function RouteConfigsPage() {
  return (
    <ResourceList
      kind="routeConfigs"
      columns={[
        {
          label: "Virtual hosts",
          sortKey: (r) => rc(r).virtualHosts.length,
          render: (r) => (
            <ul className="plain small">
              {rc(r).virtualHosts.map((vh) => (
                <li key={vh.name}>
                  <strong>{vh.name}</strong> <span className="mono">{vh.domains.join(", ")}</span> · {vh.routes.length} route{vh.routes.length === 1 ? "" : "s"}
                </li>
              ))}
            </ul>
          ),
        },
        { label: "Routes", className: "num", sortKey: (r) => rc(r).virtualHosts.reduce((n, v) => n + v.routes.length, 0), render: (r) => rc(r).virtualHosts.reduce((n, v) => n + v.routes.length, 0) },
      ]}
      filters={[{ label: "unused", test: (r) => r.usedBy.length === 0 }]}
    />
  );
}
