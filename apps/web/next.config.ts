import type { NextConfig } from "next";

// The console is served by server.ts (custom server); Next only renders the pages.
const config: NextConfig = {
  // Workspace packages are TypeScript source (exports point at src/*.ts).
  transpilePackages: ["@switchyard/config-model"],
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm run typecheck` (tsc over pages, server and tests) is the type gate; skipping the
  // repeat inside next build halves its time on a 2-core machine.
  typescript: { ignoreBuildErrors: true },
};

export default config;
