import { listCertificates } from "../../../services/certificates.ts";
import { protectedProcedure } from "../../trpc.ts";

/** Subject, SANs, fingerprint, expiry (flagged within 30 days); private keys never leave the server. */
export const listCertificatesProcedure = protectedProcedure.query(({ ctx }) => listCertificates(ctx.db));
