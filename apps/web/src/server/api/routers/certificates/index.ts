import { createTRPCRouter } from "../../trpc.ts";
import { listCertificatesProcedure } from "./list.ts";

export const certificatesRouter = createTRPCRouter({ list: listCertificatesProcedure });
