"use client";
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { MARKER_STYLE, type TChartMarker } from "../../lib/chart-markers.ts";
import { fmtClock } from "../../lib/telemetry-format.ts";

export type TSeriesLine = { key: string; label: string; color: string };

/**
 * One time chart with the change markers (publish, rollback, canary start, promotion,
 * guard trip; one colour each) drawn as vertical lines, so a change and its effect are
 * seen on the same axis. `stacked` draws areas.
 */
export function TimeChart({
  title,
  data,
  lines,
  markers,
  from,
  to,
  format,
  stacked = false,
  testId,
  onPointClick,
}: {
  title: string;
  data: Record<string, number | null>[];
  lines: TSeriesLine[];
  markers: TChartMarker[];
  from: number;
  to: number;
  format: (v: number) => string;
  stacked?: boolean;
  testId: string;
  onPointClick?: (t: number) => void;
}) {
  const markerLines = markerReferenceLines(markers, from, to);
  const common = {
    data,
    margin: { top: 16, right: 16, bottom: 0, left: 4 },
    onClick: onPointClick
      ? (e: { activeLabel?: unknown }) => {
          // The hovered point's time (a number; recharts may hand the tick's label as a string).
          const t = Number(e?.activeLabel);
          if (e?.activeLabel !== undefined && Number.isFinite(t)) onPointClick(t);
        }
      : undefined,
  };
  const axes = [
    <CartesianGrid key="g" strokeDasharray="3 3" stroke="#e6e9ee" />,
    <XAxis key="x" dataKey="t" type="number" domain={[from, to]} scale="time" tickFormatter={fmtClock} fontSize={11} />,
    <YAxis key="y" tickFormatter={format} fontSize={11} width={64} />,
    <Tooltip key="tt" labelFormatter={(t) => fmtClock(Number(t))} formatter={(v) => (typeof v === "number" ? format(v) : String(v))} />,
    <Legend key="l" iconSize={10} wrapperStyle={{ fontSize: 12 }} />,
  ];
  return (
    <figure className="chart card" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={220}>
        {stacked ? (
          <AreaChart {...common}>
            {axes}
            {lines.map((l) => (
              <Area key={l.key} type="monotone" dataKey={l.key} name={l.label} stackId="1" stroke={l.color} fill={l.color} fillOpacity={0.35} isAnimationActive={false} />
            ))}
            {markerLines}
          </AreaChart>
        ) : (
          <LineChart {...common}>
            {axes}
            {lines.map((l) => (
              <Line key={l.key} type="monotone" dataKey={l.key} name={l.label} stroke={l.color} dot={{ r: 1.5 }} strokeWidth={1.8} connectNulls isAnimationActive={false} />
            ))}
            {markerLines}
          </LineChart>
        )}
      </ResponsiveContainer>
    </figure>
  );
}

/** Vertical lines for the markers in [from, to], labelled (`v7 canary`), one colour per kind. */
export function markerReferenceLines(markers: TChartMarker[], from: number, to: number, labels = true) {
  return markers
    .filter((m) => m.at >= from && m.at <= to)
    .map((m) => (
      <ReferenceLine
        key={`${m.kind}-${m.version}-${m.at}`}
        x={m.at}
        stroke={MARKER_STYLE[m.kind].color}
        strokeDasharray="4 3"
        className={`marker marker-${m.kind}`}
        {...(labels ? { label: { value: m.label, position: "insideTopRight" as const, fontSize: 11, fill: MARKER_STYLE[m.kind].color } } : {})}
        ifOverflow="extendDomain"
      />
    ));
}

/** What the marker colours mean, and each marker in words (for screen readers and hover). */
export function MarkerLegend({ markers, from, to, max = 50 }: { markers: TChartMarker[]; from: number; to: number; max?: number }) {
  const inRange = markers.filter((m) => m.at >= from && m.at <= to);
  // The newest `max`: a busy day of publishes must not push the charts off the page.
  const shown = inRange.slice(-max);
  if (!shown.length) return null;
  return (
    <ul className="marker-legend small" aria-label="Changes in this range" data-testid="marker-legend">
      {inRange.length > shown.length && <li className="muted">{inRange.length - shown.length} earlier</li>}
      {shown.map((m) => (
        <li key={`${m.kind}-${m.version}-${m.at}`} data-kind={m.kind} title={m.detail}>
          <span className="marker-swatch" style={{ background: MARKER_STYLE[m.kind].color }} aria-hidden="true" />
          {fmtClock(m.at)} {MARKER_STYLE[m.kind].word} {m.label}
          <span className="sr-only">: {m.detail}</span>
        </li>
      ))}
    </ul>
  );
}
