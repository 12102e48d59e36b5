import { z } from "zod";
import { certificateInfo } from "../../../services/certificates.ts";
import { protectedProcedure } from "../../trpc.ts";

/**
 * Subject, SANs, fingerprint and expiry of a certificate PEM the secret form holds (typed,
 * pasted or uploaded, not saved yet), read with node:crypto. Only the certificate is
 * sent: the form never sends the private key here.
 */
export const inspectCertificateProcedure = protectedProcedure
  .input(z.object({ pem: z.string().min(1).max(256 * 1024) }))
  .query(({ input }) => certificateInfo({ name: "inspect", type: "caBundle", certificate: input.pem }));
