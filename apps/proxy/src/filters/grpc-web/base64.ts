/**
 * Streaming base64 for application/grpc-web-text bodies: chunk boundaries fall anywhere,
 * so each side keeps the bytes (or characters) that do not yet fill a whole group.
 */

/** Decodes base64 text arriving in pieces; a sender may pad and restart mid-stream (gRPC-Web allows it). */
export class Base64Decoder {
  #carry = "";

  push(chunk: Buffer, end: boolean): Buffer {
    const text = this.#carry + chunk.toString("latin1").replace(/[\s]/g, "");
    const whole = end ? text.length : text.length - (text.length % 4);
    this.#carry = text.slice(whole);
    // Decode padded segments one by one: Node stops decoding at the first '='.
    const out: Buffer[] = [];
    for (const seg of text.slice(0, whole).match(/[^=]*=*/g) ?? []) if (seg) out.push(Buffer.from(seg, "base64"));
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }
}

/** Encodes bytes arriving in pieces as one unpadded-until-the-end base64 text. */
export class Base64Encoder {
  #carry: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, end: boolean): Buffer {
    const bytes = this.#carry.length ? Buffer.concat([this.#carry, chunk]) : chunk;
    const whole = end ? bytes.length : bytes.length - (bytes.length % 3);
    this.#carry = bytes.subarray(whole);
    return Buffer.from(bytes.subarray(0, whole).toString("base64"), "latin1");
  }
}
