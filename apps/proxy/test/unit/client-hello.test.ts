import { createServer, type AddressInfo, type Server } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readClientHello } from "../../src/filters/network/sni-router/client-hello.ts";

/** ClientHellos written by node:tls itself, captured on a plain TCP server. */
let server: Server;
const captured = new Map<string, Promise<Buffer>>();

function capture(servername: string | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    server.once("connection", (sock) => {
      sock.on("data", (c: Buffer) => {
        got.push(c);
        const all = Buffer.concat(got);
        // Record header says how long the first record is; the hello fits one record here.
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          resolve(all.subarray(0, 5 + all.readUInt16BE(3)));
          sock.destroy();
        }
      });
    });
    const client = tlsConnect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
    client.on("error", () => undefined);
    setTimeout(() => reject(new Error("no hello")), 10_000).unref();
  });
}

/** The handshake bytes of one record re-cut into records of at most `size` bytes (RFC 8446 §5.1 fragmentation). */
function refragment(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5);
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    const head = Buffer.from([22, 3, 1, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    out.push(head, part);
  }
  return Buffer.concat(out);
}

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  captured.set("named", capture("Db.Example.Test"));
  await captured.get("named");
  captured.set("none", capture(undefined));
  await captured.get("none");
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("readClientHello", () => {
  it("reads the server name of a real ClientHello, lower-cased", async () => {
    const hello = (await captured.get("named")) as Buffer;
    expect(readClientHello(hello, 65_536)).toEqual({ state: "done", serverName: "db.example.test" });
  });

  it("answers null when the client sent no SNI", async () => {
    const hello = (await captured.get("none")) as Buffer;
    expect(readClientHello(hello, 65_536)).toEqual({ state: "done", serverName: null });
  });

  it("asks for more on every proper prefix, and bytes after the hello change nothing", async () => {
    const hello = (await captured.get("named")) as Buffer;
    for (let n = 0; n < hello.length; n++) expect(readClientHello(hello.subarray(0, n), 65_536).state, `prefix ${n}`).toBe("incomplete");
    expect(readClientHello(Buffer.concat([hello, Buffer.from([23, 3, 3, 0, 1, 0])]), 65_536)).toEqual({ state: "done", serverName: "db.example.test" });
  });

  it("reassembles a hello fragmented over several TLS records", async () => {
    const hello = (await captured.get("named")) as Buffer;
    for (const size of [1, 3, 7, 100]) {
      const split = refragment(hello, size);
      expect(readClientHello(split, 65_536 * 8), `records of ${size}`).toEqual({ state: "done", serverName: "db.example.test" });
      expect(readClientHello(split.subarray(0, split.length - 1), 65_536 * 8).state).toBe("incomplete");
    }
  });

  it("says notTls at the first byte that is not a TLS handshake record", () => {
    expect(readClientHello(Buffer.from("G"), 65_536).state).toBe("notTls");
    expect(readClientHello(Buffer.from("GET / HTTP/1.1\r\n"), 65_536).state).toBe("notTls");
    expect(readClientHello(Buffer.from([0x80, 0x2e, 0x01]), 65_536).state).toBe("notTls"); // SSLv2-style hello
    expect(readClientHello(Buffer.from([22, 9]), 65_536).state).toBe("notTls");
  });

  it("refuses a hello larger than maxBytes without waiting for it", async () => {
    const hello = (await captured.get("named")) as Buffer;
    expect(readClientHello(hello.subarray(0, 10), 512).state).toBe(hello.length > 512 ? "tooLarge" : "incomplete");
    const big = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x3f, 0xfc]);
    expect(readClientHello(big, 1024).state).toBe("tooLarge");
  });

  it("calls a broken hello malformed", async () => {
    const hello = Buffer.from((await captured.get("named")) as Buffer);
    const notHello = Buffer.from(hello);
    notHello[5] = 2; // a ServerHello
    expect(readClientHello(notHello, 65_536).state).toBe("malformed");
    const badExtensions = Buffer.from(hello);
    // Claim a session id longer than the hello: every later length is off.
    badExtensions[5 + 4 + 34] = 0xff;
    expect(readClientHello(badExtensions, 65_536).state).toBe("malformed");
    expect(readClientHello(Buffer.from([22, 3, 1, 0, 0]), 65_536).state).toBe("malformed");
  });
});
