import { randomFillSync } from "node:crypto";

/**
 * Random trace and span ids from a pooled buffer: one randomFillSync per 4 KiB instead
 * of a crypto call per id (a request needs two or three ids when it is traced).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function take(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  // All-zero ids are invalid in W3C and B3; astronomically rare, but cheap to rule out.
  return /^0+$/.test(hex) ? take(bytes) : hex;
}

/** 16 bytes as 32 lower-case hex digits. */
export function newTraceId(): string {
  return take(16);
}

/** 8 bytes as 16 lower-case hex digits. */
export function newSpanId(): string {
  return take(8);
}
