import { randomBytes, scryptSync } from "node:crypto";
import { ZHelloMessage } from "@switchyard/config-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSession,
  deleteSession,
  ensureAdminUser,
  getSessionUser,
  listAudit,
  listNodes,
  markAllNodesDisconnected,
  recordNodeAck,
  recordNodeDisconnected,
  recordNodeHello,
  recordNodeNack,
  touchNode,
  verifyPassword,
  appendAudit,
  checkPassword,
  needsRehash,
} from "../src/index.ts";
import { createTestDatabase, type TTestDatabase } from "../src/testing/test-database.ts";

let t: TTestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);

describe("nodes", () => {
  it("registers on hello, tracks ack and nack, lists and disconnects", async () => {
    await recordNodeHello(t.db, { ...ZHelloMessage.parse({ type: "hello", nodeId: "edge-2" }), remoteAddress: "127.0.0.1" });
    await recordNodeHello(t.db, ZHelloMessage.parse({ type: "hello", nodeId: "edge-1", group: "canary", labels: { zone: "a" }, appliedVersion: 3, appliedHash: HASH_A, proxyVersion: "0.1.0" }));

    let nodes = await listNodes(t.db);
    expect(nodes.map((n) => n.id)).toEqual(["edge-1", "edge-2"]);
    expect(nodes[0]).toMatchObject({ group: "canary", labels: { zone: "a" }, connected: true, appliedVersion: 3, appliedHash: HASH_A, lastError: null, proxyVersion: "0.1.0" });
    expect(nodes[1]).toMatchObject({ group: "default", labels: {}, connected: true, appliedVersion: null, appliedHash: null, remoteAddress: "127.0.0.1" });
    expect(nodes[0]?.lastSeen).toBeInstanceOf(Date);

    await recordNodeNack(t.db, "edge-1", 4, "listeners[0].port: address in use");
    nodes = await listNodes(t.db);
    expect(nodes[0]).toMatchObject({ appliedVersion: 3, appliedHash: HASH_A, lastError: "listeners[0].port: address in use", nackedVersion: 4 });
    expect(nodes[0]?.lastNackAt).toBeInstanceOf(Date);

    await recordNodeAck(t.db, "edge-1", 5, HASH_B);
    nodes = await listNodes(t.db);
    expect(nodes[0]).toMatchObject({ appliedVersion: 5, appliedHash: HASH_B, lastError: null, nackedVersion: null });

    const seenBefore = nodes[1]?.lastSeen?.getTime() ?? 0;
    await new Promise((r) => setTimeout(r, 5));
    await touchNode(t.db, "edge-2");
    expect((await listNodes(t.db))[1]?.lastSeen?.getTime()).toBeGreaterThan(seenBefore);

    await recordNodeDisconnected(t.db, "edge-2");
    expect((await listNodes(t.db)).map((n) => n.connected)).toEqual([true, false]);
    expect(await markAllNodesDisconnected(t.db)).toBe(1);
    expect((await listNodes(t.db)).map((n) => n.connected)).toEqual([false, false]);

    // A node that reconnects says hello again and is connected once more, same row.
    await recordNodeHello(t.db, ZHelloMessage.parse({ type: "hello", nodeId: "edge-1", group: "canary", appliedVersion: 5, appliedHash: HASH_B }));
    nodes = await listNodes(t.db);
    expect(nodes).toHaveLength(2);
    expect(nodes[0]).toMatchObject({ connected: true, appliedVersion: 5 });
    expect(await listNodes(t.db, { group: "canary" })).toHaveLength(1);
  });

  it("ignores ack/nack for a node that never said hello", async () => {
    await recordNodeAck(t.db, "ghost", 1, HASH_A);
    await recordNodeNack(t.db, "ghost", 1, "nope");
    expect((await listNodes(t.db)).map((n) => n.id)).not.toContain("ghost");
  });
});

