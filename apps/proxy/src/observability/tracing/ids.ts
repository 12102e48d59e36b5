import { randomFillSync } from "node:crypto";

/**
 * Random trace and span ids from a pooled buffer: one randomFillSync per 4 KiB instead
 * of a crypto call per id (a request needs two or three ids when it is traced), and one
 * hex conversion of the whole pool per refill instead of a native hexSlice call per id:
 * an id is then a substring of the pool's hex text.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolHex = "";
let offset = POOL_BYTES;

/** All-zero ids are invalid in W3C and B3; astronomically rare, but cheap to rule out. */
const ZEROS: Record<number, string> = { 16: "0".repeat(32), 8: "0".repeat(16) };

function take(bytes: 16 | 8): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolHex = pool.toString("hex");
    offset = 0;
  }
  const hex = poolHex.slice(offset * 2, (offset + bytes) * 2);
  offset += bytes;
  return hex === ZEROS[bytes] ? take(bytes) : hex;
}

/** 16 bytes as 32 lower-case hex digits. */
export function newTraceId(): string {
  return take(16);
}

/** 8 bytes as 16 lower-case hex digits. */
export function newSpanId(): string {
  return take(8);
}
