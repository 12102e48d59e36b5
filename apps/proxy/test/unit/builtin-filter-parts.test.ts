import { describe, expect, it } from "vitest";
import { chooseEncoding } from "../../src/filters/compression/config.ts";
import { Base64Decoder, Base64Encoder } from "../../src/filters/grpc-web/base64.ts";
import { compileTemplate, escapeHtml } from "../../src/filters/local-replies/template.ts";
import type { TFilterRequest } from "../../src/filters/api.ts";

/** Pure parts of the issue #14 built-ins: Accept-Encoding choice, streaming base64, local-reply templates. */
describe("chooseEncoding", () => {
  const all = ["zstd", "br", "gzip"] as const;
  it("takes the highest q-value, ties by the configured order, `*` for the unnamed, q=0 refuses", () => {
    expect(chooseEncoding("gzip, br", all)).toBe("br");
    expect(chooseEncoding("gzip;q=1.0, br;q=0.8", all)).toBe("gzip");
    expect(chooseEncoding("*", ["gzip", "br"])).toBe("gzip");
    expect(chooseEncoding("*;q=0.5, br;q=0", all)).toBe("zstd");
    expect(chooseEncoding("x-gzip", all)).toBe("gzip");
    expect(chooseEncoding("identity", all)).toBeNull();
    expect(chooseEncoding("gzip;q=0", all)).toBeNull();
    expect(chooseEncoding("", all)).toBeNull();
    expect(chooseEncoding(undefined, all)).toBeNull();
  });
});

describe("streaming base64 (grpc-web-text)", () => {
  it("decodes text split anywhere, including padded segments one after another", () => {
    const a = Buffer.from("first message");
    const b = Buffer.from("second");
    const text = a.toString("base64") + b.toString("base64"); // "...=" in the middle
    const d = new Base64Decoder();
    const out: Buffer[] = [];
    for (let i = 0; i < text.length; i += 3) out.push(d.push(Buffer.from(text.slice(i, i + 3)), false));
    out.push(d.push(Buffer.alloc(0), true));
    expect(Buffer.concat(out).toString()).toBe("first messagesecond");
  });

  it("encodes bytes split anywhere into one base64 text", () => {
    const data = Buffer.from(Array.from({ length: 601 }, (_, i) => (i * 37) % 256));
    const e = new Base64Encoder();
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += 7) out.push(e.push(data.subarray(i, i + 7), false));
    out.push(e.push(Buffer.alloc(0), true));
    expect(Buffer.concat(out).toString("latin1")).toBe(data.toString("base64"));
  });
});

describe("local-reply templates", () => {
  const req = { requestId: "r1", method: "GET", path: "/p", route: { name: "rt" }, headers: { get: (n: string) => (n === "x-a" ? "<v>" : undefined) } } as unknown as TFilterRequest;
  const ctx = { status: 503, flags: "UF,URX", body: "upstream connect error", req };
  it("fills every field, `-` for an absent header; values are escaped by the caller only", () => {
    const t = compileTemplate("%RESPONSE_CODE%|%RESPONSE_FLAGS%|%LOCAL_REPLY_BODY%|%REQUEST_ID%|%METHOD%|%PATH%|%ROUTE%|%REQ(X-A)%|%REQ(x-b)%|100%");
    expect(t.render(ctx, (s) => s)).toBe("503|UF,URX|upstream connect error|r1|GET|/p|rt|<v>|-|100%");
    expect(compileTemplate("<p>%REQ(x-a)%</p>").render(ctx, escapeHtml)).toBe("<p>&lt;v&gt;</p>");
    expect(compileTemplate("%RESPONSE_CODE%").onlyStatus).toBe(true);
  });
});
