import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export type TAuthzAnswer = { readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: Buffer };

/** A denying answer's body is passed to the client up to this size; the rest is dropped. */
const MAX_ANSWER_BODY = 65_536;

/**
 * One check request to the authorization service; rejects on a connection failure or
 * when `timeoutMs` passes before the whole answer arrived. Node's global agents keep
 * connections to the service alive between checks.
 */
export function callAuthzService(
  url: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | null,
  timeoutMs: number,
): Promise<TAuthzAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send({ protocol: url.protocol, hostname: url.hostname, port: url.port, method, path, headers: { ...headers, "content-length": String(body?.length ?? 0) } });
    const timer = setTimeout(() => req.destroy(new Error(`authorization service timed out after ${timeoutMs} ms`)), timeoutMs);
    req.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        if (bytes < MAX_ANSWER_BODY) chunks.push(c.subarray(0, MAX_ANSWER_BODY - bytes));
        bytes += c.length;
      });
      res.once("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.end(body ?? undefined);
  });
}
