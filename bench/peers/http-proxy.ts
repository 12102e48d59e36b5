/**
 * Peer: node-http-proxy (`http-proxy`) with a keep-alive agent, its usual production setup.
 * Usage: node --import tsx bench/peers/http-proxy.ts PORT UPSTREAM_PORT
 */
import { Agent, createServer } from "node:http";
import httpProxy from "http-proxy";

const [port, upstreamPort] = process.argv.slice(2).map(Number) as [number, number];
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent });
proxy.on("error", (_err, _req, res) => {
  if ("writeHead" in res && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});
createServer((req, res) => proxy.web(req, res)).listen(port, "127.0.0.1");
