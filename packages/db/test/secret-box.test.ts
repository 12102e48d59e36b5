import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeConfig } from "@switchyard/config-model/testing";
import { createDb, createSecretBox, getVersion, getWorkingConfig, parseSecretKey, publishVersion, reencryptSecrets, replaceWorkingConfig, SecretKeyError } from "../src/index.ts";
import { createTestDatabase, type TTestDatabase } from "../src/testing/test-database.ts";

const KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("secret box", () => {
  it("round-trips, names its key, refuses tampering and unknown keys", () => {
    const a = randomBytes(32);
    const box = createSecretBox(a);
    const sealed = box.encrypt("hello");
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain("hello");
    expect(box.decrypt(sealed)).toBe("hello");
    const parts = sealed.split(":");
    parts[5] = Buffer.from("jello").toString("base64url");
    expect(() => box.decrypt(parts.join(":"))).toThrow(SecretKeyError);
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow(/neither SWITCHYARD_SECRET_KEY nor/);
    // Rotation: the new box still opens values sealed with the previous key.
    const rotated = createSecretBox(randomBytes(32), [a]);
    expect(rotated.decrypt(sealed)).toBe("hello");
    expect(rotated.isStale(sealed)).toBe(true);
  });

  it("parses 64 hex digits or base64 of 32 bytes, and refuses anything else naming the variable", () => {
    expect(parseSecretKey("ab".repeat(32))).toHaveLength(32);
    expect(parseSecretKey(randomBytes(32).toString("base64"))).toHaveLength(32);
    expect(() => parseSecretKey("short")).toThrow(/SWITCHYARD_SECRET_KEY: must be 32 bytes/);
  });
});

describe("private keys at rest", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("are sealed in the working config and snapshots, re-encrypted under a new key on rotation, and refused without a key", async () => {
    const config = makeConfig({ secrets: [{ name: "site", type: "tlsCertificate", certificate: CERT, privateKey: KEY }] });
    expect((await replaceWorkingConfig(t.db, config, { actor: "t" })).ok).toBe(true);
    await publishVersion(t.db, { actor: "t", message: "with key" });
    const raw = async () => {
      const c = new pg.Client({ connectionString: t.url });
      await c.connect();
      try {
        const s = await c.query<{ privateKey: string }>(`SELECT spec->>'privateKey' AS "privateKey" FROM "ConfigResource" WHERE kind = 'secrets'`);
        const v = await c.query<{ snapshot: { secrets: { privateKey: string }[] } }>(`SELECT snapshot FROM "ConfigVersion"`);
        return { secret: s.rows[0]!.privateKey, snapshot: v.rows[0]!.snapshot.secrets[0]!.privateKey };
      } finally {
        await c.end();
      }
    };
    const before = await raw();
    expect(before.secret).toMatch(/^enc:v1:/);
    expect(before.snapshot).toMatch(/^enc:v1:/);
    expect(JSON.stringify(before)).not.toContain("MIGHAgEAMBMG");

    // Rotate: a new current key, the old one as previous.
    const next = randomBytes(32);
    const oldKey = parseSecretKey("0000000000000000000000000000000000000000000000000000000000005eed");
    const rotated = createDb(t.url, { secrets: createSecretBox(next, [oldKey]) });
    try {
      expect(await reencryptSecrets(rotated)).toEqual({ secrets: 1, versions: 1 });
      expect(await reencryptSecrets(rotated)).toEqual({ secrets: 0, versions: 0 });
      const after = await raw();
      expect(after.secret.split(":")[2]).toBe(createSecretBox(next).keyId);
      expect(after.snapshot.split(":")[2]).toBe(createSecretBox(next).keyId);
      // Content and hash unchanged; readable with the new key alone.
      const alone = createDb(t.url, { secrets: createSecretBox(next) });
      try {
        expect((await getWorkingConfig(alone)).config.secrets[0]).toMatchObject({ privateKey: KEY });
        expect((await getVersion(alone, 1))?.config.secrets[0]).toMatchObject({ privateKey: KEY });
      } finally {
        await alone.close();
      }
    } finally {
      await rotated.close();
    }
    const keyless = createDb(t.url);
    try {
      await expect(getWorkingConfig(keyless)).rejects.toThrow(/SWITCHYARD_SECRET_KEY is not configured/);
      await expect(replaceWorkingConfig(keyless, config, { actor: "t" })).rejects.toThrow(/SWITCHYARD_SECRET_KEY is not configured/);
    } finally {
      await keyless.close();
    }
  });
});

describe("wasm modules at rest", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("a wasmModule's bytes are sealed like a private key, in the working config and in snapshots, and read back intact", async () => {
    // A minimal module (magic + version): the schema checks base64, size and sha256, not the ABI.
    const bytes = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const data = bytes.toString("base64");
    const secret = { name: "filter", type: "wasmModule" as const, sha256: createHash("sha256").update(bytes).digest("hex"), data };
    expect((await replaceWorkingConfig(t.db, makeConfig({ secrets: [secret] }), { actor: "t" })).ok).toBe(true);
    const { version } = await publishVersion(t.db, { actor: "t", message: "with module" });
    const c = new pg.Client({ connectionString: t.url });
    await c.connect();
    try {
      const s = await c.query<{ data: string }>(`SELECT spec->>'data' AS data FROM "ConfigResource" WHERE kind = 'secrets'`);
      const v = await c.query<{ snapshot: { secrets: { data: string }[] } }>(`SELECT snapshot FROM "ConfigVersion" WHERE version = $1`, [version]);
      expect(s.rows[0]!.data).toMatch(/^enc:v1:/);
      expect(v.rows[0]!.snapshot.secrets[0]!.data).toMatch(/^enc:v1:/);
    } finally {
      await c.end();
    }
    expect((await getWorkingConfig(t.db)).config.secrets[0]).toMatchObject({ data });
    expect((await getVersion(t.db, version))?.config.secrets[0]).toMatchObject({ data });
  });
});
