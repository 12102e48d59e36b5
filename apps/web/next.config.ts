import type { NextConfig } from "next";

// The console is served by server.ts (custom server); Next only renders the pages.
const config: NextConfig = {
  // The pages import config-model as TypeScript source, compiled by Next itself: its
  // package exports point production at dist/, the development condition at src/.
  transpilePackages: ["@switchyard/config-model"],
  turbopack: {
    resolveAlias: {
      "@switchyard/config-model": "../../packages/config-model/src/index.ts",
      "@switchyard/config-model/matcher": "../../packages/config-model/src/matcher/index.ts",
    },
  },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
