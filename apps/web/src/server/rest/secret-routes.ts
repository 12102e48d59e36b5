import { listCertificates } from "../services/certificates.ts";
import { sendJson } from "./http.ts";
import type { TRestContext } from "./router.ts";

/** GET /secrets: subject, SANs, fingerprint and expiry of each certificate; private keys are write-only. */
export async function listSecretsRoute({ res, deps }: TRestContext): Promise<void> {
  sendJson(res, 200, await listCertificates(deps.db));
}
