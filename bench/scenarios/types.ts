import type { TRow } from "../lib.ts";

export type TScenarioResult = {
  rows: TRow[];
  note: string;
  /** Lines printed under the table. */
  extra?: string[];
  /** Routing scenario: RSS (MiB) with the 10k-route config loaded and the most seen under load. */
  rss?: { loaded: number; afterLoad: number };
  /** Routing scenario: the proxy's own apply time for the 10k-route config. */
  applyMs?: number | null;
  /** Workers scenario: req/s of --workers 2 over --workers 1. */
  workersRatio?: number | null;
};
