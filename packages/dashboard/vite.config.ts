import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into dist/, which the engine serves at "/" (its API stays under /api/).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  // `vite` (dev) proxies the API to an engine started with `hangar up` on its default port.
  server: { proxy: { '/api': process.env.HANGAR_URL ?? 'http://127.0.0.1:7300' } },
});
