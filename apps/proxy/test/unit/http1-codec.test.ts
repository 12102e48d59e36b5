import { describe, expect, it } from "vitest";
import { BodyDecoder } from "../../src/http1/body-decoder.ts";
import { HttpParseError } from "../../src/http1/errors.ts";
import { keepAlive, requestFraming, responseFraming, type TBodyFraming } from "../../src/http1/framing.ts";
import { HeadReader, connectionTokens, fieldValue, parseRequestHead, parseResponseHead } from "../../src/http1/head.ts";
import { InvalidFieldError, chunkHeader, lastChunk, requestHead, responseHead } from "../../src/http1/serialize.ts";

const head = (lines: string[]) => Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1");
const req = (lines: string[]) => parseRequestHead(head(lines), 100);

function refused(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpParseError) return err.status;
    throw err;
  }
  return 0;
}

/** Feeds `bytes` to a decoder in pieces of `step` bytes; returns body, trailers and where the body ended. */
function decode(framing: TBodyFraming, bytes: Buffer, step: number) {
  const d = new BodyDecoder(framing);
  const out: Buffer[] = [];
  let endedAt = -1;
  for (let at = 0; at < bytes.length && endedAt === -1; at += step) {
    const piece = bytes.subarray(at, Math.min(at + step, bytes.length));
    const used = d.push(piece, 0, (b) => out.push(Buffer.from(b)));
    if (d.done) endedAt = at + used;
  }
  return { body: Buffer.concat(out).toString(), trailers: d.trailers, endedAt, done: d.done, received: d.received };
}

