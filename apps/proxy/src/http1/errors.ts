/**
 * A message the HTTP/1.1 codec refuses. `status` is what a server answers the client
 * before closing the connection (RFC 9112 §2.2 and §6.3: a framing it cannot trust is
 * never guessed at): 400 malformed, 413 too large, 431 head too large, 501 unknown
 * transfer coding. On the upstream side any of these is an invalid response.
 */
export class HttpParseError extends Error {
  readonly status: 400 | 413 | 431 | 501;

  constructor(status: 400 | 413 | 431 | 501, message: string) {
    super(message);
    this.name = "HttpParseError";
    this.status = status;
  }
}
