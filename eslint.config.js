import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/**", "node_modules/**", "data/**", ".cache/**", "migrations/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // The layers of DESIGN.md §1, checked: core is pure; components never reach the server;
  // routes and the CLI go through services, never straight to the database or to each other.
  {
    files: ["app/core/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["~/services/*", "**/services/*", "~/routes/*", "**/routes/*", "~/components/*", "**/components/*", "**/db/*"], message: "app/core is pure: no services, routes, components or database." },
            { group: ["node:*", "react", "react-dom", "@remix-run/*", "better-sqlite3", "drizzle-orm", "drizzle-orm/*"], message: "app/core is pure: no I/O, React or Remix." },
          ],
        },
      ],
    },
  },
  {
    files: ["app/components/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["*.server", "~/services/*", "**/services/*", "**/db/*", "better-sqlite3", "drizzle-orm", "drizzle-orm/*", "node:*"], message: "components run in the browser: no server code." }] },
      ],
    },
  },
  {
    files: ["app/routes/**/*.{ts,tsx}", "app/cli/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/db/*", "better-sqlite3", "drizzle-orm", "drizzle-orm/*", "~/routes/*", "../routes/*"], message: "routes and the CLI parse, authorize and call services: no database access, no other routes." }] },
      ],
    },
  },
  {
    files: ["**/*.js"],
    // Node 20's globals the plain-JS files use (server.js's lean API path builds Fetch requests).
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", Headers: "readonly", Request: "readonly", Response: "readonly", AbortController: "readonly" },
    },
  },
);
