/**
 * The dashboard build. `npm run build:web` (= `vite build web`) writes dist/web, which
 * `openastro serve` serves (src/server/routes/web.ts). `npx vite web` runs a dev server
 * that proxies /api to a running service (OPENASTRO_API, default http://127.0.0.1:8080).
 *
 * The app imports pure modules of src/science (FITS, WCS, phase folding) directly: they
 * are plain TypeScript with no node: imports on the paths used here.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  resolve: {
    // The one node: import on our paths (src/science/fits/source.ts, lazy, for file paths).
    alias: { 'node:fs/promises': fileURLToPath(new URL('./src/shims/no-fs.ts', import.meta.url)) },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: { '/api': { target: process.env.OPENASTRO_API ?? 'http://127.0.0.1:8080', changeOrigin: true } },
  },
});
