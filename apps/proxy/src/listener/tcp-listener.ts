import { connect as netConnect, createServer as createNetServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { TCompiledListener } from "../runtime/types.ts";
import type { ClusterRuntime, UpstreamEndpoint } from "../upstream/cluster.ts";
import { NetworkSession } from "../filters/network/session.ts";
import { pickContext } from "./tls-context.ts";
import { peerIdentity, sanAllowed } from "./peer-identity.ts";

/** What the TCP proxy reports; implemented by observability/metrics.ts. */
export type TTcpStats = {
  tcpConnectionOpened(listener: string, cluster: string): void;
  tcpConnectionClosed(listener: string, cluster: string, bytesIn: number, bytesOut: number, flag: string): void;
  /** A network filter (or the tcp proxy, finding no cluster) closed the connection before dialling. */
  tcpRefused(listener: string, filter: string): void;
  filterError(filter: string): void;
};

/** The filter name refusals by the terminal itself are counted under (no cluster chosen: NR). */
const TCP_PROXY = "tcpProxy";

/**
 * A `tcp` listener (Envoy tcp_proxy): each accepted connection is paired with a new
 * connection to one endpoint of a cluster, chosen by the cluster's load balancer.
 *   - without network filters: dialled at once (`tcp.cluster`), bytes piped both ways with
 *     back pressure (pipe() pauses the faster side);
 *   - with network filters (`networkFilters`, filters/network/api.ts): a NetworkSession
 *     runs onConnect, then dials `conn.cluster` (a filter's choice, e.g. the sniRouter's)
 *     or `tcp.cluster`; when a filter has onData every byte goes through it, a reader
 *     paused until its chunk is handled and while the other side's buffer is full (else
 *     the bytes are piped once dialled);
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
    this.#sockets.add(down);
    const started = Date.now();
    const filtered = tcp.filters.length > 0;
    // Filters that only act on connect (rbac) leave the bytes alone: piped as without filters.
    const streamed = filtered && tcp.filters.some((f) => f.onData !== undefined);
    let up: Socket | null = null;
    let cluster: ClusterRuntime | null = null;
    let endpoint: UpstreamEndpoint | null = null;
    let connected = false;
    let flag = "-";
    let refusedBy: string | null = null;
    let finished = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let upBlocked = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(connectTimer);
      this.#sockets.delete(down);
      if (endpoint) {
        endpoint.activeRequests--;
        if (connected) endpoint.successes++;
        else endpoint.errors++;
      }
      down.destroy();
      up?.destroy();
      if (cluster) stats.tcpConnectionClosed(l.name, cluster.name, down.bytesRead, down.bytesWritten, flag);
      else if (refusedBy !== null) stats.tcpRefused(l.name, refusedBy);
      session?.finish({ flag, bytesFromClient: down.bytesRead, bytesToClient: down.bytesWritten, durationMs: Date.now() - started, cluster: cluster?.name ?? null });
    };

    /** The terminal: dial the filters' choice (conn.cluster), else tcp.cluster. */
    const dial = () => {
      const name = session?.conn.cluster ?? null;
      const chosen = name !== null ? (tcp.clusters.get(name) ?? null) : tcp.cluster;
      if (!chosen) {
        flag = "NR";
        refusedBy = TCP_PROXY;
        return finish();
      }
      cluster = chosen;
      stats.tcpConnectionOpened(l.name, chosen.name);
      endpoint = chosen.pick(undefined, null);
      if (!endpoint) {
        flag = "UH";
        return finish();
      }
      endpoint.activeRequests++;
      const socket = connectUpstream(endpoint);
      up = socket;
      connectTimer = setTimeout(() => {
        flag = "UF";
        socket.destroy();
      }, chosen.connectTimeoutMs);
      socket.once(endpoint.tls ? "secureConnect" : "connect", () => {
        connected = true;
        clearTimeout(connectTimer);
        if (streamed) return;
        down.pipe(socket);
        socket.pipe(down);
      });
      socket.on("error", () => {
        if (!connected && flag === "-") flag = "UF";
        finish();
      });
      socket.on("close", finish);
      if (streamed) {
        socket.on("data", (chunk: Buffer) => {
          socket.pause();
          void session?.fromUpstream(chunk).then(() => void (down.writableNeedDrain || socket.resume()));
        });
        socket.on("end", () => void session?.upstreamEnded());
      }
    };

    // With network filters every byte goes through the session; without, dial at once and pipe.
    const session = filtered
      ? new NetworkSession(
          tcp.filters,
          { listener: l.name, remoteAddress: down.remoteAddress ?? "", remotePort: down.remotePort ?? 0, localAddress: down.localAddress ?? "", localPort: down.localPort ?? 0 },
          {
            connectUpstream: dial,
            writeUpstream: (data) => {
              if (up && !up.write(data) && !upBlocked) {
                upBlocked = true;
                down.pause();
                up.once("drain", () => {
                  upBlocked = false;
                  down.resume();
                });
              }
            },
            writeClient: (data) => {
              if (!down.write(data)) up?.pause();
            },
            endUpstream: () => up?.end(),
            endClient: () => down.end(),
            close: (f, filter, beforeUpstream) => {
              flag = f;
              // A client that leaves before a cluster was chosen (DC) was not refused.
              if (beforeUpstream && f !== "DC") refusedBy = filter ?? TCP_PROXY;
              finish();
            },
            filterError: (filter) => stats.filterError(filter),
          },
        )
      : null;
    if (session) void session.start();
    else dial();
    if (session && streamed) {
      down.on("drain", () => up?.resume());
      down.on("data", (chunk: Buffer) => {
        down.pause();
        void session.fromClient(chunk).then(() => void (upBlocked || down.resume()));
      });
      down.on("end", () => void session.clientEnded());
    }
    if (tcp.idleTimeoutMs > 0) {
      // The downstream socket's timer is reset by reads and writes, i.e. traffic both ways.
      down.setTimeout(tcp.idleTimeoutMs, () => {
        flag = "IDLE";
        finish();
      });
    }
    down.on("error", () => finish());
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
