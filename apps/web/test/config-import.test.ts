import { REDACTED } from "@switchyard/config-model";
import { makeCluster, makeConfig, makeListener } from "@switchyard/config-model/testing";
import { replaceWorkingConfig } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type TPki } from "../../proxy/test/helpers/certs.ts";
import { checkImport } from "../src/server/services/config-document.ts";
import { convertDocument } from "../src/server/services/config-import.ts";

let t: TTestDatabase;
let pki: TPki;

const PETSTORE = `openapi: 3.1.0
info: { title: Petstore, version: 1.0.0 }
paths:
  /pets/{petId}:
    get: { operationId: showPetById, responses: { "200": { description: ok } } }
`;

beforeAll(async () => {
  t = await createTestDatabase();
  pki = await createPki();
  const site = await pki.issue("site", ["DNS:site.test"]);
  const stored = await replaceWorkingConfig(
    t.db,
    makeConfig({
      listeners: [makeListener({ protocol: "https", port: 8443, tls: { certificates: ["site"] } })],
      clusters: [makeCluster(), makeCluster({ name: "pets" })],
      secrets: [{ name: "site", type: "tlsCertificate", certificate: site.cert, privateKey: site.key }],
    }),
    { actor: "test" },
  );
  expect(stored.ok).toBe(true);
});
afterAll(async () => {
  await t?.drop();
  await pki?.cleanup();
});

describe("convertDocument (the import page's importConvert)", () => {
  it("adds OpenAPI routes to the first virtual host without sending the stored private key, and the result checks clean", async () => {
    const converted = await convertDocument(t.db, { source: "openapi", text: PETSTORE, cluster: "pets" });
    expect(converted.unmapped).toEqual([]);
    expect(converted.text).not.toContain("PRIVATE KEY");
    expect(converted.text).toContain(REDACTED);
    const checked = await checkImport(t.db, { text: converted.text });
    expect(checked.valid ? checked.changes.resources.map((r) => `${r.op} ${r.kind}/${r.scope}/${r.name}`) : checked.issues).toEqual(["add routes/main/all/showPetById"]);
  });

  it("answers a malformed document as MALFORMED_BODY with its line", async () => {
    await expect(convertDocument(t.db, { source: "envoy", text: "static_resources: [\n" })).rejects.toMatchObject({ code: "MALFORMED_BODY" });
  });
});
