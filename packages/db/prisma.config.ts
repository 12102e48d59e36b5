import { defineConfig } from "prisma/config";

// Prisma 7 reads the datasource URL from here, not from schema.prisma. DATABASE_URL is
// only needed by commands that talk to a database (`prisma migrate deploy`); `prisma
// generate` runs without it. (A CLI config module: the one place besides env.ts files
// that reads process.env.)
export default defineConfig({
  schema: "../../prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/switchyard" },
});
