import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

// recharts and the libraries only it pulls in get chunks of their own, loaded by the pages with
// charts (bundled into the leaderboard's chunk, they made it 530 kB). React gets its own too: a
// manual chunk takes the dependencies it reaches, and react-redux reaches react-dom.
function clientChunk(id: string): string | undefined {
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id)?.[1];
  if (!pkg) return undefined;
  if (pkg === "react" || pkg === "react-dom" || pkg === "scheduler") return "react";
  if (pkg === "victory-vendor" || pkg.startsWith("d3-") || pkg === "internmap" || pkg === "decimal.js-light") return "charts-scales";
  if (/^(recharts|@reduxjs\/toolkit|react-redux|redux|redux-thunk|immer|reselect|es-toolkit|eventemitter3|tiny-invariant|clsx|use-sync-external-store)$/.test(pkg)) return "charts";
  return undefined;
}

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [
    remix({
      // Every v3 flag is on so that the move to React Router 7 is a codemod.
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
        v3_routeConfig: true,
      },
    }),
    tsconfigPaths(),
  ],
  // Native and server-only packages must never be pre-bundled for the browser.
  optimizeDeps: {
    exclude: ["better-sqlite3", "drizzle-orm", "@remix-run/node"],
  },
  server: { port: Number(process.env.PORT ?? 3000) },
  build: {
    rollupOptions: {
      // Two warnings every build gave that nobody can act on: resource routes have no client code
      // (an empty chunk each), and zod ships comments Rollup cannot place. Any other warning shows.
      onwarn(warning, warn) {
        if (warning.code === "EMPTY_BUNDLE") return;
        if (warning.code === "INVALID_ANNOTATION" && warning.id?.includes("/node_modules/zod/")) return;
        warn(warning);
      },
      output: isSsrBuild ? {} : { manualChunks: clientChunk },
    },
  },
}));
