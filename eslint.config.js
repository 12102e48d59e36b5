import js from "@eslint/js";
import globals from "globals";
import jsxA11y from "eslint-plugin-jsx-a11y";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/.next/**", "**/dist/**", "**/generated/**", ".data/**", "test-artifacts/**", "**/next-env.d.ts"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // Only env/CLI modules read the environment (STYLE.md habit 3).
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read the environment only in an env.ts / cli module." }],
    },
  },
  {
    files: ["**/env.ts", "**/cli.ts", "**/cli/**", "**/test/**", "test/**", "scripts/**", "**/*.config.*", "**/bin/**", "packages/db/src/testing/**", "packages/db/prisma.config.ts", "prisma.config.ts", "apps/demo/src/**"],
    rules: { "no-restricted-properties": "off" },
  },
  {
    files: ["apps/web/src/app/**", "apps/web/src/components/**", "apps/web/src/**/*.tsx"],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The console's React code: the rules of hooks (with the compiler-era checks) and JSX accessibility.
  {
    files: ["apps/web/src/**/*.tsx", "apps/web/src/**/*.ts"],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ["apps/web/src/**/*.tsx"],
    ...jsxA11y.flatConfigs.recommended,
  },
);
