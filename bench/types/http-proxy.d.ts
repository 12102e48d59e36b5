// The bench's http-proxy peer uses only this much of node-http-proxy (no @types package is installed).
declare module "http-proxy" {
  import type { Agent, IncomingMessage, ServerResponse } from "node:http";
  import type { Socket } from "node:net";
  type TServer = {
    web(req: IncomingMessage, res: ServerResponse): void;
    on(event: "error", listener: (err: Error, req: IncomingMessage, res: ServerResponse | Socket) => void): TServer;
  };
  const httpProxy: { createProxyServer(options: { target: string; agent?: Agent }): TServer };
  export default httpProxy;
}
