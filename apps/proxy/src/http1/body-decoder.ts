import { HttpParseError } from "./errors.ts";
import type { TBodyFraming } from "./framing.ts";
import { parseFields } from "./head.ts";

const CR = 13;
const LF = 10;

/** Hex digits in a chunk size: 13 keep it under 2^53 (an overflow is refused, never wrapped). */
const MAX_SIZE_DIGITS = 13;
/** A chunk-size line's extensions (ignored, as every proxy does) may take this much. */
const MAX_EXTENSION_BYTES = 4096;

const enum S {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailers,
  Done,
}

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

export type TBodyDecoderLimits = { maxTrailerBytes?: number; maxTrailersCount?: number };

/**
 * A message body as it arrives, in whatever pieces the socket gives: Content-Length,
 * chunked (RFC 9112 §7.1: size lines, data, CRLFs, the last chunk and its trailer
 * section; strict, a bare LF or a size past 2^53 is refused) or until the peer closes.
 * Body bytes are handed on as subarrays of the chunk they came in (no copy); the offset
 * where the body ended tells the connection where the next message starts.
 */
export class BodyDecoder {
  readonly #framing: TBodyFraming["kind"];
  readonly #maxTrailerBytes: number;
  readonly #maxTrailersCount: number;
  #state: S;
  /** length: bytes left; chunked: bytes left of the current chunk, or the size being read. */
  #left: number;
  #digits = 0;
  #extension = 0;
  #trailerParts: Buffer[] = [];
  #trailerBytes = 0;
  received = 0;
  trailers: string[] | null = null;

  constructor(framing: TBodyFraming, limits: TBodyDecoderLimits = {}) {
    this.#framing = framing.kind;
    this.#maxTrailerBytes = limits.maxTrailerBytes ?? 16_384;
    this.#maxTrailersCount = limits.maxTrailersCount ?? 100;
    this.#left = framing.kind === "length" ? framing.length : 0;
    this.#state = framing.kind === "none" || (framing.kind === "length" && framing.length === 0) ? S.Done : framing.kind === "chunked" ? S.Size : S.Data;
  }

  get done(): boolean {
    return this.#state === S.Done;
  }

  /**
   * Consumes `chunk` from `offset`. Returns the offset just past this body when it
   * completes here (the rest is the next message's), else chunk.length.
   */
  push(chunk: Buffer, offset: number, onData: (data: Buffer) => void): number {
    if (this.#state === S.Done) return offset;
    if (this.#framing === "close") {
      if (offset < chunk.length) this.#emit(chunk.subarray(offset), onData);
      return chunk.length;
    }
    if (this.#framing === "length") {
      const n = Math.min(this.#left, chunk.length - offset);
      if (n > 0) this.#emit(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n), onData);
      this.#left -= n;
      if (this.#left === 0) this.#state = S.Done;
      return offset + n;
    }
    return this.#chunked(chunk, offset, onData);
  }

  /** The peer closed. A close-delimited body is complete; a length or chunked one was cut short (false). */
  end(): boolean {
    if (this.#state === S.Done) return true;
    if (this.#framing === "close") {
      this.#state = S.Done;
      return true;
    }
    return false;
  }

  #emit(data: Buffer, onData: (data: Buffer) => void): void {
    this.received += data.length;
    onData(data);
  }

  #chunked(chunk: Buffer, i: number, onData: (data: Buffer) => void): number {
    const len = chunk.length;
    while (i < len) {
      switch (this.#state) {
        case S.Size: {
          const c = chunk[i] as number;
          const d = HEX[c] as number;
          if (d !== -1) {
            if (++this.#digits > MAX_SIZE_DIGITS) throw new HttpParseError(400, "chunk size too large");
            this.#left = this.#left * 16 + d;
            i++;
            break;
          }
          if (this.#digits === 0) throw new HttpParseError(400, "invalid chunk size");
          if (c === CR) this.#state = S.SizeLf;
          else if (c === 59 /* ; */ || c === 32 || c === 9) this.#state = S.Extension;
          else throw new HttpParseError(400, "invalid chunk size");
          i++;
          break;
        }
        case S.Extension: {
          // Skipped up to its CR; a bare LF or a control byte inside is refused.
          const c = chunk[i] as number;
          if (c === CR) this.#state = S.SizeLf;
          else if (c === LF || (c < 32 && c !== 9) || c === 127) throw new HttpParseError(400, "invalid chunk extension");
          else if (++this.#extension > MAX_EXTENSION_BYTES) throw new HttpParseError(400, "chunk extension too long");
          i++;
          break;
        }
        case S.SizeLf: {
          if (chunk[i] !== LF) throw new HttpParseError(400, "chunk size line not ended by CRLF");
          i++;
          this.#digits = 0;
          this.#extension = 0;
          this.#state = this.#left === 0 ? S.Trailers : S.Data;
          break;
        }
        case S.Data: {
          const n = Math.min(this.#left, len - i);
          this.#emit(chunk.subarray(i, i + n), onData);
          this.#left -= n;
          i += n;
          if (this.#left === 0) this.#state = S.DataCr;
          break;
        }
        case S.DataCr:
          if (chunk[i] !== CR) throw new HttpParseError(400, "chunk data not followed by CRLF");
          this.#state = S.DataLf;
          i++;
          break;
        case S.DataLf:
          if (chunk[i] !== LF) throw new HttpParseError(400, "chunk data not followed by CRLF");
          this.#state = S.Size;
          i++;
          break;
        case S.Trailers:
          return this.#trailerSection(chunk, i);
        case S.Done:
          return i;
      }
    }
    return len;
  }

  /** After the last chunk: CRLF alone, or trailer fields and a blank line. */
  #trailerSection(chunk: Buffer, i: number): number {
    const held = this.#trailerBytes;
    const buf = held === 0 ? chunk.subarray(i) : Buffer.concat([...this.#trailerParts, chunk.subarray(i)]);
    // No trailers: the section is one CRLF.
    if (buf.length >= 2 && buf[0] === CR && buf[1] === LF) {
      this.#state = S.Done;
      return i + 2 - held;
    }
    if (buf.length >= 1 && buf[0] === LF) throw new HttpParseError(400, "bare LF after the last chunk");
    const end = buf.indexOf("\r\n\r\n", held > 3 ? held - 3 : 0, "latin1");
    if (end === -1) {
      if (buf.length > this.#maxTrailerBytes) throw new HttpParseError(400, `trailers larger than ${this.#maxTrailerBytes} bytes`);
      this.#trailerParts = [Buffer.from(buf)];
      this.#trailerBytes = buf.length;
      return chunk.length;
    }
    const blockEnd = end + 4;
    if (blockEnd > this.#maxTrailerBytes) throw new HttpParseError(400, `trailers larger than ${this.#maxTrailerBytes} bytes`);
    const fields = parseFields(buf.subarray(0, blockEnd), 0, this.#maxTrailersCount);
    this.trailers = fields.length > 0 ? fields : null;
    this.#trailerParts = [];
    this.#trailerBytes = 0;
    this.#state = S.Done;
    return i + blockEnd - held;
  }
}
