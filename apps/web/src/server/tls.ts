import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";

/**
 * The console's transport. Snapshots carry TLS private keys to the nodes, so a console
 * given a certificate (SWITCHYARD_TLS_CERT / SWITCHYARD_TLS_KEY, PEM files) serves
 * everything — pages, APIs and the /api/xds stream — over HTTPS/WSS on its one port.
 * With SWITCHYARD_TLS_CLIENT_CA as well, it asks every client for a certificate and the
 * control-plane stream admits only nodes presenting one that CA signed (browsers are not
 * asked to have one: the check is on /api/xds only).
 */
export type TConsoleTls = { cert: Buffer; key: Buffer; clientCa: Buffer | null };
export type TConsoleServer = HttpServer | HttpsServer;

export type TTlsEnv = { SWITCHYARD_TLS_CERT?: string; SWITCHYARD_TLS_KEY?: string; SWITCHYARD_TLS_CLIENT_CA?: string };

/** The files the environment names, read once; null when TLS is off. Throws naming the variable. */
export function readConsoleTls(env: TTlsEnv): TConsoleTls | null {
  if (!env.SWITCHYARD_TLS_CERT || !env.SWITCHYARD_TLS_KEY) return null;
  const read = (name: keyof TTlsEnv, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${name}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read("SWITCHYARD_TLS_CERT", env.SWITCHYARD_TLS_CERT),
    key: read("SWITCHYARD_TLS_KEY", env.SWITCHYARD_TLS_KEY),
    clientCa: env.SWITCHYARD_TLS_CLIENT_CA ? read("SWITCHYARD_TLS_CLIENT_CA", env.SWITCHYARD_TLS_CLIENT_CA) : null,
  };
}

/** An HTTPS server when `tls` is given (TLS 1.2+), else plain HTTP. */
export function createConsoleServer(tls: TConsoleTls | null, listener: (req: IncomingMessage, res: ServerResponse) => void): TConsoleServer {
  if (!tls) return createHttpServer(listener);
  return createHttpsServer(
    {
      cert: tls.cert,
      key: tls.key,
      minVersion: "TLSv1.2",
      // Requested, verified against the CA, but not required at the handshake: pages need
      // no certificate; the control-plane upgrade checks `authorized` (clientCertRefusal).
      ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
    },
    listener,
  );
}

/** Why a control-plane upgrade lacks the client certificate it needs, or null when it may go on. */
export function clientCertRefusal(req: IncomingMessage, required: boolean): string | null {
  if (!required) return null;
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized === true) return null;
  const reason = socket.authorizationError;
  return reason ? `client certificate refused: ${String(reason)}` : "a client certificate signed by SWITCHYARD_TLS_CLIENT_CA is required";
}
