import { createTRPCRouter } from "../../trpc.ts";
import { inspectCertificateProcedure } from "./inspect.ts";
import { listCertificatesProcedure } from "./list.ts";

export const certificatesRouter = createTRPCRouter({ list: listCertificatesProcedure, inspect: inspectCertificateProcedure });
