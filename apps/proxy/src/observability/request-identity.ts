import type { TDownstreamRequest } from "../listener/http-listener.ts";

/**
 * Who sent a request and how, for the access log and spans: the client address resolved
 * at the request entry (listener/client-address.ts), the User-Agent and the protocol.
 */
export type TRequestIdentity = {
  readonly clientAddress: string;
  readonly userAgent: string | null;
  /** "HTTP/1.1", "HTTP/1.0" or "HTTP/2" (Envoy's %PROTOCOL%). */
  readonly protocol: string;
};

export function requestIdentity(req: TDownstreamRequest, clientAddress: string): TRequestIdentity {
  const ua = req.headers["user-agent"];
  return { clientAddress, userAgent: typeof ua === "string" ? ua : null, protocol: req.httpVersionMajor === 2 ? "HTTP/2" : `HTTP/${req.httpVersion}` };
}

/** The same as OpenTelemetry semantic-convention span attributes. */
export function spanIdentity(req: TDownstreamRequest, clientAddress: string): Record<string, string> {
  const ua = req.headers["user-agent"];
  const attrs: Record<string, string> = {
    "client.address": clientAddress,
    "network.protocol.name": "http",
    "network.protocol.version": req.httpVersionMajor === 2 ? "2" : req.httpVersion,
  };
  if (typeof ua === "string") attrs["user_agent.original"] = ua;
  return attrs;
}
