import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Certificates generated at test time with `openssl` (never committed): one CA and
 * leaf certificates it signs, with DNS/URI/IP SANs. Files stay in `dir` for curl's
 * --cacert/--cert/--key; PEM text is returned for config secrets.
 */
export type TLeaf = { cert: string; key: string; certFile: string; keyFile: string };
export type TPki = {
  dir: string;
  ca: { cert: string; certFile: string };
  issue(name: string, sans: string[], opts?: { client?: boolean }): Promise<TLeaf>;
  cleanup(): Promise<void>;
};

export async function createPki(caName = "Switchyard Test CA"): Promise<TPki> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-pki-"));
  const caKey = join(dir, "ca.key");
  const caCert = join(dir, "ca.crt");
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", caCert, "-days", "2", "-subj", `/CN=${caName}`]);
  let serial = 1;
  return {
    dir,
    ca: { cert: await readFile(caCert, "utf8"), certFile: caCert },
    async issue(name, sans, opts = {}) {
      // Taken before the first await: concurrent issue() calls (Promise.all, even with the
      // same name) must not share file names or a serial.
      const n = serial++;
      const base = join(dir, `${name}-${n}`);
      const ext = `${base}.ext`;
      await writeFile(
        ext,
        [
          "basicConstraints=CA:FALSE",
          `extendedKeyUsage=${opts.client ? "clientAuth" : "serverAuth,clientAuth"}`,
          `subjectAltName=${sans.join(",")}`,
        ].join("\n"),
      );
      await run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}`]);
      await run("openssl", ["x509", "-req", "-in", `${base}.csr`, "-CA", caCert, "-CAkey", caKey, "-set_serial", String(n), "-days", "2", "-extfile", ext, "-out", `${base}.crt`]);
      return { cert: await readFile(`${base}.crt`, "utf8"), key: await readFile(`${base}.key`, "utf8"), certFile: `${base}.crt`, keyFile: `${base}.key` };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