describe("users and sessions", () => {
  it("creates the first admin once and verifies passwords", async () => {
    const admin = await ensureAdminUser(t.db, "Admin@Example.com ", "correct horse");
    expect(admin).toMatchObject({ email: "admin@example.com", role: "admin" });
    const again = await ensureAdminUser(t.db, "admin@example.com", "another password");
    expect(again.id).toBe(admin.id);

    const row = await t.db.prisma.user.findUniqueOrThrow({ where: { id: admin.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(row.passwordHash).not.toContain("correct horse");

    expect(await verifyPassword(t.db, "admin@example.com", "correct horse")).toEqual(admin);
    expect(await verifyPassword(t.db, "ADMIN@example.com", "correct horse")).toEqual(admin);
    expect(await verifyPassword(t.db, "admin@example.com", "another password")).toBeNull();
    expect(await verifyPassword(t.db, "admin@example.com", "")).toBeNull();
    expect(await verifyPassword(t.db, "nobody@example.com", "correct horse")).toBeNull();
    await expect(ensureAdminUser(t.db, "not-an-email", "x")).rejects.toThrow(/email/);
    await expect(ensureAdminUser(t.db, "b@example.com", "")).rejects.toThrow(/password/);
  });

  it("re-hashes a password stored with the weaker scrypt N=2^15 of earlier releases on the next good login (issue #15)", async () => {
    const user = await ensureAdminUser(t.db, "legacy@example.com", "old horse");
    // Exactly what earlier releases stored: scrypt$N$r$p$salt$hash, N=2^15.
    const salt = randomBytes(16);
    const legacy = ["scrypt", 2 ** 15, 8, 1, salt.toString("base64"), scryptSync("old horse", salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }).toString("base64")].join("$");
    await t.db.prisma.user.update({ where: { id: user.id }, data: { passwordHash: legacy } });
    expect(await checkPassword("old horse", legacy)).toBe(true);
    expect(needsRehash(legacy)).toBe(true);

    // A wrong password changes nothing.
    expect(await verifyPassword(t.db, "legacy@example.com", "wrong")).toBeNull();
    expect((await t.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(legacy);

    expect(await verifyPassword(t.db, "legacy@example.com", "old horse")).toEqual(user);
    const upgraded = (await t.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash ?? "";
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=47104,t=1,p=1\$/);
    expect(needsRehash(upgraded)).toBe(false);
    expect(await verifyPassword(t.db, "legacy@example.com", "old horse")).toEqual(user);
    expect(await verifyPassword(t.db, "legacy@example.com", "wrong")).toBeNull();
    // Weaker argon2id parameters are upgraded too; a malformed hash never verifies.
    expect(needsRehash(upgraded.replace("m=47104", "m=19456"))).toBe(true);
    expect(await checkPassword("old horse", "argon2id$garbage")).toBe(false);
  });

  it("creates sessions storing only the token's hash, resolves and deletes them", async () => {
    const admin = await ensureAdminUser(t.db, "admin@example.com", "correct horse");
    const { token, expiresAt } = await createSession(t.db, admin.id);
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 24 * 3600 * 1000);
    const stored = await t.db.prisma.session.findMany();
    expect(stored.map((s) => s.id)).not.toContain(token);
    expect(stored[0]?.id).toMatch(/^[0-9a-f]{64}$/);

    expect(await getSessionUser(t.db, token)).toEqual(admin);
    expect(await getSessionUser(t.db, token + "x")).toBeNull();
    expect(await getSessionUser(t.db, "")).toBeNull();
    await deleteSession(t.db, token);
    expect(await getSessionUser(t.db, token)).toBeNull();

    const short = await createSession(t.db, admin.id, { ttlMs: -1 });
    expect(await getSessionUser(t.db, short.token)).toBeNull();
    expect(await t.db.prisma.session.count()).toBe(0); // the expired one was removed on sight
  });
});

describe("audit", () => {
  it("appends and lists newest first with filters", async () => {
    await appendAudit(t.db, { actor: "zed", action: "test.one", target: "x", details: { n: 1 } });
    await appendAudit(t.db, { actor: "zed", action: "test.two" });
    const rows = await listAudit(t.db, { actor: "zed" });
    expect(rows.map((r) => r.action)).toEqual(["test.two", "test.one"]);
    expect(rows[1]).toMatchObject({ target: "x", details: { n: 1 } });
    expect(rows[0]).toMatchObject({ target: null, details: null });
    expect(await listAudit(t.db, { actor: "zed", beforeId: rows[0]!.id })).toHaveLength(1);
    expect(await listAudit(t.db, { actor: "zed", limit: 1 })).toHaveLength(1);
  });

  it("refuses to update or delete audit rows, at the database", async () => {
    await appendAudit(t.db, { actor: "yan", action: "test.keep" });
    await expect(t.db.prisma.auditLog.updateMany({ where: { actor: "yan" }, data: { actor: "someone-else" } })).rejects.toThrow(/append-only/);
    await expect(t.db.prisma.auditLog.deleteMany({ where: { actor: "yan" } })).rejects.toThrow(/append-only/);
    await expect(t.db.prisma.$executeRawUnsafe(`TRUNCATE "AuditLog"`)).rejects.toThrow(/append-only/);
    expect(await listAudit(t.db, { actor: "yan" })).toHaveLength(1);
  });
});
