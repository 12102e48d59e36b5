import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type TLeaf, type TPki } from "../../../apps/proxy/test/helpers/certs.ts";
import { parseConfig, type TSecret } from "../src/index.ts";
import { makeCluster, makeConfig, makeListener } from "../src/testing/fixtures.ts";
import { findUnusableTlsMaterial } from "../src/tls-material.ts";

let pki: TPki;
let a: TLeaf;
let b: TLeaf;

beforeAll(async () => {
  pki = await createPki();
  [a, b] = await Promise.all([pki.issue("a", ["DNS:a.test"]), pki.issue("b", ["DNS:b.test"])]);
});
afterAll(() => pki?.cleanup());

function withSecrets(secrets: TSecret[], extra: { clusterTls?: Record<string, string> } = {}) {
  return parseConfig(
    makeConfig({
      listeners: [makeListener({ protocol: "https", port: 8443, tls: { certificates: ["site"], clientValidation: { caSecret: "ca" } } })],
      clusters: [makeCluster(extra.clusterTls ? { tls: extra.clusterTls } : {})],
      secrets,
    }),
  );
}

describe("findUnusableTlsMaterial (config-model/tls): the PEM in use loads as node:tls will load it", () => {
  it("accepts a certificate with its own key and a CA", () => {
    expect(findUnusableTlsMaterial(withSecrets([{ name: "site", type: "tlsCertificate", certificate: a.cert, privateKey: a.key }, { name: "ca", type: "caBundle", certificate: pki.ca.cert }]))).toEqual([]);
  });

  it("refuses another certificate's key, and broken PEM, at the field that uses them; never names key material", () => {
    const mismatched = findUnusableTlsMaterial(withSecrets([{ name: "site", type: "tlsCertificate", certificate: a.cert, privateKey: b.key }, { name: "ca", type: "caBundle", certificate: pki.ca.cert }]));
    expect(mismatched).toEqual([{ path: "listeners[0].tls.certificates[0]", message: expect.stringMatching(/^secret "site" with CA secret "ca": unusable certificate\/key: .*(mismatch|does not match)/i) }]);
    expect(mismatched[0]!.message).not.toContain(b.key.split("\n")[1]!);
    const garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const clusters = findUnusableTlsMaterial(
      withSecrets(
        [
          { name: "site", type: "tlsCertificate", certificate: a.cert, privateKey: a.key },
          { name: "ca", type: "caBundle", certificate: pki.ca.cert },
          { name: "client", type: "tlsCertificate", certificate: garbage, privateKey: a.key },
        ],
        { clusterTls: { clientCertificate: "client" } },
      ),
    );
    expect(clusters.map((i) => i.path)).toEqual(["clusters[0].tls.clientCertificate"]);
  });

  it("leaves unused secrets alone (a placeholder nobody serves breaks nothing)", () => {
    const config = parseConfig(makeConfig({ secrets: [{ name: "later", type: "tlsCertificate", certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" }] }));
    expect(findUnusableTlsMaterial(config)).toEqual([]);
  });
});
