import { connect as netConnect, createServer as createNetServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { TCompiledListener } from "../runtime/types.ts";
import type { UpstreamEndpoint } from "../upstream/cluster.ts";
import { pickContext } from "./tls-context.ts";
import { peerIdentity, sanAllowed } from "./peer-identity.ts";

/** What the TCP proxy reports; implemented by observability/metrics.ts. */
export type TTcpStats = {
  tcpConnectionOpened(listener: string, cluster: string): void;
  tcpConnectionClosed(listener: string, cluster: string, bytesIn: number, bytesOut: number, flag: string): void;
};

/**
 * A `tcp` listener (Envoy tcp_proxy): each accepted connection is paired with a new
 * connection to one endpoint of `tcp.cluster`, chosen by the cluster's load balancer;
 * bytes are piped both ways with back pressure (pipe() pauses the faster side).
 *   - connect timeout: the cluster's connectTimeoutMs (flag UF, downstream closed);
 *   - idle timeout: `tcp.idleTimeoutMs` (default 3600000) without bytes either way closes both;
 *   - TLS: with `tls` the listener terminates TLS (SNI certificates, optional client
 *     validation); with cluster `tls` the upstream leg is TLS.
 * Half-close is propagated (end() on one side ends the other's write side).
 */
export class TcpListener {
  readonly key: string;
  readonly server: Server;
  current: TCompiledListener;
  readonly #sockets = new Set<Socket>();
  #closing: Promise<void> | null = null;

  private constructor(compiled: TCompiledListener, stats: TTcpStats) {
    this.key = `tcp|${compiled.address}|${compiled.port}`;
    this.current = compiled;
    const onConnection = (socket: Socket) => this.#proxy(socket, stats);
    const tls = compiled.tls;
    if (tls) {
      this.server = createTlsServer(
        {
          ...tls.defaultOptions,
          minVersion: tls.minVersion,
          requestCert: tls.requestCert,
          rejectUnauthorized: tls.rejectUnauthorized,
          SNICallback: (name, cb) => {
            const t = this.current.tls;
            cb(null, t ? pickContext(t, name) : undefined);
          },
        },
        (socket: TLSSocket) => {
          const t = this.current.tls;
          if (t?.requestCert && socket.getPeerCertificate() && !socket.authorized && Object.keys(socket.getPeerCertificate()).length) return void socket.destroy();
          if (t?.allowedSans) {
            const id = peerIdentity(socket);
            if (!id || !sanAllowed(id, t.allowedSans)) return void socket.destroy();
          }
          onConnection(socket);
        },
      );
      this.server.on("tlsClientError", () => undefined);
    } else {
      this.server = createNetServer(onConnection);
    }
    this.server.maxConnections = compiled.limits.maxConnections;
  }

  static open(compiled: TCompiledListener, stats: TTcpStats): Promise<TcpListener> {
    const listener = new TcpListener(compiled, stats);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      listener.server.once("error", onError);
      listener.server.listen({ host: compiled.address, port: compiled.port }, () => {
        listener.server.off("error", onError);
        resolve(listener);
      });
    });
  }

  #proxy(down: Socket, stats: TTcpStats): void {
    const l = this.current;
    const tcp = l.tcp;
    if (!tcp) return void down.destroy();
    const clusterName = tcp.cluster.name;
    const endpoint = tcp.cluster.pick(undefined, null);
    stats.tcpConnectionOpened(l.name, clusterName);
    if (!endpoint) {
      down.destroy();
      stats.tcpConnectionClosed(l.name, clusterName, 0, 0, "UH");
      return;
    }
    this.#sockets.add(down);
    endpoint.activeRequests++;
    const up = connectUpstream(endpoint);
    let connected = false;
    let flag = "-";
    let finished = false;
    const connectTimer = setTimeout(() => {
      flag = "UF";
      up.destroy();
    }, tcp.cluster.connectTimeoutMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(connectTimer);
      this.#sockets.delete(down);
      endpoint.activeRequests--;
      if (connected) endpoint.successes++;
      else endpoint.errors++;
      down.destroy();
      up.destroy();
      stats.tcpConnectionClosed(l.name, clusterName, down.bytesRead, down.bytesWritten, flag);
    };
    up.once(endpoint.tls ? "secureConnect" : "connect", () => {
      connected = true;
      clearTimeout(connectTimer);
      down.pipe(up);
      up.pipe(down);
    });
    if (tcp.idleTimeoutMs > 0) {
      // The downstream socket's timer is reset by reads and writes, i.e. traffic both ways.
      down.setTimeout(tcp.idleTimeoutMs, () => {
        flag = "IDLE";
        finish();
      });
    }
    up.on("error", () => {
      if (!connected && flag === "-") flag = "UF";
      finish();
    });
    down.on("error", () => finish());
    up.on("close", finish);
    down.on("close", finish);
  }

  update(compiled: TCompiledListener): void {
    if (compiled.tls && compiled !== this.current) {
      const s = this.server as Server & { setSecureContext?(o: object): void; requestCert?: boolean; rejectUnauthorized?: boolean };
      s.setSecureContext?.({ ...compiled.tls.defaultOptions, minVersion: compiled.tls.minVersion });
      s.requestCert = compiled.tls.requestCert;
      s.rejectUnauthorized = compiled.tls.rejectUnauthorized;
    }
    this.server.maxConnections = compiled.limits.maxConnections;
    this.current = compiled;
  }

  /** Stops accepting; open tunnels get `graceMs` to finish, then are cut. */
  close(graceMs: number): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const hard = setTimeout(() => {
        for (const s of this.#sockets) s.destroy();
      }, graceMs);
      this.server.close(() => {
        clearTimeout(hard);
        resolve();
      });
      if (graceMs === 0) for (const s of this.#sockets) s.destroy();
    });
    return this.#closing;
  }

  address(): { address: string; port: number } {
    const a = this.server.address();
    return a && typeof a === "object" ? { address: a.address, port: a.port } : { address: this.current.address, port: this.current.port };
  }
}

/** Plain TCP, or TLS when the cluster has `tls` (SNI, CA, client certificate). */
export function connectUpstream(endpoint: UpstreamEndpoint): Socket {
  if (endpoint.tls) return tlsConnect({ host: endpoint.address, port: endpoint.port, ...endpoint.tls });
  return netConnect({ host: endpoint.address, port: endpoint.port });
}
