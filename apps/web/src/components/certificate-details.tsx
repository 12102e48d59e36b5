import { formatTime } from "../lib/format.ts";

type TInfo = { subject: string; issuer: string; sans: string[]; fingerprint256: string; validFrom: string; validTo: string; daysLeft: number } | { error: string };

/** Certificate facts computed on the server (node:crypto); the key is never part of them. */
export function CertificateDetails({ info }: { info: unknown }) {
  const i = info as TInfo;
  if ("error" in i) {
    return (
      <p className="banner banner-error" role="alert">
        {i.error}
      </p>
    );
  }
  return (
    <dl className="card facts" aria-label="Certificate">
      <dt>Subject</dt>
      <dd className="mono small">{i.subject}</dd>
      <dt>Issuer</dt>
      <dd className="mono small">{i.issuer}</dd>
      <dt>SANs</dt>
      <dd className="mono small">{i.sans.length ? i.sans.join(", ") : "—"}</dd>
      <dt>SHA-256 fingerprint</dt>
      <dd className="mono small">{i.fingerprint256}</dd>
      <dt>Valid</dt>
      <dd>
        {formatTime(i.validFrom)} → {formatTime(i.validTo)} <ExpiryTag days={i.daysLeft} />
      </dd>
    </dl>
  );
}

export function ExpiryTag({ days }: { days: number }) {
  if (days < 0) return <span className="tag tag-danger">expired</span>;
  if (days <= 30) return <span className="tag tag-warn">expires in {days} d</span>;
  return <span className="tag">{days} days left</span>;
}
