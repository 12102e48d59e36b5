/**
 * Peer: fastify + @fastify/http-proxy (undici underneath), as its README sets it up.
 * Usage: node --import tsx bench/peers/fastify-proxy.ts PORT UPSTREAM_PORT
 */
import proxy from "@fastify/http-proxy";
import Fastify from "fastify";

const [port, upstreamPort] = process.argv.slice(2).map(Number) as [number, number];
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${upstreamPort}`, undici: { connections: 128, pipelining: 1 } });
await app.listen({ port, host: "127.0.0.1" });
