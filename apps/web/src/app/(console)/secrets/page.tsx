"use client";
import { ExpiryTag } from "../../../components/certificate-details.tsx";
import { ResourceList } from "../../../components/resource-list.tsx";

type Info = { subject: string; sans: string[]; fingerprint256: string; validTo: string; daysLeft: number } | { error: string };
const info = (r: { certificate?: unknown }) => r.certificate as Info;
const days = (r: { certificate?: unknown }) => {
  const i = info(r);
  return "error" in i ? -1e9 : i.daysLeft;
};

export default function SecretsPage() {
  return (
    <ResourceList
      kind="secrets"
      columns={[
        { label: "Type", sortKey: (r) => String(r.resource.type), render: (r) => <span className="tag">{String(r.resource.type)}</span> },
        {
          label: "Subject / SANs",
          render: (r) => {
            const i = info(r);
            return "error" in i ? <span className="text-error small">{i.error}</span> : <span className="mono small">{i.subject}{i.sans.length ? ` · ${i.sans.join(", ")}` : ""}</span>;
          },
        },
        { label: "Fingerprint", render: (r) => { const i = info(r); return "error" in i ? "—" : <span className="mono small" title={i.fingerprint256}>{i.fingerprint256.slice(0, 23)}…</span>; } },
        { label: "Expiry", sortKey: days, render: (r) => { const i = info(r); return "error" in i ? "—" : <ExpiryTag days={i.daysLeft} />; } },
      ]}
      filters={[
        { label: "expiring in 30 days", test: (r) => days(r) <= 30 },
        { label: "tlsCertificate", test: (r) => r.resource.type === "tlsCertificate" },
        { label: "caBundle", test: (r) => r.resource.type === "caBundle" },
      ]}
    />
  );
}
