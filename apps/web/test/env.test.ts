import { describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";

const base = { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/x" };

describe("console environment: SWITCHYARD_SECRET_KEY", () => {
  it("is required in production, naming the variable and how to make one", () => {
    expect(() => loadEnv({ ...base, NODE_ENV: "production" })).toThrow(/SWITCHYARD_SECRET_KEY: SWITCHYARD_SECRET_KEY is required in production .*openssl rand -base64 32/);
    expect(loadEnv({ ...base, NODE_ENV: "production", SWITCHYARD_SECRET_KEY: "ab".repeat(32) }).SWITCHYARD_SECRET_KEY).toBe("ab".repeat(32));
  });

  it("is optional in development, and a key that is not 32 bytes is refused (also among the previous keys)", () => {
    expect(loadEnv({ ...base }).SWITCHYARD_SECRET_KEY).toBeUndefined();
    expect(() => loadEnv({ ...base, SWITCHYARD_SECRET_KEY: "too-short" })).toThrow(/SWITCHYARD_SECRET_KEY must be 32 bytes/);
    expect(() => loadEnv({ ...base, SWITCHYARD_SECRET_KEY: "ab".repeat(32), SWITCHYARD_SECRET_KEY_PREVIOUS: `${"cd".repeat(32)},nope` })).toThrow(
      /SWITCHYARD_SECRET_KEY_PREVIOUS must be 32 bytes/,
    );
  });
});

describe("console environment: SWITCHYARD_TLS_CERT / _KEY / _CLIENT_CA", () => {
  it("takes the certificate and key together, the client CA only with them, and names the files it cannot read", async () => {
    const { readConsoleTls } = await import("../src/server/tls.ts");
    expect(loadEnv({ ...base, SWITCHYARD_TLS_CERT: "/c.pem", SWITCHYARD_TLS_KEY: "/k.pem" })).toMatchObject({ SWITCHYARD_TLS_CERT: "/c.pem", SWITCHYARD_TLS_KEY: "/k.pem" });
    expect(() => loadEnv({ ...base, SWITCHYARD_TLS_CERT: "/c.pem" })).toThrow(/SWITCHYARD_TLS_CERT and SWITCHYARD_TLS_KEY must be set together/);
    expect(() => loadEnv({ ...base, SWITCHYARD_TLS_CLIENT_CA: "/ca.pem" })).toThrow(/SWITCHYARD_TLS_CLIENT_CA needs SWITCHYARD_TLS_CERT/);
    expect(readConsoleTls({})).toBeNull();
    expect(() => readConsoleTls({ SWITCHYARD_TLS_CERT: "/nonexistent/c.pem", SWITCHYARD_TLS_KEY: "/nonexistent/k.pem" })).toThrow(/^SWITCHYARD_TLS_CERT: cannot read \/nonexistent\/c.pem/);
  });
});

describe("console environment: SWITCHYARD_PROMETHEUS_URL / _TIMEOUT_MS", () => {
  it("is off unless set (empty = unset), takes an http(s) URL, and bounds the timeout", () => {
    expect(loadEnv({ ...base }).SWITCHYARD_PROMETHEUS_URL).toBeUndefined();
    expect(loadEnv({ ...base, SWITCHYARD_PROMETHEUS_URL: "" }).SWITCHYARD_PROMETHEUS_URL).toBeUndefined();
    expect(loadEnv({ ...base, SWITCHYARD_PROMETHEUS_URL: "http://prometheus:9090" })).toMatchObject({ SWITCHYARD_PROMETHEUS_URL: "http://prometheus:9090", SWITCHYARD_PROMETHEUS_TIMEOUT_MS: 5000 });
    expect(() => loadEnv({ ...base, SWITCHYARD_PROMETHEUS_URL: "prometheus:9090" })).toThrow(/SWITCHYARD_PROMETHEUS_URL must be an http:\/\/ or https:\/\/ URL/);
    expect(() => loadEnv({ ...base, SWITCHYARD_PROMETHEUS_TIMEOUT_MS: "10" })).toThrow(/SWITCHYARD_PROMETHEUS_TIMEOUT_MS: must be >= 100/);
  });
});
