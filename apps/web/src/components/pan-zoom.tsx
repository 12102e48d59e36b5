"use client";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";

type TView = { k: number; x: number; y: number };
const MIN_K = 0.1;
const MAX_K = 2.5;
const clampK = (k: number) => Math.min(MAX_K, Math.max(MIN_K, k));

/**
 * An SVG viewport with pan and zoom: drag the background or use the wheel to pan,
 * Ctrl/⌘ + wheel (or the buttons, or + and -) to zoom at the pointer, arrow keys to pan
 * when it has focus. Starts fitted to the width (never above 100 %), so a tall graph
 * reads at full size and is scrolled through rather than shrunk to dots.
 */
export function PanZoomSvg({ width, height, label, testId, children }: { width: number; height: number; label: string; testId: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<TView>({ k: 1, x: 0, y: 0 });
  const drag = useRef<{ px: number; py: number; x: number; y: number } | null>(null);
  const viewportH = Math.max(320, Math.min(720, height));

  const fit = useCallback(
    (all = false) => {
      const w = box.current?.clientWidth ?? width;
      const k = clampK(Math.min(1, w / width, all ? viewportH / height : Infinity));
      setView({ k, x: (w - width * k) / 2, y: 0 });
    },
    [width, height, viewportH],
  );
  // Fitted once per graph size (a refresh with the same shape keeps where the user is).
  useEffect(() => fit(), [fit]);

  const zoomAt = (factor: number, cx: number, cy: number) =>
    setView((v) => {
      const k = clampK(v.k * factor);
      return { k, x: cx - ((cx - v.x) * k) / v.k, y: cy - ((cy - v.y) * k) / v.k };
    });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // Not a React handler: React's wheel listeners are passive and cannot keep the page still.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      if (e.ctrlKey || e.metaKey) zoomAt(Math.exp(-e.deltaY / 300), e.clientX - r.left, e.clientY - r.top);
      else setView((v) => ({ ...v, x: v.x - (e.shiftKey ? e.deltaY : e.deltaX), y: v.y - (e.shiftKey ? 0 : e.deltaY) }));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);
  const center = () => ({ cx: (box.current?.clientWidth ?? width) / 2, cy: viewportH / 2 });

  return (
    <div className="panzoom">
      <div className="panzoom-tools" role="toolbar" aria-label="Zoom">
        <button type="button" className="btn btn-small" onClick={() => zoomAt(1.25, center().cx, center().cy)} aria-label="Zoom in">
          +
        </button>
        <button type="button" className="btn btn-small" onClick={() => zoomAt(0.8, center().cx, center().cy)} aria-label="Zoom out">
          −
        </button>
        <button type="button" className="btn btn-small" onClick={() => fit(true)}>
          Fit all
        </button>
        <button type="button" className="btn btn-small" onClick={() => setView({ k: 1, x: 0, y: 0 })}>
          100%
        </button>
        <span className="muted small" data-testid="zoom-level">
          {Math.round(view.k * 100)}%
        </span>
      </div>
      {/* A widget of its own: it takes the arrow keys and +/- itself (role "application", so assistive
          technology passes them through) and must be focusable for that; jsx-a11y counts
          "application" as non-interactive, hence the two rules are off for this element only. */}
      {/* eslint-disable-next-line jsx-a11y/no-noninteractive-element-interactions */}
      <div
        ref={box}
        className="panzoom-box"
        style={{ height: viewportH }}
        role="application"
        aria-roledescription="graph viewport"
        // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
        tabIndex={0}
        aria-label={`${label}: drag or use the arrow keys to move, + and - to zoom`}
        onKeyDown={(e) => {
          const step = 60;
          const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
          if (moves[e.key]) {
            e.preventDefault();
            const [dx, dy] = moves[e.key]!;
            setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
          } else if (e.key === "+" || e.key === "=") zoomAt(1.25, center().cx, center().cy);
          else if (e.key === "-") zoomAt(0.8, center().cx, center().cy);
        }}
        onPointerDown={(e) => {
          if ((e.target as Element).closest("[data-node],[data-edge]")) return;
          drag.current = { px: e.clientX, py: e.clientY, x: view.x, y: view.y };
          e.currentTarget.setPointerCapture(e.pointerId);
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (d) setView((v) => ({ ...v, x: d.x + e.clientX - d.px, y: d.y + e.clientY - d.py }));
        }}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
      >
        <svg width="100%" height="100%" role="img" aria-label={label} data-testid={testId} data-zoom={view.k.toFixed(3)}>
          <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>{children}</g>
        </svg>
      </div>
    </div>
  );
}
