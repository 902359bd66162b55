// Builds the scenario-builder page into dist/: index.html, assets/app.js and assets/app.css,
// with fixed names (no hashes) and one JS bundle, so build.sh can copy them to cli/assets/,
// where the Rust binary embeds them. `npx vite` serves the page for development, forwarding
// the API to a running `s3-connector serve` (S3C_API, default http://127.0.0.1:8080).
import { defineConfig } from 'vite';

const api = process.env.S3C_API || 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    minify: 'esbuild',
    cssCodeSplit: false,
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 100000,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      onwarn(warning, warn) {
        // rjsf marks some hooks "use client" (for React Server Components): meaningless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: {
        entryFileNames: 'assets/app.js',
        chunkFileNames: 'assets/app-[name].js',
        assetFileNames: (info) =>
          (info.names || [info.name]).some((n) => n && n.endsWith('.css'))
            ? 'assets/app.css'
            : 'assets/[name][extname]',
        inlineDynamicImports: true,
      },
    },
  },
  server: {
    proxy: { '/v1': api, '/openapi.json': api },
  },
});
