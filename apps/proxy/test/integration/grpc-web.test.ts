import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";

/**
 * grpcWeb (issue #14 item 6): a gRPC-Web client, written here from the wire format
 * (length-prefixed frames; trailers as a 0x80 frame at the end of the body; the -text
 * variant in base64), over HTTP/1.1 to the proxy, which speaks gRPC over h2 to a real
 * @grpc/grpc-js server: unary, server streaming, an error with custom metadata, and the
 * text mode. Messages are JSON (custom serializers) so no .proto file is needed.
 */
type TMsg = { text: string; n?: number };
const ser = (m: TMsg) => Buffer.from(JSON.stringify(m));
const de = (b: Buffer) => JSON.parse(b.toString()) as TMsg;
const method = (name: string, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: ser,
  requestDeserialize: de,
  responseSerialize: ser,
  responseDeserialize: de,
});

let server: grpc.Server;
/** A bare h2 server that records the request head a gRPC server gets. */
let raw: http2.Http2Server;
let rawHeads: http2.IncomingHttpHeaders[] = [];
let proxy: TInProcessProxy;
let base: string;

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(
    { Unary: method("Unary", false), Count: method("Count", true) },
    {
      Unary: (call: grpc.ServerUnaryCall<TMsg, TMsg>, cb: grpc.sendUnaryData<TMsg>) => {
        if (call.request.text === "fail") {
          const md = new grpc.Metadata();
          md.set("x-why", "asked to");
          return cb({ code: grpc.status.NOT_FOUND, details: "no such thing", metadata: md });
        }
        const md = new grpc.Metadata();
        md.set("x-trailer", "t1");
        cb(null, { text: `echo: ${call.request.text}` }, md);
      },
      Count: (call: grpc.ServerWritableStream<TMsg, TMsg>) => {
        for (let i = 1; i <= (call.request.n ?? 0); i++) call.write({ text: call.request.text, n: i });
        const md = new grpc.Metadata();
        md.set("x-count", String(call.request.n));
        call.end(md);
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  raw = http2.createServer();
  raw.on("stream", (stream, headers) => {
    rawHeads.push(headers);
    stream.resume();
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end();
    });
  });
  await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proxy = await startInProcessProxy({
    listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", httpFilters: [{ type: "grpcWeb" }, { type: "fault", headerControl: true }] }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [
      { name: "grpc", match: { prefix: "/test.Echo/" }, route: { cluster: "grpc" } },
      { name: "raw", match: { prefix: "/raw.Echo/" }, route: { cluster: "raw" } },
    ] }] }],
    clusters: [
      { name: "grpc", protocol: "http2", endpoints: [{ address: "127.0.0.1", port: grpcPort }] },
      { name: "raw", protocol: "http2", endpoints: [{ address: "127.0.0.1", port: (raw.address() as AddressInfo).port }] },
    ],
  });
});

afterAll(async () => {
  await proxy?.stop();
  server?.forceShutdown();
  raw?.close();
});

const frame = (flag: number, payload: Buffer) => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
};

/** Splits a gRPC-Web body into its messages and its trailer frame (parsed). */
function parseFrames(body: Buffer): { messages: TMsg[]; trailers: Record<string, string> | null } {
  const messages: TMsg[] = [];
  let trailers: Record<string, string> | null = null;
  for (let at = 0; at < body.length; ) {
    const flag = body[at] as number;
    const len = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if (flag & 0x80) {
      trailers = {};
      for (const line of payload.toString("latin1").split("\r\n")) {
        const i = line.indexOf(":");
        if (i > 0) trailers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
    } else messages.push(de(payload));
  }
  return { messages, trailers };
}

async function call(path: string, msg: TMsg, text = false, extra: Record<string, string> = {}) {
  const body = frame(0, ser(msg));
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": text ? "application/grpc-web-text" : "application/grpc-web+proto", "x-grpc-web": "1", accept: "application/grpc-web", ...extra },
    body: text ? body.toString("base64") : body,
  });
  const raw = Buffer.from(await res.arrayBuffer());
  return { res, ...parseFrames(text ? Buffer.from(raw.toString("latin1"), "base64") : raw) };
}

