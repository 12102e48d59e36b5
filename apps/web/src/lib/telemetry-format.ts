/** Display helpers for dashboard figures. */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 10) return `${v.toFixed(0)} ms`;
  return `${v.toFixed(2)} ms`;
}

export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 1)}%`;
}

export function fmtRate(v: number): string {
  if (v === 0) return "0/s";
  if (v < 0.1) return `${(v * 60).toFixed(1)}/min`;
  return `${v.toFixed(v < 10 ? 2 : 0)}/s`;
}

export function fmtClock(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${d.getSeconds() ? `:${pad(d.getSeconds())}` : ""}`;
}

export const RANGE_OPTIONS = [
  { s: 300, label: "5m" },
  { s: 900, label: "15m" },
  { s: 3600, label: "1h" },
  { s: 21600, label: "6h" },
  { s: 86400, label: "24h" },
] as const;
