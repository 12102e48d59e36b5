import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Raw HTTP for hostile-input tests: bytes go out exactly as written (no client library
 * normalises them), and the answer is whatever came back before the server closed the
 * connection or `timeoutMs` passed. Always 127.0.0.1, always bounded in time.
 */
export type TRawResult = { text: string; status: number | null; closed: boolean; ms: number };

export function rawExchange(
  port: number,
  payload: string | Buffer | (string | Buffer)[],
  opts: { timeoutMs?: number; gapMs?: number; /** HTTP/1.1 over TLS, trusting this CA (servername localhost). */ tlsCa?: string } = {},
): Promise<TRawResult> {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const parts = Array.isArray(payload) ? payload : [payload];
  const start = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let done = false;
    const sock: Socket = opts.tlsCa
      ? tlsConnect({ host: "127.0.0.1", port, ca: opts.tlsCa, servername: "localhost", ALPNProtocols: ["http/1.1"] })
      : connect({ host: "127.0.0.1", port });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(writer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closed, ms: Date.now() - start });
    };
    const timer = setTimeout(finish, timeoutMs);
    let writer: NodeJS.Timeout | undefined;
    sock.on("data", (c: Buffer) => chunks.push(c));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      closed = true;
      finish();
    });
    // Writes the parts one after the other, `gapMs` apart (slow clients); stops when closed.
    let i = 0;
    const writeNext = () => {
      if (done || sock.destroyed) return;
      const part = parts[i++];
      if (part === undefined) return;
      sock.write(part);
      writer = setTimeout(writeNext, opts.gapMs ?? 0);
    };
    sock.once(opts.tlsCa ? "secureConnect" : "connect", writeNext);
  });
}

/** Every status line in a raw answer (pipelined responses). */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

export type TRecorded = { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string; complete: boolean };

/**
 * An upstream that records exactly what reached it: every parsed request (method, url,
 * headers, body, whether the body completed) and the raw bytes of every connection.
 */
export type TRecordingUpstream = { port: number; requests: TRecorded[]; raw(): string; close(): Promise<void>; server: Server };

export async function startRecordingUpstream(opts: { maxHeaderSize?: number } = {}): Promise<TRecordingUpstream> {
  const requests: TRecorded[] = [];
  const raw: Buffer[] = [];
  const server = createServer({ maxHeaderSize: opts.maxHeaderSize }, (req: IncomingMessage, res) => {
    const rec: TRecorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "", complete: false };
    requests.push(rec);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      rec.complete = true;
      rec.body = Buffer.concat(chunks).toString("latin1");
      const body = JSON.stringify({ url: rec.url, bytes: rec.body.length });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    req.on("error", () => undefined);
  });
  server.on("connection", (s) => s.on("data", (c: Buffer) => raw.push(c)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    raw: () => Buffer.concat(raw).toString("latin1"),
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
