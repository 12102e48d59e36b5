/**
 * The reference "bare" Node proxy the targets are measured against: node:http in front
 * of one undici Pool, no routing, no metrics, no logs, no header policy beyond dropping
 * hop-by-hop fields. What any Node proxy costs at minimum; not a product.
 * Usage: node --import tsx bench/peers/bare-proxy.ts PORT UPSTREAM_PORT
 */
import { createServer } from "node:http";
import { Pool } from "undici";

const [port, upstreamPort] = process.argv.slice(2).map(Number) as [number, number];
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 128, pipelining: 1 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

createServer((req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  pool.stream(
    { path: req.url ?? "/", method: req.method as "GET", headers, body: hasBody ? req : null },
    ({ statusCode, headers: h }) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(statusCode, out);
      return res;
    },
    (err) => {
      if (!err) return;
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    },
  );
}).listen(port, "127.0.0.1");