describe("HeadReader", () => {
  const wire = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nNEXT";

  it("finds the end of a head however the bytes are split, and hands back what follows", () => {
    for (const step of [1, 2, 3, 5, 100]) {
      const r = new HeadReader(8192);
      let got: { head: Buffer; rest: Buffer } | null = null;
      for (let at = 0; at < wire.length && !got; at += step) got = r.push(Buffer.from(wire.slice(at, at + step)));
      expect(got, `step ${step}`).not.toBeNull();
      expect(got?.head.toString()).toBe("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(r.pending).toBe(0);
      if (step === 100) expect(got?.rest.toString()).toBe("NEXT");
    }
  });

  it("holds an unfinished head and refuses one past maxHeaderBytes before it ends (431)", () => {
    const r = new HeadReader(64);
    expect(r.push(Buffer.from("GET / HTTP/1.1\r\n"))).toBeNull();
    expect(r.pending).toBe(16);
    expect(refused(() => r.push(Buffer.from(`X-Pad: ${"p".repeat(60)}`)))).toBe(431);
  });

  it("refuses bare LF line endings at once, without waiting for a CRLFCRLF that never comes", () => {
    expect(refused(() => new HeadReader(8192).push(Buffer.from("GET /a HTTP/1.1\nHost: x\n")))).toBe(400);
  });
});

describe("request heads", () => {
  it("parses method, target, version and fields as sent (values trimmed)", () => {
    const h = req(["POST /p?q=1 HTTP/1.1", "Host: x", "X-Two:  a b \t", "x-two: c"]);
    expect(h).toEqual({ method: "POST", target: "/p?q=1", minor: 1, rawHeaders: ["Host", "x", "X-Two", "a b", "x-two", "c"] });
    expect(fieldValue(h.rawHeaders, "x-two")).toBe("a b");
    expect(fieldValue(h.rawHeaders, "absent")).toBeUndefined();
    expect(req(["GET / HTTP/1.0"]).minor).toBe(0);
    expect(req(["OPTIONS * HTTP/1.1", "Host: x"]).target).toBe("*");
    expect(req(["CONNECT example.com:443 HTTP/1.1", "Host: x"]).target).toBe("example.com:443");
    expect(req(["GET http://x/y HTTP/1.1", "Host: x"]).target).toBe("http://x/y");
    // obs-text survives as latin1, byte for byte.
    expect(parseRequestHead(Buffer.concat([Buffer.from("GET / HTTP/1.1\r\nX: "), Buffer.from([0xe9]), Buffer.from("\r\n\r\n")]), 10).rawHeaders[1]).toBe("\u00e9");
  });

  const bad: [string, string[]][] = [
    ["invalid method", ["G@T /a HTTP/1.1", "Host: x"]],
    ["method with NUL", ["G\x00ET /a HTTP/1.1", "Host: x"]],
    ["target with a space", ["GET /a /b HTTP/1.1", "Host: x"]],
    ["target with a control byte", ["GET /a\x7f HTTP/1.1", "Host: x"]],
    ["target without a slash", ["GET smuggled HTTP/1.1", "Host: x"]],
    ["unknown version", ["GET / HTTP/7.1", "Host: x"]],
    ["HTTP/2.0 on the HTTP/1 wire", ["GET / HTTP/2.0", "Host: x"]],
    ["lower-case version", ["GET / http/1.1", "Host: x"]],
    ["NUL in a value", ["GET / HTTP/1.1", "X-A: a\x00b"]],
    ["DEL in a value", ["GET / HTTP/1.1", "X-A: a\x7fb"]],
    ["name with a space", ["GET / HTTP/1.1", "X A: b"]],
    ["space before the colon", ["GET / HTTP/1.1", "Transfer-Encoding : chunked"]],
    ["no colon", ["GET / HTTP/1.1", "X-A"]],
    ["empty name", ["GET / HTTP/1.1", ": b"]],
    ["obs-fold", ["GET / HTTP/1.1", "X-A: a", " folded"]],
    ["bare CR inside a value", ["GET / HTTP/1.1", "X-A: a\rb"]],
  ];
  for (const [name, lines] of bad) it(`400: ${name}`, () => expect(refused(() => req(lines))).toBe(400));

  it("400: a bare LF inside a field line", () => {
    expect(refused(() => parseRequestHead(Buffer.from("GET / HTTP/1.1\r\nX-A: 1\nGET /s HTTP/1.1\r\n\r\n"), 100))).toBe(400);
  });

  it("431: more fields than maxHeadersCount; exactly the count passes", () => {
    const lines = ["GET / HTTP/1.1", ...Array.from({ length: 5 }, (_, i) => `X-${i}: ${i}`)];
    expect(parseRequestHead(head(lines), 5).rawHeaders.length).toBe(10);
    expect(refused(() => parseRequestHead(head(lines), 4))).toBe(431);
  });
});

describe("request framing (RFC 9112 §6)", () => {
  const framing = (fields: string[], version = "HTTP/1.1") => requestFraming(req([`POST /a ${version}`, "Host: x", ...fields]));

  it("no body, a length, chunked", () => {
    expect(framing([])).toEqual({ kind: "none" });
    expect(framing(["Content-Length: 0"])).toEqual({ kind: "none" });
    expect(framing(["Content-Length: 12"])).toEqual({ kind: "length", length: 12 });
    expect(framing(["Content-Length: 3, 3"])).toEqual({ kind: "length", length: 3 });
    expect(framing(["Content-Length: 3", "content-length: 3"])).toEqual({ kind: "length", length: 3 });
    expect(framing(["Transfer-Encoding: Chunked"])).toEqual({ kind: "chunked" });
  });

  const smuggling: [string, string[], number, string?][] = [
    ["CL + TE", ["Content-Length: 4", "Transfer-Encoding: chunked"], 400],
    ["TE + CL", ["Transfer-Encoding: chunked", "Content-Length: 60"], 400],
    ["xchunked", ["Transfer-Encoding: xchunked"], 400],
    ["chunked, identity", ["Transfer-Encoding: chunked, identity"], 400],
    ["chunked then identity in two fields", ["Transfer-Encoding: chunked", "Transfer-Encoding: identity"], 400],
    ["different lengths", ["Content-Length: 3", "Content-Length: 40"], 400],
    ["a length list that disagrees", ["Content-Length: 3, 40"], 400],
    ["a signed length", ["Content-Length: +3"], 400],
    ["a hex length", ["Content-Length: 0x3"], 400],
    ["an empty length", ["Content-Length: "], 400],
    ["a length past 2^53", ["Content-Length: 9999999999999999"], 400],
    ["TE on HTTP/1.0", ["Transfer-Encoding: chunked"], 400, "HTTP/1.0"],
    ["an unimplemented coding before chunked", ["Transfer-Encoding: gzip, chunked"], 501],
  ];
  for (const [name, fields, status, version] of smuggling) it(`${status}: ${name}`, () => expect(refused(() => framing(fields, version))).toBe(status));
});

describe("response heads and framing", () => {
  const res = (lines: string[]) => parseResponseHead(head(lines), 100);

  it("parses the status line with or without a reason", () => {
    expect(res(["HTTP/1.1 200 OK", "Content-Length: 2"])).toEqual({ status: 200, reason: "OK", minor: 1, rawHeaders: ["Content-Length", "2"] });
    expect(res(["HTTP/1.0 404"]).status).toBe(404);
    expect(res(["HTTP/1.1 503 Service Unavailable"]).reason).toBe("Service Unavailable");
    for (const line of ["HTTP/1.1 99 X", "HTTP/1.1 600 X", "HTTP/1.1 2OO OK", "HTTP/1.2 200 OK", "ICY 200 OK", "HTTP/1.1 200OK"]) {
      expect(refused(() => res([line])), line).toBe(400);
    }
  });

  it("frames by method, status, Transfer-Encoding, Content-Length, else close", () => {
    const f = (method: string, lines: string[]) => responseFraming(method, res(lines));
    expect(f("HEAD", ["HTTP/1.1 200 OK", "Content-Length: 10"])).toEqual({ kind: "none" });
    expect(f("GET", ["HTTP/1.1 204 No Content"])).toEqual({ kind: "none" });
    expect(f("GET", ["HTTP/1.1 304 Not Modified", "Content-Length: 10"])).toEqual({ kind: "none" });
    expect(f("GET", ["HTTP/1.1 100 Continue"])).toEqual({ kind: "none" });
    expect(f("CONNECT", ["HTTP/1.1 200 OK"])).toEqual({ kind: "none" });
    expect(f("GET", ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Content-Length: 3"])).toEqual({ kind: "chunked" });
    expect(f("GET", ["HTTP/1.1 200 OK", "Content-Length: 3"])).toEqual({ kind: "length", length: 3 });
    expect(f("GET", ["HTTP/1.1 200 OK", "Content-Length: 0"])).toEqual({ kind: "none" });
    expect(f("GET", ["HTTP/1.1 200 OK"])).toEqual({ kind: "close" });
    expect(refused(() => f("GET", ["HTTP/1.1 200 OK", "Content-Length: 1", "Content-Length: 2"]))).toBe(400);
  });

  it("keep-alive: HTTP/1.1 unless close; HTTP/1.0 only with keep-alive", () => {
    expect(keepAlive(1, [])).toBe(true);
    expect(keepAlive(1, ["Connection", "Upgrade, Close"])).toBe(false);
    expect(keepAlive(0, [])).toBe(false);
    expect(keepAlive(0, ["connection", "keep-alive"])).toBe(true);
    expect([...connectionTokens(["Connection", "Upgrade, X-Drop", "connection", "keep-alive"])]).toEqual(["upgrade", "x-drop", "keep-alive"]);
  });
});

describe("BodyDecoder", () => {
  const chunked = Buffer.from("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\nX-B:  b \r\n\r\nGET /next");

  it("chunked with extensions and trailers: the same body however the bytes are split; ends where the body ends", () => {
    for (const step of [1, 2, 7, chunked.length]) {
      const r = decode({ kind: "chunked" }, chunked, step);
      expect(r.body, `step ${step}`).toBe("hello world");
      expect(r.trailers).toEqual(["X-Sum", "11", "X-B", "b"]);
      expect(r.received).toBe(11);
      expect(chunked.subarray(r.endedAt).toString()).toBe("GET /next");
    }
  });

  it("chunked without trailers, split inside the final CRLF", () => {
    const bytes = Buffer.from("3\r\nabc\r\n0\r\n\r\nNEXT");
    for (const step of [1, 2, 3]) {
      const r = decode({ kind: "chunked" }, bytes, step);
      expect(r.body).toBe("abc");
      expect(r.trailers).toBeNull();
      expect(bytes.subarray(r.endedAt).toString()).toBe("NEXT");
    }
  });

  const malformed: [string, string][] = [
    ["a size past 2^53", "FFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n"],
    ["no size", "\r\nabc\r\n"],
    ["a bare LF after the size", "3\nabc\r\n0\r\n\r\n"],
    ["data longer than its size", "3\r\nabcd\r\n0\r\n\r\n"],
    ["a bare LF after the data", "3\r\nabc\n0\r\n\r\n"],
    ["a signed size", "-3\r\nabc\r\n"],
    ["a control byte in an extension", "3;a\x01\r\nabc\r\n"],
    ["a bare LF after the last chunk", "0\r\n\n"],
    ["a malformed trailer", "0\r\nX A: b\r\n\r\n"],
  ];
  for (const [name, wire] of malformed) {
    it(`400: ${name}`, () => expect(refused(() => decode({ kind: "chunked" }, Buffer.from(wire), 1))).toBe(400));
  }

  it("content-length: exactly that many bytes, the rest is the next message's; no copy when a chunk is all body", () => {
    const r = decode({ kind: "length", length: 4 }, Buffer.from("abcdGET /"), 3);
    expect(r.body).toBe("abcd");
    expect(r.endedAt).toBe(4);
    const whole = Buffer.from("wxyz");
    const d = new BodyDecoder({ kind: "length", length: 4 });
    let seen: Buffer | null = null;
    expect(d.push(whole, 0, (b) => (seen = b))).toBe(4);
    expect(seen).toBe(whole);
    expect(d.done).toBe(true);
  });

  it("end(): completes a close-delimited body; a length or chunked body cut short is reported", () => {
    const c = new BodyDecoder({ kind: "close" });
    c.push(Buffer.from("abc"), 0, () => undefined);
    expect(c.done).toBe(false);
    expect(c.end()).toBe(true);
    expect(c.received).toBe(3);
    const l = new BodyDecoder({ kind: "length", length: 10 });
    l.push(Buffer.from("abc"), 0, () => undefined);
    expect(l.end()).toBe(false);
    expect(new BodyDecoder({ kind: "none" }).done).toBe(true);
  });

  it("refuses a trailer section larger than its limit", () => {
    const d = new BodyDecoder({ kind: "chunked" }, { maxTrailerBytes: 32 });
    expect(refused(() => d.push(Buffer.from(`0\r\nX-Big: ${"b".repeat(40)}`), 0, () => undefined))).toBe(400);
  });
});

describe("serialize", () => {
  it("writes heads and chunks", () => {
    expect(responseHead(200, ["content-length", "2"])).toBe("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
    expect(responseHead(599, [])).toBe("HTTP/1.1 599 Unknown\r\n\r\n");
    expect(requestHead("GET", "/x?y", ["host", "a"])).toBe("GET /x?y HTTP/1.1\r\nhost: a\r\n\r\n");
    expect(chunkHeader(26)).toBe("1a\r\n");
    expect(lastChunk()).toBe("0\r\n\r\n");
    expect(lastChunk(["grpc-status", "0"])).toBe("0\r\ngrpc-status: 0\r\n\r\n");
  });

  it("refuses a value or name that would inject a line, and a target with whitespace", () => {
    expect(() => responseHead(200, ["x-a", "a\r\nset-cookie: evil"])).toThrow(InvalidFieldError);
    expect(() => responseHead(200, ["x a", "b"])).toThrow(InvalidFieldError);
    expect(() => requestHead("GET", "/a HTTP/1.1\r\nX: y", [])).toThrow(InvalidFieldError);
    expect(() => requestHead("G T", "/", [])).toThrow(InvalidFieldError);
    expect(() => lastChunk(["x", "\n"])).toThrow(InvalidFieldError);
  });

  it("a parsed head written back out parses to the same fields", () => {
    const h = req(["GET /r HTTP/1.1", "Host: x", "X-A: 1"]);
    const again = parseRequestHead(Buffer.from(requestHead(h.method, h.target, h.rawHeaders), "latin1"), 100);
    expect(again).toEqual(h);
  });
});
