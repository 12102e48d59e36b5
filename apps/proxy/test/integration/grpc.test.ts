import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { probeGrpcHealth } from "../../src/upstream/grpc-health-check.ts";

/**
 * gRPC through the proxy with @grpc/grpc-js clients and servers: unary, client
 * streaming, server streaming and bidi, with trailers (status + message) intact; local
 * replies as gRPC errors; grpc-timeout; the grpc.health.v1 probe.
 * Messages are JSON (custom serializers) so no .proto file is needed.
 */
type TMsg = { text: string; n?: number };
const ser = (m: TMsg) => Buffer.from(JSON.stringify(m));
const de = (b: Buffer) => JSON.parse(b.toString()) as TMsg;
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: ser,
  requestDeserialize: de,
  responseSerialize: ser,
  responseDeserialize: de,
});
const service = {
  Unary: method("Unary", false, false),
  Collect: method("Collect", true, false),
  Count: method("Count", false, true),
  Chat: method("Chat", true, true),
};
const healthService = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

let server: grpc.Server;
let serverPort: number;
let proxy: TProxyProcess;
let target: string;
let client: grpc.Client;
let healthStatus = 1;

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(service, {
    Unary: (call: grpc.ServerUnaryCall<TMsg, TMsg>, cb: grpc.sendUnaryData<TMsg>) => {
      if (call.request.text === "fail") return cb({ code: grpc.status.NOT_FOUND, details: "no such thing: fail" });
      if (call.request.text === "fail-with-metadata") {
        // An error before any message: grpc-js answers "trailers-only" (everything in one HEADERS frame).
        const md = new grpc.Metadata();
        md.set("x-custom", "kept");
        md.set("grpc-status-details-bin", Buffer.from("rich-status-proto"));
        return cb({ code: grpc.status.FAILED_PRECONDITION, details: "precondition", metadata: md });
      }
      if (call.request.text === "slow") return void setTimeout(() => cb(null, { text: "late" }), 3_000);
      cb(null, { text: `echo:${call.request.text}`, n: Number(call.metadata.get("x-n")[0] ?? 0) });
    },
    Collect: (call: grpc.ServerReadableStream<TMsg, TMsg>, cb: grpc.sendUnaryData<TMsg>) => {
      const parts: string[] = [];
      call.on("data", (m: TMsg) => parts.push(m.text));
      call.on("end", () => cb(null, { text: parts.join(","), n: parts.length }));
    },
    Count: (call: grpc.ServerWritableStream<TMsg, TMsg>) => {
      const n = call.request.n ?? 3;
      for (let i = 0; i < n; i++) call.write({ text: `item-${i}`, n: i });
      call.end();
    },
    Chat: (call: grpc.ServerDuplexStream<TMsg, TMsg>) => {
      call.on("data", (m: TMsg) => call.write({ text: `re:${m.text}` }));
      call.on("end", () => call.end());
    },
  });
  server.addService(healthService, {
    Check: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from([0x08, healthStatus])),
  });
  serverPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  const port = await freePort();
  const closed = await freePort();
  target = `127.0.0.1:${port}`;
  proxy = await startProxy({
    config: {
      listeners: [
        {
          name: "grpc",
          address: "127.0.0.1",
          port,
          routeConfig: "main",
          // One method refused by a filter: gRPC calls run the same filter chain as any request.
          httpFilters: [{ type: "rbac", rules: [{ allow: false, paths: ["/test.Echo/Denied"] }, { allow: true }] }],
        },
      ],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                // timeoutMs 0: long streams are not cut by a route timeout; grpc-timeout still applies.
                { name: "echo", match: { prefix: "/test.Echo/" }, route: { cluster: "grpc", timeoutMs: 0 } },
                { name: "down", match: { prefix: "/test.Down/" }, route: { cluster: "closed" } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "grpc", protocol: "http2", endpoints: [{ address: "127.0.0.1", port: serverPort }] },
        { name: "closed", protocol: "http2", connectTimeoutMs: 1000, endpoints: [{ address: "127.0.0.1", port: closed }] },
      ],
    },
  });
  client = new grpc.Client(target, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await proxy?.stop();
  server?.forceShutdown();
});

function unary(path: string, msg: TMsg, meta = new grpc.Metadata(), opts: grpc.CallOptions = {}): Promise<TMsg> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, ser, de, msg, meta, opts, (err: grpc.ServiceError | null, res?: TMsg) => (err ? reject(err) : resolve(res as TMsg))),
  );
}

