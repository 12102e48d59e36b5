import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";

/**
 * A new upstream socket: cleartext, or TLS with the cluster's options and the ALPN
 * protocols offered (`session`: a TLS session to resume). Nagle off: heads and small
 * bodies go out as written.
 */
export function dialUpstream(host: string, port: number, tls: ConnectionOptions | null, alpn: string[], session: Buffer | null): Socket {
  const socket = tls ? tlsConnect({ ...tls, host, port, ALPNProtocols: alpn, ...(session ? { session } : {}) }) : netConnect({ host, port });
  socket.setNoDelay(true);
  return socket;
}
