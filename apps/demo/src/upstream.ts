/**
 * A small demo upstream service: answers every request with a JSON description of what
 * it received, so a request through the proxy shows which service and which rewrite
 * served it. `?status=503` and `?delayMs=200` make it misbehave on purpose for demos.
 *
 *   node apps/demo/dist/upstream.js --name users --port 9101 [--host 127.0.0.1]   (compiled)
 *   node --import tsx apps/demo/src/upstream.ts ...                         (from source)
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    name: { type: "string", default: "demo" },
    port: { type: "string", default: "9101" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`--port: must be an integer from 1 to 65535, got "${values.port}"`);
  process.exit(2);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://demo");
  let bytes = 0;
  req.on("data", (chunk: Buffer) => (bytes += chunk.length));
  req.on("end", () => {
    const status = Number(url.searchParams.get("status") ?? 200);
    const delayMs = Math.min(Number(url.searchParams.get("delayMs") ?? 0), 10_000);
    const body = JSON.stringify({
      service: values.name,
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      host: req.headers.host,
      requestId: req.headers["x-request-id"] ?? null,
      forwardedFor: req.headers["x-forwarded-for"] ?? null,
      bodyBytes: bytes,
    });
    setTimeout(() => {
      res.writeHead(Number.isInteger(status) && status >= 200 && status <= 599 ? status : 200, {
        "content-type": "application/json",
        "x-demo-service": values.name,
      });
      res.end(body + "\n");
    }, Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0);
  });
});

server.listen(port, values.host, () => {
  console.log(`demo upstream "${values.name}" listening on http://${values.host}:${port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