describe("gRPC through the proxy", () => {
  it("unary, with metadata in and the OK trailers out", async () => {
    const meta = new grpc.Metadata();
    meta.set("x-n", "7");
    await expect(unary("/test.Echo/Unary", { text: "hi" }, meta)).resolves.toEqual({ text: "echo:hi", n: 7 });
  });

  it("passes the upstream's error status and message through as trailers", async () => {
    const err = (await unary("/test.Echo/Unary", { text: "fail" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe("no such thing: fail");
  });

  it("a trailers-only error keeps its custom metadata and grpc-status-details-bin", async () => {
    const err = (await unary("/test.Echo/Unary", { text: "fail-with-metadata" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toBe("precondition");
    expect(err.metadata.get("x-custom")).toEqual(["kept"]);
    expect(err.metadata.get("grpc-status-details-bin")).toEqual([Buffer.from("rich-status-proto")]);
  });

  it("a filter's local reply reaches a gRPC client as a gRPC error (RBAC 403 -> PERMISSION_DENIED)", async () => {
    const err = (await unary("/test.Echo/Denied", { text: "x" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.metadata.get("x-switchyard-response-flags")).toEqual(["RBAC"]);
  });

  it("client streaming", async () => {
    const res = await new Promise<TMsg>((resolve, reject) => {
      const call = client.makeClientStreamRequest("/test.Echo/Collect", ser, de, (err: grpc.ServiceError | null, r?: TMsg) => (err ? reject(err) : resolve(r as TMsg)));
      for (const t of ["a", "b", "c", "d"]) call.write({ text: t });
      call.end();
    });
    expect(res).toEqual({ text: "a,b,c,d", n: 4 });
  });

  it("server streaming", async () => {
    const got: TMsg[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.makeServerStreamRequest("/test.Echo/Count", ser, de, { text: "", n: 50 });
      call.on("data", (m: TMsg) => got.push(m));
      call.on("error", reject);
      call.on("status", (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : reject(new Error(s.details))));
    });
    expect(got).toHaveLength(50);
    expect(got[49]).toEqual({ text: "item-49", n: 49 });
  });

  it("bidi streaming: answers arrive while the client is still sending", async () => {
    const call = client.makeBidiStreamRequest("/test.Echo/Chat", ser, de);
    const next = () => new Promise<TMsg>((resolve) => call.once("data", resolve));
    call.write({ text: "one" });
    expect(await next()).toEqual({ text: "re:one" });
    call.write({ text: "two" });
    expect(await next()).toEqual({ text: "re:two" });
    const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    call.end();
    expect((await status).code).toBe(grpc.status.OK);
  });

  it("no route -> UNIMPLEMENTED, no upstream -> UNAVAILABLE, both with HTTP 200", async () => {
    const nr = (await unary("/nope.Svc/X", { text: "" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(nr.code).toBe(grpc.status.UNIMPLEMENTED);
    const uf = (await unary("/test.Down/X", { text: "" }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(uf.code).toBe(grpc.status.UNAVAILABLE);
    // Raw h2 view: HTTP status 200 and grpc-status in the trailers.
    const session = http2.connect(`http://${target}`);
    const stream = session.request({ ":method": "POST", ":path": "/nope.Svc/X", "content-type": "application/grpc", te: "trailers" });
    const [head, trailers] = await new Promise<[http2.IncomingHttpHeaders, http2.IncomingHttpHeaders]>((resolve) => {
      let h: http2.IncomingHttpHeaders = {};
      stream.on("response", (x) => (h = x));
      stream.on("trailers", (t) => resolve([h, t]));
      stream.resume();
    });
    stream.end();
    session.close();
    expect(head[":status"]).toBe(200);
    expect(trailers["grpc-status"]).toBe("12");
  });

  it("honours grpc-timeout: the proxy answers DEADLINE_EXCEEDED when the upstream is slower (route timeout is 0)", async () => {
    const session = http2.connect(`http://${target}`);
    const body = ser({ text: "slow" });
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    const started = Date.now();
    const stream = session.request({ ":method": "POST", ":path": "/test.Echo/Unary", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "300m" });
    stream.end(frame);
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => {
      stream.on("trailers", resolve);
      stream.resume();
    });
    session.close();
    expect(trailers["grpc-status"]).toBe("4");
    // Well before the upstream's 3 s answer (generous for a loaded machine).
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("grpc.health.v1 probe: SERVING is healthy, NOT_SERVING and unreachable are not", async () => {
    healthStatus = 1;
    await expect(probeGrpcHealth({ address: "127.0.0.1", port: serverPort }, { serviceName: "test.Echo", timeoutMs: 2_000 })).resolves.toEqual({ healthy: true, reason: "SERVING" });
    healthStatus = 2;
    const notServing = await probeGrpcHealth({ address: "127.0.0.1", port: serverPort }, { serviceName: "", timeoutMs: 2_000 });
    expect(notServing).toEqual({ healthy: false, reason: "status NOT_SERVING" });
    const closed = await freePort();
    const down = await probeGrpcHealth({ address: "127.0.0.1", port: closed }, { serviceName: "", timeoutMs: 2_000 });
    expect(down.healthy).toBe(false);
    expect(down.reason).toContain("ECONNREFUSED");
  });
});