describe("grpcWeb", () => {
  it("unary: the message comes back framed, the upstream's trailers as the body's trailer frame", async () => {
    const r = await call("/test.Echo/Unary", { text: "hi" });
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(r.messages).toEqual([{ text: "echo: hi" }]);
    expect(r.trailers).toMatchObject({ "grpc-status": "0", "x-trailer": "t1" });
  });

  it("server streaming: every message in order, then the trailer frame", async () => {
    const r = await call("/test.Echo/Count", { text: "tick", n: 5 });
    expect(r.messages.map((m) => m.n)).toEqual([1, 2, 3, 4, 5]);
    expect(r.trailers).toMatchObject({ "grpc-status": "0", "x-count": "5" });
  });

  it("an error: grpc-status, grpc-message and custom metadata reach the client", async () => {
    const r = await call("/test.Echo/Unary", { text: "fail" });
    expect(r.res.status).toBe(200);
    expect(r.messages).toEqual([]);
    // A trailers-only answer keeps them in the head; a trailer frame would carry them otherwise.
    const status = r.trailers?.["grpc-status"] ?? r.res.headers.get("grpc-status");
    const message = r.trailers?.["grpc-message"] ?? r.res.headers.get("grpc-message");
    const why = r.trailers?.["x-why"] ?? r.res.headers.get("x-why");
    expect(status).toBe(String(grpc.status.NOT_FOUND));
    expect(decodeURIComponent(message ?? "")).toBe("no such thing");
    expect(why).toBe("asked to");
  });

  it("the upstream gets a gRPC request head: application/grpc, te: trailers (browsers never send it), no content-length", async () => {
    rawHeads = [];
    const r = await call("/raw.Echo/Unary", { text: "x" });
    expect(r.trailers).toMatchObject({ "grpc-status": "0" });
    expect(rawHeads[0]).toMatchObject({ "content-type": "application/grpc+proto", te: "trailers" });
    expect(rawHeads[0]?.["content-length"]).toBeUndefined();
  });

  it("grpc-web-text: base64 both ways, streaming included", async () => {
    const r = await call("/test.Echo/Count", { text: "b64", n: 3 }, true);
    expect(r.res.headers.get("content-type")).toBe("application/grpc-web-text");
    expect(r.messages).toEqual([1, 2, 3].map((n) => ({ text: "b64", n })));
    expect(r.trailers).toMatchObject({ "grpc-status": "0", "x-count": "3" });
  });

  it("a local reply of the proxy (no route) reaches an HTTP/1.1 gRPC-Web client as a gRPC status in the head", async () => {
    const r = await call("/other.Service/Nope", { text: "x" });
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(r.res.headers.get("grpc-status")).toBe(String(grpc.status.UNIMPLEMENTED));
  });

  it("fault's gRPC abort (x-switchyard-fault-abort-grpc-request) answers with that grpc-status, flag FI", async () => {
    const r = await call("/test.Echo/Unary", { text: "x" }, false, { "x-switchyard-fault-abort-grpc-request": String(grpc.status.RESOURCE_EXHAUSTED) });
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get("grpc-status")).toBe(String(grpc.status.RESOURCE_EXHAUSTED));
    expect(r.res.headers.get("x-switchyard-response-flags")).toBe("FI");
  });

  it("over h2 (as browsers on https speak it): upstream trailers and a local reply's trailers both arrive in the body's trailer frame, none as HTTP/2 trailers", async () => {
    const session = http2.connect(base);
    try {
      const h2call = (path: string, msg: TMsg) =>
        new Promise<{ body: Buffer; trailers: http2.IncomingHttpHeaders | null; headers: http2.IncomingHttpHeaders }>((resolve, reject) => {
          const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" });
          const chunks: Buffer[] = [];
          let headers: http2.IncomingHttpHeaders = {};
          let trailers: http2.IncomingHttpHeaders | null = null;
          stream.on("response", (h) => (headers = h));
          stream.on("trailers", (t) => (trailers = t));
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => resolve({ body: Buffer.concat(chunks), trailers, headers }));
          stream.on("error", reject);
          stream.end(frame(0, ser(msg)));
        });
      const ok = await h2call("/test.Echo/Unary", { text: "h2" });
      expect(ok.headers["content-type"]).toBe("application/grpc-web+proto");
      const okFrames = parseFrames(ok.body);
      expect(okFrames.messages).toEqual([{ text: "echo: h2" }]);
      expect(okFrames.trailers).toMatchObject({ "grpc-status": "0", "x-trailer": "t1" });
      expect(ok.trailers?.["grpc-status"]).toBeUndefined();

      const nr = await h2call("/other.Service/Nope", { text: "x" });
      expect(parseFrames(nr.body).trailers).toMatchObject({ "grpc-status": String(grpc.status.UNIMPLEMENTED) });
      expect(nr.trailers?.["grpc-status"]).toBeUndefined();

      const failed = await h2call("/test.Echo/Unary", { text: "fail" });
      expect(parseFrames(failed.body).trailers).toMatchObject({ "grpc-status": String(grpc.status.NOT_FOUND), "x-why": "asked to" });
    } finally {
      session.close();
    }
  });
});
