import type { TCompressionAlgorithm, TCompressionFilter } from "@switchyard/config-model";

/** The compression config compiled once per version. */
export type TCompressionConfig = {
  /** In order of preference for equal q-values. */
  readonly algorithms: readonly TCompressionAlgorithm[];
  readonly minContentLength: number;
  readonly contentTypes: ReadonlySet<string>;
};

export function compileCompression(f: TCompressionFilter): TCompressionConfig {
  return Object.freeze({
    algorithms: Object.freeze([...f.algorithms]),
    minContentLength: f.minContentLength,
    contentTypes: new Set(f.contentTypes.map((t) => t.toLowerCase())),
  });
}

/**
 * The coding to use for an Accept-Encoding value (RFC 9110 §12.5.3): the offered
 * algorithm with the highest q-value above 0, `*` standing for those not named, ties
 * broken by the configured order; null = send the body as it is (absent header,
 * identity only, or every offer refused with q=0).
 */
export function chooseEncoding(acceptEncoding: string | undefined, algorithms: readonly TCompressionAlgorithm[]): TCompressionAlgorithm | null {
  if (!acceptEncoding) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (!coding) continue;
    let value = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) value = Math.min(1, Number(m[1]) || 0);
    }
    // x-gzip is gzip (RFC 9110 §8.4.1.3).
    q.set(coding.trim() === "x-gzip" ? "gzip" : coding.trim(), value);
  }
  const star = q.get("*");
  let best: TCompressionAlgorithm | null = null;
  let bestQ = 0;
  for (const a of algorithms) {
    const v = q.get(a) ?? star ?? 0;
    if (v > bestQ) {
      best = a;
      bestQ = v;
    }
  }
  return best;
}
