import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { createAdminGuard, isLoopbackHost } from "../../src/admin/admin-auth.ts";

const TOKEN = "s3cret-admin-token-0123";
const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe("admin guard", () => {
  it("loopback without a token: everything open (the default)", () => {
    const guard = createAdminGuard({ token: null, protectReads: false }, "127.0.0.1");
    expect(guard(req(), "POST", "/healthcheck/fail")).toBeNull();
    expect(guard(req(), "GET", "/config_dump")).toBeNull();
  });

  it("beyond loopback without a token: POST refused (403), reads open", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.5"]) {
      const guard = createAdminGuard({ token: null, protectReads: false }, host);
      expect(guard(req(), "POST", "/healthcheck/fail")).toMatchObject({ status: 403 });
      expect(guard(req(`Bearer ${TOKEN}`), "POST", "/healthcheck/ok")).toMatchObject({ status: 403 });
      expect(guard(req(), "GET", "/stats")).toBeNull();
    }
  });

  it("with a token: POST needs it everywhere; reads only with protectReads; /ready always open", () => {
    for (const host of ["127.0.0.1", "0.0.0.0"]) {
      const guard = createAdminGuard({ token: TOKEN, protectReads: false }, host);
      expect(guard(req(), "POST", "/healthcheck/fail")).toMatchObject({ status: 401 });
      expect(guard(req("Bearer wrong"), "POST", "/healthcheck/fail")).toMatchObject({ status: 401 });
      expect(guard(req(`Basic ${TOKEN}`), "POST", "/healthcheck/fail")).toMatchObject({ status: 401 });
      expect(guard(req(`Bearer ${TOKEN}`), "POST", "/healthcheck/fail")).toBeNull();
      expect(guard(req(), "GET", "/config_dump")).toBeNull();
    }
    const reads = createAdminGuard({ token: TOKEN, protectReads: true }, "0.0.0.0");
    expect(reads(req(), "GET", "/config_dump")).toMatchObject({ status: 401 });
    expect(reads(req(`bearer ${TOKEN}`), "GET", "/config_dump")).toBeNull();
    expect(reads(req(), "GET", "/ready")).toBeNull();
  });

  it("isLoopbackHost", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::ffff:10.0.0.1"].some(isLoopbackHost)).toBe(false);
  });
});
