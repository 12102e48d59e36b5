/**
 * Reads the server name (SNI, RFC 6066 §3) from the start of a TLS connection without
 * terminating it. Pure: it gets every byte received so far and says whether it needs
 * more. The ClientHello may arrive over any number of TCP segments and may be split over
 * several TLS records (RFC 8446 §5.1 allows fragmenting handshake messages); only the
 * first `maxBytes` bytes are ever looked at.
 *
 *   TLSPlaintext   type(1)=22 handshake, legacy_version(2)=3.x, length(2), fragment
 *   Handshake      msg_type(1)=1 client_hello, length(3), body
 *   ClientHello    version(2) random(32) session_id<1> cipher_suites<2>
 *                  compression_methods<1> extensions<2>   (<n> = n-byte length prefix)
 *   server_name    extension 0: list<2> of { name_type(1)=0 host_name, name<2> }
 */

export type THelloResult =
  | { readonly state: "incomplete" }
  /** The first bytes are not a TLS handshake record (plain text, SSLv2, another protocol). */
  | { readonly state: "notTls" }
  /** A TLS record, but not a well-formed ClientHello. */
  | { readonly state: "malformed" }
  /** The ClientHello does not fit in maxBytes. */
  | { readonly state: "tooLarge" }
  /** serverName: lower case without a trailing dot, or null when the client sent none. */
  | { readonly state: "done"; readonly serverName: string | null };

const INCOMPLETE: THelloResult = Object.freeze({ state: "incomplete" });
const NOT_TLS: THelloResult = Object.freeze({ state: "notTls" });
const MALFORMED: THelloResult = Object.freeze({ state: "malformed" });
const TOO_LARGE: THelloResult = Object.freeze({ state: "tooLarge" });

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;
/** TLSPlaintext.length must not exceed 2^14 (RFC 8446 §5.1). */
const MAX_RECORD = 16_384;

export function readClientHello(buf: Buffer, maxBytes: number): THelloResult {
  // Reassemble the handshake bytes from consecutive handshake records.
  const parts: Buffer[] = [];
  let have = 0;
  let need = -1; // 4 + handshake length, once the handshake header is known
  let at = 0;
  while (need < 0 || have < need) {
    if (buf.length > at && buf[at] !== RECORD_HANDSHAKE) return at === 0 ? NOT_TLS : MALFORMED;
    if (buf.length > at + 1 && buf[at + 1] !== 3) return at === 0 ? NOT_TLS : MALFORMED;
    if (buf.length < at + 5) return at + 5 > maxBytes ? TOO_LARGE : INCOMPLETE;
    const len = buf.readUInt16BE(at + 3);
    if (len === 0 || len > MAX_RECORD) return MALFORMED;
    const end = at + 5 + len;
    const fragment = buf.subarray(at + 5, Math.min(end, buf.length));
    parts.push(fragment);
    have += fragment.length;
    if (need < 0 && have >= 4) {
      const head = parts.length === 1 ? fragment : Buffer.concat(parts);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return MALFORMED;
      need = 4 + head.readUIntBE(1, 3);
    }
    if (need > 0 && need > maxBytes) return TOO_LARGE;
    if (buf.length < end) return end > maxBytes ? TOO_LARGE : INCOMPLETE;
    at = end;
  }
  const hello = (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)).subarray(4, need);
  return parseClientHello(hello);
}

/** The ClientHello body (after the handshake header). */
function parseClientHello(b: Buffer): THelloResult {
  let p = 2 + 32; // legacy_version, random
  const skip = (lenBytes: 1 | 2): boolean => {
    if (p + lenBytes > b.length) return false;
    const n = lenBytes === 1 ? (b[p] as number) : b.readUInt16BE(p);
    p += lenBytes + n;
    return p <= b.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return MALFORMED; // session_id, cipher_suites, compression_methods
  if (p === b.length) return { state: "done", serverName: null }; // no extensions (TLS 1.0-era clients)
  if (p + 2 > b.length) return MALFORMED;
  const extEnd = p + 2 + b.readUInt16BE(p);
  if (extEnd > b.length) return MALFORMED;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const start = p + 4;
    if (start + len > extEnd) return MALFORMED;
    if (type === EXT_SERVER_NAME) return serverNameOf(b.subarray(start, start + len));
    p = start + len;
  }
  return p === extEnd ? { state: "done", serverName: null } : MALFORMED;
}

function serverNameOf(ext: Buffer): THelloResult {
  if (ext.length < 2) return MALFORMED;
  const end = 2 + ext.readUInt16BE(0);
  if (end > ext.length) return MALFORMED;
  let p = 2;
  while (p + 3 <= end) {
    const type = ext[p] as number;
    const len = ext.readUInt16BE(p + 1);
    if (p + 3 + len > end) return MALFORMED;
    if (type === NAME_TYPE_HOST) {
      const name = ext.toString("latin1", p + 3, p + 3 + len);
      // RFC 6066: an ASCII host name, no trailing dot; refuse anything that could not be one.
      if (!name || !/^[\x21-\x7e]+$/.test(name)) return MALFORMED;
      return { state: "done", serverName: name.toLowerCase().replace(/\.$/, "") };
    }
    p += 3 + len;
  }
  return { state: "done", serverName: null };
}
