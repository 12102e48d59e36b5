import { createServer } from "node:net";

/**
 * A TCP port that was free a moment ago on `host` (bind port 0, read it, close). For
 * ports that must be written into a config file before the process that binds them
 * starts; there is a small race with other processes, acceptable on a test machine.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => {
      const addr = server.address();
      const port = addr && typeof addr === "object" ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}
