"use client";
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { fmtClock } from "../../lib/telemetry-format.ts";

export type TMarker = { version: number; at: number; message: string; rollback: boolean };
export type TSeriesLine = { key: string; label: string; color: string };

/**
 * One time chart with the publish (blue) and rollback (red) markers drawn as vertical
 * lines, so a change and its effect are seen on the same axis. `stacked` draws areas.
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
  markers: TMarker[];
  from: number;
  to: number;
  format: (v: number) => string;
  stacked?: boolean;
  testId: string;
  onPointClick?: (t: number) => void;
}) {
  const markerLines = markers
    .filter((m) => m.at >= from && m.at <= to)
    .map((m) => (
      <ReferenceLine
        key={m.version}
        x={m.at}
        stroke={m.rollback ? "#c4302b" : "#2456d6"}
        strokeDasharray="4 3"
        label={{ value: `v${m.version}${m.rollback ? " ↺" : ""}`, position: "insideTopRight", fontSize: 11, fill: m.rollback ? "#c4302b" : "#2456d6" }}
        ifOverflow="extendDomain"
      />
    ));
  const common = {
    data,
    margin: { top: 16, right: 16, bottom: 0, left: 4 },
    onClick: onPointClick
      ? (e: { activeLabel?: unknown }) => {
          if (typeof e?.activeLabel === "number") onPointClick(e.activeLabel);
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
