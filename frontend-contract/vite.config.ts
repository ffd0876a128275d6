// Two builds from one config, chosen by --mode: the reference app (served at /app/) and GraphiQL
// (assets under /graphiql/, page at GET /graphql). Both land inside the Python package, committed,
// so the server needs no Node.js; CI rebuilds them and fails when the committed build is stale.
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const STATIC = resolve(import.meta.dirname, '../server/static');

export default defineConfig(({ mode }) => {
  const target = mode === 'graphiql' ? 'graphiql' : 'app';
  return {
    root: resolve(import.meta.dirname, target),
    base: `/${target}/`,
    plugins: [react()],
    build: {
      outDir: resolve(STATIC, target),
      emptyOutDir: true,
      chunkSizeWarningLimit: 5000,
      assetsInlineLimit: 0, // the favicon as a hashed file under assets/, like every other asset
      reportCompressedSize: false,
      rolldownOptions: {
        // GraphiQL's React-compiler output starts modules with "use no memo": harmless once bundled.
        onwarn(warning, warn) {
          if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
        },
      },
    },
  };
});
