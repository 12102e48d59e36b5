import { describe, expect, it } from "vitest";
import { forwardedFor } from "../../src/listener/client-address.ts";
import { parseProxyHeader } from "../../src/listener/proxy-protocol.ts";
import { proxyV2, v4Addresses } from "../helpers/proxy-header.ts";

const v4 = (src: number[], dst: number[], sport: number, dport: number) => v4Addresses(src.join("."), dst.join("."), sport, dport);

describe("parseProxyHeader", () => {
  it("v1 TCP4 / TCP6 / UNKNOWN", () => {
    expect(parseProxyHeader(Buffer.from("PROXY TCP4 10.1.2.3 127.0.0.1 5555 80\r\nGET /"))).toEqual({
      header: { kind: "proxy", sourceAddress: "10.1.2.3", sourcePort: 5555, family: "IPv4" },
      length: 39,
    });
    const v6 = parseProxyHeader(Buffer.from("PROXY TCP6 2001:db8::1 ::1 1 443\r\n"));
    expect(v6).toMatchObject({ header: { kind: "proxy", sourceAddress: "2001:db8::1", sourcePort: 1, family: "IPv6" } });
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"))).toEqual({ header: { kind: "local" }, length: 15 });
  });

  it("v1: incomplete until CRLF; refused when malformed", () => {
    expect(parseProxyHeader(Buffer.from("PROXY TCP4 10.1"))).toBe("incomplete");
    expect(parseProxyHeader(Buffer.from("PRO"))).toBe("incomplete");
    for (const bad of [
      "PROXY TCP4 10.1.2.3 127.0.0.1 5555\r\n",
      "PROXY TCP4 ::1 127.0.0.1 5555 80\r\n",
      "PROXY TCP4 10.1.2.3 x 5555 80\r\n",
      "PROXY TCP4 10.1.2.3 127.0.0.1 99999 80\r\n",
      "PROXY TCP4 10.1.2.3 127.0.0.1 05 80\r\n",
      "PROXY UDP4 10.1.2.3 127.0.0.1 5 80\r\n",
      `PROXY TCP4 ${"1".repeat(120)}\r\n`,
      "GET / HTTP/1.1\r\n\r\n",
    ]) {
      expect(parseProxyHeader(Buffer.from(bad)), bad).toHaveProperty("error");
    }
  });

  it("v2 PROXY over IPv4 and IPv6, TLVs skipped, the rest of the stream kept", () => {
    const h = proxyV2(1, 0x11, v4([10, 9, 8, 7], [127, 0, 0, 1], 4321, 443), Buffer.from([0x04, 0x00, 0x01, 0x00]));
    const r = parseProxyHeader(Buffer.concat([h, Buffer.from("GET / HTTP/1.1")]));
    expect(r).toEqual({ header: { kind: "proxy", sourceAddress: "10.9.8.7", sourcePort: 4321, family: "IPv4" }, length: h.length });
    const a6 = Buffer.alloc(36);
    a6.writeUInt16BE(0x2001, 0);
    a6.writeUInt16BE(0x0db8, 2);
    a6.writeUInt16BE(0x0001, 14);
    a6.writeUInt16BE(0xabcd, 32);
    expect(parseProxyHeader(proxyV2(1, 0x21, a6))).toMatchObject({ header: { sourceAddress: "2001:db8::1", sourcePort: 0xabcd, family: "IPv6" } });
  });

  it("v2 LOCAL and UNSPEC keep the connection's address; bad versions, commands and short blocks are refused", () => {
    expect(parseProxyHeader(proxyV2(0, 0x00, Buffer.alloc(0)))).toEqual({ header: { kind: "local" }, length: 16 });
    expect(parseProxyHeader(proxyV2(1, 0x00, Buffer.alloc(0)))).toEqual({ header: { kind: "local" }, length: 16 });
    const wrongVersion = proxyV2(1, 0x11, v4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1));
    wrongVersion[12] = 0x11;
    expect(parseProxyHeader(wrongVersion)).toHaveProperty("error");
    expect(parseProxyHeader(proxyV2(1, 0x11, Buffer.alloc(4)))).toHaveProperty("error");
    expect(parseProxyHeader(proxyV2(1, 0x11, v4([1, 2, 3, 4], [1, 2, 3, 4], 1, 1)).subarray(0, 20))).toBe("incomplete");
  });
});

describe("forwardedFor (trustedHops)", () => {
  it("takes the N-th entry from the right, over every field", () => {
    expect(forwardedFor("1.1.1.1, 2.2.2.2, 3.3.3.3", 1)).toBe("3.3.3.3");
    expect(forwardedFor("1.1.1.1, 2.2.2.2, 3.3.3.3", 2)).toBe("2.2.2.2");
    expect(forwardedFor(["1.1.1.1", "2.2.2.2"], 2)).toBe("1.1.1.1");
    expect(forwardedFor(" 2001:db8::7 ", 1)).toBe("2001:db8::7");
  });

  it("null (the peer stands) with fewer entries, no header, or a value that is not an address", () => {
    expect(forwardedFor("1.1.1.1", 2)).toBeNull();
    expect(forwardedFor(undefined, 1)).toBeNull();
    expect(forwardedFor("unknown", 1)).toBeNull();
    expect(forwardedFor("1.1.1.1:80", 1)).toBeNull();
  });
});
